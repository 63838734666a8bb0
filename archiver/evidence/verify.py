"""`archiver verify`: is the archive still what was captured?

It re-hashes every blob, recomputes the events hash chain, checks rows against
the events that recorded them (captures, media, pages, page media, embeds,
annotations, manifests, timestamps, post versions), reports a logged row that is
gone and a row no event logged, checks each post's row and media list against the
last state the archiver logged and its text and status against its latest version, re-reads each capture's WARC records against their
stored hashes and the capture's body and media hashes, checks each manifest
against the rows it describes, and checks each RFC 3161 token (valid, over the
manifest's hash), and checks that every checkpoint's head (`archiver seal`) is still in
the chain (and each OpenTimestamps proof starts from its checkpoint), and re-hashes every
export still where `archiver export` wrote it. Every mismatch names the row or file; none
means exit 0.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archiver.evidence.checkpoints import check_checkpoints
from archiver.evidence.exports import check_exports
from archiver.evidence.verify_files import (
    check_blobs,
    check_manifests,
    check_timestamps,
    check_warc_files,
    check_warc_records,
)
from archiver.evidence.verify_report import Problem, Report
from archiver.evidence.verify_rows import check_events, check_rows
from archiver.settings import Settings
from archiver.store.connection import open_db, open_reader
from archiver.store.queries_evidence import has_media

__all__ = ["Problem", "Report", "verify_archive", "verify_path"]


def verify_archive(settings: Settings, expect_head: tuple[int, str] | None = None) -> Report:
    """Check the archive at settings.db_path and its blob store; never changes anything.

    `expect_head` (seq, hash): a head of the chain kept elsewhere, which must still be in it."""
    report = Report()
    db = open_db(settings.db_path)
    try:
        base = settings.db_path.resolve().parent
        check_blobs(db, settings.blobs_dir, report)
        check_events(db, report)
        check_rows(db, report)
        payloads = check_warc_records(db, base, report)
        check_warc_files(db, base, report)
        check_manifests(db, settings.blobs_dir, payloads, report)
        check_timestamps(db, settings, report)
        check_checkpoints(db, settings, report, expect_head)
        check_exports(db, report)
    finally:
        db.close()
    return report


def verify_path(settings: Settings, expect_head: tuple[int, str] | None = None) -> Report:
    """verify_archive, refusing a database that does not exist (rather than creating one)."""
    from archiver.errors import UsageError

    if not settings.db_path.exists():
        raise UsageError(f"no archive at {settings.db_path}")
    keeps_files = _keeps_files(settings.db_path)
    if not settings.blobs_dir.is_dir() and keeps_files:
        # Not a mismatch: every file would be reported missing from the wrong place.
        raise UsageError(
            f"no blob store at {settings.blobs_dir}: give --blobs DIR (or set ARCHIVER_BLOBS)"
            " where this archive's files are"
        )
    report = verify_archive(settings, expect_head)
    if not keeps_files:  # every capture failed, or none kept a file: fine, and said
        report.notes.append("no capture kept a media file: there are no files to re-hash")
    return report


def _keeps_files(db_path: Path) -> bool:
    """Whether any media file was kept, so the blob store must exist (read-only: no schema update)."""
    db = open_reader(db_path)
    try:
        return has_media(db)
    except sqlite3.OperationalError:  # not an archive, or an empty one: verify says which
        return False
    finally:
        db.close()
