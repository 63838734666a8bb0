"""Near-duplicate media, found once when a file is first saved and kept in `media_matches`.

Comparing every file with every other on each page view does not scale (a post page
over 300 k media took seconds). Instead, when a media row is first saved, its hashes
are compared with every other file's at once in numpy (XOR and popcount over packed
64-bit words) and each near duplicate is written both ways: (sha256, other_sha256,
pdq_distance, phash_distance). The rule and thresholds are similar.py's; a file's
identical copies are the same media row, so `media_matches` only pairs different files.

Each session (one open Database) keeps an index of the archive's hashes in memory,
brought up to date inside the write transaction from the media rows with a rowid above
the last it read; that transaction holds the write lock, so a file another process
archived meanwhile is compared too, and never one that is not committed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator

import numpy as np
from sqlite_utils import Database

from archiver.media.similar import (
    PDQ_DIGITS,
    PDQ_MIN_QUALITY,
    PHASH_DIGITS,
    hamming_matrix,
    near_duplicates,
    pack_hex,
    unpack_hex,
)

Match = tuple[str, str, int | None, int | None]  # sha256, other_sha256, pdq and pHash distance
INSERT = (
    "insert or replace into media_matches (sha256, other_sha256, pdq_distance, phash_distance)"
    " values (?, ?, ?, ?)"
)
# Pairs compared per numpy step when filling an archive: bounds its temporary arrays (~40 MB).
BLOCK_PAIRS = 2_000_000
SHA256_DIGITS = 64


class MediaIndex:
    """The perceptual hashes of an archive's media, packed for comparing one file with all."""

    def __init__(self) -> None:
        self.last_rowid = 0  # media rows up to this one have been read
        self.size = 0
        # Only files with a hash that can match (a reliable PDQ or a pHash) are kept.
        self._columns = {
            "sha256": np.zeros((0, SHA256_DIGITS // 16), np.uint64),
            "pdq": np.zeros((0, PDQ_DIGITS // 16), np.uint64),
            "pdq_valid": np.zeros(0, bool),
            "reliable": np.zeros(0, bool),
            "phash": np.zeros((0, PHASH_DIGITS // 16), np.uint64),
            "phash_valid": np.zeros(0, bool),
        }
        self.lock = threading.Lock()

    def refresh(self, db: Database) -> None:
        """Read the media rows added since the last refresh, by this session or another."""
        rows = db.execute(
            "select rowid, sha256, pdq, pdq_quality, phash from media where rowid > ?"
            " order by rowid",
            [self.last_rowid],
        ).fetchall()
        if not rows:
            return
        self.last_rowid = rows[-1][0]
        _, sha256s, pdqs, qualities, phashes = zip(*rows, strict=True)
        pdq, pdq_valid = pack_hex(pdqs, PDQ_DIGITS)
        phash, phash_valid = pack_hex(phashes, PHASH_DIGITS)
        reliable = pdq_valid & (np.array([q or 0 for q in qualities]) >= PDQ_MIN_QUALITY)
        keep = reliable | phash_valid
        self._append(
            sha256=pack_hex(sha256s, SHA256_DIGITS)[0][keep], pdq=pdq[keep], pdq_valid=pdq_valid[keep],
            reliable=reliable[keep], phash=phash[keep], phash_valid=phash_valid[keep],
        )  # fmt: skip

    def _append(self, **values: np.ndarray) -> None:
        added = len(values["sha256"])
        capacity = len(self._columns["sha256"])
        if self.size + added > capacity:
            # Doubling: an archive that grows by one file at a time is not copied each time.
            capacity = max(1024, 2 * (self.size + added))
            for name, column in self._columns.items():
                grown = np.zeros((capacity, *column.shape[1:]), column.dtype)
                grown[: self.size] = column[: self.size]
                self._columns[name] = grown
        for name, column in self._columns.items():
            column[self.size : self.size + added] = values[name]
        self.size += added

    def _live(self) -> dict[str, np.ndarray]:
        return {name: column[: self.size] for name, column in self._columns.items()}

    def position(self, sha256: str, since: int = 0) -> int | None:
        """Where the file is in the index (looking from `since` on); None when it has no hash
        that can match."""
        digest = pack_hex([sha256], SHA256_DIGITS)[0][0]
        found = np.flatnonzero((self._live()["sha256"][since:] == digest).all(axis=1))
        return since + int(found[0]) if len(found) else None

    def near_pairs(self, start: int, stop: int, *, each_once: bool = False) -> list[Match]:
        """Files [start, stop) of the index against all others: each pair that looks the same
        (similar.near_duplicates). each_once: only against files further on (for a whole index)."""
        c = self._live()
        first = start if each_once else 0
        rows, others = slice(start, stop), slice(first, self.size)
        pdq = hamming_matrix(c["pdq"][rows], c["pdq"][others])
        phash = hamming_matrix(c["phash"][rows], c["phash"][others])
        both_pdq = c["pdq_valid"][rows, None] & c["pdq_valid"][None, others]
        both_phash = c["phash_valid"][rows, None] & c["phash_valid"][None, others]
        both_reliable = c["reliable"][rows, None] & c["reliable"][None, others]
        near = near_duplicates(pdq, both_reliable, phash, both_phash)
        found = []
        for a, b in zip(*np.nonzero(near), strict=True):
            i, j = start + a, first + b
            if j == i or (each_once and j < i):
                continue
            found.append((
                unpack_hex(c["sha256"][i]), unpack_hex(c["sha256"][j]),
                int(pdq[a, b]) if both_pdq[a, b] else None,
                int(phash[a, b]) if both_phash[a, b] else None,
            ))  # fmt: skip
        return found


_sessions: weakref.WeakKeyDictionary[Database, MediaIndex] = weakref.WeakKeyDictionary()
_sessions_lock = threading.Lock()


def session_index(db: Database) -> MediaIndex:
    """This session's index (made empty on first use; refresh() fills it)."""
    with _sessions_lock:
        index = _sessions.get(db)
        if index is None:
            index = _sessions[db] = MediaIndex()
        return index


def forget_session_index(db: Database) -> None:
    """Drop the session's index (after a rollback it may hold rows that are gone); rebuilt on use."""
    with _sessions_lock:
        _sessions.pop(db, None)


def record_matches(db: Database, sha256: str) -> int:
    """Write the near duplicates of a media row just inserted, both ways; inside its transaction.

    Returns how many other files it matches.
    """
    index = session_index(db)
    with index.lock:
        known = index.size
        index.refresh(db)
        i = index.position(sha256, since=known)  # just inserted, so just read
        found = [] if i is None else index.near_pairs(i, i + 1)
    _write_both_ways(db, found)
    return len(found)


def fill_media_matches(db: Database) -> int:
    """Compare every archived file with every other (an archive made before media_matches).

    Quadratic, in numpy blocks: 0.7 s for 10 k files, 5.5 s for 30 k (bench/media_matches.py).
    Returns the rows written.
    """
    written = 0
    for found in all_near_pairs(db):
        _write_both_ways(db, found)
        written += 2 * len(found)
    return written


def all_near_pairs(db: Database) -> Iterator[list[Match]]:
    """Every pair of the archive's files that look the same, each once, in blocks."""
    index = MediaIndex()
    index.refresh(db)
    block = max(1, BLOCK_PAIRS // max(1, index.size))
    for start in range(0, index.size, block):
        yield index.near_pairs(start, min(index.size, start + block), each_once=True)


def both_ways(found: list[Match]) -> Iterator[Match]:
    """Each pair as media_matches keeps it: from each file to the other."""
    for m in found:
        yield m
        yield (m[1], m[0], m[2], m[3])


def _write_both_ways(db: Database, found: list[Match]) -> None:
    if found:
        db.conn.executemany(INSERT, list(both_ways(found)))
