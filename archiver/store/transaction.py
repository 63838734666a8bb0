"""The archive's one write transaction: a capture, an annotation, a migration commit whole or not at all."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


@dataclass
class _Batch:
    """The writes of the members in one open transaction, and how their COMMIT went."""

    started: float = field(default_factory=time.monotonic)
    members: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None  # why the COMMIT (or the whole transaction) failed


class GroupCommit:
    """Many threads' write transactions on one connection, committed a few at a time.

    Each `member()` is a SAVEPOINT in one open transaction: its writes are whole or none
    (an exception inside rolls back that member alone, and its `on_rollback` hooks run),
    and the thread goes on only once a COMMIT holding them has succeeded, so what a caller
    was told is kept is on disk, as with a transaction each. The member that finds no
    other thread waiting for the connection commits, for all: one COMMIT, one fsync of
    the WAL, one write of each page several members touched, instead of one each (group
    commit, as databases do for their logs). A batch is committed after MAX_MEMBERS
    members or MAX_AGE seconds even if threads keep coming. A failed COMMIT fails every
    member of its batch; their writes are gone, and each says so.
    """

    MAX_MEMBERS = 32
    MAX_AGE = 0.25

    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.RLock()
        self._count_lock = threading.Lock()
        self._waiting = 0  # threads waiting for the lock, about to join the batch
        self._batch: _Batch | None = None
        self._local = threading.local()

    @contextlib.contextmanager
    def member(self) -> Iterator[Database]:
        if getattr(self._local, "inside", False):  # nested in this thread's own member
            with self._savepoint(self._batch):
                yield self.db
            return
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:  # counted out even if interrupted while waiting: else no batch would end
            with self._count_lock:
                self._waiting -= 1
        try:
            batch = self._open()
            self._local.inside = True
            try:
                with self._savepoint(batch):
                    yield self.db
            finally:
                self._local.inside = False
                batch.members += 1
                if batch is self._batch and self._due(batch):
                    self._commit(batch)
        finally:
            self._lock.release()
        batch.done.wait()
        if batch.error is not None:
            raise sqlite3.OperationalError(f"the transaction was not committed: {batch.error}")

    def _open(self) -> _Batch:
        if self._batch is None:
            self.db.execute("BEGIN IMMEDIATE")
            with _hooks_lock:
                _rollback_hooks[self.db] = []
            self._batch = _Batch()
        return self._batch

    @contextlib.contextmanager
    def _savepoint(self, batch: _Batch | None) -> Iterator[None]:
        with _hooks_lock:
            mark = len(_rollback_hooks.get(self.db, []))
        self.db.execute("SAVEPOINT member")
        try:
            yield
        except BaseException as exc:
            if not self._roll_back_to(mark) and batch is not None:
                self._abandon(batch, f"{type(exc).__name__}: {exc}")
            raise
        self.db.execute("RELEASE member")

    def _roll_back_to(self, mark: int) -> bool:
        """Undo the member whose savepoint is open (its writes, then its rollback hooks past
        `mark`); False if the whole transaction is gone (SQLite took it back on a full disk)
        or the rollback itself failed: then the batch is lost."""
        if not self.db.conn.in_transaction:
            return False
        try:
            self.db.execute("ROLLBACK TO member")
            self.db.execute("RELEASE member")
        except BaseException:
            return False
        for undo in reversed(_take_hooks_after(self.db, mark)):
            undo()
        return True

    def _due(self, batch: _Batch) -> bool:
        return (
            self._waiting == 0
            or batch.members >= self.MAX_MEMBERS
            or time.monotonic() - batch.started >= self.MAX_AGE
        )

    def _commit(self, batch: _Batch) -> None:
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._abandon(batch, str(exc))
        else:
            _take_hooks(self.db)
            self._batch = None
            batch.done.set()

    def _abandon(self, batch: _Batch, error: str) -> None:
        """Roll the batch's transaction back, undo what its members changed in memory, and
        tell each of them it failed (whatever else goes wrong here, they are told)."""
        self._batch = None
        batch.error = error
        try:
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            for undo in reversed(_take_hooks(self.db)):
                undo()
        finally:
            batch.done.set()


def _take_hooks_after(db: Database, mark: int) -> list[Callable[[], None]]:
    with _hooks_lock:
        hooks = _rollback_hooks.get(db, [])
        taken = hooks[mark:]
        del hooks[mark:]
        return taken
