"""Benchmark: what finding near-duplicate media at write time costs (archiver/store/media_matches.py).

- per new file: save_media on an archive of --media files, with and without the
  comparison against every other file; and the first file of a session, which
  reads the whole index;
- once per older archive: opening an archive of --fill files that has no
  media_matches table yet (every file against every other, in numpy blocks).

    python bench/media_matches.py                      # 300 k media, fill of 10 k
    python bench/media_matches.py --media 30000 --fill 30000
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from archive_throughput import machine  # noqa: E402

import archiver.store.writes  # noqa: E402
from archiver.models import StoredMedia  # noqa: E402
from archiver.store.connection import open_db  # noqa: E402
from archiver.store.transaction import transaction  # noqa: E402
from archiver.store.writes import save_media  # noqa: E402


def archive_with_media(path: Path, count: int, rng: random.Random) -> None:
    """An archive of `count` photos with random hashes, written directly (no event log)."""
    db = open_db(path)
    db["media"].insert_all(
        {"sha256": hashlib.sha256(f"m{m}".encode()).hexdigest(), "bytes": 1, "blob_path": "x",
         "pdq": f"{rng.getrandbits(256):064x}", "pdq_quality": 90,
         "phash": f"{rng.getrandbits(64):016x}"}
        for m in range(count)
    )  # fmt: skip
    db.conn.commit()
    db.close()


def new_photo(name: str, rng: random.Random) -> StoredMedia:
    sha = hashlib.sha256(name.encode()).hexdigest()
    return StoredMedia(
        sha256=sha, bytes=1, blob_path="x", mime="image/jpeg",
        pdq=f"{rng.getrandbits(256):064x}", pdq_quality=90, phash=f"{rng.getrandbits(64):016x}",
    )  # fmt: skip


def per_file_ms(db, rng: random.Random, label: str, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        with transaction(db):
            save_media(db, new_photo(f"{label} {i}", rng))
    return (time.perf_counter() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=int, default=300_000)
    parser.add_argument("--fill", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(1)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "writes.db"
        archive_with_media(path, args.media, rng)
        db = open_db(path)
        first = per_file_ms(db, rng, "first", 1)
        further = per_file_ms(db, rng, "further", 50)
        matching = archiver.store.writes.record_matches
        archiver.store.writes.record_matches = lambda db, sha256: 0
        try:
            plain = per_file_ms(db, rng, "plain", 50)
        finally:
            archiver.store.writes.record_matches = matching
        db.close()
        print(f"{args.media:,} media: first file of a session {first:.0f} ms (reads the index),")
        print(f"  each further file {further:.1f} ms, save_media without matching {plain:.1f} ms")

        path = Path(tmp) / "older.db"
        archive_with_media(path, args.fill, rng)
        db = open_db(path)
        db.execute("drop table media_matches")  # as made before the table existed
        db.close()
        started = time.perf_counter()
        open_db(path).close()
        print(f"{args.fill:,} media: the first open fills media_matches in"
              f" {time.perf_counter() - started:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
