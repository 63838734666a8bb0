"""Opening an archive: WAL mode, a busy timeout and foreign keys, brought to the current schema.

WAL mode and a busy timeout let Datasette read while archiving runs, and let
several archiving processes share one file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from archiver.errors import StorageError
from archiver.store.schema import ensure_schema


def open_db(path: Path | str, *, check_same_thread: bool = True) -> Database:
    """Open (creating if needed) an archive database with the current schema."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=60, check_same_thread=check_same_thread)
        db = Database(conn)
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("PRAGMA foreign_keys = ON")
        if db.journal_mode != "wal":
            db.enable_wal()
        ensure_schema(db)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open the archive database {path}: {exc}") from exc
    return db


def open_reader(path: Path | str) -> Database:
    """A read-only connection to an archive open_db has set up; any thread may close it."""
    try:
        conn = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=60,
            check_same_thread=False,
        )  # fmt: skip
        conn.execute("PRAGMA busy_timeout = 60000")
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open the archive database {path}: {exc}") from exc
    return Database(conn)


def use_memory_map(conn: sqlite3.Connection, size: int) -> None:
    """Let a reading connection map up to `size` bytes of the file instead of copying pages."""
    conn.execute(f"PRAGMA mmap_size = {int(size)}")


class ReadingDatabase(Database):
    """sqlite-utils on a connection that only reads (a server's read connection): `query` runs
    the statement alone, without the savepoint sqlite-utils puts around each query to undo a
    write (two more statements each: half a page's statements, bench/datasette_scale.py)."""

    def __init__(self, conn: sqlite3.Connection):
        super().__init__(conn, recursive_triggers=False)  # its pragma: nothing fires on a read

    def query(self, sql: str, params=None):
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = [d[0] for d in cursor.description or ()]
        return (dict(zip(keys, row, strict=True)) for row in cursor)
