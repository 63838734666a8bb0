"""Exports kept on the record: what `archiver export` wrote, its hashes, and verify's check.

An export leaves the archive, so it is part of the chain of custody: each one is an
`exports` row (event-logged like every other write) with the package's SHA-256 and size, or
for a folder of archived-copy pages each file's SHA-256, and the captures it holds. `verify`
re-hashes every export still at the path it was written to, so a package edited after it
was made is caught; one moved or deleted is noted, not checked.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from archiver.evidence.verify_files import file_sha256
from archiver.evidence.verify_report import Report
from archiver.store.eventlog import utc_now
from archiver.store.queries_evidence import all_exports
from archiver.store.transaction import transaction
from archiver.store.writes import save_export


def record_wacz(db: Database, path: Path, sha256: str, capture_ids: list[str], signed_by) -> None:
    _record(db, "wacz", path, {path.name: sha256}, capture_ids, signed_by)


def record_html(db: Database, out_dir: Path, capture_ids: list[str]) -> None:
    files = {
        str(f.relative_to(out_dir)): file_sha256(f)
        for f in sorted(out_dir.rglob("*"))
        if f.is_file()
    }
    _record(db, "html", out_dir, files, capture_ids, None)


def _record(db, kind: str, path: Path, files: dict, capture_ids: list[str], signed_by) -> None:
    row = {
        "kind": kind,
        "path": str(path.resolve()),
        "files": json.dumps(files, sort_keys=True),
        "captures": json.dumps(capture_ids),
        "signed_by": signed_by,
        "exported_at": utc_now(),
    }
    with transaction(db):
        save_export(db, row)


def check_exports(db: Database, report: Report) -> None:
    """Each export still where it was written hashes as it did then."""
    for row in all_exports(db):
        path = Path(row["path"])
        where = f"export {row['id']} ({row['kind']} {path})"
        if not path.exists():
            report.notes.append(f"{where} is no longer there (moved or deleted): not checked")
            continue
        report.count("exports")
        base = path.parent if row["kind"] == "wacz" else path
        for name, sha256 in json.loads(row["files"]).items():
            target = base / name
            at = {"table": "exports", "key": str(row["id"]), "file": str(target)}
            if not target.is_file():
                report.add("export", where, f"{name} is missing from it", **at)
            elif file_sha256(target) != sha256:
                report.add("export", where, f"{name} changed after it was exported", **at)
