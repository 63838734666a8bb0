"""Facebook: post, video and photo URLs (and the embed plugin's iframe URLs), read from the public page's card.

Facebook shows most posts only after login; to a plain client it answers with
a login page or an 'update your browser' page, which is recorded as unavailable
with that reason. When a public page does carry the post's card (og:description
is its text), that is what is kept.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from archiver.models import Post
from archiver.platforms.base import PostRef, match_url
from archiver.platforms.opengraph import post_from_page

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "facebook"

_HOSTS = r"(?:(?:www|m|web|mbasic|business)\.)?facebook\.com"
# Numeric object ids, or the opaque pfbid... ids Facebook has shown since 2022.
_ID = r"(?P<id>pfbid[A-Za-z0-9]+|\d{5,25})"
_PAGE = r"(?P<page>[A-Za-z0-9.\-]+)"
_END = r"(?:[/?&#]|$)"
# The embed plugin carries the post's own URL, percent-encoded, in its href parameter.
_PLUGIN = re.compile(
    rf"^(?:https?://)?{_HOSTS}/plugins/(?:post|video)\.php\?(?:.*&)?href=(?P<href>[^&#]+)", re.I
)
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?:groups/)?{_PAGE}/(?P<kind>posts|videos|photos|permalink)/"
        rf"(?:[^/?#]+/)?{_ID}{_END}",
        re.I,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?P<kind>photo)(?:\.php|/)?\?(?:.*&)?fbid={_ID}{_END}", re.I
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?:permalink|story)\.php\?(?:.*&)?story_fbid={_ID}(?:&(?:.*&)?id=(?P<owner>\d+))?",
        re.I,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?P<kind>watch/?\?(?:.*&)?v=|video\.php\?(?:.*&)?v=|reel/){_ID}{_END}",
        re.I,
    ),
]


def parse_url(url: str) -> PostRef | None:
    """A post's `facebook:<id>` identity (Facebook object ids are unique site-wide)."""
    plugin = _PLUGIN.match(url.strip())
    if plugin:
        href = unquote(plugin.group("href"))
        return None if _PLUGIN.match(href) else parse_url(href)
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    groups = m.groupdict()
    page = groups.get("page") or groups.get("owner")
    shape = (groups.get("kind") or "").lower()
    kind = (
        "video"
        if shape.startswith(("video", "watch", "reel"))
        else "photo"
        if shape.startswith("photo")
        else "post"
    )
    return PostRef(
        platform=NAME,
        post_id=m.group("id"),
        url=canonical_url(m.group("id"), page, kind),
        handle=page,
    )


def canonical_url(post_id: str, handle: str | None = None, kind: str = "post") -> str:
    """The URL Facebook opens the post at; `kind` is post, video or photo."""
    if kind == "photo":
        return f"https://www.facebook.com/photo.php?fbid={post_id}"
    if kind == "video":
        return (
            f"https://www.facebook.com/{handle}/videos/{post_id}"
            if handle
            else f"https://www.facebook.com/watch/?v={post_id}"
        )
    return (
        f"https://www.facebook.com/{handle}/posts/{post_id}"
        if handle
        else f"https://www.facebook.com/{post_id}"
    )


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The text and image the public page's card shows; else UnavailableError (login required)."""
    return post_from_page(ref, fetcher, name=NAME, label="Facebook", interpret=read_card)


def read_card(card: dict) -> dict:
    # og:title is the page's or person's name on post pages, the text on photo pages.
    meta = card["meta"]
    text = meta.get("og:description") or meta.get("description")
    return {"text": text or card["title"], "author_name": card["title"] if text else None}
