"""Benchmark: near duplicates among a million media files (archiver/store/media_matches.py).

Synthetic hashes: random ones, plus planted near duplicates at known distances around each
threshold (PDQ 30/31/32 bits, quality 49/50; pHash 8/9 bits). In one run:

- backfill: an archive of --media files made before the index (no index rows, no
  media_matches) is indexed and paired by fill_media_index, while a writer thread saves a
  new file every 20 ms through save_media; prints the fill's time and the writer's longest
  wait for a commit, and the quadratic fill it replaces, timed on --scan files and scaled;
- copies (--copies N): one picture saved N times with small changes (every two of them near
  duplicates), one by one through save_media: the time a save takes as N grows and the
  media_matches rows (each file's K nearest: at most N·K, not N(N-1)); then the same files
  as an older archive's fill;
- lookup: for --queries files, the near duplicates found through the index in SQLite, and
  through save_media's lookup (media_lookup.lookup, its session's index loaded in memory as
  it is once the session's lookups pay for it; the load is timed) against a brute-force numpy scan of every file's packed hashes held in
  memory (what save_media did before for every file but a session's first, which read them
  all from the table first: timed once too), and faiss-cpu's IndexBinaryMultiHash if
  installed; the results must be identical.

    python bench/media_matches.py                      # 1 M media
    python bench/media_matches.py --media 100000 --queries 100
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from archive_throughput import cpu_counters, machine, steal_since  # noqa: E402

from archiver.media.hamming_index import (  # noqa: E402
    MultiIndex,
    PairArrays,
    compare_pairs,
    scanned_near_pairs,
)
from archiver.models import StoredMedia  # noqa: E402
from archiver.store.connection import open_db  # noqa: E402
from archiver.store.media_index_fill import fill_media_index, start_fill  # noqa: E402
from archiver.store.media_lookup import (  # noqa: E402
    FILES_PER_LOOKUP,
    MIN_LOOKUPS,
    lookup,
    session_index,
)
from archiver.store.media_matches import (  # noqa: E402
    create_index_tables,
    matches_of,
    near_files,
    packed_hashes,
)
from archiver.store.transaction import transaction  # noqa: E402
from archiver.store.writes import save_media  # noqa: E402

PLANTED = [(30, 90, 9), (31, 50, 9), (32, 90, 9), (31, 49, 20), (200, 90, 8), (200, 90, 9)]


def flip_bits(hexhash: str, count: int, rng: np.random.Generator) -> str:
    bits = len(hexhash) * 4
    value = int(hexhash, 16)
    for bit in rng.choice(bits, count, replace=False).tolist():
        value ^= 1 << bit
    return format(value, f"0{len(hexhash)}x")


def synthetic_rows(count: int, rng: np.random.Generator) -> list[tuple]:
    """(sha256, pdq, quality, phash): random, and one in 20 a planted copy of an earlier one."""
    pdqs = rng.integers(0, 2**63, size=(count, 4), dtype=np.uint64) * 2 + 1
    phashes = rng.integers(0, 2**63, size=count, dtype=np.uint64)
    rows = []
    for i in range(count):
        sha = hashlib.sha256(f"m{i}".encode()).hexdigest()
        pdq, phash = "".join(f"{w:016x}" for w in pdqs[i]), f"{phashes[i]:016x}"
        quality = 90
        if i >= 100 and i % 20 == 0:
            _, base_pdq, _, base_phash = rows[int(rng.integers(0, i))]
            pdq_bits, quality, phash_bits = PLANTED[(i // 20) % len(PLANTED)]
            pdq, phash = flip_bits(base_pdq, pdq_bits, rng), flip_bits(base_phash, phash_bits, rng)
        rows.append((sha, pdq, quality, phash))
    return rows


def older_archive(path: Path, rows: list[tuple]):
    """An archive of these media made before the index existed, its fill still to do; and
    two connections opened before (open_db would run the fill)."""
    db, other = open_db(path), open_db(path, check_same_thread=False)
    db["media"].insert_all(
        {"sha256": s, "bytes": 1, "blob_path": "x", "pdq": p, "pdq_quality": q, "phash": h}
        for s, p, q, h in rows
    )
    db.conn.commit()
    with transaction(db):
        create_index_tables(db, anew=True)
        start_fill(db)
    return db, other


class Writer(threading.Thread):
    """Saves a new file every 20 ms through save_media until stopped; keeps each commit's wait."""

    def __init__(self, db, rng: np.random.Generator):
        super().__init__(daemon=True)
        self.db, self.rng, self.waits, self.stop = db, rng, [], threading.Event()

    def run(self) -> None:
        db, n = self.db, 0
        while not self.stop.is_set():
            n += 1
            pdq = "".join(f"{w:016x}" for w in self.rng.integers(0, 2**63, 4, dtype=np.uint64))
            media = StoredMedia(
                sha256=hashlib.sha256(f"writer {n}".encode()).hexdigest(), bytes=1,
                blob_path="x", mime="image/jpeg", pdq=pdq, pdq_quality=90,
                phash=f"{int(self.rng.integers(0, 2**63)):016x}",
            )  # fmt: skip
            started = time.perf_counter()
            with transaction(db):
                save_media(db, media)
            self.waits.append(time.perf_counter() - started)
            time.sleep(0.02)
        db.close()


def backfill(path: Path, rows: list[tuple], rng: np.random.Generator) -> None:
    filler, other = older_archive(path, rows)
    writer = Writer(other, rng)
    started, cpu = time.perf_counter(), time.process_time()
    writer.start()
    fill_media_index(filler)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    writer.stop.set()
    writer.join()
    pairs = filler.execute("select count(*) from media_matches").fetchone()[0]
    filler.close()
    waits = sorted(writer.waits)
    print(f"backfill of {len(rows):,} media: {took:.0f} s ({cpu:.0f} s of CPU), {pairs:,} media_matches rows;"
          f" a writer alongside committed {len(waits):,} files, longest wait"
          f" {waits[-1] * 1000:.0f} ms, median {statistics.median(waits) * 1000:.1f} ms")  # fmt: skip
    return took


def quadratic_fill(rows: list[tuple], scan: int, full: int, indexed_s: float) -> None:
    hashes = packed_hashes(rows[:scan])
    started = time.perf_counter()
    for _ in scanned_near_pairs(hashes):
        pass
    took = time.perf_counter() - started
    scaled = took * (full / scan) ** 2
    print(f"the quadratic fill it replaces: {took:.1f} s for {scan:,} media, so about"
          f" {scaled / 3600:.1f} h for {full:,}: {scaled / indexed_s:.1f}x the indexed fill")  # fmt: skip


def brute_force(hashes, sha256s, i: int) -> set:
    others = np.arange(len(sha256s))
    others = others[others != i]
    return set(matches_of(compare_pairs(hashes, np.full(len(others), i), others), sha256s))


def lookups(path: Path, rows: list[tuple], queries: int, rng: np.random.Generator) -> None:
    db = open_db(path)
    hashes, sha256s = packed_hashes(rows), [r[0] for r in rows]
    picks = rng.choice(np.arange(100, len(rows), 20), queries // 2).tolist()
    picks += rng.integers(0, len(rows), queries - len(picks)).tolist()
    started = time.perf_counter()
    session_index(db).load(db)  # what the write path does (in a thread) once its lookups pay
    loaded_s = time.perf_counter() - started
    index = session_index(db).index
    held = [a for table in index.tables for a in table[2:]] + list(vars(index.hashes).values())
    loaded_mb = sum(a.nbytes for a in held) / 2**20
    indexed, scanned, written, found, expected = [], [], [], 0, {}
    for i in picks:
        started = time.perf_counter()
        by_index = set(near_files(db, rows[i]))
        indexed.append(time.perf_counter() - started)
        started = time.perf_counter()
        by_write_path = set(lookup(db, rows[i]))
        written.append(time.perf_counter() - started)
        started = time.perf_counter()
        by_scan = brute_force(hashes, sha256s, i)
        scanned.append(time.perf_counter() - started)
        assert by_index == by_scan == by_write_path, (i, by_index ^ by_scan)
        found, expected[i] = found + len(by_scan), by_scan
    started = time.perf_counter()
    held = packed_hashes(db.execute("select sha256, pdq, pdq_quality, phash from media").fetchall())
    brute_force(held, sha256s, picks[0])
    first_ms = (time.perf_counter() - started) * 1000
    db.close()
    index_ms, scan_ms = statistics.median(indexed) * 1000, statistics.median(scanned) * 1000
    print(
        f"lookup of one file among {len(rows):,} ({queries} files, {found} near duplicates,"
        f" identical): index {index_ms:.2f} ms, brute-force scan {scan_ms:.2f} ms (median):"
        f" {scan_ms / index_ms:.1f}x; p95 index {np.percentile(indexed, 95) * 1000:.2f} ms"
    )
    write_ms = statistics.median(written) * 1000
    pays = max(MIN_LOOKUPS, len(rows) // FILES_PER_LOOKUP)
    print(f"write path (save_media's lookup, from memory once loaded; identical): {write_ms:.2f} ms,"
          f" {scan_ms / write_ms:.1f}x the scan; p95 {np.percentile(written, 95) * 1000:.2f} ms;"
          f" loaded ({loaded_mb:.0f} MB) in {loaded_s:.1f} s after the session's first {pays} lookups"
          f" ({pays * index_ms / 1000:.1f} s of them through SQLite)")  # fmt: skip
    print(f"  a session's first file by scan (reading every file's hashes first, as before):"
          f" {first_ms:.0f} ms, {first_ms / index_ms:.0f}x the index")  # fmt: skip
    in_memory_lookups(rows, hashes, expected, scan_ms)
    faiss_lookups(hashes, sha256s, expected, scan_ms)


def in_memory_lookups(rows, hashes, expected: dict, scan_ms: float) -> None:
    """The same chunks held in memory (hamming_index.MultiIndex, what the fill uses)."""
    started = time.perf_counter()
    index = MultiIndex(hashes)
    built = time.perf_counter() - started
    took = []
    for i, by_scan in expected.items():
        started = time.perf_counter()
        near = index.near(packed_hashes([rows[i]]))
        keep = near.second != i
        found = PairArrays(*(getattr(near, f)[keep] for f in PairArrays.__dataclass_fields__))
        found.first[:] = i  # the query's place in the archive, not in the query
        took.append(time.perf_counter() - started)
        assert set(matches_of(found, [r[0] for r in rows])) == by_scan, i
    ms = statistics.median(took) * 1000
    print(f"our multi-index in memory (identical; built in {built:.0f} s each session): {ms:.2f} ms,"
          f" {scan_ms / ms:.1f}x the scan")  # fmt: skip


def faiss_lookups(hashes, sha256s, expected: dict, scan_ms: float) -> None:
    try:
        import faiss
    except ImportError:
        print("faiss-cpu not installed: its IndexBinaryMultiHash not measured")
        return
    # Exact by the same pigeonhole: 16 chunks of 16 bits within 1 (PDQ), 3 of 21 within 2 (pHash).
    as_bytes = lambda words: np.ascontiguousarray(words.astype(">u8")).view(np.uint8)  # noqa: E731
    pdq_index, phash_index = (
        faiss.IndexBinaryMultiHash(256, 16, 16),
        faiss.IndexBinaryMultiHash(64, 3, 21),
    )
    pdq_index.nflip, phash_index.nflip = 1, 2
    reliable, with_phash = np.flatnonzero(hashes.reliable), np.flatnonzero(hashes.phash_valid)
    started = time.perf_counter()
    pdq_index.add(as_bytes(hashes.pdq[reliable]))
    phash_index.add(as_bytes(hashes.phash[with_phash]))
    built = time.perf_counter() - started
    took = []
    for i, by_scan in expected.items():
        started = time.perf_counter()
        _, _, a = pdq_index.range_search(as_bytes(hashes.pdq[i : i + 1]), 32)
        _, _, b = phash_index.range_search(as_bytes(hashes.phash[i : i + 1]), 9)
        others = np.union1d(reliable[a], with_phash[b])
        others = others[others != i]
        found = compare_pairs(hashes, np.full(len(others), i), others)
        took.append(time.perf_counter() - started)
        assert set(matches_of(found, sha256s)) == by_scan, i
    ms = statistics.median(took) * 1000
    print(f"faiss IndexBinaryMultiHash in memory (identical; built in {built:.0f} s each session): {ms:.2f} ms,"
          f" {scan_ms / ms:.1f}x the scan")  # fmt: skip


def one_picture(count: int, rng: np.random.Generator) -> list[tuple]:
    """A picture saved `count` times with small changes: PDQ within 12 bits and pHash within 4
    of one original, so every two of them are near duplicates (the N² case)."""
    _, pdq, _, phash = synthetic_rows(1, rng)[0]
    return [
        (hashlib.sha256(f"copy {i}".encode()).hexdigest(),
         flip_bits(pdq, int(rng.integers(0, 13)), rng), 90,
         flip_bits(phash, int(rng.integers(0, 5)), rng))
        for i in range(count)
    ]  # fmt: skip


def copies(folder: Path, count: int, rng: np.random.Generator) -> None:
    """The copies saved one by one through save_media, then the same as an older archive's fill."""
    rows, db = one_picture(count, rng), open_db(folder / "copies.db")
    took = []
    for sha, pdq, quality, phash in rows:
        media = StoredMedia(sha256=sha, bytes=1, blob_path="x", mime="image/jpeg", pdq=pdq,
                            pdq_quality=quality, phash=phash)  # fmt: skip
        started = time.perf_counter()
        with transaction(db):
            save_media(db, media)
        took.append(time.perf_counter() - started)
    kept = db.execute("select count(*) from media_matches").fetchone()[0]
    db.close()
    size = (folder / "copies.db").stat().st_size / 2**20
    print(f"one picture saved {count:,} times, one by one: {sum(took):.1f} s, {kept:,} media_matches"
          f" rows ({count * (count - 1):,} pairs), archive {size:.0f} MB; a save: median"
          f" {statistics.median(took) * 1000:.1f} ms, the last tenth's median"
          f" {statistics.median(took[-max(1, count // 10):]) * 1000:.1f} ms")  # fmt: skip
    filler, other = older_archive(folder / "copies-older.db", rows)
    other.close()
    started = time.perf_counter()
    fill_media_index(filler)
    kept = filler.execute("select count(*) from media_matches").fetchone()[0]
    filler.close()
    print(f"  the same {count:,} as an older archive's fill: {time.perf_counter() - started:.1f} s,"
          f" {kept:,} media_matches rows")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--scan", type=int, default=20_000, help="files for the quadratic fill")
    parser.add_argument("--copies", type=int, default=2_000, help="one picture saved N times")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    print(f"machine: {machine()}")
    rows = synthetic_rows(args.media, rng)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "older.db"
        counters = cpu_counters()
        took = backfill(path, rows, rng)
        print(f" {steal_since(counters)}")
        counters = cpu_counters()
        quadratic_fill(rows, min(args.scan, args.media), args.media, took)
        print(f" {steal_since(counters)}")
        counters = cpu_counters()
        lookups(path, rows, args.queries, rng)
        print(f" {steal_since(counters)}")
        if args.copies:
            counters = cpu_counters()
            copies(Path(tmp), args.copies, rng)
            print(f" {steal_since(counters)}")


if __name__ == "__main__":
    main()
