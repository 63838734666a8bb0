"""Test videos made here with ffmpeg (no video bytes in the repository), and how to serve them.

One 3-second clip (a test pattern with a tone, H.264 + AAC), and the same footage as an
HLS stream (MPEG-TS segments) and as a DASH stream (separate video and audio, fMP4).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from archiver.web.replay import ReplayServer

CLIP_SECONDS = 3


@dataclass(frozen=True)
class Clips:
    mp4: Path
    hls: Path  # a directory: index.m3u8 and its segments
    dash: Path  # a directory: manifest.mpd, init and chunk segments

    def hls_segments(self) -> list[Path]:
        return sorted(self.hls.glob("*.ts"))


def make_clips(directory: Path) -> Clips:
    mp4 = directory / "clip.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size=160x120:rate=10:duration={CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={CLIP_SECONDS}",
        "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k",
        "-shortest", str(mp4),
    )  # fmt: skip
    hls, dash = directory / "hls", directory / "dash"
    hls.mkdir()
    dash.mkdir()
    _ffmpeg("-i", str(mp4), "-c", "copy", "-f", "hls", "-hls_time", "1",
            "-hls_playlist_type", "vod", str(hls / "index.m3u8"))  # fmt: skip
    _ffmpeg("-i", str(mp4), "-map", "0:v", "-map", "0:a", "-c", "copy", "-f", "dash",
            "-seg_duration", "1", "-use_template", "1", "-use_timeline", "0",
            str(dash / "manifest.mpd"))  # fmt: skip
    return Clips(mp4, hls, dash)


def serve_dir(replay: ReplayServer, base_url: str, directory: Path) -> None:
    """Every file of a stream's directory at base_url/<name>, with its type."""
    types = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t",
             ".mpd": "application/dash+xml", ".m4s": "video/iso.segment"}  # fmt: skip
    for path in directory.iterdir():
        replay.add(f"{base_url}/{path.name}", path, content_type=types.get(path.suffix))


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True, timeout=120)
