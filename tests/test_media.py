"""archiver.media: type sniffing, hashes, EXIF, thumbnails and video probing on generated files."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import time
import zlib
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
import pytest
from PIL import ExifTags, Image

from archiver.media.analyse import (
    ImageDecodeError,
    _decode,
    analyse_media,
    blob_relpath,
    hash_image,
    make_thumbnail,
    probe_video,
    read_exif,
    sniff_mime,
    thumbnail_relpath,
)

# --- makers ---------------------------------------------------------------------


def photo(size: tuple[int, int] = (640, 480), seed: int = 0) -> Image.Image:
    """Photo-like: smooth shapes at several scales, upscaled, with sensor noise."""
    rng = np.random.default_rng(seed)
    small = np.zeros((48, 64, 3), np.float32)
    y, x = np.mgrid[0:48, 0:64]
    small += np.stack([x * 3.0, y * 4.0, (x + y) * 1.5], axis=-1)
    for _ in range(8):
        cx, cy, r = rng.uniform(0, 64), rng.uniform(0, 48), rng.uniform(3, 14)
        small[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    base = Image.fromarray(np.clip(small, 0, 255).astype(np.uint8)).resize(
        size, Image.Resampling.BICUBIC
    )
    noisy = np.asarray(base, np.int16) + rng.integers(-6, 7, (size[1], size[0], 3), dtype=np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bits_apart(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


IDENTITY = (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
ROTATE_90 = (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)


def mvhd(timescale: int, duration: int, version: int = 0) -> bytes:
    if version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, duration)
    rest = struct.pack(">IH10x9i24xI", 0x10000, 0x100, *IDENTITY, 3)
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + rest)


def trak(handler: bytes, width: int, height: int, matrix=IDENTITY) -> bytes:
    tkhd = box(
        b"tkhd",
        b"\x00\x00\x00\x07"
        + struct.pack(
            ">IIIII8xhhh2x9iII", 0, 0, 1, 0, 0, 0, 0, 0, *matrix, width << 16, height << 16
        ),
    )
    hdlr = box(b"hdlr", b"\x00" * 4 + b"\x00" * 4 + handler + b"\x00" * 12 + b"\x00")
    return box(b"trak", tkhd + box(b"mdia", hdlr))


def write_mp4(path: Path, moov: bytes, mdat_bytes: int, brand: bytes = b"isom") -> None:
    """ftyp, then a sparse mdat of mdat_bytes (64-bit size when large), then moov at the end."""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"isomiso2avc1mp41")
    with open(path, "wb") as f:
        f.write(ftyp)
        if mdat_bytes + 8 < 2**32:
            f.write(struct.pack(">I4s", mdat_bytes + 8, b"mdat"))
        else:
            f.write(struct.pack(">I4sQ", 1, b"mdat", mdat_bytes + 16))
        f.seek(mdat_bytes, os.SEEK_CUR)  # a hole: no disk, and reading it would take long
        f.write(moov)


def ebml(element_id: bytes, payload: bytes) -> bytes:
    return element_id + b"\x01" + len(payload).to_bytes(7, "big") + payload


def webm_bytes(duration: float = 4321.0, width: int = 640, height: int = 360) -> bytes:
    header = ebml(b"\x1a\x45\xdf\xa3", ebml(b"\x42\x82", b"webm"))
    info = ebml(
        b"\x15\x49\xa9\x66",
        ebml(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big"))
        + ebml(b"\x44\x89", struct.pack(">d", duration)),
    )
    audio = ebml(b"\xae", ebml(b"\xd7", b"\x01") + ebml(b"\x83", b"\x02"))
    video = ebml(
        b"\xae",
        ebml(b"\xd7", b"\x02")
        + ebml(b"\x83", b"\x01")
        + ebml(
            b"\xe0",
            ebml(b"\xb0", width.to_bytes(2, "big")) + ebml(b"\xba", height.to_bytes(2, "big")),
        ),
    )
    tracks = ebml(b"\x16\x54\xae\x6b", audio + video)
    cluster = b"\x1f\x43\xb6\x75\x01\xff\xff\xff\xff\xff\xff\xff" + b"\x00" * 64
    segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + info + tracks + cluster
    return header + segment


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 100_000) -> bytes:
    """A tiny file whose header claims side x side pixels (100000: 30 GB decoded)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 10_000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def exif_with_camera_and_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Model] = "Model X"
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:01 12:34:56"
    sub[ExifTags.Base.UserComment] = b"ASCII\x00\x00\x00shot from the roof"
    sub[ExifTags.Base.MakerNote] = bytes(range(40))
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 30.24)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.2)
    return exif


# --- paths ----------------------------------------------------------------------

SHA = "ab" + "cd" + "0" * 60


def test_blob_and_thumbnail_paths_are_relative_to_the_blob_root():
    assert blob_relpath(SHA) == f"sha256/ab/cd/{SHA}"
    assert thumbnail_relpath(SHA) == f"thumbs/ab/{SHA}.jpg"
    for bad in ("../../etc/passwd", SHA.upper(), SHA[:-1], SHA + "0"):
        with pytest.raises(ValueError):
            thumbnail_relpath(bad)


# --- sniffing -------------------------------------------------------------------


def ftyp(brand: bytes, *compatible: bytes) -> bytes:
    return box(b"ftyp", brand + b"\x00\x00\x00\x00" + b"".join(compatible)) + box(b"free", b"")


MP3_FRAME = b"\xff\xfb\x90\x00" + b"\x00" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz

SNIFF_CASES = {
    "mp4 isom": (ftyp(b"isom", b"isom", b"avc1"), "video/mp4"),
    "mp4 mp42": (ftyp(b"mp42", b"mp41"), "video/mp4"),
    "mp4 avc1": (ftyp(b"avc1"), "video/mp4"),
    "mp4 dash": (ftyp(b"dash", b"iso6"), "video/mp4"),
    "quicktime": (ftyp(b"qt  "), "video/quicktime"),
    "bare quicktime": (box(b"wide", b"") + box(b"mdat", b"\x00" * 16), "video/quicktime"),
    "m4a": (ftyp(b"M4A ", b"isom"), "audio/mp4"),
    "avif": (ftyp(b"avif", b"mif1"), "image/avif"),
    "heic": (ftyp(b"heic", b"mif1"), "image/heic"),
    "heif avif": (ftyp(b"mif1", b"avif"), "image/avif"),
    "webm": (webm_bytes(), "video/webm"),
    "mp3 id3": (b"ID3\x04\x00\x00\x00\x00\x00\x00" + MP3_FRAME, "audio/mpeg"),
    "mp3 frames": (MP3_FRAME * 3, "audio/mpeg"),
    "hls": (b"#EXTM3U\n#EXT-X-VERSION:3\n", "application/vnd.apple.mpegurl"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml"),
    "svg prolog": (b'<?xml version="1.0"?>\n<!-- x -->\n<svg xmlns="x"/>', "image/svg+xml"),
    "html doctype": (b"\xef\xbb\xbf  <!DOCTYPE html><html><body>x</body></html>", "text/html"),
    "html bare": (b"\n<html lang='en'>\n<head><title>t</title>", "text/html"),
    "html inline svg": (b"<!-- built -->\n<!DOCTYPE html><body><svg></svg>", "text/html"),
    "json object": (b'{"a": [1, 2, {"b": null}]}', "application/json"),
    "json array": (b"  [1, 2, 3]\n", "application/json"),
    "not json": (b"{this is not json}", None),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
    "one frame sync is not mp3": (b"\xff\xfb\x90\x00" + bytes(range(200)), None),
    "garbage": (bytes(range(7, 256)) * 20, None),
    "empty": (b"", None),
    "plain text": (b"hello, world\n", None),
}


@pytest.mark.parametrize("name", SNIFF_CASES)
def test_sniff_mime_reads_magic_bytes(tmp_path, name):
    data, expected = SNIFF_CASES[name]
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sniff_mime(path) == expected


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_sniff_mime_ignores_the_extension(tmp_path, fmt, mime):
    path = tmp_path / "lying.txt"
    photo((64, 48)).save(path, fmt)
    assert sniff_mime(path) == mime


def test_png_saved_as_jpg_is_analysed_as_png(tmp_path):
    path = tmp_path / "photo.jpg"
    photo().save(path, "PNG")
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert media.mime == "image/png"
    assert (media.width, media.height) == (640, 480)
    assert media.phash and media.error is None


def test_large_json_is_judged_by_its_head(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"id": i, "text": "x" * 50} for i in range(2000)]))
    assert sniff_mime(path) == "application/json"
    broken = tmp_path / "broken.json"
    broken.write_bytes(path.read_bytes()[:-1])  # small enough to parse whole: it must
    assert sniff_mime(broken) is None


# --- perceptual hashes ----------------------------------------------------------


def test_hash_image_agrees_with_full_resolution_baseline(tmp_path):
    path = tmp_path / "photo.jpg"
    photo((2400, 1800), seed=3).save(path, quality=92)
    hashes = hash_image(path)
    naive_phash = imagehash.phash(Image.open(path))
    naive_dhash = imagehash.dhash(Image.open(path))
    bits, quality = pdqhash.compute(np.asarray(Image.open(path).convert("RGB")))
    naive_pdq = np.packbits(bits.astype(np.uint8)).tobytes().hex()

    assert (hashes.width, hashes.height) == (2400, 1800)
    assert len(hashes.phash) == 16 and len(hashes.dhash) == 16 and len(hashes.pdq) == 64
    assert imagehash.hex_to_hash(hashes.phash) - naive_phash <= 2
    assert imagehash.hex_to_hash(hashes.dhash) - naive_dhash <= 2
    assert bits_apart(hashes.pdq, naive_pdq) <= 12
    assert abs(hashes.pdq_quality - quality) <= 10


def test_hash_image_decodes_a_12_megapixel_jpeg_at_reduced_size(tmp_path):
    path = tmp_path / "big.jpg"
    photo((4000, 3000), seed=4).save(path, quality=85)
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these
    hashes = hash_image(path)
    elapsed = time.process_time() - cpu
    assert (hashes.width, hashes.height) == (4000, 3000)
    # libjpeg scaled the DCT by 1/8: the pixels hashed are 500 x 375, not 12 million.
    assert _decode(path).image.size == (500, 375)
    assert elapsed < 1.0  # about 0.05 s; hashing at full size takes over a second


# Orientation -> how the camera stored an upright picture (the inverse of what a viewer applies).
STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_exif_orientation_hashes_like_the_upright_twin(tmp_path, orientation):
    upright = photo((1600, 900), seed=5)  # landscape, so a 90-degree mistake shows in the size
    upright_path = tmp_path / "upright.jpg"
    upright.save(upright_path, quality=95)
    rotated_path = tmp_path / "rotated.jpg"
    stored = upright.transpose(STORED_AS[orientation])
    stored.save(rotated_path, quality=95, exif=exif_with_camera_and_gps(orientation))

    want, got = hash_image(upright_path), hash_image(rotated_path)
    assert (got.width, got.height) == (1600, 900)
    assert imagehash.hex_to_hash(got.phash) - imagehash.hex_to_hash(want.phash) <= 2
    assert imagehash.hex_to_hash(got.dhash) - imagehash.hex_to_hash(want.dhash) <= 2
    assert bits_apart(got.pdq, want.pdq) <= 12
    # The check means something: ignoring the tag would hash a different picture.
    unrotated = imagehash.phash(stored)
    assert unrotated - imagehash.hex_to_hash(want.phash) > 10


def test_transparent_pixels_hash_as_the_white_a_viewer_sees(tmp_path):
    rgba = np.dstack([np.asarray(photo((400, 300), seed=6)), np.full((300, 400), 255, np.uint8)])
    rgba[:, :200, 3] = 0  # left half fully transparent
    hidden_noise, hidden_black = rgba.copy(), rgba.copy()
    hidden_noise[:, :200, :3] = np.random.default_rng(1).integers(0, 256, (300, 200, 3))
    hidden_black[:, :200, :3] = 0
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(hidden_noise, "RGBA").save(first)
    Image.fromarray(hidden_black, "RGBA").save(second)
    assert hash_image(first) == hash_image(second)
    flattened = np.asarray(Image.fromarray(hidden_black, "RGBA").convert("RGB")).copy()
    flattened[:, :200] = 255
    flat_path = tmp_path / "flat.png"
    Image.fromarray(flattened).save(flat_path)
    assert hash_image(flat_path) == hash_image(first)


def test_animated_gif_hashes_its_first_frame(tmp_path):
    frames = [photo((320, 240), seed=s).convert("P") for s in (7, 8)]
    animated, first = tmp_path / "anim.gif", tmp_path / "first.gif"
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(first)
    second = tmp_path / "second.gif"
    frames[1].save(second)
    assert Image.open(animated).n_frames == 2
    assert hash_image(animated) == hash_image(first)
    assert hash_image(animated).phash != hash_image(second).phash


def test_webp_and_cmyk_and_16_bit_images_hash_like_their_rgb_source(tmp_path):
    source = photo((640, 480), seed=9)
    png = tmp_path / "source.png"
    source.save(png)
    want = hash_image(png)

    webp, cmyk = tmp_path / "photo.webp", tmp_path / "cmyk.jpg"
    source.save(webp, quality=90)
    source.convert("CMYK").save(cmyk, quality=95)
    for path in (webp, cmyk):
        got = hash_image(path)
        assert (got.width, got.height) == (640, 480)
        assert imagehash.hex_to_hash(got.phash) - imagehash.hex_to_hash(want.phash) <= 2
        assert bits_apart(got.pdq, want.pdq) <= 16

    gray8 = np.asarray(source.convert("L"))
    gray16 = Image.fromarray(gray8.astype(np.uint16) * 257)
    deep, shallow = tmp_path / "deep.png", tmp_path / "shallow.png"
    gray16.save(deep)
    Image.fromarray(gray8).save(shallow)
    assert Image.open(deep).mode.startswith("I")
    # Clipping 16-bit values to 8 bits would give a white picture and a flat hash.
    assert hash_image(deep).phash == hash_image(shallow).phash


# --- EXIF -----------------------------------------------------------------------


def test_read_exif_gives_names_values_and_decimal_gps(tmp_path):
    path = tmp_path / "camera.jpg"
    photo((64, 48)).save(path, exif=exif_with_camera_and_gps())
    exif = read_exif(path)
    assert exif["Make"] == "TestCam"
    assert exif["Model"] == "Model X"
    assert exif["DateTimeOriginal"] == "2024:05:01 12:34:56"
    assert exif["UserComment"] == "shot from the roof"
    assert exif["MakerNote"] == bytes(range(40)).hex()
    assert exif["GPSLatitudeRef"] == "N" and exif["GPSLatitude"] == [48.0, 51.0, 30.24]
    assert exif["latitude"] == pytest.approx(48.8584)
    assert exif["longitude"] == pytest.approx(-2.2945)
    assert "ExifOffset" not in exif and "GPSInfo" not in exif
    json.dumps(exif, allow_nan=False)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_read_exif_survives_odd_exif(tmp_path):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Odd\x00\x00"
    exif[ExifTags.Base.XResolution] = 0.0  # stored as 0/1
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.MakerNote] = b"\x00\xff" * 5000  # big binary: summarised
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (400.0, 0.0, 0.0)  # impossible: no decimal latitude
    path = tmp_path / "odd.jpg"
    photo((64, 48)).save(path, exif=exif)
    result = read_exif(path)
    assert result["Make"] == "Odd"
    assert result["MakerNote"] == "<10000 bytes>"
    assert "latitude" not in result
    json.dumps(result, allow_nan=False)

    garbage = tmp_path / "garbage-exif.jpg"
    photo((64, 48)).save(
        garbage, exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff" + b"\x01" * 64
    )
    read_exif(garbage)  # whatever it could read, without raising
    assert read_exif(tmp_path / "missing.jpg") is None
    text = tmp_path / "text"
    text.write_text("not an image")
    assert read_exif(text) is None


# --- analyse_media: failures recorded, bytes kept -------------------------------


def test_analyse_media_fills_everything_for_a_photo(tmp_path):
    path = tmp_path / "photo.jpg"
    photo((1200, 900), seed=10).save(path, quality=90, exif=exif_with_camera_and_gps(6))
    sha = sha256_of(path)
    blobs = tmp_path / "blobs"
    media = analyse_media(path, sha, blobs, first_url="https://example.org/p.jpg")
    assert media.sha256 == sha and media.bytes == path.stat().st_size
    assert media.mime == "image/jpeg"
    assert media.blob_path == f"sha256/{sha[:2]}/{sha[2:4]}/{sha}"
    assert media.first_url == "https://example.org/p.jpg"
    assert (media.width, media.height) == (900, 1200)  # orientation 6: upright is portrait
    assert len(media.phash) == 16 and len(media.dhash) == 16 and len(media.pdq) == 64
    assert 0 <= media.pdq_quality <= 100
    assert media.exif["Model"] == "Model X" and media.exif["longitude"] == pytest.approx(-2.2945)
    assert media.duration_ms is None and media.error is None
    assert media.thumbnail_path == f"thumbs/{sha[:2]}/{sha}.jpg"
    with Image.open(blobs / media.thumbnail_path) as thumb:
        assert thumb.format == "JPEG" and thumb.mode == "RGB"
        assert thumb.size == (240, 320)  # upright, longest side 320
        assert not thumb.getexif()  # no GPS copied into thumbnails


def test_truncated_jpeg_is_recorded_not_raised(tmp_path):
    whole = tmp_path / "whole.jpg"
    photo((800, 600), seed=11).save(whole, quality=90, exif=exif_with_camera_and_gps())
    path = tmp_path / "truncated.jpg"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert media.mime == "image/jpeg" and media.bytes == path.stat().st_size
    assert media.error.startswith("image not analysed: cannot decode image")
    assert "truncated" in media.error
    assert (media.width, media.height) == (800, 600)  # the header still says so
    assert media.exif["Make"] == "TestCam"
    assert media.phash is None and media.pdq is None and media.thumbnail_path is None
    with pytest.raises(ImageDecodeError):
        hash_image(path)


def test_decompression_bomb_is_refused_quickly(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert time.process_time() - cpu < 1.0
    assert media.mime == "image/png"
    assert "decompression-bomb guard" in media.error
    assert media.phash is None and media.thumbnail_path is None
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # the guard is still Pillow's default
    with pytest.raises(ImageDecodeError, match="decompression-bomb"):
        hash_image(path)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # what Pillow says of it
def test_an_image_under_the_bomb_guard_but_over_the_pixel_budget_is_kept_unanalysed(tmp_path):
    # 169 megapixels: Pillow only warns below twice its limit, and decoding took 1.4 GB.
    path = tmp_path / "huge.png"
    path.write_bytes(bomb_png(side=13_000))
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert time.process_time() - cpu < 1.0
    assert media.mime == "image/png" and media.bytes == path.stat().st_size
    assert "169 megapixels to decode, over the 32,000,000-pixel analysis limit" in media.error
    assert (media.width, media.height) == (13_000, 13_000)  # the header still says its size
    assert media.phash is None and media.thumbnail_path is None
    small = tmp_path / "small.png"
    Image.new("RGB", (40, 30)).save(small)
    budget = analyse_media(small, sha256_of(small), tmp_path / "blobs", max_pixels=1000)
    assert "over the 1,000-pixel analysis limit" in budget.error  # the limit is as set


def test_only_safe_formats_reach_pillow(tmp_path):
    eps = tmp_path / "figure.jpg"
    # Pillow would hand an EPS to Ghostscript; archived bytes never get that far.
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(ImageDecodeError, match="UnidentifiedImageError"):
        hash_image(eps)
    bmp = tmp_path / "old.bmp"
    photo((64, 48)).save(bmp)
    assert read_exif(bmp) is None
    with pytest.raises(ImageDecodeError):
        hash_image(bmp)


def test_multi_picture_jpeg_hashes_its_main_picture(tmp_path):
    main, preview = photo((1600, 1200), seed=15), photo((320, 240), seed=16)
    mpo, jpeg = tmp_path / "camera.mpo", tmp_path / "main.jpg"
    main.save(mpo, "MPO", save_all=True, append_images=[preview], quality=95)
    main.save(jpeg, quality=95)
    media = analyse_media(mpo, sha256_of(mpo), tmp_path / "blobs")
    assert media.mime == "image/jpeg" and (media.width, media.height) == (1600, 1200)
    assert media.phash == hash_image(jpeg).phash


def test_svg_is_typed_but_never_rasterised(tmp_path):
    path = tmp_path / "evil.png"
    path.write_bytes(
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script><image href='http://example.invalid/x.png'/></svg>"
    )
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert media.mime == "image/svg+xml"
    assert media.phash is None and media.width is None and media.thumbnail_path is None
    assert media.error is None
    assert not (tmp_path / "blobs").exists()


def test_garbage_has_no_type_and_raises_nothing(tmp_path):
    path = tmp_path / "garbage.jpg"
    path.write_bytes(np.random.default_rng(12).integers(0, 256, 5000, dtype=np.uint8).tobytes()[1:])
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert media.mime is None and media.bytes == 4999
    assert media.error is None and media.phash is None and media.duration_ms is None
    assert probe_video(path).duration_ms is None


# --- thumbnails -----------------------------------------------------------------


def test_make_thumbnail_is_atomic_idempotent_and_bounded(tmp_path):
    path = tmp_path / "wide.png"
    photo((1000, 250), seed=13).save(path)
    sha = sha256_of(path)
    blobs = tmp_path / "blobs"
    relpath = make_thumbnail(path, blobs, sha)
    assert relpath == f"thumbs/{sha[:2]}/{sha}.jpg"
    target = blobs / relpath
    assert sniff_mime(target) == "image/jpeg"
    with Image.open(target) as thumb:
        assert thumb.size == (320, 80) and thumb.mode == "RGB"
    mtime = target.stat().st_mtime_ns
    assert make_thumbnail(path, blobs, sha) == relpath
    assert target.stat().st_mtime_ns == mtime
    assert os.listdir(target.parent) == [target.name]  # no temporary file left behind


def test_thumbnail_of_palette_image_with_transparency_is_rgb(tmp_path):
    image = photo((300, 200), seed=14).convert("P")
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)
    sha = sha256_of(path)
    media = analyse_media(path, sha, tmp_path / "blobs")
    assert media.error is None and media.phash
    with Image.open(tmp_path / "blobs" / media.thumbnail_path) as thumb:
        assert thumb.mode == "RGB" and max(thumb.size) == 300  # never enlarged


# --- video ----------------------------------------------------------------------


def test_probe_mp4_with_moov_after_large_mdat(tmp_path):
    path = tmp_path / "clip.mp4"
    moov = box(b"moov", mvhd(1000, 12_345) + trak(b"soun", 0, 0) + trak(b"vide", 1280, 720))
    write_mp4(path, moov, mdat_bytes=50_000_000)
    info = probe_video(path)
    assert (info.duration_ms, info.width, info.height) == (12_345, 1280, 720)
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert media.mime == "video/mp4" and media.bytes == path.stat().st_size
    assert (media.duration_ms, media.width, media.height) == (12_345, 1280, 720)
    assert media.phash is None and media.error is None


def test_probe_mp4_beyond_4_gb_seeks_instead_of_reading(tmp_path):
    path = tmp_path / "long.mov"
    moov = box(b"moov", mvhd(600, 600 * 3600, version=1) + trak(b"vide", 1920, 1080, ROTATE_90))
    write_mp4(path, moov, mdat_bytes=5 * 2**30, brand=b"qt  ")
    cpu = time.process_time()  # reading the 5 GiB (sparse) would cost seconds of system time
    info = probe_video(path)
    assert time.process_time() - cpu < 0.5
    assert sniff_mime(path) == "video/quicktime"
    # A portrait phone video: stored landscape, rotated by the track matrix.
    assert (info.duration_ms, info.width, info.height) == (3_600_000, 1080, 1920)


def test_probe_fragmented_mp4_takes_duration_from_mehd(tmp_path):
    path = tmp_path / "dash.mp4"
    mehd = box(b"mehd", b"\x00\x00\x00\x00" + struct.pack(">I", 90_000 * 7))
    moov = box(b"moov", mvhd(90_000, 0) + trak(b"vide", 640, 360) + box(b"mvex", mehd))
    write_mp4(path, moov, mdat_bytes=0, brand=b"dash")
    assert probe_video(path).duration_ms == 7000


def test_probe_damaged_mp4_returns_none_fields(tmp_path):
    path = tmp_path / "damaged.mp4"
    moov = box(b"moov", mvhd(1000, 5000) + trak(b"vide", 1280, 720))
    whole = ftyp(b"isom") + moov
    path.write_bytes(whole[: len(whole) - 60])  # the track header is cut off
    info = probe_video(path)
    assert info.duration_ms == 5000 and info.width is None
    zero_box = tmp_path / "zero.mp4"
    zero_box.write_bytes(ftyp(b"isom") + b"\x00\x00\x00\x04moov" + b"\xff" * 100)
    assert probe_video(zero_box).duration_ms is None


def test_probe_webm(tmp_path):
    path = tmp_path / "clip.webm"
    path.write_bytes(webm_bytes(duration=4321.0, width=640, height=360))
    assert sniff_mime(path) == "video/webm"
    info = probe_video(path)
    assert (info.duration_ms, info.width, info.height) == (4321, 640, 360)
    media = analyse_media(path, sha256_of(path), tmp_path / "blobs")
    assert (media.mime, media.duration_ms, media.width) == ("video/webm", 4321, 640)
    path.write_bytes(webm_bytes()[:60])  # cut inside Info
    assert probe_video(path).width is None
