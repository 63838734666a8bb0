"""Group commit: many threads' writes, a few to one COMMIT, each whole and on disk before it returns."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from archiver.pipeline.database import SessionDatabase
from archiver.store.connection import open_db
from archiver.store.transaction import GroupCommit, on_rollback


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.db"
    db = open_db(path, check_same_thread=False)
    db.execute("create table parent (id integer primary key)")
    db.execute(
        "create table child (id integer primary key, parent integer references parent(id)"
        " deferrable initially deferred)"
    )
    db.execute("create table t (thread text, n integer)")
    yield db
    db.close()


def committed(db, sql: str) -> list[tuple]:
    """What another connection sees: committed rows only."""
    path = db.execute("pragma database_list").fetchone()[2]
    other = sqlite3.connect(path)
    try:
        return other.execute(sql).fetchall()
    finally:
        other.close()


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_each_member_is_committed_before_it_returns(db):
    group = GroupCommit(db)
    seen: dict[str, list] = {}

    def write(name: str) -> None:
        for n in range(20):
            with group.member() as conn:
                conn.execute("insert into t values (?, ?)", (name, n))
            # Returned: on disk, seen by any other connection.
            rows = committed(db, f"select count(*) from t where thread = '{name}' and n = {n}")
            seen.setdefault(name, []).append(rows[0][0])

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(counts == [1] * 20 for counts in seen.values()) and len(seen) == 6
    assert committed(db, "select count(*) from t") == [(120,)]
    assert not db.conn.in_transaction


def hold_until_another_waits(group: GroupCommit, first, second) -> None:
    """Run `first` as a member that stays open until a thread running `second` waits
    for the connection: the two are then in one batch."""
    errors: dict[str, BaseException] = {}

    def run(name, body):
        try:
            with group.member() as conn:
                body(conn)
        except BaseException as exc:  # noqa: BLE001 (the test reads it)
            errors[name] = exc

    def first_body(conn):
        first(conn)
        wait_until(lambda: group._waiting > 0)  # the second thread is at the door

    one = threading.Thread(target=run, args=("first", first_body))
    one.start()
    wait_until(lambda: group._batch is not None)
    two = threading.Thread(target=run, args=("second", second))
    two.start()
    one.join(10)
    two.join(10)
    assert not one.is_alive() and not two.is_alive()
    return errors


def test_a_member_that_fails_takes_back_its_own_writes_only(db):
    group = GroupCommit(db)
    undone = []

    def fails(conn):
        conn.execute("insert into t values ('second', 1)")
        on_rollback(conn, lambda: undone.append("second"))
        raise ValueError("a bug in the second")

    def first(conn):
        conn.execute("insert into t values ('first', 1)")
        on_rollback(conn, lambda: undone.append("first"))

    errors = hold_until_another_waits(group, first, fails)
    assert isinstance(errors.get("second"), ValueError) and "first" not in errors
    assert committed(db, "select thread from t") == [("first",)]
    assert undone == ["second"]


def test_a_failed_commit_fails_every_member_of_its_batch(db):
    group = GroupCommit(db)
    undone = []

    def orphan(conn):  # a deferred foreign key: the COMMIT itself is refused
        conn.execute("insert into child values (1, 999)")
        on_rollback(conn, lambda: undone.append("second"))

    def first(conn):
        conn.execute("insert into t values ('first', 1)")
        on_rollback(conn, lambda: undone.append("first"))

    errors = hold_until_another_waits(group, first, orphan)
    assert set(errors) == {"first", "second"}
    assert all("not committed" in str(e) and "FOREIGN KEY" in str(e) for e in errors.values())
    assert committed(db, "select count(*) from t") == [(0,)]
    assert committed(db, "select count(*) from child") == [(0,)]
    assert sorted(undone) == ["first", "second"]
    # ...and the connection goes on: the next member starts a batch of its own.
    with group.member() as conn:
        conn.execute("insert into t values ('after', 1)")
    assert committed(db, "select thread from t") == [("after",)]


def test_a_member_inside_a_member_is_part_of_it(db):
    group = GroupCommit(db)
    with group.member() as conn:
        conn.execute("insert into t values ('outer', 1)")
        with pytest.raises(ValueError), group.member() as inner:
            inner.execute("insert into t values ('inner', 1)")
            raise ValueError("inner fails")
        with group.member() as inner:
            inner.execute("insert into t values ('inner', 2)")
    assert committed(db, "select thread, n from t order by thread") == [
        ("inner", 2), ("outer", 1)
    ]  # fmt: skip


def test_the_session_database_reports_a_failed_commit_as_a_storage_error(tmp_path):
    from archiver.errors import StorageError

    database = SessionDatabase(tmp_path / "archive.db")
    try:
        with database.writing() as conn:
            conn.execute("create table parent (id integer primary key)")
            conn.execute(
                "create table child (id integer primary key, parent integer references"
                " parent(id) deferrable initially deferred)"
            )
        with (
            pytest.raises(StorageError, match="could not write to the archive database"),
            database.writing() as conn,
        ):
            conn.execute("insert into child values (1, 999)")
        assert committed(database.writer, "select count(*) from child") == [(0,)]
    finally:
        database.close()


def test_a_thread_interrupted_while_waiting_does_not_hold_batches_open(db):
    group = GroupCommit(db)
    real = group._lock

    class Interrupted:
        """The lock, whose next acquire is interrupted (Ctrl-C while a thread waits)."""

        def acquire(self):
            group._lock = real
            raise KeyboardInterrupt

    group._lock = Interrupted()
    with pytest.raises(KeyboardInterrupt), group.member():
        pass
    done = threading.Event()

    def write():
        with group.member() as conn:
            conn.execute("insert into t values ('after', 1)")
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(10), "a lone member waited for a batch-mate that never came"
    assert committed(db, "select thread from t") == [("after",)]
