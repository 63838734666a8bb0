"""X cards: the link card or poll a post shows under its text, from the syndication `card`.

A card is `{"name": "summary_large_image", "url": "https://t.co/...", "binding_values": {...}}`;
each binding value is typed (`{"type": "STRING", "string_value": ...}`, `IMAGE` with an
`image_value`, `BOOLEAN`). The syndication endpoint gives `binding_values` as an object;
X's GraphQL gives the same values as a list of `{"key": ..., "value": ...}`: both are read.
Link cards (`summary`, `summary_large_image`, `player`, `unified_card`...) become
`details["card"]` and their image a `card` medium; polls (`poll2choice_text_only` ...
`poll4choice_image`) become `details["poll"]`, in the shapes the other platforms use.
"""

from __future__ import annotations

import re

from archiver.models import MediaRef
from archiver.platforms.shapes import integer, items, media_url, obj, short_text, text

# The card image at full size first; smaller renditions only when it is missing.
_IMAGE_KEYS = (
    "photo_image_full_size_original", "thumbnail_image_original", "summary_photo_image_original",
    "player_image_original", "photo_image_full_size_large", "thumbnail_image_large",
    "summary_photo_image_large", "player_image_large", "thumbnail_image", "player_image",
)  # fmt: skip
_MAX_CHOICES = 4  # X polls have two to four choices


def card_details(data: dict) -> tuple[dict, list[MediaRef]]:
    """The post's card as details (`card` or `poll`) and the card's image to download."""
    card = obj(data.get("card"))
    name = short_text(card.get("name")) or ""
    values = binding_values(card.get("binding_values"))
    if not values:
        return {}, []
    if re.fullmatch(r"poll[2-4]choice_\w+", name):
        return {"poll": _poll(values)}, []
    link = _expanded(short_text(card.get("url")), data) or _string(values, "card_url")
    found = {
        "url": link,
        "title": _string(values, "title"),
        "description": _string(values, "description"),
        "site_name": _string(values, "vanity_url") or _string(values, "domain"),
        "type": name or None,
    }
    image = next((url for key in _IMAGE_KEYS if (url := _image(values, key))), None)
    if image:
        found["image"] = image
    details = {"card": {k: v for k, v in found.items() if v}}
    return details, [MediaRef(url=image, type="card")] if image else []


def binding_values(value) -> dict[str, dict]:
    """`binding_values` as `{key: typed value}`, from either the object or the list form."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, dict)}
    return {
        item["key"]: item["value"]
        for item in items(value)
        if isinstance(item.get("key"), str) and isinstance(item.get("value"), dict)
    }


def _string(values: dict, key: str) -> str | None:
    return text(obj(values.get(key)).get("string_value"))


def _image(values: dict, key: str) -> str | None:
    return media_url(obj(obj(values.get(key)).get("image_value")).get("url"))


def _expanded(short: str | None, data: dict) -> str | None:
    """The URL behind the card's t.co link, as the post's own entities name it."""
    for entity in items(obj(data.get("entities")).get("urls")):
        if short and entity.get("url") == short and text(entity.get("expanded_url")):
            return entity["expanded_url"]
    return short


def _poll(values: dict) -> dict:
    options = []
    for n in range(1, _MAX_CHOICES + 1):
        label = _string(values, f"choice{n}_label")
        if label is None:
            continue
        count = _string(values, f"choice{n}_count")
        options.append({"title": label, "votes": integer(int(count)) if _digits(count) else None})
    final = obj(values.get("counts_are_final")).get("boolean_value")
    return {
        "options": options,
        "votes": sum(o["votes"] for o in options if o["votes"] is not None) if options else None,
        "expires_at": _string(values, "end_datetime_utc"),
        "final": final if isinstance(final, bool) else None,
    }


def _digits(value: str | None) -> bool:
    return value is not None and value.isascii() and value.isdigit() and len(value) < 19
