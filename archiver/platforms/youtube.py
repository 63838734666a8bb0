"""YouTube: video URLs (watch pages, short links, Shorts, embed players), via oEmbed and the watch page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import PostRef, match_url
from archiver.platforms.oembed import oembed_post

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "youtube"

_ID = r"(?P<id>[A-Za-z0-9_-]{11})"
_END = r"(?:[?&#/]|$)"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?(?:(?:www|m|music)\.)?youtube(?:-nocookie)?\.com/"
        rf"(?:embed/|v/|e/|shorts/|live/|watch/?\?(?:.*&)?v=){_ID}{_END}",
        re.I,
    ),
    re.compile(rf"^(?:https?://)?youtu\.be/{_ID}{_END}", re.I),
]

# Player paths that have the length of a video id but name a playlist or a feature.
_NOT_IDS = {"videoseries", "live_stream"}


def parse_url(url: str) -> PostRef | None:
    m = match_url(URL_PATTERNS, url)
    if not m or m.group("id") in _NOT_IDS:
        return None
    video_id = m.group("id")
    return PostRef(platform=NAME, post_id=video_id, url=canonical_url(video_id))


def canonical_url(post_id: str, handle: str | None = None) -> str:
    return f"https://www.youtube.com/watch?v={post_id}"


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """Title, channel and thumbnail from oEmbed; description and date from the watch page."""
    return oembed_post(
        ref, fetcher, name=NAME, label="YouTube", endpoint="https://www.youtube.com/oembed"
    )
