"""Vimeo: video URLs (vimeo.com pages and the player's embed URLs), via oEmbed and the page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import PostRef, match_url
from archiver.platforms.oembed import oembed_post

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

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


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """Title, author, description, upload date and thumbnail from oEmbed; the page's card too."""
    return oembed_post(
        ref, fetcher, name=NAME, label="Vimeo", endpoint="https://vimeo.com/api/oembed.json"
    )
