"""What a capture asks yt-dlp for, and what it may cost: the names shared by the pipeline and media.

Kept apart from yt-dlp itself (ytdlp_video.py, imported only when a video is looked for),
so a run that archives no video never loads it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from archiver.settings import Settings

# MediaRef types a capture asks for, which yt-dlp turns into videos: a post's own URL
# (a result pointing elsewhere is followed), and a page's (only the videos the page itself plays).
VIDEO_OF_POST = "video-of-post"
VIDEOS_ON_PAGE = "videos-on-page"
VIDEO_SOURCES = (VIDEO_OF_POST, VIDEOS_ON_PAGE)


@dataclass
class VideoOptions:
    """What a video may cost (bytes for the chosen format or formats), and what can merge them."""

    max_bytes: int
    ffmpeg: bool  # merge separate video and audio (Debian's ffmpeg is installed)
    # Of a live stream's listed segments, the first this many seconds are kept.
    max_live_seconds: int = Settings.max_live_seconds


@dataclass
class Preloaded:
    """A response the run fetched (and recorded) already: served from memory, not asked again."""

    status: int
    headers: dict[str, str]
    body: bytes


def ffmpeg_installed() -> bool:
    """ffmpeg and ffprobe on PATH: streams merged, videos probed, frames taken."""
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
