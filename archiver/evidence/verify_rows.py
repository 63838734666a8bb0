"""verify's checks of the database: the event chain, and every logged row against its event."""

from __future__ import annotations

import json

from sqlite_utils import Database

from annotations import check_log
from archiver.evidence.verify_media_index import check_media_index
from archiver.evidence.verify_media_matches import check_media_matches
from archiver.evidence.verify_report import Report
from archiver.store.eventlog import check_chain, column_digests, payload_hash
from archiver.store.media_index_fill import fill_pending
from archiver.store.queries_evidence import (
    POST_STATE,
    events_for_target,
    first_post_state_capture_seq,
    latest_post_states,
    logged_payload_hashes,
    post_ids_with_last_capture_seq,
    post_state,
    posts_with_latest_version,
    row_count,
    row_keys,
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
    # Several rows a key: a page's media list, each row logged as its page's.
    ("page_media", "page_id", "page", "page_media"),
    ("checkpoints", "id", "checkpoint", "checkpoint"),
    ("warc_files", "warc_file", "warc_file", "warc_file"),
    ("anchors", "id", "anchor", "anchor"),
    ("exports", "id", "export", "export"),
    ("wayback_copies", "id", "wayback_copy", "wayback_copy"),
]
# Tables whose rows are never removed: an event that logged one whose row is gone is a deletion.
NEVER_REMOVED = {
    "captures", "media", "pages", "embeds", "manifests", "timestamps", "post_versions",
    "checkpoints", "warc_files", "anchors", "exports", "wayback_copies",
}  # fmt: skip
# Tables whose rows were first logged by a later version of the archiver: rows older than
# the first one logged are noted, not reported (nothing recorded them to check against).
LOGGED_SINCE = {"post_versions"}


def check_events(db: Database, report: Report) -> None:
    report.count("events", row_count(db, "events"))
    for chain_break in check_chain(db):
        report.add("event", f"events seq {chain_break.seq}", chain_break.problem,
                   table="events", key=str(chain_break.seq), event=chain_break.seq)  # fmt: skip


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
            where = {"table": table, "key": row_key}
            if not digests:
                report.add("row", f"{table} {row_key}", "no event records this row being written",
                           **where)  # fmt: skip
                continue
            forms = _as_written(row, key if autoincrement else None, added)
            if not digests & {payload_hash(form) for form in forms}:
                report.add(
                    "row", f"{table} {row_key}", "changed since it was written (its event differs)",
                    **where, **locate(db, action, f"{prefix}:{row_key}", forms),
                )  # fmt: skip
        if table in NEVER_REMOVED:
            _report_removed(db, table, key, recorded, report, action, prefix)
        if unlogged:
            report.notes.append(
                f"{unlogged} {table} rows were written before the archiver logged them,"
                " so they cannot be checked against the event log"
            )
    check_current_posts(db, report)
    check_post_states(db, report)
    check_media_matches(db, report)
    if not fill_pending(db):  # a fill under way has indexed only part of the files
        check_media_index(db, report)
    report.count("annotations rows", row_count(db, "annotations"))
    for problem in check_log(db):
        report.add("row", "annotations", problem, table="annotations")


def locate(db: Database, action: str, target: str, forms) -> dict:
    """The event that wrote the row and the columns that now differ from what it logged (the
    event with the fewest differences, when several wrote it); {} when none names columns."""
    best: tuple[int, list[str]] | None = None
    events = events_for_target(db, action, target)
    for event in events:
        logged = json.loads(event["columns"] or "null")
        if not isinstance(logged, dict):
            continue
        for form in forms:
            now = column_digests(form)
            differ = sorted(c for c in logged.keys() | now.keys() if logged.get(c) != now.get(c))
            if best is None or len(differ) < len(best[1]):
                best = (event["seq"], differ)
    if best is None:
        return {"event": events[0]["seq"]} if events else {}
    return {"event": best[0], "column": ", ".join(best[1]) or None}


def _first_logged(recorded: dict[str, set[str]]) -> float:
    """The lowest row id an event records; every row, when none does yet."""
    return min((int(k) for k in recorded), default=float("inf"))


def check_current_posts(db: Database, report: Report) -> None:
    """Each post's current text and status are those of its latest version (a logged row)."""
    for post_id, text, status, v_text, v_status in posts_with_latest_version(db):
        report.count("posts rows")
        differ = [name for name, now, was in [("text", text, v_text), ("status", status, v_status)]
                  if now != was and not (name == "text" and was is None)]  # fmt: skip
        if differ:
            report.add("row", f"posts {post_id}", "differs from its latest version's text or status",
                       table="posts", key=post_id, column=", ".join(differ))  # fmt: skip


def _as_written(row: dict, drop: str | None, added: set[str]) -> tuple[dict, dict]:
    """The row as a payload (less `drop`), and as written before its `added` columns existed
    (a column added on open is None in the rows written before it)."""
    row = {k: v for k, v in row.items() if k != drop}
    return row, {k: v for k, v in row.items() if not (k in added and v is None)}


def _report_removed(
    db: Database, table: str, key: str, recorded: dict[str, set[str]], report: Report,
    action: str, prefix: str,
) -> None:  # fmt: skip
    """Rows an event logged being written that are no longer there."""
    present = set(row_keys(db, table, key))
    for gone in sorted(set(recorded) - present):
        report.add("row", f"{table} {gone}", "an event logged this row being written; it is gone",
                   table=table, key=gone, **locate(db, action, f"{prefix}:{gone}", []))  # fmt: skip


def check_post_states(db: Database, report: Report) -> None:
    """Each post's row and media list are as the latest post_state event logged them.

    Posts last captured before the archiver logged post states are noted, not reported;
    once it does, every post captured since must have one.
    """
    states = latest_post_states(db)
    since = first_post_state_capture_seq(db)
    unlogged = 0
    for post_id, capture_seq in post_ids_with_last_capture_seq(db):
        logged = states.pop(post_id, None)
        if logged is None:
            if since is None or capture_seq is None or capture_seq < since:
                unlogged += 1
            else:
                report.add("row", f"posts {post_id}", "no event logs this post's current state",
                           table="posts", key=post_id)  # fmt: skip
            continue
        state = post_state(db, post_id)
        forms = _state_forms(state)
        if logged[1] not in {payload_hash(form) for form in forms}:
            report.add(
                "row", f"posts {post_id}",
                "its row or its media list differs from what the archiver last logged",
                table="posts", key=post_id, **locate(db, POST_STATE, f"post:{post_id}", forms[:1]),
            )  # fmt: skip
    for post_id in sorted(states):  # logged, but the row is gone
        report.add("row", f"posts {post_id}", "an event logged this post; its row is gone",
                   table="posts", key=post_id, event=states[post_id][0])  # fmt: skip
    if unlogged and since is not None:
        report.notes.append(
            f"{unlogged} posts were last captured before the archiver logged post states,"
            " so their current row is checked against their latest version only"
        )


def _state_forms(state: dict) -> list[dict]:
    """The post state's payload, as written before or after later columns existed."""
    forms = _as_written(state["post"] or {}, None, set(ADDED_COLUMNS.get("posts", {})))
    return [{"post": post, "media": state["media"]} for post in forms]
