"""Threads: recognise post URLs on threads.net and threads.com."""

from __future__ import annotations

import re

from .base import PostRef, match_url

NAME = "threads"

_HOSTS = r"(?:www\.)?threads\.(?:net|com)"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/@(?P<handle>[A-Za-z0-9_.]{{1,30}})/post/(?P<id>[A-Za-z0-9_-]{{5,40}})(?:[/?#]|$)",
        re.I,
    ),
    re.compile(rf"^(?:https?://)?{_HOSTS}/t/(?P<id>[A-Za-z0-9_-]{{5,40}})(?:[/?#]|$)", re.I),
]


def parse_url(url: str) -> PostRef | None:
    """A post's `threads:<shortcode>` identity."""
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    handle = m.groupdict().get("handle")
    return PostRef(
        platform=NAME,
        post_id=m.group("id"),
        url=canonical_url(m.group("id"), handle),
        handle=handle,
    )


def canonical_url(post_id: str, handle: str | None = None) -> str:
    if handle:
        return f"https://www.threads.com/@{handle}/post/{post_id}"
    return f"https://www.threads.com/t/{post_id}"
