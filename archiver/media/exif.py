"""EXIF as a JSON-ready dict: tag names as keys, values made safe, GPS also in decimal degrees.

(archiver.media.read_exif opens the file; this module only converts.)

The dict is flat: tags of the main IFD, the Exif IFD (DateTimeOriginal, lens,
exposure) and the GPS IFD (whose names all start with "GPS") sit side by side,
so a query reads `json_extract(exif, '$.DateTimeOriginal')`. Keys in lower
case are ours, derived from the tags: `latitude` and `longitude` (signed
decimal degrees, WGS 84 as cameras write it).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import ExifTags, Image, TiffImagePlugin

# Bytes values longer than this are summarised, not hex-dumped: maker notes
# run to tens of kilobytes and the original bytes stay in the blob store.
MAX_BYTES_VALUE = 1024
MAX_SEQUENCE_ITEMS = 256

# Pointers to other IFDs: offsets into the file, meaningless once parsed.
_POINTER_TAGS = {ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop}
# The character-code prefix of UserComment (EXIF 2.3, section 4.6.5).
_USER_COMMENT_CODES = {
    b"ASCII\x00\x00\x00": "ascii",
    b"UNICODE\x00": "utf-16",
    b"JIS\x00\x00\x00\x00\x00": "shift_jis",
}


def exif_to_dict(exif: Image.Exif) -> dict | None:
    """Flatten an Exif object (main, Exif and GPS IFDs) into a JSON-ready dict; None if empty."""
    result: dict = {}
    _add_ifd(result, lambda: dict(exif), ExifTags.TAGS)
    _add_ifd(result, lambda: exif.get_ifd(ExifTags.IFD.Exif), ExifTags.TAGS)
    _add_ifd(result, lambda: exif.get_ifd(ExifTags.IFD.GPSInfo), ExifTags.GPSTAGS)
    for key, ref_key, negative in (
        ("latitude", "GPSLatitude", "S"),
        ("longitude", "GPSLongitude", "W"),
    ):
        degrees = _decimal_degrees(result.get(ref_key), result.get(ref_key + "Ref"), negative)
        limit = 90 if key == "latitude" else 180
        if degrees is not None and abs(degrees) <= limit:
            result[key] = degrees
    return result or None


def _add_ifd(result: dict, read: Callable[[], dict], names: dict) -> None:
    # Each IFD is read on its own so one damaged IFD does not hide the others.
    try:
        tags = read()
    except Exception:
        return
    for tag, value in tags.items():
        if tag in _POINTER_TAGS:
            continue
        name = names.get(tag, f"0x{tag:04x}") if isinstance(tag, int) else str(tag)
        try:
            result.setdefault(name, _json_value(name, value))
        except Exception:  # one odd value must not cost the rest
            continue


def _json_value(name: str, value, depth: int = 0):
    if isinstance(value, TiffImagePlugin.IFDRational):
        if value.denominator == 0:
            return None
        value = float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        # Cameras pad with NULs; lone surrogates would break UTF-8 storage.
        return value.rstrip("\x00").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, bytes):
        return _bytes_value(name, value)
    if isinstance(value, tuple | list) and depth < 4:
        return [_json_value(name, item, depth + 1) for item in value[:MAX_SEQUENCE_ITEMS]]
    if isinstance(value, dict) and depth < 4:
        return {str(k): _json_value(name, v, depth + 1) for k, v in value.items()}
    return str(value)


def _bytes_value(name: str, value: bytes) -> str:
    """Text when the bytes are text, else hex; summarised beyond MAX_BYTES_VALUE."""
    if name == "UserComment" and value[:8] in _USER_COMMENT_CODES:
        text = value[8:].decode(_USER_COMMENT_CODES[value[:8]], "replace")
        return text.rstrip("\x00 ")
    if name.startswith("XP"):  # Windows' XPTitle, XPComment... are UTF-16LE
        return value.decode("utf-16-le", "replace").rstrip("\x00")
    if len(value) > MAX_BYTES_VALUE:
        return f"<{len(value)} bytes>"
    stripped = value.rstrip(b"\x00")
    if stripped and all(32 <= b < 127 or b in (9, 10, 13) for b in stripped):
        return stripped.decode("ascii")
    return value.hex()


def _decimal_degrees(dms, ref, negative: str) -> float | None:
    """(degrees, minutes, seconds) plus N/S/E/W as signed decimal degrees."""
    if not isinstance(dms, list) or not 1 <= len(dms) <= 3:
        return None
    if not all(isinstance(part, int | float) for part in dms):
        return None  # a rational with a zero denominator came through as None
    parts = [*dms, 0.0, 0.0][:3]
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if isinstance(ref, str) and ref.strip().upper().startswith(negative):
        degrees = -degrees
    return round(degrees, 7)  # 7 places is about a centimetre
