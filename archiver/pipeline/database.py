"""The archive database as one session's threads share it: one writer under a lock, a reader per thread.

Worker threads fetch and hash in parallel and take turns to commit. The checks made
before fetching (is this post archived already? this file analysed?) read committed
rows through each thread's own read-only connection: in WAL mode they read on while
another thread commits, instead of queueing for the writer.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

import annotations  # noqa: F401  (registers its views: part of every archive opened here)
from archiver import platforms
from archiver.errors import StorageError
from archiver.platforms.base import PostRef
from archiver.store.connection import open_db, open_reader
from archiver.store.queries import media_exists, post_complete, post_exists, post_ids_by_author
from archiver.store.transaction import GroupCommit


class SessionDatabase:
    """One archive database for a session's threads: `writing()` to commit, the checks to read."""

    def __init__(self, path: Path):
        self.path = path
        self.writer = open_db(path, check_same_thread=False)
        # Each writer's block is a SAVEPOINT (GroupCommit): SQLite copies every page a block
        # first changes to a sub-journal, a temporary file unless kept in memory, where it
        # costs a block's pages (a few hundred kB) instead of twice the writes to disk.
        self.writer.execute("PRAGMA temp_store = MEMORY")
        self._group = GroupCommit(self.writer)
        self._readers: dict[int, Database] = {}  # by thread
        self._readers_lock = threading.Lock()

    def close(self) -> None:
        self.close_readers()
        self.writer.close()

    @contextlib.contextmanager
    def writing(self) -> Iterator[Database]:
        """One writer at a time across the session's threads, each block whole or not at all
        and committed before it returns (a few threads' blocks to one COMMIT: GroupCommit);
        StorageError if it fails."""
        try:
            with self._group.member():
                yield self.writer
        # Disk full, a damaged file: the archive's fault, not the URL's.
        except sqlite3.Error as exc:
            raise StorageError(
                f"could not write to the archive database {self.path}: {exc}"
            ) from exc

    def reader(self) -> Database:
        """This thread's read-only connection (committed rows only: not for use in a write)."""
        thread = threading.get_ident()
        db = self._readers.get(thread)  # only this thread adds its own entry
        if db is None:
            db = open_reader(self.path)
            with self._readers_lock:  # not the write lock: a writer may hold that
                self._readers[thread] = db
        return db

    def close_readers(self, *, keep: int | None = None) -> None:
        """Close the read connections of every thread but `keep` (a finished pool's)."""
        with self._readers_lock:
            for thread in [t for t in self._readers if t != keep]:
                self._readers.pop(thread).close()

    # -- what is archived already (committed rows) ---------------------------------

    def has_post(self, post_db_id: str) -> bool:
        """The post is in the posts table (whatever became of its media)."""
        return post_exists(self.reader(), post_db_id)

    def has_media(self, sha256: str) -> bool:
        """The file is in the media table already (analysed when it was first kept)."""
        return media_exists(self.reader(), sha256)

    def complete_post_id(self, ref: PostRef) -> str | None:
        """The id the post is archived under, with all its media; None if it is not."""
        db = self.reader()
        ids = [ref.db_id]
        if (alias := platforms.stored_alias(ref)) is not None:
            ids += post_ids_by_author(db, alias.platform, alias.handle, alias.id_suffix)
        return next((i for i in ids if post_complete(db, i)), None)
