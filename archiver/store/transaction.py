"""The archive's one write transaction: a capture, an annotation, a migration commit whole or not at all."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

# What to undo outside the database if the transaction open on a connection rolls back.
_rollback_hooks: weakref.WeakKeyDictionary[Database, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)
_hooks_lock = threading.Lock()


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE: take the write lock up front, so concurrent writers wait instead of failing."""
    db.execute("BEGIN IMMEDIATE")
    with _hooks_lock:
        _rollback_hooks[db] = []
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        for undo in _take_hooks(db):
            undo()
        raise
    finally:
        _take_hooks(db)


def on_rollback(db: Database, undo: Callable[[], None]) -> None:
    """Call `undo` if the transaction open on `db` rolls back: for state kept in memory that
    its writes changed (a cache the rollback would leave holding rows that are gone)."""
    with _hooks_lock:
        hooks = _rollback_hooks.get(db)
        if hooks is not None:
            hooks.append(undo)


def _take_hooks(db: Database) -> list[Callable[[], None]]:
    with _hooks_lock:
        return _rollback_hooks.pop(db, [])
