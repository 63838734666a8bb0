"""What ffmpeg says about a video: its streams (duration, codecs, size) and frames taken from it.

The frames are the poster (the first) and keyframe thumbnails spread over the video,
JPEG files a caller hashes like any image (pHash, dHash, PDQ), so a re-upload of the
same footage is found as a near duplicate. ffmpeg reads only the local file here, never
a URL; each run is bounded in time, and seeks to a keyframe rather than decoding the
whole video, so a long file costs a few reads.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Only container formats are read, from local files only: a "video" that is really a playlist or
# a concat script would otherwise have ffmpeg open the URLs or local files it names.
_INPUT_LIMITS = [
    "-protocol_whitelist", "file",
    "-format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,avi,flv,ogg",
]  # fmt: skip
# Seconds one ffprobe or ffmpeg run may take before it is stopped (a hostile file).
TOOL_TIMEOUT = 60
# Frames taken from a video: the poster and keyframes spread over its duration.
FRAMES_PER_VIDEO = 4
FRAME_MAX_SIDE = 640


@dataclass
class Streams:
    """A video file's streams as ffprobe reads them; None for what it could not tell."""

    duration_ms: int | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    container: str | None = None

    def summary(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def probe_streams(path: Path) -> Streams | None:
    """The file's duration, codecs and picture size; None when ffprobe is missing or fails."""
    out = _run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "-i"],
        path,
    )
    if out is None:
        return None
    try:
        data = json.loads(out)
    except ValueError:
        return None
    streams = [s for s in data.get("streams") or [] if isinstance(s, dict)]
    video = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), {})
    fmt = data.get("format") or {}
    return Streams(
        duration_ms=_milliseconds(fmt.get("duration") or video.get("duration")),
        width=_positive(video.get("width")),
        height=_positive(video.get("height")),
        video_codec=video.get("codec_name"),
        audio_codec=audio.get("codec_name"),
        container=fmt.get("format_name"),
    )


def extract_frames(
    path: Path, out_dir: Path, duration_ms: int | None, count: int = FRAMES_PER_VIDEO
) -> list[tuple[float, Path]]:
    """(seconds, JPEG file) of up to `count` frames: the first, then spread over the duration."""
    seconds = (duration_ms or 0) / 1000
    times = [0.0] + [round(seconds * i / count, 3) for i in range(1, count)] if seconds else [0.0]
    out_dir.mkdir(parents=True, exist_ok=True)
    frames: list[tuple[float, Path]] = []
    for index, at in enumerate(dict.fromkeys(times)):
        target = out_dir / f"frame-{index}.jpg"
        scale = f"scale='min({FRAME_MAX_SIDE},iw)':-2"
        args = ["ffmpeg", "-v", "error", "-nostdin", "-y", "-skip_frame", "nokey", "-ss", f"{at}"]
        tail = ["-frames:v", "1", "-vf", scale, "-q:v", "3", str(target)]
        if _run(args + ["-i"], path, tail) is not None and target.is_file():
            frames.append((at, target))
    return frames


def _run(args: list[str], path: Path, tail: list[str] = ()) -> str | None:
    """A tool's standard output, or None when it is missing, fails or runs too long."""
    if shutil.which(args[0]) is None:
        return None
    # "file:" so a name is never read as a protocol (ffmpeg would open "http:..." itself).
    command = [*args[:-1], *_INPUT_LIMITS, args[-1], f"file:{path}", *tail]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=TOOL_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def _milliseconds(value) -> int | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return round(seconds * 1000) if 0 < seconds < 10**7 else None


def _positive(value) -> int | None:
    return value if isinstance(value, int) and value > 0 else None
