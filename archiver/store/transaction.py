"""The archive's one write transaction: a capture, an annotation, a migration commit whole or not at all."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlite_utils import Database

from archiver.media.matches import forget_session_index


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE: take the write lock up front, so concurrent writers wait instead of failing."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        # The session's media index may hold media rows the rollback took back.
        forget_session_index(db)
        raise
