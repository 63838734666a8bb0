"""Generated media bytes for the replay server: the recordings hold no media, so tests make some."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image


def photo(seed: int = 0, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A photo-like picture (gradients, shapes and noise) that hashes differently per seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack(
        [
            (x * (1 + seed % 3) / w * 255),
            (y / h * 255),
            ((x + y) * (2 + seed % 5) / (w + h) * 255) % 255,
        ],
        axis=-1,
    )
    for _ in range(6):
        cx, cy, r = (
            rng.integers(0, w),
            rng.integers(0, h),
            rng.integers(10, max(11, min(w, h) // 3)),
        )
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r**2
        base[mask] = rng.integers(0, 255, 3)
    base = base + rng.normal(0, 8, base.shape)
    return Image.fromarray(np.clip(base, 0, 255).astype("uint8"))


def jpeg_bytes(seed: int = 0, size: tuple[int, int] = (320, 240), **save) -> bytes:
    out = io.BytesIO()
    photo(seed, size).save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def png_bytes(seed: int = 0, size: tuple[int, int] = (200, 150)) -> bytes:
    out = io.BytesIO()
    photo(seed, size).save(out, "PNG")
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(
    duration_ms: int = 14510,
    width: int = 886,
    height: int = 546,
    mdat_size: int = 50_000,
    seed: int = 0,
) -> bytes:
    """A small ISO-BMFF file (ftyp, mdat, moov with mvhd and a video tkhd): MP4 as far as a parser can tell."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    timescale = 1000
    mvhd = _box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, timescale, duration_ms) + bytes(80))
    tkhd_payload = (
        bytes([0, 0, 0, 3])
        + struct.pack(">IIII", 0, 0, 1, 0)
        + struct.pack(">I", duration_ms)
        + bytes(8)
        + bytes(8)
        + bytes(36)
        + struct.pack(">II", width << 16, height << 16)
    )
    trak = _box(b"trak", _box(b"tkhd", tkhd_payload))
    moov = _box(b"moov", mvhd + trak)
    rng = np.random.default_rng(seed)
    mdat = _box(b"mdat", rng.integers(0, 255, mdat_size, dtype=np.uint8).tobytes())
    return ftyp + mdat + moov


def ts_bytes(packets: int = 40, seed: int = 0) -> bytes:
    """An MPEG transport stream as far as a sniffer can tell: 188-byte packets, each led by 0x47."""
    rng = np.random.default_rng(seed)
    return b"".join(
        b"\x47" + rng.integers(0, 255, 187, dtype=np.uint8).tobytes() for _ in range(packets)
    )
