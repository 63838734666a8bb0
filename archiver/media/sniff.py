"""What kind of file this is, from its first bytes: never from its name or a server's Content-Type."""

from __future__ import annotations

import json
from pathlib import Path

HEAD_BYTES = 4096
# A JSON document up to this size is parsed whole before we call it JSON; a
# larger one is judged by its first bytes, so sniffing never reads much.
JSON_PARSE_LIMIT = 1024 * 1024

_HTML_START = (
    # The WHATWG MIME Sniffing standard's "identifying a resource with an
    # unknown MIME type" patterns: each followed by whitespace or ">".
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
)
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")
_WHITESPACE = b" \t\r\n\x0c"
_MAGIC_PREFIXES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"ID3", "audio/mpeg"),  # an ID3 tag in front of MPEG audio frames
    (b"OggS", "audio/ogg"),
    (b"%PDF-", "application/pdf"),
)
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
# Old QuickTime files have no ftyp box and start straight with one of these atoms.
_BARE_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"pnot"}


def sniff_mime(path: Path) -> str | None:
    """The MIME type the file's leading bytes show, or None when they show no type we know."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
        complete = len(head) < HEAD_BYTES
        mime = sniff_bytes(head, complete=complete)
        if mime == "application/json" and not complete:
            # The head only looked like JSON; a small document must parse whole.
            f.seek(0)
            whole = f.read(JSON_PARSE_LIMIT + 1)
            if len(whole) <= JSON_PARSE_LIMIT and not _parses_as_json(whole):
                return None
    return mime


def sniff_bytes(head: bytes, *, complete: bool = False) -> str | None:
    """The MIME type of a file starting with `head`; `complete` says head is the whole file."""
    binary = _sniff_binary(head)
    if binary is not None:
        return binary
    return _sniff_text(head, complete)


def _sniff_binary(head: bytes) -> str | None:
    for magic, mime in _MAGIC_PREFIXES:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _iso_bmff_mime(head)
    if head[4:8] in _BARE_QUICKTIME_ATOMS:
        return "video/quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: the DocType element names the flavour within the first bytes.
        if b"webm" in head[:64]:
            return "video/webm"
        if b"matroska" in head[:64]:
            return "video/x-matroska"
        return None
    if _is_mpeg_audio(head):
        return "audio/mpeg"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "video/mp2t"  # MPEG transport stream: a sync byte every 188-byte packet
    return None


def _iso_bmff_mime(head: bytes) -> str | None:
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
    if major == b"qt  ":
        return "video/quicktime"
    if major in (b"avif", b"avis"):
        return "image/avif"
    if major in _HEIC_BRANDS:
        return "image/heic"
    if major in (b"mif1", b"msf1"):
        # Generic HEIF: the compatible brands say which codec.
        if compatible & {b"avif", b"avis"}:
            return "image/avif"
        if compatible & _HEIC_BRANDS:
            return "image/heic"
        return "image/heif"
    if major in _AUDIO_MP4_BRANDS:
        return "audio/mp4"
    if major.startswith(b"3g2"):
        return "video/3gpp2"
    if major.startswith(b"3gp"):
        return "video/3gpp"
    if major == b"crx ":
        return None  # Canon raw photos borrow the box format
    # isom, iso2..iso9, mp41, mp42, avc1, dash, M4V and the many encoder brands.
    return "video/mp4"


_MPEG1_BITRATES = {
    3: (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),  # layer I
    2: (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),  # layer II
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # layer III
}
_MPEG2_BITRATES = {
    3: (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    1: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_frame_length(header: bytes) -> int | None:
    """Length of the MPEG audio frame whose 4-byte header this is, or None if it is not one."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
    layer = (header[1] >> 1) & 3  # 3: I, 2: II, 1: III, 0: reserved
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version == 1 or layer == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    table = _MPEG1_BITRATES if version == 3 else _MPEG2_BITRATES
    bitrate = table[layer][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 3:
        return (12 * bitrate // rate + padding) * 4
    if layer == 1 and version != 3:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


def _is_mpeg_audio(head: bytes) -> bool:
    # A frame sync alone turns up in random bytes; two frames in a row do not.
    length = _mpeg_frame_length(head)
    if length is None or length < 4 or length + 4 > len(head):
        return False
    return _mpeg_frame_length(head[length : length + 4]) is not None


def _sniff_text(head: bytes, complete: bool) -> str | None:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(_WHITESPACE)
    if text.startswith(b"#EXTM3U"):
        return "application/vnd.apple.mpegurl"
    lower = text.lower()
    if _is_svg(lower):
        return "image/svg+xml"
    if _is_html(lower):
        return "text/html"
    if text[:1] in (b"{", b"["):
        if complete:
            return "application/json" if _parses_as_json(text) else None
        after = text[1:].lstrip(_WHITESPACE)[:1]
        if after and after in b'"{[]}-0123456789tfn' and _is_utf8_prefix(text):
            return "application/json"
    return None


def _is_svg(lower: bytes) -> bool:
    if lower.startswith(b"<svg"):
        return True
    if lower.startswith((b"<?xml", b"<!--", b"<!doctype svg")):
        svg_at = lower.find(b"<svg")
        # An HTML page may hold inline SVG; it is still a page.
        html_at = [at for tag in _HTML_MARKERS if (at := lower.find(tag)) >= 0]
        return svg_at >= 0 and svg_at < min(html_at, default=len(lower))
    return False


def _is_html(lower: bytes) -> bool:
    for pattern in _HTML_START:
        if lower.startswith(pattern):
            after = lower[len(pattern) : len(pattern) + 1]
            if after == b"" or after in _WHITESPACE or after == b">":
                return True
    # XHTML served as XML.
    return lower.startswith(b"<?xml") and b"<html" in lower


def _is_utf8_prefix(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multibyte character cut by the end of the head is still UTF-8.
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def _parses_as_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True
