"""Telegram: recognise public channel post URLs (t.me/<channel>/<id>, the embed widget's too)."""

from __future__ import annotations

import re

from .base import PostRef, match_url

NAME = "telegram"

# Public channel usernames: 4-32 characters, a letter first. Private links (t.me/c/...)
# name no public post and are not matched.
URL_PATTERNS = [
    re.compile(
        r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?"
        r"(?P<channel>[A-Za-z][A-Za-z0-9_]{3,31})/(?P<id>\d{1,12})/?(?:[?#]|$)",
        re.I,
    ),
]


def parse_url(url: str) -> PostRef | None:
    """A post's `telegram:<channel>/<id>` identity (message ids repeat across channels)."""
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    post_id = f"{m.group('channel')}/{m.group('id')}"
    return PostRef(
        platform=NAME, post_id=post_id, url=canonical_url(post_id), handle=m.group("channel")
    )


def canonical_url(post_id: str, handle: str | None = None) -> str:
    return f"https://t.me/{post_id}"
