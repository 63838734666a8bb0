"""The write path's near-duplicate lookup: from SQLite's index tables at first, from memory once
the session has looked up enough files to pay for loading them (issue 17).

A lookup through `media_hash_chunks` costs about 11 ms at a million files, flat with the
archive's size; the same chunks held in memory (hamming_index.MultiIndex) about 1.5 ms, but
loading them (every `media_hashes` row, in one streamed read) costs a few microseconds per
file: about 5 s at a million. So a session (one connection) looks up through SQLite until it
has done as many lookups as loading would cost, one per FILES_PER_LOOKUP indexed files (at
least MIN_LOOKUPS), then loads the index and answers from memory (the rule of renting skis
until their price is paid: never more than twice the better of the two choices). The load
runs in a thread on a read-only connection of its own, so the write lock the session holds
meanwhile is not held for it; the session's lookups go through SQLite until it is done.

Kept in step with the table, so the answers are the SQLite index's, file for file:
- before each lookup, the rows with an id above the last one seen (this session's own files,
  and other processes' committed since) are read (one indexed range read, usually empty) and
  compared in full (a short tail), and merged into the index once there are TAIL_LIMIT;
- the last row seen must still be there with the same file, or the index is loaded again
  (the tables made anew, or a rollback this module was not told of);
- a rollback of a transaction that wrote files takes them out (store.transaction.on_rollback);
  if the index itself had taken them in, it is dropped and loaded again at the next lookup.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from archiver.media.hamming_index import MultiIndex, PackedHashes, compare_pairs
from archiver.store.media_matches import (
    HashRow,
    Match,
    both_ways,
    index_files,
    near_files,
    packed_hashes,
)
from archiver.store.media_nearest import keep_nearest
from archiver.store.transaction import on_rollback

FILES_PER_LOOKUP = 2_000  # loading costs about one SQLite lookup per this many indexed files
MIN_LOOKUPS = 16
TAIL_LIMIT = 4_096  # newer files compared one by one (~40 ns each) before the index takes them
READ_STEP = 50_000  # rows per fetch while loading
ROWS = "select id, sha256, pdq, pdq_quality, phash from media_hashes"


def record_matches(db: Database, row: HashRow) -> int:
    """Index a media row just inserted and write its near duplicates (inside its transaction):
    its rows to its K nearest, and a row from each of them to it if it is among their K
    nearest now (store/media_nearest.keep_nearest). Returns how many other files it matches."""
    found = lookup(db, row)
    ids = index_files(db, [row])
    if ids:
        session = session_index(db)
        on_rollback(db, lambda: session.forget_from(min(ids)))
    keep_nearest(db, both_ways(found))
    return len(found)


def lookup(db: Database, row: HashRow) -> list[Match]:
    """The indexed files that look like this one (not itself): from memory if the session's
    index is loaded (or now pays to load), else through SQLite."""
    found = session_index(db).near(db, row)
    return near_files(db, row) if found is None else found


_sessions: weakref.WeakKeyDictionary[Database, SessionIndex] = weakref.WeakKeyDictionary()
_sessions_lock = threading.Lock()


def session_index(db: Database) -> SessionIndex:
    with _sessions_lock:
        if db not in _sessions:
            _sessions[db] = SessionIndex()
        return _sessions[db]


class SessionIndex:
    """One connection's in-memory copy of `media_hashes`: an index of the rows up to some id,
    and the few rows after it (the tail) held as they are."""

    def __init__(self) -> None:
        self.lookups = 0
        self.loader: threading.Thread | None = None
        self.loaded: tuple[np.ndarray, MultiIndex, tuple[int, str | None]] | None = None
        self.drop()

    def drop(self) -> None:
        self.index: MultiIndex | None = None
        self.ids = np.zeros(0, np.int64)  # media_hashes ids of the index's positions
        self.tail, self.tail_ids = packed_hashes([]), np.zeros(0, np.int64)
        self.last: tuple[int, str | None] = (0, None)  # the last row seen: id, sha256

    def near(self, db: Database, row: HashRow) -> list[Match] | None:
        """The lookup from memory, or None while SQLite's is the one to use."""
        self.lookups += 1
        if self.index is None and not self._install_loaded():
            if self.loader is None and self.lookups >= max(
                MIN_LOOKUPS, self._indexed(db) // FILES_PER_LOOKUP
            ):
                self._start_loading(db)
            return None
        if not self._catch_up(db):
            self.drop()
            self._start_loading(db)
            return None
        return self._matches(db, row)

    def load(self, db: Database) -> None:
        """Every media_hashes row, read in one pass and indexed."""
        self.drop()
        self.ids, self.index, self.last = _loaded(db.conn)

    def settle(self) -> None:
        """Wait for a load under way to end (for tests and benches that need to know)."""
        if self.loader is not None:
            self.loader.join()

    def _start_loading(self, db: Database) -> None:
        """Load in a thread on a connection of its own: it reads committed rows without the
        write lock this session may hold, which other writers would otherwise wait for."""
        path = db.execute("pragma database_list").fetchone()[2]
        if not path:  # an in-memory database: nobody else can open it
            self.load(db)
            return
        self.loader = threading.Thread(target=self._load_committed, args=(path,), daemon=True)
        self.loader.start()

    def _load_committed(self, path: str) -> None:
        try:
            conn = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
            try:
                self.loaded = _loaded(conn)
            finally:
                conn.close()
        except sqlite3.Error:
            self.loaded = None

    def _install_loaded(self) -> bool:
        """Take in what the loader read, if it is done; its rows are committed, so no rollback
        of this session's can take any of them back."""
        if self.loader is None or self.loader.is_alive():
            return False
        self.loader, loaded, self.loaded = None, self.loaded, None
        if loaded is None:  # the loader failed: SQLite's lookups go on, a later one retries
            return False
        self.drop()
        self.ids, self.index, self.last = loaded
        return True

    def forget_from(self, first_id: int) -> None:
        """The files from `first_id` on were rolled back."""
        if self.index is None or (len(self.ids) and self.ids[-1] >= first_id):
            self.drop()
            return
        keep = self.tail_ids < first_id
        self.tail, self.tail_ids = _taken(self.tail, keep), self.tail_ids[keep]
        kept = self.tail_ids if len(self.tail_ids) else self.ids
        self.last = (int(kept[-1]) if len(kept) else 0, None)  # None: its sha256 not checked

    def _indexed(self, db: Database) -> int:
        return db.execute("select coalesce(max(id), 0) from media_hashes").fetchone()[0]

    def _catch_up(self, db: Database) -> bool:
        """Take in the rows written since the last seen; False if that one is gone or changed."""
        last_id, last_sha = self.last
        rows = db.execute(f"{ROWS} where id >= ? order by id", [last_id]).fetchall()
        if last_id:
            if not rows or rows[0][0] != last_id or (last_sha and rows[0][1] != last_sha):
                return False
            rows = rows[1:]
        if rows:
            self.tail = _joined([self.tail, packed_hashes([r[1:] for r in rows])])
            self.tail_ids = np.concatenate([self.tail_ids, [r[0] for r in rows]])
            self.last = (rows[-1][0], rows[-1][1])
        if len(self.tail_ids) >= TAIL_LIMIT:
            assert self.index is not None
            self.index = MultiIndex(_joined([self.index.hashes, self.tail]))
            self.ids = np.concatenate([self.ids, self.tail_ids])
            self.tail, self.tail_ids = packed_hashes([]), np.zeros(0, np.int64)
        return True

    def _matches(self, db: Database, row: HashRow) -> list[Match]:
        assert self.index is not None
        query = packed_hashes([row])
        indexed = self.index.near(query)
        tail = compare_pairs(
            query, np.zeros(len(self.tail_ids), np.int64), np.arange(len(self.tail_ids)),
            others=self.tail,
        )  # fmt: skip
        found = [(self.ids, indexed), (self.tail_ids, tail)]
        ids = np.concatenate([at[pairs.second] for at, pairs in found]).tolist()
        if not ids:
            return []
        pdq = np.concatenate([pairs.pdq_distance for _, pairs in found]).tolist()
        phash = np.concatenate([pairs.phash_distance for _, pairs in found]).tolist()
        sha256s = self._sha256s(db, ids)
        return [
            (row[0], sha256s[i], None if p < 0 else p, None if h < 0 else h)
            for i, p, h in zip(ids, pdq, phash, strict=True)
            if sha256s[i] != row[0]
        ]

    def _sha256s(self, db: Database, ids: list[int]) -> dict[int, str]:
        marks = ",".join("?" * len(ids))
        return dict(db.execute(f"select id, sha256 from media_hashes where id in ({marks})", ids))


def _loaded(conn: sqlite3.Connection) -> tuple[np.ndarray, MultiIndex, tuple[int, str | None]]:
    """Every media_hashes row in one streamed read: their ids, their index, the last row."""
    cursor = conn.execute(f"{ROWS} order by id")
    parts, ids, last = [packed_hashes([])], [np.zeros(0, np.int64)], (0, None)
    while rows := cursor.fetchmany(READ_STEP):
        ids.append(np.fromiter((r[0] for r in rows), np.int64, len(rows)))
        parts.append(packed_hashes([r[1:] for r in rows]))
        last = (rows[-1][0], rows[-1][1])
    return np.concatenate(ids), MultiIndex(_joined(parts)), last


def _joined(parts: list[PackedHashes]) -> PackedHashes:
    fields = PackedHashes.__dataclass_fields__
    return PackedHashes(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))


def _taken(hashes: PackedHashes, keep: np.ndarray) -> PackedHashes:
    return PackedHashes(*(getattr(hashes, f)[keep] for f in PackedHashes.__dataclass_fields__))
