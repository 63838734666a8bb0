"""What a video container's headers say (duration, picture size), read by seeking past the media data.

Files may be gigabytes long and an MP4's `moov` box may sit after the media
data, so nothing here reads more than the few small header boxes or elements
it needs.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A malformed file may claim endless tiny boxes; stop walking long before
# that could matter. Real files have tens of boxes per level.
MAX_BOXES_PER_LEVEL = 10_000
# Matroska Info and Tracks elements are a few kilobytes; more means garbage.
MAX_EBML_HEADER_ELEMENT = 1024 * 1024


@dataclass
class VideoInfo:
    """Duration and displayed picture size; None for what the container does not say."""

    duration_ms: int | None = None
    width: int | None = None
    height: int | None = None


def probe_video(path: Path) -> VideoInfo:
    """Duration and size from an MP4/MOV or WebM/Matroska header; None fields for anything else."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(12)
        try:
            if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"pnot"):
                return _probe_iso_bmff(f, size)
            if head[:4] == b"\x1a\x45\xdf\xa3":
                return _probe_matroska(f, size)
        except (ValueError, struct.error, OverflowError, EOFError):
            pass  # garbage inside a plausible header: report what we cannot know as None
    return VideoInfo()


# --- ISO base media file format (MP4, MOV, 3GP) ---------------------------------


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box between start and end, by seeking."""
    pos = start
    for _ in range(MAX_BOXES_PER_LEVEL):
        if pos + 8 > end:
            return
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        header_len = 8
        if size == 1:  # 64-bit size follows: how mdat boxes over 4 GB are written
            large = f.read(8)
            if len(large) < 8:
                return
            size, header_len = struct.unpack(">Q", large)[0], 16
        elif size == 0:  # box runs to the end of its parent
            size = end - pos
        if size < header_len:
            return  # a box shorter than its own header: the rest is garbage
        yield kind, pos + header_len, pos + size
        pos += size


def _read(f: BinaryIO, start: int, end: int, limit: int = 256) -> bytes:
    f.seek(start)
    return f.read(max(0, min(end - start, limit)))


def _probe_iso_bmff(f: BinaryIO, size: int) -> VideoInfo:
    for kind, start, end in _boxes(f, 0, size):
        if kind == b"moov":
            return _parse_moov(f, start, min(end, size))
    return VideoInfo()


def _parse_moov(f: BinaryIO, start: int, end: int) -> VideoInfo:
    info = VideoInfo()
    timescale = duration = fragment_duration = None
    fallback_size = None
    for kind, child_start, child_end in _boxes(f, start, end):
        if kind == b"mvhd":
            timescale, duration = _parse_mvhd(_read(f, child_start, child_end))
        elif kind == b"mvex":
            for sub, sub_start, sub_end in _boxes(f, child_start, child_end):
                if sub == b"mehd":
                    fragment_duration = _parse_mehd(_read(f, sub_start, sub_end))
        elif kind == b"trak":
            handler, track_size = _parse_trak(f, child_start, child_end)
            if handler == b"vide" and track_size and info.width is None:
                info.width, info.height = track_size
            elif handler is None and track_size and fallback_size is None:
                fallback_size = track_size
    if info.width is None and fallback_size:
        info.width, info.height = fallback_size
    # Fragmented files (DASH, live) leave mvhd's duration at 0 and give it in mehd.
    if not duration and fragment_duration:
        duration = fragment_duration
    if timescale and duration:
        info.duration_ms = round(duration * 1000 / timescale)
    return info


def _parse_mvhd(data: bytes) -> tuple[int | None, int | None]:
    version1 = data[:1] == b"\x01"
    fields = _unpack(">IQ" if version1 else ">II", data, 20 if version1 else 12)
    if fields is None:
        return None, None
    timescale, duration = fields
    unknown = 0xFFFFFFFFFFFFFFFF if version1 else 0xFFFFFFFF
    return timescale or None, None if duration == unknown else duration


def _parse_mehd(data: bytes) -> int | None:
    fields = _unpack(">Q" if data[:1] == b"\x01" else ">I", data, 4)
    return (fields[0] or None) if fields else None


def _unpack(fmt: str, data: bytes, offset: int) -> tuple | None:
    """struct.unpack_from, or None when the box is too short to hold the fields."""
    if len(data) < offset + struct.calcsize(fmt):
        return None
    return struct.unpack_from(fmt, data, offset)


def _parse_trak(f: BinaryIO, start: int, end: int) -> tuple[bytes | None, tuple[int, int] | None]:
    """The track's handler type (b'vide', b'soun', ...) and its displayed width and height."""
    handler = track_size = None
    for kind, child_start, child_end in _boxes(f, start, end):
        if kind == b"tkhd":
            track_size = _parse_tkhd(_read(f, child_start, child_end))
        elif kind == b"mdia":
            for sub, sub_start, sub_end in _boxes(f, child_start, child_end):
                if sub == b"hdlr":
                    handler = _read(f, sub_start, sub_end)[8:12] or None
    return handler, track_size


def _parse_tkhd(data: bytes) -> tuple[int, int] | None:
    matrix_at = 52 if data[:1] == b"\x01" else 40
    fields = _unpack(">iiiiiiiiiII", data, matrix_at)
    if fields is None:
        return None
    a, b, _u, c, d, *_rest, width, height = fields
    width, height = round(width / 65536), round(height / 65536)  # 16.16 fixed point
    if not width or not height:
        return None
    # Phone videos store the sensor's landscape frame and a 90-degree matrix;
    # report what a player shows, as images do after EXIF orientation.
    if a == 0 and d == 0 and b != 0 and c != 0:
        width, height = height, width
    return width, height


# --- Matroska / WebM (EBML) -----------------------------------------------------

_SEGMENT, _INFO, _TRACKS, _CLUSTER = 0x18538067, 0x1549A966, 0x1654AE6B, 0x1F43B675
_TIMECODE_SCALE, _DURATION = 0x2AD7B1, 0x4489
_TRACK_ENTRY, _TRACK_TYPE, _VIDEO = 0xAE, 0x83, 0xE0
_PIXEL_WIDTH, _PIXEL_HEIGHT = 0xB0, 0xBA
_UNKNOWN_SIZE = -1


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at pos: (value, next position)."""
    if pos >= len(data):
        raise ValueError("EBML element cut short")
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if first == 0 or pos + length > len(data):
        raise ValueError("bad EBML variable-length integer")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = _UNKNOWN_SIZE  # all ones: size not known (live recordings)
    return value, pos + length


def _elements(data: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos < len(data):
        element_id, pos = _vint(data, pos, keep_marker=True)
        size, pos = _vint(data, pos, keep_marker=False)
        if size == _UNKNOWN_SIZE:
            size = len(data) - pos
        yield element_id, data[pos : pos + size]
        pos += size


def _probe_matroska(f: BinaryIO, size: int) -> VideoInfo:
    info = VideoInfo()
    pos = 0
    timescale, duration = 1_000_000, None  # TimecodeScale defaults to 1 ms
    for _ in range(MAX_BOXES_PER_LEVEL):
        if pos >= size:
            break
        f.seek(pos)
        header = f.read(16)
        try:
            element_id, after_id = _vint(header, 0, keep_marker=True)
            element_size, body_at = _vint(header, after_id, keep_marker=False)
        except ValueError:
            break  # cut short or garbage: keep what the earlier elements said
        body_start = pos + body_at
        if element_id == _SEGMENT:
            pos = body_start  # descend: Info and Tracks are the Segment's children
            continue
        if element_id in (_INFO, _TRACKS):
            if element_size == _UNKNOWN_SIZE or element_size > MAX_EBML_HEADER_ELEMENT:
                break
            f.seek(body_start)
            body = f.read(element_size)
            try:
                if element_id == _INFO:
                    timescale, duration = _parse_info(body, timescale)
                else:
                    info.width, info.height = _parse_tracks(body)
            except ValueError:
                pass  # one damaged element; the other may still be readable
        if element_id == _CLUSTER or element_size == _UNKNOWN_SIZE:
            break  # media data from here on; a live file's clusters cannot be skipped
        pos = body_start + element_size
    if duration:
        info.duration_ms = round(duration * timescale / 1_000_000)
    return info


def _parse_info(body: bytes, timescale: int) -> tuple[int, float | None]:
    duration = None
    for element_id, value in _elements(body):
        if element_id == _TIMECODE_SCALE and value:
            timescale = int.from_bytes(value, "big") or timescale
        elif element_id == _DURATION and len(value) in (4, 8):
            duration = struct.unpack(">f" if len(value) == 4 else ">d", value)[0]
    if duration is not None and not 0 < duration < float("inf"):
        duration = None
    return timescale, duration


def _parse_tracks(body: bytes) -> tuple[int | None, int | None]:
    for element_id, entry in _elements(body):
        if element_id != _TRACK_ENTRY:
            continue
        fields = dict(_elements(entry))
        if int.from_bytes(fields.get(_TRACK_TYPE, b""), "big") != 1 or _VIDEO not in fields:
            continue  # 1 is video; audio and subtitle tracks have no picture size
        video = dict(_elements(fields[_VIDEO]))
        width = int.from_bytes(video.get(_PIXEL_WIDTH, b""), "big") or None
        height = int.from_bytes(video.get(_PIXEL_HEIGHT, b""), "big") or None
        return width, height
    return None, None
