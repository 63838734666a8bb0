"""What a media file's bytes say about it: type, size, perceptual hashes, EXIF, thumbnail, duration.

Pure functions over a file already in the blob store; no network, no database.

Blob store layout (paths relative to the blob root, always with forward slashes):
- the file itself:  ``sha256/ab/cd/<sha256>``   (`blob_relpath`, from archiver.media.blobstore)
- its thumbnail:    ``thumbs/ab/<sha256>.jpg``   (`thumbnail_relpath`)

Images are decoded once, at reduced size (JPEG scales in the DCT, 1/2 to 1/8),
oriented upright from EXIF, and that one decode feeds pHash, dHash, PDQ and the
thumbnail. Pillow's decompression-bomb guard stays on.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
from PIL import ExifTags, Image

from archiver.errors import ParseError, StorageError
from archiver.media.blobstore import blob_relpath, is_sha256
from archiver.media.exif import exif_to_dict
from archiver.media.sniff import sniff_mime
from archiver.media.video import VideoInfo, probe_video
from archiver.models import StoredMedia

__all__ = [
    "ImageDecodeError",
    "ImageHashes",
    "VideoInfo",
    "analyse_media",
    "blob_relpath",
    "hash_image",
    "make_thumbnail",
    "probe_video",
    "read_exif",
    "sniff_mime",
    "thumbnail_relpath",
]

# The decode is reduced while its shorter side stays at least this: a 4000x3000
# JPEG decodes at 1/8, to 500x375; a larger decode is then shrunk to it (unless
# within WORTH_SHRINKING of it). pHash (32x32) and
# dHash (9x8) match a full decode there; PDQ (64x64, whose reference hasher
# itself works on a 512x512 downsample) stays within about 12 bits of a
# full-resolution hash. Keeping 512 would halve that drift but the PDQ filter
# then costs as much as the decode (bench/README.md has the figures).
HASH_MIN_SIDE = 360
WORTH_SHRINKING = 0.8  # shrink a decode only if the working size is under 80 % of it
THUMBNAIL_MAX_SIDE = 320
THUMBNAIL_QUALITY = 85
# Pixels an image may decode to for analysis (Settings.max_analysis_pixels): a 495 KB PNG of
# 169 megapixels, under Pillow's bomb limit, took 1.4 GB. A JPEG counts after its DCT
# reduction, so any camera photo passes; a larger image is kept byte for byte, unanalysed.
MAX_ANALYSIS_PIXELS = 32_000_000

IMAGE_MIMES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic"}
    | {"image/heif", "image/tiff"}
)
VIDEO_MIMES = frozenset(
    {"video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/3gpp"}
    | {"video/3gpp2", "audio/mp4"}
)

# EXIF orientation -> the transpose that shows the picture upright (the same
# table as PIL.ImageOps.exif_transpose, applied here after reducing the image
# so the transpose moves few pixels).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# The only formats Pillow may try on archived bytes. Its other plugins include
# rarely exercised parsers and EPS, which runs Ghostscript on the file.
_SAFE_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "AVIF", "HEIF", "TIFF")
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_HIGH_BIT_DEPTH_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
# What transparent pixels become: hashes and thumbnails describe what a viewer
# sees on a white page, not the colour hidden under alpha 0.
_BACKGROUND = (255, 255, 255)


class ImageDecodeError(ParseError):
    """The image's bytes could not be decoded (damaged, truncated, unsupported, or a bomb)."""


@dataclass
class ImageHashes:
    """Perceptual hashes of an image and its full upright size."""

    width: int
    height: int
    phash: str  # 16 hex digits, as str(imagehash.phash(...))
    dhash: str  # 16 hex digits, as str(imagehash.dhash(...))
    pdq: str  # 64 hex digits, the reference PDQ hex format (bit 255 first)
    pdq_quality: int  # 0-100; PDQ's authors suggest ignoring matches below 50


@dataclass
class _Decoded:
    image: Image.Image  # RGB, upright, shorter side >= HASH_MIN_SIDE (if the original was)
    width: int  # full upright size
    height: int
    exif: Image.Exif


def thumbnail_relpath(sha256: str) -> str:
    """Where a blob's JPEG thumbnail lives, relative to the blob root: thumbs/ab/<sha256>.jpg."""
    # The digest becomes a path: anything but 64 lowercase hex digits could escape the store.
    if not is_sha256(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"thumbs/{sha256[:2]}/{sha256}.jpg"


def read_exif(path: Path) -> dict | None:
    """The image's EXIF as a JSON-serialisable dict (see archiver.media.exif), or None; never raises."""
    try:
        with _open_image(path) as im:
            return exif_to_dict(_header_exif(im))
    except Exception:  # not an image, a damaged one, or a bomb: no EXIF to report
        return None


def hash_image(path: Path) -> ImageHashes:
    """pHash, dHash and PDQ of the upright image, from one reduced decode; raises ImageDecodeError."""
    decoded = _decode(path)
    return _hashes(decoded)


def make_thumbnail(
    path: Path, blob_root: Path, sha256: str, max_side: int = THUMBNAIL_MAX_SIDE
) -> str:
    """Write the upright RGB JPEG thumbnail once; return its path relative to blob_root.

    Idempotent: an existing thumbnail is kept as it is (whatever max_side made
    it). Raises ImageDecodeError for undecodable images, StorageError when the
    file cannot be written.
    """
    relpath = thumbnail_relpath(sha256)
    if (blob_root / relpath).exists():
        return relpath
    return _write_thumbnail(_decode(path, long_side=max_side).image, blob_root, sha256, max_side)


@cache
def warm_up() -> None:
    """Import, in a thread, what the first image's hashes import when first called (SciPy's
    FFT for pHash, a seventh of a second): once per process, while a run's first requests
    are in flight, instead of after its first photo has arrived."""
    threading.Thread(target=_import_quietly, args=(PHASH_DCT,), daemon=True).start()


PHASH_DCT = "scipy.fftpack"  # imagehash.phash imports it on its first call


def _import_quietly(name: str) -> None:
    # On failure the first pHash imports it again, and says what is wrong.
    with contextlib.suppress(Exception):
        importlib.import_module(name)


def analyse_media(
    path: Path,
    sha256: str,
    blob_root: Path,
    *,
    first_url: str | None = None,
    max_pixels: int = MAX_ANALYSIS_PIXELS,
) -> StoredMedia:
    """Everything the bytes say about one blob; bad content is reported in .error, never raised.

    Raises only when the blob cannot be read or the thumbnail cannot be
    written (StorageError): faults of the archive, not of the content.
    """
    media = StoredMedia(
        sha256=sha256,
        bytes=path.stat().st_size,
        mime=sniff_mime(path),
        blob_path=blob_relpath(sha256),
        first_url=first_url,
    )
    if media.mime in IMAGE_MIMES:
        _analyse_image(media, path, blob_root, max_pixels)
    elif media.mime in VIDEO_MIMES:
        video = probe_video(path)
        media.duration_ms, media.width, media.height = video.duration_ms, video.width, video.height
    # SVG, HTML, JSON, playlists: the type is all we record. SVG in particular
    # is never rasterised: it can carry scripts and external references.
    return media


def _analyse_image(media: StoredMedia, path: Path, blob_root: Path, max_pixels: int) -> None:
    try:
        decoded = _decode(path, long_side=THUMBNAIL_MAX_SIDE, max_pixels=max_pixels)
    except ImageDecodeError as exc:
        media.error = f"image not analysed: {exc}"
        # What the header and EXIF still say is worth keeping.
        media.exif = read_exif(path)
        media.width, media.height = _header_size(path)
        return
    media.width, media.height = decoded.width, decoded.height
    media.exif = exif_to_dict(decoded.exif)
    try:
        hashes = _hashes(decoded)
    except Exception as exc:  # decoded pixels the hash libraries still reject
        media.error = f"image not hashed: {type(exc).__name__}: {exc}"
    else:
        media.phash, media.dhash = hashes.phash, hashes.dhash
        media.pdq, media.pdq_quality = hashes.pdq, hashes.pdq_quality
    media.thumbnail_path = _write_thumbnail(decoded.image, blob_root, media.sha256)
    media.thumbnail_sha256 = hashlib.sha256(
        (blob_root / media.thumbnail_path).read_bytes()
    ).hexdigest()


def _decode(path: Path, *, long_side: int = 0, max_pixels: int = MAX_ANALYSIS_PIXELS) -> _Decoded:
    """Decode the first frame once, as small as the hashes (and a thumbnail of long_side) allow;
    ImageDecodeError, before any pixel is decoded, when that is more than max_pixels."""
    try:
        with _open_image(path) as im:
            full_w, full_h = im.size
            scale = _dct_scale(im.size, long_side) if im.format in ("JPEG", "MPO") else 1
            if scale > 1:
                # libjpeg scales in the DCT: 1/8 size costs a fraction of a full decode.
                im.draft("RGB", (full_w // scale, full_h // scale))
            _check_pixels(im.size, max_pixels)  # before getexif: a PNG's decodes the pixels
            exif = im.getexif()
            orientation = _orientation(exif)
            im.load()
            rgb = _to_rgb(im)
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(f"refused by the decompression-bomb guard: {exc}") from exc
    except Exception as exc:  # Pillow raises many types for damaged files
        raise ImageDecodeError(f"cannot decode image: {type(exc).__name__}: {exc}") from exc
    rgb = _to_working_size(rgb, long_side)
    if orientation in _UPRIGHT:
        rgb = rgb.transpose(_UPRIGHT[orientation])
    if orientation in (5, 6, 7, 8):
        full_w, full_h = full_h, full_w
    return _Decoded(rgb, full_w, full_h, exif)


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageDecodeError(
            f"{width}x{height} is {width * height / 1e6:.0f} megapixels to decode, over the"
            f" {max_pixels:,}-pixel analysis limit; the file is kept as served"
        )


def _header_exif(im: Image.Image) -> Image.Exif:
    """The EXIF that comes before the pixels, without decoding them (a PNG's getexif would,
    to look for an eXIf chunk after its image data)."""
    if im.format == "PNG" and "exif" not in im.info:
        return Image.Exif()
    return im.getexif()


def _open_image(path: Path) -> Image.Image:
    return Image.open(path, formats=_decodable_formats())


@cache
def _decodable_formats() -> tuple[str, ...]:
    Image.init()  # registers every plugin, so we can see which of ours are built in
    return tuple(name for name in _SAFE_FORMATS if name in Image.OPEN)


def _dct_scale(size: tuple[int, int], long_side: int) -> int:
    """The largest JPEG DCT shrink (8, 4, 2 or none) keeping the short side >= HASH_MIN_SIDE
    and the long >= long_side."""
    short, long = min(size), max(size)
    factor = max(1, min(short // HASH_MIN_SIDE, long // max(long_side, 1)))
    return next(s for s in (8, 4, 2, 1) if s <= factor)


def _to_working_size(rgb: Image.Image, long_side: int) -> Image.Image:
    """Shrink to a short side of HASH_MIN_SIDE (and a long one of >= long_side), if well above it.

    The DCT's 1/2, 1/4, 1/8 steps leave a JPEG up to twice the size the hashes need
    (1600x1200 decodes to 800x600), and PDQ's cost follows the pixel count: on 800x600
    it takes three times as long as on 480x360, for the same hash within a few bits.
    """
    width, height = rgb.size
    scale = max(HASH_MIN_SIDE / min(width, height), long_side / max(width, height))
    if scale > WORTH_SHRINKING:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return rgb.resize(size, Image.Resampling.BOX)  # averages the pixels each covers: no aliasing


def _orientation(exif: Image.Exif) -> int:
    try:
        value = exif.get(ExifTags.Base.Orientation, 1)
    except Exception:  # unreadable EXIF means no orientation, not an unreadable image
        return 1
    return value if isinstance(value, int) else 1


def _to_rgb(im: Image.Image) -> Image.Image:
    """8-bit RGB of what a viewer sees: alpha flattened on white, 16-bit scaled, not clipped."""
    if im.mode in _HIGH_BIT_DEPTH_MODES:
        pixels = np.asarray(im).astype(np.float64)
        peak = 65535.0 if im.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        gray = np.clip(pixels * (255.0 / peak), 0, 255).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


# pHash and dHash resize the image to 32x32 and 9x8 with Lanczos, whose cost grows with
# the input: a box reduction first to a short side of at least this many pixels gives
# the same hashes (bench/media_hashing.py checks them against full-resolution ones).
PERCEPTUAL_MIN_SIDE = 256


def _hashes(decoded: _Decoded) -> ImageHashes:
    gray = decoded.image.convert("L")
    factor = max(1, min(gray.size) // PERCEPTUAL_MIN_SIDE)
    if factor > 1:
        gray = gray.reduce(factor)
    bits, quality = pdqhash.compute(np.asarray(decoded.image))
    return ImageHashes(
        width=decoded.width,
        height=decoded.height,
        phash=str(imagehash.phash(gray)),
        dhash=str(imagehash.dhash(gray)),
        # pdqhash returns bit 255 first, so packing in order gives the reference hex.
        pdq=np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(),
        pdq_quality=int(quality),
    )


def _write_thumbnail(
    image: Image.Image, blob_root: Path, sha256: str, max_side: int = THUMBNAIL_MAX_SIDE
) -> str:
    relpath = thumbnail_relpath(sha256)
    target = blob_root / relpath
    if target.exists():
        return relpath
    width, height = image.size
    scale = min(1.0, max_side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Bicubic (antialiased when shrinking) from the working-size decode: as sharp as a
    # thumbnail needs, at half Lanczos's cost. A new image: the caller's is shared.
    thumb = image.resize(size, Image.Resampling.BICUBIC) if scale < 1 else image.copy()
    tmp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            # No EXIF copied: the pixels are already upright and a thumbnail
            # need not repeat GPS data.
            thumb.save(f, "JPEG", quality=THUMBNAIL_QUALITY)
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; the server may run as another user
        # A rename within a directory is atomic: readers see no thumbnail or a whole one.
        os.replace(tmp_name, target)
    except OSError as exc:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
        raise StorageError(f"cannot write thumbnail {target}: {exc}") from exc
    return relpath


def _header_size(path: Path) -> tuple[int | None, int | None]:
    """Upright width and height from the header alone, for images whose pixels will not decode."""
    try:
        with _open_image(path) as im:
            width, height = im.size
            if _orientation(_header_exif(im)) in (5, 6, 7, 8):
                width, height = height, width
            return width, height
    except Exception:  # a header too damaged to give a size
        return None, None
