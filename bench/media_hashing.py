"""Benchmark: archiver.media's one reduced decode against naive full-resolution hashing.

For each 12-megapixel JPEG in a generated corpus it times
- naive:   SHA-256 + imagehash.phash(Image.open(p)) + imagehash.dhash(Image.open(p))
           + pdqhash.compute(np.asarray(Image.open(p).convert("RGB"))), three full decodes;
- archiver: SHA-256 + analyse_media(p) (sniff, EXIF, one reduced decode shared by
           pHash, dHash, PDQ and the 320-px thumbnail, written to disk);
and prints the speed ratio and the bit distances between the two methods' hashes.

    python bench/media_hashing.py            # 8 images
    python bench/media_hashing.py --quick    # 2 images, one timing round

Source pictures: real photographs if any are found (see PHOTO_GLOBS, or pass
--photos DIR), upscaled to 12 MP with sensor-like noise; otherwise synthetic
photo-like pictures. See bench/README.md for measured figures.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import archiver.media.analyse  # noqa: E402
from archiver.media.analyse import analyse_media  # noqa: E402

# Photographs that Debian packages ship: matplotlib's sample data
# (python-matplotlib-data) and scikit-image's test pictures (python3-skimage).
PHOTO_GLOBS = [
    "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
    "/usr/lib/python3/dist-packages/skimage/data/*.png",
    "/usr/lib/python3/dist-packages/skimage/data/*.jpg",
]
# Of scikit-image's pictures, those that are photographs of scenes.
PHOTO_NAMES = {
    "grace_hopper",
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "motorcycle_left",
    "hubble_deep_field",
    "retina",
    "camera",
}
SIZE = (4000, 3000)  # 12 MP, 4:3 as phones shoot


def find_photos(photo_dir: Path | None) -> list[Path]:
    if photo_dir is not None:
        return sorted(p for p in photo_dir.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    found = []
    for pattern in PHOTO_GLOBS:
        found += [Path(p) for p in glob.glob(pattern) if Path(p).stem in PHOTO_NAMES]
    return sorted(set(found))


def photo_like(source: Path | None, rng: np.random.Generator) -> Image.Image:
    """A 12 MP picture: a photograph cropped to 4:3 and upscaled, or a synthetic scene; plus noise."""
    if source is not None:
        picture = Image.open(source).convert("RGB")
        w, h = picture.size
        portrait = h > w
        target = (3, 4) if portrait else (4, 3)
        crop_w = min(w, h * target[0] // target[1])
        crop_h = crop_w * target[1] // target[0]
        left, top = (w - crop_w) // 2, (h - crop_h) // 2
        picture = picture.crop((left, top, left + crop_w, top + crop_h))
        size = SIZE[::-1] if portrait else SIZE
        base = np.asarray(picture.resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    else:
        base = synthetic_scene(rng)
    # Sensor noise gives the upscaled picture a camera file's texture and size.
    noisy = base + rng.normal(0.0, 4.0, base.shape).astype(np.float32)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def synthetic_scene(rng: np.random.Generator) -> np.ndarray:
    """Sky gradient, a ridge, textured ground and a few blobs: structure at every scale."""
    w, h = SIZE
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    texture = np.zeros((h, w), np.float32)
    for octave in range(1, 8):  # fractal noise: coarse shapes down to fine grain
        cells = 2**octave
        field = rng.random((cells * 3 // 4 + 2, cells + 2)).astype(np.float32)
        layer = Image.fromarray(field).resize((w, h), Image.Resampling.BICUBIC)
        texture += np.asarray(layer) / octave
    ridge = h * (0.45 + 0.1 * np.sin(x / w * rng.uniform(3, 9)) + 0.05 * texture / texture.max())
    sky = np.stack([120 + 80 * y / h, 160 + 60 * y / h, 230 - 20 * y / h], axis=-1)
    ground = np.stack([60 + 90 * texture, 90 + 70 * texture, 40 + 40 * texture], axis=-1)
    image = np.where((y > ridge)[..., None], ground, sky)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, w), rng.uniform(h / 2, h), rng.uniform(100, 500)
        colour = rng.uniform(0, 255, 3)
        image[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = colour
    return np.clip(image, 0, 255).astype(np.float32)


def naive(path: Path) -> tuple[imagehash.ImageHash, imagehash.ImageHash, str]:
    hashlib.sha256(path.read_bytes()).hexdigest()
    phash = imagehash.phash(Image.open(path))
    dhash = imagehash.dhash(Image.open(path))
    bits, _quality = pdqhash.compute(np.asarray(Image.open(path).convert("RGB")))
    return phash, dhash, np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def ours(path: Path, blob_root: Path):
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return analyse_media(path, sha256, blob_root)


def best_of(rounds: int, run) -> tuple[float, object]:
    """Fastest of `rounds` runs, in ms: the least disturbed by whatever else the machine does."""
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), result


def pdq_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def distribution(values: list[int]) -> str:
    counts = {v: values.count(v) for v in sorted(set(values))}
    return ", ".join(f"{bits} bits: {n}" for bits, n in counts.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 images, one timing round")
    parser.add_argument("--count", type=int, default=8, help="images in the corpus (default 8)")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds per image (best kept)")
    parser.add_argument("--photos", type=Path, help="directory of source photographs to upscale")
    parser.add_argument("--synthetic", action="store_true", help="synthetic scenes, no photographs")
    parser.add_argument("--quality", type=int, default=92, help="JPEG quality (default 92)")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    parser.add_argument(
        "--hash-min-side",
        type=int,
        help=f"override archiver.media.analyse.HASH_MIN_SIDE (now {archiver.media.analyse.HASH_MIN_SIDE})",
    )
    args = parser.parse_args()
    if args.hash_min_side:
        archiver.media.analyse.HASH_MIN_SIDE = args.hash_min_side
    count, rounds = (2, 1) if args.quick else (args.count, args.rounds)

    rng = np.random.default_rng(2024)
    photos = [] if args.synthetic else find_photos(args.photos)
    sources: list[Path | None] = (
        [photos[i % len(photos)] for i in range(count)] if photos else [None] * count
    )
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.keep or Path(tmp) / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, source in enumerate(sources):
            path = corpus / f"{i:02d}-{source.stem if source else 'synthetic'}.jpg"
            photo_like(source, rng).save(path, "JPEG", quality=args.quality)
            paths.append(path)
        print(
            f"corpus: {count} JPEGs of {SIZE[0]}x{SIZE[1]}, quality {args.quality}, from "
            f"{'photographs' if photos else 'synthetic scenes'}; best of {rounds} round(s), "
            f"HASH_MIN_SIDE {archiver.media.analyse.HASH_MIN_SIDE}\n"
        )

        # Imports (scipy for pHash) and first-call set-up stay outside the timings.
        naive(paths[0])
        ours(paths[0], Path(tmp) / "warm-up")
        header = f"{'image':28} {'MB':>5} {'naive ms':>9} {'ours ms':>8} {'ratio':>6}  pHash dHash PDQ  quality"
        print(header)
        rows = []
        for n, path in enumerate(paths):
            naive_ms, (n_phash, n_dhash, n_pdq) = best_of(rounds, lambda p=path: naive(p))
            # A fresh blob root per round, so the thumbnail is written each time.
            roots = iter([Path(tmp) / f"blobs-{n}-{r}" for r in range(rounds)])
            ours_ms, media = best_of(rounds, lambda p=path, roots=roots: ours(p, next(roots)))
            d_phash = imagehash.hex_to_hash(media.phash) - n_phash
            d_dhash = imagehash.hex_to_hash(media.dhash) - n_dhash
            d_pdq = pdq_distance(media.pdq, n_pdq)
            rows.append((naive_ms, ours_ms, d_phash, d_dhash, d_pdq))
            size_mb = path.stat().st_size / 1e6
            print(
                f"{path.name:28} {size_mb:5.1f} {naive_ms:9.0f} {ours_ms:8.1f} "
                f"{naive_ms / ours_ms:5.1f}x  {d_phash:5} {d_dhash:5} {d_pdq:3}  {media.pdq_quality}"
            )

    naive_times, our_times, phashes, dhashes, pdqs = (list(col) for col in zip(*rows, strict=True))
    ratios = [a / b for a, b in zip(naive_times, our_times, strict=True)]
    print(
        f"\nmedian: naive {statistics.median(naive_times):.0f} ms, ours "
        f"{statistics.median(our_times):.1f} ms; speed-up median {statistics.median(ratios):.1f}x, "
        f"min {min(ratios):.1f}x"
    )
    for name, values, limit in (("pHash", phashes, 2), ("dHash", dhashes, 2), ("PDQ", pdqs, 12)):
        within = sum(v <= limit for v in values)
        print(
            f"{name:5} distance: {distribution(values)}; within {limit} bits: "
            f"{within}/{len(values)} ({100 * within / len(values):.0f}%)"
        )


if __name__ == "__main__":
    main()
