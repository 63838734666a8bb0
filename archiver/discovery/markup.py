"""The embed codes platforms hand out, and what each one tells about its post.

`recognise(element)` answers for one element: is this the embed code of a post,
and if so, which post and what the article shows of it. The codes are the
registered platforms' own (`Platform.markup`, `Platform.widgets`); a player element
(iframe, AMP's amp-iframe, the Flash era's embed and object) is an embed when one of
its attributes, whatever a lazy loader or consent tool renamed it to, is one of a
platform's post or player URLs. An element that is plainly a platform's embed code
but names no post is returned as an unresolved embed with the reason, never dropped.
Finding those elements in a page, escaped markup included, is `archiver.discovery.embeds`' job.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from bs4 import Tag

from archiver.models import Embed
from archiver.platforms import PLATFORMS, identify
from archiver.platforms.base import MarkupCode, Platform, PostRef, WidgetCode
from archiver.platforms.embed_copy import ArticleCopy, absolute_url, embed_of

# Attributes that hold a player's address, looked at first: src, the lazy loaders' and the
# consent tools' own names; any other attribute of the element is looked at after them.
_PLAYER_SOURCES = (
    "src",
    "data-src",
    "data-lazy-src",
    "data-litespeed-src",
    "data-original",
    "data-url",
    "data",  # <object data="...">
)
IFRAME_ELEMENTS = ("iframe", "amp-iframe", "frame", "embed", "object")
# <object><param name="movie" value="..."> (Flash players, 2005-2015).
_PARAM_NAMES = {"movie", "src", "url", "filename"}
# A platform's own player path (not its like, follow or share buttons, nor its page widgets).
_PLAYER_PATH = re.compile(
    r"^/(?:[^?#]*/)?(?:embed|embeds|player|video|videos|post|posts|status|statuses|tweet|p|reel|tv)"
    r"(?:[/.?#]|$)",
    re.I,
)
_LONGEST_REASON_URL = 300
# A platform's buttons and page widgets, which carry a URL (often the post's) in their query.
_BUTTON_PATH = re.compile(
    r"like|share|follow|button|comment|subscribe|send|page\.php|login|timeline", re.I
)
_MOST_QUERY_VALUES = 20

# The registered platforms' markup codes and widget elements, by element name.
MARKUP: dict[str, list[tuple[MarkupCode, Platform]]] = {}
WIDGETS: dict[str, list[tuple[WidgetCode, Platform]]] = {}
# Markup codes by their class, for elements a consent tool renamed the class attribute of.
_BY_CLASS: dict[str, tuple[MarkupCode, Platform]] = {}
for _platform in PLATFORMS:
    for _code in _platform.markup:
        MARKUP.setdefault(_code.tag, []).append((_code, _platform))
        _BY_CLASS.setdefault(_code.css_class, (_code, _platform))
    for _widget in _platform.widgets:
        WIDGETS.setdefault(_widget.element, []).append((_widget, _platform))


def recognise(tag: Tag, base_url: str | None = None) -> Embed | None:
    """The embedded post this element is the embed code of (an unresolved one when it names
    none), or None when it is no embed code."""
    if tag.name in IFRAME_ELEMENTS:
        return _player(tag, base_url)
    classes = set(tag.get("class") or [])
    for code, platform in MARKUP.get(tag.name, ()):
        if code.css_class in classes:
            return _read(code, platform, tag, base_url)
    for widget, platform in [*WIDGETS.get(tag.name, ()), *WIDGETS.get("*", ())]:
        value = (tag.get(widget.attribute) or "").strip()
        if value:
            ref = platform.parse_url(widget.to_url(value) if widget.to_url else value)
            if ref is not None:
                return embed_of(ref, "widget", ArticleCopy())
            return unresolved(platform, "widget", f"<{tag.name} {widget.attribute}={value[:80]!r}>")
    return _renamed_class(tag, base_url) or _code_on_another_element(tag, classes, base_url)


def unresolved(platform: Platform, found_by: str, what: str) -> Embed:
    """An element that is `platform`'s embed code but names no post this archive can read."""
    return Embed(
        platform=platform.name,
        found_by=found_by,
        post_url=None,
        unresolved_reason=f"{platform.label} embed code names no post: {what}",
    )


def _read(code: MarkupCode, platform: Platform, tag: Tag, base_url: str | None) -> Embed:
    embed = code.read(tag, base_url)
    if embed is None:
        return unresolved(platform, "blockquote", f"<{tag.name} class={code.css_class}>")
    if embed.post_url is None and embed.unresolved_reason is None:
        embed.unresolved_reason = (
            f"{platform.label} embed code <{tag.name} class={code.css_class}> links no post"
        )
    return embed


def _renamed_class(tag: Tag, base_url: str | None) -> Embed | None:
    """Consent tools keep an embed code's class in another attribute until the reader agrees
    (`consent-original-class-_="twitter-tweet"`, `data-original-class="instagram-media"`)."""
    for name, value in tag.attrs.items():
        if name == "class" or "class" not in name:
            continue
        for token in value if isinstance(value, list) else str(value).split():
            if token in _BY_CLASS:
                code, platform = _BY_CLASS[token]
                return _read(code, platform, tag, base_url)
    return None


def _code_on_another_element(tag: Tag, classes: set[str], base_url: str | None) -> Embed | None:
    """A code's class on another element than the platform's (a CMS turned the blockquote
    into a <div class="twitter-tweet">): an embed only when it names its post, since the
    same class marks the wrapper widgets.js renders the post's iframe into."""
    for token in classes & _BY_CLASS.keys():
        code, platform = _BY_CLASS[token]
        if code.tag != tag.name:
            embed = code.read(tag, base_url)
            if embed is not None and embed.post_id:
                return embed
    return None


def _player(tag: Tag, base_url: str | None) -> Embed | None:
    addresses = [absolute_url(value, base_url) for value in _player_addresses(tag)]
    for address in addresses:
        ref = identify(address) or _proxied(address)
        if ref is not None:
            return embed_of(ref, "iframe", ArticleCopy())
    widget = _widget(tag)
    if widget is not None:
        return widget
    for address in addresses:
        platform = _player_platform(address)
        if platform is not None:
            shown = (
                address
                if len(address) <= _LONGEST_REASON_URL
                else address[:_LONGEST_REASON_URL] + "…"
            )
            return unresolved(platform, "iframe", f"<{tag.name}> of {shown}")
    return None


def _proxied(address: str) -> PostRef | None:
    """The post an embed proxy's player shows (Embedly's `?url=`, Iframely's, twitframe's):
    a post URL in the player's query; never a like, share or follow button's."""
    try:
        parts = urlsplit(address)
    except ValueError:  # "http://[not an address" and the like
        return None
    if not parts.query or _BUTTON_PATH.search(parts.path):
        return None
    for _, value in parse_qsl(parts.query)[:_MOST_QUERY_VALUES]:
        if value.startswith(("http://", "https://")):
            ref = identify(value)
            if ref is not None:
                return ref
    return None


def _widget(tag: Tag) -> Embed | None:
    """A player a platform marks with its widget attribute (`data-tweet-id` on the iframe
    widgets.js renders) when its address names no post."""
    for widget, platform in WIDGETS.get("*", ()):
        value = (tag.get(widget.attribute) or "").strip()
        ref = (
            platform.parse_url(widget.to_url(value) if widget.to_url else value) if value else None
        )
        if ref is not None:
            return embed_of(ref, "iframe", ArticleCopy())
    return None


def _player_addresses(tag: Tag) -> list[str]:
    """The element's addresses: its source attributes first, then its other attributes, then
    the addresses its <param>s give (an <object>'s Flash player)."""
    values = [tag.get(name) for name in _PLAYER_SOURCES]
    values += [value for name, value in tag.attrs.items() if name not in _PLAYER_SOURCES]
    if tag.name == "object":
        values += [
            param.get("value")
            for param in tag.find_all("param", recursive=False)
            if str(param.get("name", "")).lower() in _PARAM_NAMES
        ]
    return [value.strip() for value in values if isinstance(value, str) and _is_address(value)]


def _is_address(value: str) -> bool:
    value = value.strip().lower()
    return value.startswith(("http://", "https://", "//")) and len(value) < 10_000


def _player_platform(address: str) -> Platform | None:
    """The platform whose own player this address is, when it names no post we can read
    (a playlist, a numeric SoundCloud track, a player URL of a shape not seen before)."""
    path = re.sub(r"^(?:https?:)?//[^/?#]*", "", address, flags=re.I)
    if not _PLAYER_PATH.match(path or "/") or _BUTTON_PATH.search(path.split("?")[0]):
        return None
    return next((p for p in PLATFORMS if p.hosts and p.owns(address)), None)
