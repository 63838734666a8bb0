"""TikTok: recognise video and photo post URLs (and the embed players' URLs)."""

from __future__ import annotations

import re

from .base import PostRef, match_url

NAME = "tiktok"

_HOSTS = r"(?:(?:www|m)\.)?tiktok\.com"
_ID = r"(?P<id>\d{6,20})"
_END = r"(?:[/?#]|$)"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/@(?P<handle>[A-Za-z0-9_.-]+)/(?:video|photo)/{_ID}{_END}", re.I
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?:embed/v2|embed|player/v1|v)/{_ID}(?:\.html)?{_END}", re.I
    ),
]


def parse_url(url: str) -> PostRef | None:
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    handle = m.groupdict().get("handle")
    video_id = m.group("id")
    return PostRef(
        platform=NAME, post_id=video_id, url=canonical_url(video_id, handle), handle=handle
    )


def canonical_url(post_id: str, handle: str | None = None) -> str:
    # TikTok serves /@/video/<id> (no user) too and redirects it to the post.
    return f"https://www.tiktok.com/@{handle or ''}/video/{post_id}"
