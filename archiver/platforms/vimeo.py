"""Vimeo: recognise video URLs (vimeo.com pages and the player's embed URLs)."""

from __future__ import annotations

import re

from .base import PostRef, match_url

NAME = "vimeo"

_ID = r"(?P<id>\d{4,12})"
# Unlisted videos need their hash in the URL: /<id>/<hash> on the site, ?h=<hash> in the player.
_HASH = r"[0-9a-f]{6,20}"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?(?:www\.)?vimeo\.com/(?:channels/[\w-]+/|groups/[\w-]+/videos/|"
        rf"(?:album|showcase)/\d+/video/)?{_ID}(?:/(?P<hash>{_HASH}))?/?(?:[?#]|$)",
        re.I,
    ),
    re.compile(
        rf"^(?:https?://)?player\.vimeo\.com/video/{_ID}/?(?:\?(?:.*&)?h=(?P<hash>{_HASH}))?(?:[&?#]|$)",
        re.I,
    ),
]


def parse_url(url: str) -> PostRef | None:
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    video_id = m.group("id")
    return PostRef(platform=NAME, post_id=video_id, url=canonical_url(video_id, m.group("hash")))


def canonical_url(post_id: str, unlisted_hash: str | None = None) -> str:
    return f"https://vimeo.com/{post_id}" + (f"/{unlisted_hash}" if unlisted_hash else "")
