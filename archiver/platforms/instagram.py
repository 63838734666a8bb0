"""Instagram: recognise post, reel and IGTV URLs (and their /embed pages)."""

from __future__ import annotations

import re

from .base import PostRef, match_url

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
