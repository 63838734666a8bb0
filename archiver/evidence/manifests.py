"""Each capture's collection record: where its WARC records are, its manifest, its timestamps.

The manifest is what the Berkeley Protocol asks a collection record to say —
who collected, when (UTC), from where, with which tool and version, the
original URL — together with every hash the capture produced: the body, the
media and each WARC record. Its canonical JSON is stored as written, its
SHA-256 is what a Time Stamp Authority signs, and `archiver verify` checks the
archive against it.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlite_utils import Database

from archiver import __version__
from archiver.fetch.warc_index import WarcRecordRef
from archiver.models import MediaRef, StoredMedia
from archiver.store.eventlog import canonical_json
from archiver.store.rows import get_row, insert_row

if TYPE_CHECKING:
    from archiver.evidence.tsa import Stamp
    from archiver.settings import Settings

MANIFEST_VERSION = 1
TOOL = "archiver"


def collection_context(settings: Settings) -> dict:
    """From where and by whom, as far as this machine can say without asking anyone else."""
    try:
        import pwd

        account = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        account = None
    return {
        "collected_by": settings.author,
        "system_account": account,
        "host": socket.gethostname(),
        # A mapped host means the bytes came from a mirror or replay, not the platform itself.
        "connect_to": dict(sorted(settings.connect_to.items())),
        "user_agent": settings.user_agent,
    }


def relative_warc(path: str, db_path: Path) -> str:
    """A WARC path relative to the database's directory when it is inside it (as captures.warc_file)."""
    file = Path(path).resolve()
    base = db_path.resolve().parent
    return str(file.relative_to(base)) if file.is_relative_to(base) else str(file)


def record_row(capture_id: str, ref: WarcRecordRef, warc_file: str) -> dict:
    """The warc_records row of `ref`, whose file is `warc_file` (relative_warc's answer)."""
    # Its fields as they are (all str, int or None): asdict's deep copy of each cost more
    # than the rest of the row, under the database lock.
    row = {field.name: getattr(ref, field.name) for field in fields(ref)}
    del row["redacted"]  # in the record itself; the manifest's logged_in_hosts say it
    return row | {"capture_id": capture_id, "warc_file": warc_file}


def media_entries(
    items: list[tuple[str, list[tuple[MediaRef, StoredMedia | None, str | None]]]],
) -> list[dict]:
    """The media a capture downloaded, per post, in order: [(post id, media)] -> manifest entries."""
    return [
        {
            "post_id": post_id, "position": position, "type": ref.type, "url": ref.url,
            "sha256": stored.sha256 if stored else None, "error": error,
        } | ({"joined_from_sha256": ref.parts_sha256} if ref.parts_sha256 and stored else {})
        for post_id, media in items
        for position, (ref, stored, error) in enumerate(media)
    ]  # fmt: skip


def logged_in_hosts(refs: list[WarcRecordRef]) -> list[str]:
    """The hosts a capture's requests sent a logged-in session's cookies to (never the values)."""
    hosts = {
        (urlsplit(ref.target_uri or "").hostname or "")
        for ref in refs
        if ref.record_type == "request" and "Cookie" in (ref.redacted or "").split(", ")
    }
    return sorted(hosts - {""})


def build_manifest(
    capture: dict, context: dict, media: list[dict], records: list[dict], extra: dict | None = None
) -> dict:
    """The capture's collection record (see the module docstring); plain JSON values only.

    `extra`: what only some captures have (a page's render, under "render")."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "capture_id": capture["id"],
        "kind": capture["kind"],
        "platform": capture.get("platform"),
        "post_id": capture.get("post_db_id"),
        "original_url": capture["url"],
        "final_url": capture.get("final_url"),
        "started_at": capture["started_at"],
        "finished_at": capture.get("finished_at"),
        "status": capture.get("status"),
        "http_status": capture.get("http_status"),
        "method": capture.get("source"),
        "tool": {"name": TOOL, "version": capture.get("tool_version") or __version__},
        **context,
        "body_sha256": capture.get("body_sha256"),
        "media": media,
        "warc_records": [
            {
                "file": r["warc_file"], "offset": r["offset"], "length": r["length"],
                "record_id": r["record_id"], "type": r["record_type"], "uri": r["target_uri"],
                "sha256": r["sha256"], "payload_sha256": r["payload_sha256"],
            }
            for r in records
        ],
        **(extra or {}),
    }  # fmt: skip


def manifest_bytes(manifest: dict) -> bytes:
    return canonical_json(manifest).encode("utf-8")


def save_evidence(
    db: Database,
    capture_id: str,
    refs: list[WarcRecordRef],
    media: list[dict],
    context: dict,
    db_path: Path,
    extra: dict | None = None,
) -> tuple[str, bytes]:
    """Write the capture's WARC record rows and its manifest; returns (manifest SHA-256, bytes).

    Call inside the capture's transaction, after the captures row is written.
    """
    from archiver.store.eventlog import record_event, utc_now

    # Each file resolved once, not per record: resolve() stats every directory of both paths
    # (a sixth of a commit's time under the database lock, bench/archive_throughput.py).
    files = {name: relative_warc(name, db_path) for name in {ref.warc_file for ref in refs}}
    rows = [record_row(capture_id, ref, files[ref.warc_file]) for ref in refs]
    # Recorded as such: a capture made with someone's login saw what that account could see.
    context = context | {"logged_in_hosts": logged_in_hosts(refs)}
    for row in rows:
        insert_row(db, "warc_records", row)
    if rows:
        record_event(db, "archiver", "warc_records", f"capture:{capture_id}", {"records": rows})
    capture = get_row(db, "captures", "id", capture_id)
    data = manifest_bytes(build_manifest(capture, context, media, rows, extra))
    digest = hashlib.sha256(data).hexdigest()
    row = {
        "capture_id": capture_id,
        "manifest_sha256": digest,
        "manifest": data.decode("utf-8"),
        "created_at": utc_now(),
    }
    insert_row(db, "manifests", row)
    record_event(db, "archiver", "manifest", f"manifest:{capture_id}", row)
    return digest, data


def save_stamps(db: Database, capture_id: str, stamps: list[Stamp], requested_at: str) -> None:
    """Keep every TSA's answer, failures included (a failure says which TSA and why)."""
    from archiver.store.eventlog import record_event

    for stamp in stamps:
        row = asdict(stamp) | {"capture_id": capture_id, "requested_at": requested_at}
        stamp_id = db["timestamps"].insert(row).last_pk
        record_event(db, "archiver", "timestamp", f"timestamp:{stamp_id}", row)
