"""Instagram: post, reel and IGTV URLs (and their /embed pages), read from the public page's card.

Without login Instagram shows at most the post's link card: og:title
'Name on Instagram: "caption"', og:description '12K likes, 34 comments - handle
on May 29, 2021: "caption"' (older pages: 'Name (@handle) on Instagram: ...'),
og:image (a square crop) and, on some pages, JSON-LD with the full caption.
Anything else is a login wall: UnavailableError, and the article's copy is kept.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import PostRef, iso_utc, match_url, parse_display_date
from archiver.platforms.opengraph import post_from_page

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "instagram"

URL_PATTERNS = [
    re.compile(
        r"^(?:https?://)?(?:www\.)?(?:instagram\.com|instagr\.am)/(?:[A-Za-z0-9_.]{1,30}/)?"
        r"(?:p|reel|reels|tv)/(?P<id>[A-Za-z0-9_-]{5,40})(?:[/?#]|$)",
        re.I,
    ),
]


def parse_url(url: str) -> PostRef | None:
    """A post's `instagram:<shortcode>` identity."""
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    shortcode = m.group("id")
    return PostRef(platform=NAME, post_id=shortcode, url=canonical_url(shortcode))


def canonical_url(post_id: str, handle: str | None = None) -> str:
    # /p/<shortcode>/ opens posts, reels and IGTV alike.
    return f"https://www.instagram.com/p/{post_id}/"


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The caption, author, date and image the public page's card shows; else UnavailableError."""
    return post_from_page(ref, fetcher, name=NAME, label="Instagram", interpret=read_card)


_QUOTED = r"[\"“](?P<text>.*)[\"”]"
_TITLE = re.compile(rf"^(?P<name>.+?) on Instagram: {_QUOTED}\s*$", re.S)
_DESCRIPTION = re.compile(
    r"^(?P<likes>[\d.,KkMm]+) likes?, (?P<comments>[\d.,KkMm]+) comments? - "
    rf"(?:(?P<name>.+?) \(@(?P<handle>[\w.]+)\) on Instagram|(?P<who>[\w.]+) on (?P<date>[A-Z][a-z]+ \d{{1,2}}, \d{{4}})): "
    rf"{_QUOTED}\.?\s*$",
    re.S | re.I,
)


def read_card(card: dict) -> dict:
    """Author, caption and date from Instagram's og:title, og:description and JSON-LD."""
    meta = card["meta"]
    fields: dict = {}
    title = _TITLE.match(meta.get("og:title") or "")
    description = _DESCRIPTION.match(meta.get("og:description") or meta.get("description") or "")
    if title:
        fields["author_name"], fields["text"] = title.group("name"), title.group("text")
    if description:
        fields["author_handle"] = description.group("handle") or description.group("who")
        fields.setdefault("author_name", description.group("name"))
        fields.setdefault("text", description.group("text"))
        fields["created_at"] = parse_display_date(description.group("date"))
        fields["metrics"] = {
            "likes": description.group("likes"),
            "comments": description.group("comments"),
        }
    ld = next((i for i in meta.get("json_ld") or [] if i.get("caption")), None)
    if ld is not None:
        # The JSON-LD caption is whole; the card's is cut at about 100 characters.
        fields["text"] = ld["caption"]
        fields["created_at"] = iso_utc(ld.get("uploadDate")) or fields.get("created_at")
        alternate = ((ld.get("author") or {}).get("alternateName") or "").removeprefix("@")
        fields["author_handle"] = fields.get("author_handle") or alternate or None
    fields.setdefault("text", meta.get("og:description"))
    return fields
