"""Indexing an archive's older media: the near-duplicate index and media_matches of files saved
before the index existed (store/media_matches.py), in short batches other writers interleave.

When the index tables are made on an archive that already has media, a `media_index_fill`
row records the last media rowid then (the snapshot: every file after it is indexed as it
is saved) and how far the fill has come. The fill then
1. reads the snapshot's hashes (no lock) and finds all its near-duplicate pairs at once in
   memory (multi-index hashing, media/hamming_index.py: about a minute at a million files),
   and of them the rows media_matches keeps: each file's K nearest (media/nearest.py);
2. writes, a batch of files per transaction: their index rows, the rows whose later file is
   in the batch, and the new progress; and pairs each file other writers saved since the
   snapshot (compared then only with what was indexed) with all of it, through an in-memory
   index of the snapshot (hamming_index.MultiIndex), once. Rows are offered to each file's K
   nearest (media_nearest.keep_nearest), so those files' rows and the fill's meet in the
   rule over all pairs, in whatever order they come.
A killed fill resumes at the last committed batch. One process fills at a time (a lease in
the state row); the others open the archive and write as usual meanwhile.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
from sqlite_utils import Database

from archiver.media.hamming_index import MultiIndex, PairArrays, all_near_pairs
from archiver.media.nearest import nearest_rows, sha256_ranks
from archiver.store.media_matches import (
    HashRow,
    Match,
    both_ways,
    index_files,
    matches_of,
    packed_hashes,
)
from archiver.store.media_nearest import keep_nearest
from archiver.store.transaction import transaction

FILL_BATCH = 250  # files per write transaction: a few hundredths of a second of the lock
FILL_CACHE = -262_144  # SQLite's page cache while filling, in KiB (negative): 256 MiB
LEASE_SECONDS = 60
Progress = Callable[[int, int], None]  # files done, files in all


def start_fill(db: Database) -> None:
    """Inside the transaction that made the index tables: mark the media already there to index."""
    db["media_index_fill"].create(
        {"id": int, "snapshot_rowid": int, "done_rowid": int, "lease_owner": str, "lease_until": float},
        pk="id", if_not_exists=True,
    )  # fmt: skip
    last = db.execute("select max(rowid) from media").fetchone()[0]
    if last is not None:
        db["media_index_fill"].insert(
            {"id": 1, "snapshot_rowid": last, "done_rowid": 0}, replace=True
        )


def fill_pending(db: Database) -> bool:
    return db.execute("select 1 from media_index_fill").fetchone() is not None


def fill_media_index(
    db: Database, progress: Progress | None = None, batch: int = FILL_BATCH
) -> bool:
    """Index the snapshot's files and write their pairs; False if another process is at it."""
    if not _take_lease(db):
        return False
    snapshot = db.execute("select snapshot_rowid from media_index_fill").fetchone()
    if snapshot is None:
        return True
    rowids, rows = _snapshot_rows(db, snapshot[0])
    hashes, sha256s = packed_hashes(rows), [r[0] for r in rows]
    pairs, later = _by_later_file(nearest_rows(all_near_pairs(hashes), sha256_ranks(sha256s)))
    since = SavedSince(MultiIndex(hashes), sha256s, snapshot[0])
    cache = db.execute("pragma cache_size").fetchone()[0]
    # The batches' chunk rows land all over the index: keep its pages in memory meanwhile.
    db.execute(f"pragma cache_size = {FILL_CACHE}")
    try:
        _write_batches(db, rows, rowids, (pairs, later), since, snapshot[0], batch, progress)
    finally:
        db.execute(f"pragma cache_size = {int(cache)}")
    return True


def _write_batches(db, rows, rowids, kept, since: SavedSince, snapshot, batch, progress) -> None:
    pairs, later = kept
    while True:
        # The files saved meanwhile are looked up before taking the lock (after a long first
        # step there may be thousands); inside it, only those saved in between.
        ready = since.find(db)
        with transaction(db):
            keep_nearest(db, both_ways(ready + since.find(db)))
            state = db.execute("select done_rowid from media_index_fill").fetchone()
            if state is None or state[0] >= snapshot:
                db.execute("delete from media_index_fill")
                break
            start = int(np.searchsorted(rowids, state[0], side="right"))
            stop = min(start + batch, len(rows))
            index_files(db, rows[start:stop])
            first, last = np.searchsorted(later, [start, stop])
            keep_nearest(db, matches_of(_slice(pairs, first, last), since.sha256s))
            done = int(rowids[stop - 1]) if stop > start else snapshot
            db.execute(
                "update media_index_fill set done_rowid = ?, lease_until = ?",
                [done, time.time() + LEASE_SECONDS],
            )
        if progress:
            progress(stop, len(rows))


def _snapshot_rows(db: Database, last_rowid: int) -> tuple[np.ndarray, list[HashRow]]:
    found = db.execute(
        "select rowid, sha256, pdq, pdq_quality, phash from media where rowid <= ? order by rowid",
        [last_rowid],
    ).fetchall()
    return np.array([r[0] for r in found], dtype=np.int64), [r[1:] for r in found]


def _by_later_file(rows: PairArrays) -> tuple[PairArrays, np.ndarray]:
    """The rows ordered by their later file (the batch that writes them), and that file."""
    later = np.maximum(rows.first, rows.second)
    order = np.argsort(later, kind="stable")
    return _taken(rows, order), later[order]


def _slice(pairs: PairArrays, start: int, stop: int) -> PairArrays:
    return _taken(pairs, slice(start, stop))


def _taken(pairs: PairArrays, which) -> PairArrays:
    return PairArrays(*(getattr(pairs, f)[which] for f in PairArrays.__dataclass_fields__))


class SavedSince:
    """The files other writers save during the fill, each paired once with all the snapshot's
    (they were compared only with the part of it indexed when they were saved)."""

    def __init__(self, index: MultiIndex, sha256s: list[str], snapshot_rowid: int):
        self.index, self.sha256s, self.last_rowid = index, sha256s, snapshot_rowid

    def find(self, db: Database) -> list[Match]:
        """The near duplicates in the snapshot of the files saved since the last call."""
        found = db.execute(
            # CROSS JOIN: from the few media rows past the last seen, never a scan of the index.
            "select m.rowid, h.sha256, h.pdq, h.pdq_quality, h.phash from media m"
            " cross join media_hashes h on h.sha256 = m.sha256 where m.rowid > ? order by m.rowid",
            [self.last_rowid],
        ).fetchall()
        if not found:
            return []
        self.last_rowid = found[-1][0]
        near = self.index.near(packed_hashes([r[1:] for r in found]))
        return [
            (found[a][1], self.sha256s[b], None if pdq < 0 else pdq, None if phash < 0 else phash)
            for a, b, pdq, phash in zip(
                near.first.tolist(), near.second.tolist(),
                near.pdq_distance.tolist(), near.phash_distance.tolist(), strict=True,
            )
        ]  # fmt: skip


def _take_lease(db: Database) -> bool:
    me = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    with transaction(db):
        state = db.execute("select lease_owner, lease_until from media_index_fill").fetchone()
        if state is None:
            return True
        owner, until = state
        if owner and owner != me and _held(owner, until or 0):
            return False
        db.execute(
            "update media_index_fill set lease_owner = ?, lease_until = ?",
            [me, time.time() + LEASE_SECONDS],
        )
    return True


def _held(owner: str, until: float) -> bool:
    """Whether the lease's process still runs: on this machine, asked; on another, until the
    lease runs out (a fill renews it with each batch)."""
    host, pid, _ = owner.split(":", 2)
    if host != socket.gethostname() or int(pid) == os.getpid():  # or another thread of ours
        return until > time.time()
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


def print_progress(done: int, total: int) -> None:
    """A progress bar on the terminal (nothing when stderr is not one)."""
    if not sys.stderr.isatty():
        return
    width = 30
    filled = width * done // max(1, total)
    end = "\n" if done >= total else ""
    sys.stderr.write(
        f"\rindexing media for near duplicates [{'#' * filled}{'.' * (width - filled)}]"
        f" {done:,}/{total:,}{end}"
    )
    sys.stderr.flush()
