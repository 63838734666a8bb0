"""`archiver verify`: is the archive still what was captured?

It re-hashes every blob, recomputes the events hash chain, checks rows against
the events that recorded them (captures, media, pages, embeds, annotations,
manifests, timestamps, post versions) and each post's current text and status
against its latest version, re-reads each capture's WARC records against their
stored hashes and the capture's body and media hashes, checks each manifest
against the rows it describes, and checks each RFC 3161 token (valid, over the
manifest's hash). Every mismatch names the row or file; none means exit 0.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlite_utils import Database

from annotations import check_log
from archiver.evidence.manifests import manifest_bytes
from archiver.fetch.warc_index import read_record
from archiver.media.blobstore import blob_relpath, is_sha256
from archiver.settings import Settings
from archiver.store.connection import open_db, open_reader
from archiver.store.eventlog import check_chain, payload_hash
from archiver.store.queries_evidence import (
    RECORD_HASH_COLUMNS,
    all_timestamps,
    capture_record_hashes,
    captures_in_order,
    has_captures,
    logged_payload_hashes,
    manifests_by_capture,
    media_sha256s,
    posts_with_latest_version,
    row_count,
    table_rows,
    warc_records_in_file_order,
)
from archiver.store.schema import ADDED_COLUMNS

CHUNK = 1024 * 1024
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


@dataclass
class Problem:
    kind: str  # blob / event / row / warc / manifest / timestamp
    where: str  # the row or file
    detail: str


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str) -> None:
        self.problems.append(Problem(kind, where, detail))

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "problems": [asdict(p) for p in self.problems],
            "checked": self.checked,
            "notes": self.notes,
        }


def verify_archive(settings: Settings) -> Report:
    """Check the archive at settings.db_path and its blob store; never changes anything."""
    report = Report()
    db = open_db(settings.db_path)
    try:
        base = settings.db_path.resolve().parent
        check_blobs(db, settings.blobs_dir, report)
        check_events(db, report)
        check_rows(db, report)
        payloads = check_warc_records(db, base, report)
        check_manifests(db, settings.blobs_dir, payloads, report)
        check_timestamps(db, settings, report)
    finally:
        db.close()
    return report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_blobs(db: Database, blobs_dir: Path, report: Report) -> None:
    """Every file under sha256/ hashes to its name; every media row has its file."""
    root = blobs_dir / "sha256"
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if not path.is_file():
            continue
        report.count("blobs")
        if not is_sha256(path.name):
            report.add("blob", str(path), "a file in the blob store that is not named by a SHA-256")
            continue
        actual = file_sha256(path)
        if actual != path.name:
            report.add("blob", str(path), f"its bytes hash to {actual}, not to its name")
    for sha256 in media_sha256s(db):
        if is_sha256(sha256) and not (blobs_dir / blob_relpath(sha256)).is_file():
            report.add("blob", f"media {sha256}", f"the file is missing from {blobs_dir}")


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


def check_warc_records(db: Database, base: Path, report: Report) -> dict[str, set[str]]:
    """Each stored record is where its row says, hashes as recorded; returns body hashes per capture."""
    payloads: dict[str, set[str]] = {}
    for row in warc_records_in_file_order(db):
        report.count("WARC records")
        where = f"warc_records {row['id']} ({row['warc_file']} @ {row['offset']})"
        path = Path(row["warc_file"])
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            report.add("warc", where, f"the WARC file {path} is missing")
            continue
        try:
            found = read_record(path, row["offset"], row["length"])
        except (ValueError, OSError) as exc:
            report.add("warc", where, str(exc))
            continue
        if found.sha256 != row["sha256"]:
            report.add(
                "warc", where, f"the record's bytes hash to {found.sha256}, not {row['sha256']}"
            )
        if found.record_id != row["record_id"]:
            report.add("warc", where, f"a different record is there ({found.record_id})")
        if row["payload_sha256"] and found.payload_sha256 != row["payload_sha256"]:
            report.add(
                "warc",
                where,
                f"the response body hashes to {found.payload_sha256}, not {row['payload_sha256']}",
            )
        if found.payload_sha256:
            payloads.setdefault(row["capture_id"], set()).add(found.payload_sha256)
    return payloads


def check_manifests(
    db: Database, blobs_dir: Path, payloads: dict[str, set[str]], report: Report
) -> None:
    """Each manifest is intact, agrees with its capture and record rows, and its hashes are found."""
    manifests = manifests_by_capture(db)
    for capture in captures_in_order(db):
        report.count("captures")
        where = f"capture {capture['id']}"
        row = manifests.get(capture["id"])
        if row is None:
            report.notes.append(f"{where} has no manifest (captured before manifests were kept)")
            continue
        data = row["manifest"].encode("utf-8")
        if hashlib.sha256(data).hexdigest() != row["manifest_sha256"]:
            report.add("manifest", where, "the manifest no longer hashes to its recorded SHA-256")
        manifest = json.loads(row["manifest"])
        if manifest_bytes(manifest) != data:
            report.add("manifest", where, "the manifest is not in its canonical form")
        for field_name, column in [
            ("original_url", "url"), ("started_at", "started_at"), ("body_sha256", "body_sha256"),
            ("final_url", "final_url"), ("status", "status"),
        ]:  # fmt: skip
            if manifest.get(field_name) != capture[column]:
                report.add(
                    "manifest", where, f"captures.{column} differs from the manifest's {field_name}"
                )
        rows = capture_record_hashes(db, capture["id"])
        listed = [{k: r[k] for k in RECORD_HASH_COLUMNS} for r in manifest.get("warc_records", [])]
        if rows != listed:
            report.add("manifest", where, "its warc_records rows differ from the manifest's list")
        found = payloads.get(capture["id"], set())
        has_records = bool(manifest.get("warc_records"))
        body = capture["body_sha256"]
        if body and has_records and capture["source"] != "file" and body not in found:
            report.add("manifest", where, f"no WARC response of this capture has the body {body}")
        for item in manifest.get("media", []):
            sha256 = item.get("sha256")
            if not sha256:
                continue
            if not (blobs_dir / blob_relpath(sha256)).is_file():
                report.add("manifest", where, f"media {sha256} is missing from the blob store")
            elif has_records and sha256 not in found:
                report.add(
                    "manifest", where, f"no WARC response of this capture has media {sha256}"
                )


def check_timestamps(db: Database, settings: Settings, report: Report) -> None:
    rows = all_timestamps(db)
    if not rows:
        return
    from archiver.evidence.tsa import Stamp, check_stamp, load_roots

    roots = load_roots(settings.tsa_roots)
    manifests = {k: row["manifest"] for k, row in manifests_by_capture(db).items()}
    for row in rows:
        where = f"timestamps {row['id']} (capture {row['capture_id']}, {row['tsa_url']})"
        if row["status"] != "stamped":
            report.notes.append(f"{where}: not stamped: {row['error']}")
            continue
        report.count("timestamps")
        manifest = manifests.get(row["capture_id"])
        if manifest is None:
            report.add("timestamp", where, "the manifest it stamps is missing")
            continue
        digest = hashlib.sha256(manifest.encode("utf-8")).hexdigest()
        stamp = Stamp(**{k: row[k] for k in Stamp.__dataclass_fields__})
        check = check_stamp(stamp, digest, roots=roots)
        if not check.ok:
            report.add("timestamp", where, check.detail)
        elif not check.trusted:
            report.notes.append(f"{where}: {check.detail}")


def verify_path(settings: Settings) -> Report:
    """verify_archive, refusing a database that does not exist (rather than creating one)."""
    from archiver.errors import UsageError

    if not settings.db_path.exists():
        raise UsageError(f"no archive at {settings.db_path}")
    if not settings.blobs_dir.is_dir() and _has_captures(settings.db_path):
        # Not a mismatch: every file would be reported missing from the wrong place.
        raise UsageError(
            f"no blob store at {settings.blobs_dir}: give --blobs DIR (or set ARCHIVER_BLOBS)"
            " where this archive's files are"
        )
    return verify_archive(settings)


def _has_captures(db_path: Path) -> bool:
    """Whether anything was captured, so the blob store must exist (read-only: no schema update)."""
    db = open_reader(db_path)
    try:
        return has_captures(db)
    except sqlite3.OperationalError:  # not an archive, or an empty one: verify says which
        return False
    finally:
        db.close()
