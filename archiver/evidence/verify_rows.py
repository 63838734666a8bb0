"""verify's checks of the database: the event chain, and every logged row against its event."""

from __future__ import annotations

from sqlite_utils import Database

from annotations import check_log
from archiver.evidence.verify_report import Report
from archiver.store.eventlog import check_chain, payload_hash
from archiver.store.queries_evidence import (
    logged_payload_hashes,
    posts_with_latest_version,
    row_count,
    table_rows,
)
from archiver.store.schema import ADDED_COLUMNS

# Tables whose rows are the payload of the event that wrote them: (table, key, event action).
ROW_EVENTS = [
    ("captures", "id", "capture", "capture"),
    ("media", "sha256", "media", "media"),
    ("pages", "id", "page", "page"),
    ("embeds", "id", "embed", "embed"),
    ("manifests", "capture_id", "manifest", "manifest"),
    ("timestamps", "id", "timestamp", "timestamp"),
    ("post_versions", "id", "post_version", "post_version"),
]
# Tables whose rows were first logged by a later version of the archiver: rows older than
# the first one logged are noted, not reported (nothing recorded them to check against).
LOGGED_SINCE = {"post_versions"}


def check_events(db: Database, report: Report) -> None:
    report.count("events", row_count(db, "events"))
    for chain_break in check_chain(db):
        report.add("event", f"events seq {chain_break.seq}", chain_break.problem)


def check_rows(db: Database, report: Report) -> None:
    """Each row still hashes to what its event recorded when it was written."""
    for table, key, prefix, action in ROW_EVENTS:
        if not db[table].exists():
            continue
        recorded = logged_payload_hashes(db, action, prefix)
        autoincrement = key == "id" and db[table].columns_dict.get("id") is int
        added = set(ADDED_COLUMNS.get(table, {}))
        first_logged = _first_logged(recorded) if table in LOGGED_SINCE else None
        unlogged = 0
        for row in table_rows(db, table):
            report.count(f"{table} rows")
            row_key = str(row[key])
            digests = recorded.get(row_key)
            if not digests and first_logged is not None and row[key] < first_logged:
                unlogged += 1
                continue
            if not digests:
                report.add("row", f"{table} {row_key}", "no event records this row being written")
                continue
            if not digests & _row_hashes(row, key if autoincrement else None, added):
                report.add(
                    "row", f"{table} {row_key}", "changed since it was written (its event differs)"
                )
        if unlogged:
            report.notes.append(
                f"{unlogged} {table} rows were written before the archiver logged them,"
                " so they cannot be checked against the event log"
            )
    check_current_posts(db, report)
    report.count("annotations rows", row_count(db, "annotations"))
    for problem in check_log(db):
        report.add("row", "annotations", problem)


def _first_logged(recorded: dict[str, set[str]]) -> float:
    """The lowest row id an event records; every row, when none does yet."""
    return min((int(k) for k in recorded), default=float("inf"))


def check_current_posts(db: Database, report: Report) -> None:
    """Each post's current text and status are those of its latest version (a logged row)."""
    for post_id, text, status, v_text, v_status in posts_with_latest_version(db):
        report.count("posts rows")
        if (v_text is not None and text != v_text) or status != v_status:
            report.add(
                "row", f"posts {post_id}", "differs from its latest version's text or status"
            )


def _row_hashes(row: dict, drop: str | None, added: set[str]) -> set[str]:
    """The row's payload hash, as written before or after the later columns existed."""
    row = {k: v for k, v in row.items() if k != drop}
    earlier = {k: v for k, v in row.items() if not (k in added and v is None)}
    return {payload_hash(row), payload_hash(earlier)}
