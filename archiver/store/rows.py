"""Single-row writes on the archiving hot path, as plain SQL through sqlite-utils' Database.

`db[table].insert(row)` reads the table's schema on every call (about 90 µs; a plain
INSERT takes 6), and a post's transaction writes some fifteen rows while the session's
other workers wait for the database lock. Tables are created and migrated by
`schema.py` with sqlite-utils as before; these only write rows whose values are
already SQLite's own types (str, int, float, bytes, None): callers encode JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database


def insert_row(db: Database, table: str, row: dict) -> int:
    """Insert one row by its keys; its rowid."""
    sql = f"insert into [{table}] ({_columns(row)}) values ({_marks(row)})"
    return db.execute(sql, list(row.values())).lastrowid


def upsert_row(db: Database, table: str, row: dict, key: tuple[str, ...]) -> None:
    """Insert one row, or update the other columns of the row with the same `key` columns."""
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in row if c not in key)
    conflict = ", ".join(f"[{c}]" for c in key)
    sql = (
        f"insert into [{table}] ({_columns(row)}) values ({_marks(row)})"
        f" on conflict ({conflict}) do update set {updates}"
    )
    db.execute(sql, list(row.values()))


def get_row(db: Database, table: str, key_column: str, key) -> dict | None:
    """The row whose `key_column` is `key`, as a dict; None if there is none."""
    return next(db.query(f"select * from [{table}] where [{key_column}] = ?", [key]), None)


def _columns(row: dict) -> str:
    return ", ".join(f"[{c}]" for c in row)


def _marks(row: dict) -> str:
    return ", ".join("?" * len(row))
