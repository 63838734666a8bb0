"""YouTube: video URLs (watch pages, short links, Shorts, embed players), via oEmbed and the watch page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import Platform, PostRef, UrlCase, WidgetCode, video_when_served
from archiver.platforms.oembed import oembed_post

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "youtube"

_ID = r"(?P<id>[A-Za-z0-9_-]{11})"
_END = r"(?:[?&#/]|$)"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?(?:(?:www|m|music)\.)?youtube(?:-nocookie)?\.com/"
        rf"(?:embed/|v/|e/|shorts/|live/|watch/?\?(?:.*&)?v=){_ID}{_END}",
        re.I | re.ASCII,
    ),
    re.compile(rf"^(?:https?://)?youtu\.be/{_ID}{_END}", re.I | re.ASCII),
    # The Flash player's own host (2008-2015 embed codes).
    re.compile(rf"^(?:https?://)?youtube\.googleapis\.com/v/{_ID}{_END}", re.I | re.ASCII),
)

# Player paths that have the length of a video id but name a playlist or a feature.
_NOT_IDS = {"videoseries", "live_stream"}


def _read_match(m: re.Match) -> PostRef | None:
    if m.group("id") in _NOT_IDS:
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


PLATFORM = Platform(
    name=NAME,
    label="YouTube",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("youtube.com", "youtube-nocookie.com", "youtu.be"),
    media_hosts=("ytimg.com",),
    genre="Video",
    video_by_ytdlp=video_when_served,
    widgets=(
        WidgetCode("amp-youtube", "data-videoid", canonical_url),
        WidgetCode("lite-youtube", "videoid", canonical_url),
    ),
    accepts=(
        UrlCase("https://youtube.googleapis.com/v/dQw4w9WgXcQ&hl=en", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        UrlCase("https://youtu.be/dQw4w9WgXcQ?t=42", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        UrlCase("https://www.youtube.com/shorts/dQw4w9WgXcQ", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        UrlCase("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ),
    rejects=(
        "https://www.youtube.com/@channel/1234",
        "https://www.youtube.com/embed/videoseries?list=PL123",
    ),
)  # fmt: skip
