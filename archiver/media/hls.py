"""HLS video (Bluesky serves video only this way): pick a variant and join its segments into one file.

The playlists themselves are kept as media, exactly as served. The segments of
the chosen variant (and its EXT-X-MAP initialisation segment) are fetched in
order, each recorded in the WARC, and appended into one file: an MPEG-TS (or
fragmented MP4) stream that plays as is. Its SHA-256 is that of the joined
bytes, which anyone can recompute from the WARC's segment records.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from archiver.errors import ArchiveError, ParseError, ResponseTooLarge, storage_error

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

# Segmented video past this size is not joined (the playlist and poster are still kept).
MAX_SEGMENTED_BYTES = 200 * 1024**2
# Nor past this many segments (one request each), nor past this duration: a post's video
# has tens of segments, and a playlist of thousands is an attack on the request budget.
MAX_SEGMENTS = 1_000
MAX_SEGMENTED_SECONDS = 4 * 3600
# A playlist is a few kilobytes; the variants of a master playlist tried, best first, at most.
MAX_PLAYLIST_BYTES = 4 * 1024**2
MAX_VARIANTS_TRIED = 8


@dataclass
class Variant:
    url: str
    bandwidth: int = 0
    resolution: str | None = None


@dataclass
class MediaPlaylist:
    url: str
    segments: list[str] = field(default_factory=list)  # the first MAX_SEGMENTS + 1 of them
    segment_count: int = 0  # all of them
    init: str | None = None  # EXT-X-MAP: the initialisation segment fragmented MP4 needs
    duration: float = 0.0  # seconds, the sum of EXTINF
    encrypted: bool = False


@dataclass
class JoinedVideo:
    path: Path  # a temporary file; the caller moves it into the blob store
    sha256: str
    size: int
    variant: MediaPlaylist
    parts_sha256: list[str] = field(default_factory=list)  # each segment's body, in order


def is_master(text: str) -> bool:
    return "#EXT-X-STREAM-INF" in text


def parse_master(text: str, base_url: str) -> list[Variant]:
    """The variants a master playlist offers, best (highest bandwidth) first."""
    variants: list[Variant] = []
    pending: dict | None = None
    for line in _lines(text):
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = _attributes(line.split(":", 1)[1])
        elif pending is not None and not line.startswith("#"):
            bandwidth = pending.get("AVERAGE-BANDWIDTH") or pending.get("BANDWIDTH") or "0"
            variants.append(
                Variant(
                    url=urljoin(base_url, line),
                    bandwidth=int(bandwidth) if re.fullmatch(r"[0-9]{1,15}", bandwidth) else 0,
                    resolution=pending.get("RESOLUTION"),
                )
            )
            pending = None
    return sorted(variants, key=lambda v: v.bandwidth, reverse=True)


def parse_media(text: str, base_url: str) -> MediaPlaylist:
    """A media playlist: its segments in order, absolute, and their total duration."""
    if not text.lstrip().startswith("#EXTM3U"):
        raise ParseError(f"{base_url} is not an HLS playlist")
    playlist = MediaPlaylist(url=base_url)
    for line in _lines(text):
        if line.startswith("#EXTINF:"):
            playlist.duration += segment_seconds(line)
        elif line.startswith("#EXT-X-MAP:"):
            uri = _attributes(line.split(":", 1)[1]).get("URI")
            playlist.init = urljoin(base_url, uri) if uri else None
        elif line.startswith("#EXT-X-KEY:"):
            method = _attributes(line.split(":", 1)[1]).get("METHOD", "NONE")
            playlist.encrypted = playlist.encrypted or method != "NONE"
        elif not line.startswith("#"):
            playlist.segment_count += 1
            if playlist.segment_count <= MAX_SEGMENTS + 1:  # more are never fetched
                playlist.segments.append(urljoin(base_url, line))
    return playlist


def join_video(
    fetcher: Fetcher, playlist_url: str, playlist_text: str, max_bytes: int
) -> JoinedVideo:
    """Fetch the best variant that fits in max_bytes and join its segments into one file.

    Raises ArchiveError (with the reason) when no variant fits, the stream is
    encrypted, or a segment cannot be fetched.
    """
    cap = min(max_bytes, MAX_SEGMENTED_BYTES)
    variant = _choose_variant(fetcher, playlist_url, playlist_text, cap)
    if variant.encrypted:
        raise ArchiveError("the video's segments are encrypted; the playlist is kept")
    if not variant.segments:
        raise ParseError(f"{variant.url} lists no segments")
    _check_extent(variant)
    fetcher.tmp_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="hls-", suffix=".ts", dir=fetcher.tmp_dir)
    path, digest, size, parts = Path(name), hashlib.sha256(), 0, []
    try:
        with open(handle, "wb") as out:
            for url in [variant.init, *variant.segments] if variant.init else variant.segments:
                with fetcher.get_ok(url, max_bytes=cap - size + 1, found_at=variant.url) as segment:
                    size += segment.size
                    parts.append(segment.body_sha256)
                    if size > cap:
                        raise ResponseTooLarge(f"the video's segments pass {cap:,} bytes", url=url)
                    with open(segment.body_path, "rb") as body:
                        while chunk := body.read(256 * 1024):
                            digest.update(chunk)
                            out.write(chunk)
    except OSError as exc:  # the blob store's disk, not the platform
        path.unlink(missing_ok=True)
        raise storage_error(exc, fetcher.tmp_dir) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return JoinedVideo(path, digest.hexdigest(), size, variant, parts)


def _check_extent(variant: MediaPlaylist) -> None:
    """ArchiveError for a video of more segments or a longer duration than is ever joined."""
    if variant.segment_count > MAX_SEGMENTS:
        raise ArchiveError(
            f"the video has {variant.segment_count:,} segments, over the limit of"
            f" {MAX_SEGMENTS:,} for joining; the playlist is kept"
        )
    if variant.duration > MAX_SEGMENTED_SECONDS:
        raise ArchiveError(
            f"the video lasts {variant.duration:,.0f} s, over the limit of"
            f" {MAX_SEGMENTED_SECONDS:,} s for joining; the playlist is kept"
        )


def read_playlist(path: Path) -> str:
    """A playlist kept in the blob store, as text; ArchiveError when it is no playlist's size."""
    size = path.stat().st_size
    if size > MAX_PLAYLIST_BYTES:
        raise ArchiveError(
            f"the playlist is {size:,} bytes, over the {MAX_PLAYLIST_BYTES:,} a playlist may be;"
            " it is kept, its segments are not joined"
        )
    return path.read_text("utf-8", errors="replace")


def _choose_variant(
    fetcher: Fetcher, playlist_url: str, playlist_text: str, cap: int
) -> MediaPlaylist:
    """The best-quality media playlist whose estimated size fits under the cap."""
    if not is_master(playlist_text):
        return parse_media(playlist_text, playlist_url)
    variants = parse_master(playlist_text, playlist_url)
    if not variants:
        raise ParseError(f"{playlist_url} names no variant streams")
    estimate = 0
    for variant in variants[:MAX_VARIANTS_TRIED]:
        with fetcher.get_ok(
            variant.url, max_bytes=MAX_PLAYLIST_BYTES, found_at=playlist_url
        ) as response:
            media = parse_media(response.text(), variant.url)
        estimate = int(variant.bandwidth / 8 * media.duration)
        if estimate <= cap:
            return media
    raise ResponseTooLarge(
        f"the smallest variant is about {estimate:,} bytes, over the {cap:,}-byte limit"
        " for joining segments; the playlist and poster are kept"
    )


def segment_seconds(extinf: str) -> float:
    """The duration an #EXTINF line gives its segment; 0 when it gives none that reads."""
    # "#EXTINF:4.0," and, from a broken or hostile server, "#EXTINF:1.2.3".
    m = re.match(r"#EXTINF:([0-9]{1,15}(?:\.[0-9]{0,15})?)", extinf)
    return float(m.group(1)) if m else 0.0


def is_live(text: str) -> bool:
    """A media playlist still growing: it has not said #EXT-X-ENDLIST."""
    return "#EXT-X-ENDLIST" not in text


@dataclass
class LiveWindow:
    """A live playlist cut to a duration: the playlist kept, and how long it and the whole were."""

    text: str
    kept: float  # seconds of segments kept, by their EXTINF
    listed: float  # seconds the playlist listed


def cut_window(text: str, max_seconds: float) -> LiveWindow:
    """The playlist with its segments from the first up to `max_seconds` in all (the first
    one at least), each with the tags before it; the header and the tags of those kept."""
    kept_lines: list[str] = []
    pending: list[str] = []  # the tags since the last segment: they belong to the next
    kept = listed = duration = 0.0
    full = False
    for line in _lines(text):
        if line.startswith("#"):
            duration = segment_seconds(line) if line.startswith("#EXTINF:") else duration
            pending.append(line)
            continue
        listed += duration
        full = full or (bool(kept_lines) and kept + duration > max_seconds)
        if not full:
            kept += duration
            kept_lines.extend([*pending, line])
        pending, duration = [], 0.0
    if not full:
        kept_lines.extend(pending)
    return LiveWindow("\n".join(kept_lines) + "\n", kept, listed)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _attributes(text: str) -> dict[str, str]:
    """KEY=VALUE,KEY="quoted, value" attribute lists."""
    return {
        m.group(1): m.group(2).strip('"')
        for m in re.finditer(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', text)
    }
