"""The archive's schema: its tables, the columns and indexes added since, search, and views.

Opening an archive brings it to the current schema: what a newer version of the
tool added (a column, a table, an index) is added on open, so an older archive
needs no migration step; nothing is ever renamed.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from archiver.store.media_index_fill import (
    fill_media_index,
    fill_pending,
    print_progress,
    start_fill,
)
from archiver.store.media_matches import create_index_tables
from archiver.store.media_nearest import cap_matches, has_nearest_index
from archiver.store.schema_extensions import schema_extensions
from archiver.store.transaction import transaction

SCHEMA_VERSION = 1


def ensure_schema(db: Database) -> None:
    """Bring the archive to the current schema; cheap when it already is."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        with transaction(db):
            _create_tables(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        _enable_search(db)
    _add_later_parts(db)
    _add_missing_indexes(db)
    _add_media_matches(db)
    ensure_evidence_tables(db)
    for extend in schema_extensions():  # e.g. annotations' views of the current state
        extend(db)


# Columns and tables added since schema version 1. They are added on open, so an
# older archive gains them without a migration step; nothing is renamed.
ADDED_COLUMNS = {
    # details: JSON: link card, poll, forwarded-from, subreddit, ...; status_since: when the
    # current status was first seen (for a deleted post, when we first saw it gone).
    "posts": {"details": str, "status_since": str},
    # Who and what counts each version showed, so an earlier version reads as it was.
    "post_versions": {"author_name": str, "author_handle": str, "metrics": str},
    "pages": {"description": str, "image_url": str, "meta": str},  # meta: OpenGraph etc. (JSON)
    "media": {"thumbnail_sha256": str},  # the thumbnail's own hash: a swapped one shows
    # Each payload field's short hash, outside the event's hash: names a changed column
    # (store.eventlog.column_digests).
    "events": {"columns": str},
}


def _add_later_parts(db: Database) -> None:
    def missing() -> list[tuple[str, str, type]]:
        return [
            (table, column, kind)
            for table, columns in ADDED_COLUMNS.items()
            for column, kind in columns.items()
            if column not in db[table].columns_dict
        ]

    if not missing() and db["page_media"].exists():
        return
    with transaction(db):
        for table, column, kind in missing():  # again: another process may have added them
            db[table].add_column(column, kind)
        # A page's own media (its main image), as post_media is for posts.
        db["page_media"].create(
            {
                "page_id": int, "position": int, "sha256": str, "url": str, "type": str,
                "capture_id": str, "error": str,
            },
            pk=("page_id", "position"),
            foreign_keys=[("page_id", "pages", "id"), ("sha256", "media", "sha256"), ("capture_id", "captures", "id")],
            if_not_exists=True,
        )  # fmt: skip
        db["page_media"].create_index(["sha256"], if_not_exists=True)


def _create_tables(db: Database) -> None:
    db["captures"].create(
        {
            "id": str, "url": str, "final_url": str, "kind": str, "platform": str,
            "started_at": str, "finished_at": str, "status": str, "error": str,
            "http_status": int, "body_sha256": str, "warc_file": str, "tool_version": str,
            "source": str, "parent_id": str, "operator": str, "post_db_id": str,
        },
        pk="id", not_null={"url", "kind", "started_at", "status"}, if_not_exists=True,
    )  # fmt: skip
    db["posts"].create(
        {
            "id": str, "platform": str, "post_id": str, "url": str,
            "author_handle": str, "author_name": str, "author_id": str, "text": str,
            "created_at": str, "lang": str, "reply_to": str, "quote_of": str, "raw": str,
            "status": str, "status_reason": str, "source": str, "metrics": str,
            "first_capture_id": str, "last_capture_id": str,
        },
        pk="id", not_null={"platform", "post_id", "status"},
        foreign_keys=[("first_capture_id", "captures", "id"), ("last_capture_id", "captures", "id")],
        if_not_exists=True,
    )  # fmt: skip
    db["post_versions"].create(
        {
            "id": int, "post_id": str, "capture_id": str, "content_sha256": str, "text": str,
            "status": str, "captured_at": str, "media_sha256s": str, "raw": str,
        },
        pk="id", not_null={"post_id", "capture_id", "content_sha256", "status", "captured_at"},
        foreign_keys=[("post_id", "posts", "id"), ("capture_id", "captures", "id")],
        if_not_exists=True,
    )  # fmt: skip
    db["media"].create(
        {
            "sha256": str, "mime": str, "bytes": int, "width": int, "height": int,
            "duration_ms": int, "phash": str, "dhash": str, "pdq": str, "pdq_quality": int,
            "exif": str, "blob_path": str, "thumbnail_path": str, "first_url": str,
            "analysis_error": str, "first_seen_at": str,
        },
        pk="sha256", not_null={"bytes", "blob_path"}, if_not_exists=True,
    )  # fmt: skip
    db["post_media"].create(
        {
            "post_id": str, "position": int, "sha256": str, "url": str, "type": str,
            "alt_text": str, "capture_id": str, "error": str,
        },
        pk=("post_id", "position"),
        foreign_keys=[("post_id", "posts", "id"), ("sha256", "media", "sha256"), ("capture_id", "captures", "id")],
        if_not_exists=True,
    )  # fmt: skip
    db["pages"].create(
        {
            "id": int, "capture_id": str, "url": str, "title": str, "site_name": str,
            "author": str, "published_at": str, "html_sha256": str, "text": str,
        },
        pk="id", foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True,
    )  # fmt: skip
    db["embeds"].create(
        {
            "id": int, "page_id": int, "position": int, "platform": str, "post_url": str,
            "post_db_id": str, "found_by": str, "article_text": str, "article_author": str,
            "article_date": str, "article_links": str, "short_links": str, "status": str,
            "error": str,
        },
        pk="id",
        foreign_keys=[("page_id", "pages", "id"), ("post_db_id", "posts", "id")],
        if_not_exists=True,
    )  # fmt: skip
    db["annotations"].create(
        {
            "id": int, "target_type": str, "target_id": str, "kind": str, "body": str,
            "tag": str, "verification": str, "latitude": float, "longitude": float,
            "precision_m": float, "event_time": str, "event_time_end": str, "author": str,
            "created_at": str, "supersedes": int, "retracts": int,
        },
        pk="id", not_null={"target_type", "target_id", "kind", "author", "created_at"},
        foreign_keys=[("supersedes", "annotations", "id")], if_not_exists=True,
    )  # fmt: skip
    db["events"].create(
        {
            "seq": int, "at": str, "actor": str, "action": str, "target": str,
            "payload_sha256": str, "prev_hash": str, "hash": str,
        },
        pk="seq", not_null={"at", "actor", "action", "target", "payload_sha256", "prev_hash", "hash"},
        if_not_exists=True,
    )  # fmt: skip
    for table, columns in INDEXES:
        db[table].create_index(columns, if_not_exists=True)


INDEXES = [
    ("captures", ["url"]),
    ("captures", ["parent_id"]),
    ("captures", ["post_db_id"]),
    ("posts", ["platform"]),
    ("posts", ["author_handle"]),
    ("posts", ["created_at"]),
    ("posts", ["status"]),
    ("post_versions", ["post_id"]),
    # Which posts show a file, from the index alone (the posts with media seen elsewhere);
    # archives made before it also have ["sha256"].
    ("post_media", ["sha256", "post_id"]),
    ("embeds", ["page_id"]),
    ("embeds", ["post_db_id"]),
    ("pages", ["url"]),
    ("annotations", ["target_type", "target_id"]),
    # Added for archives of a million posts (bench/datasette_scale.py): the posts
    # table filtered by platform, with its author and status facets, and the
    # article's copy of a post not linked to it yet (found by the post's URL).
    ("posts", ["platform", "author_handle"]),
    ("posts", ["platform", "status"]),
    ("embeds", ["post_url"]),
]


def _add_missing_indexes(db: Database) -> None:
    """Indexes added to INDEXES since an archive was made; built once, on the next open."""
    missing = [
        (table, columns)
        for table, columns in INDEXES
        if columns not in [index.columns for index in db[table].indexes]
    ]
    if not missing:
        return
    with transaction(db):
        for table, columns in missing:
            db[table].create_index(columns, if_not_exists=True)


def _add_media_matches(db: Database) -> None:
    """The near-duplicate pairs and their index (store/media_matches.py); an older archive's
    files are indexed and paired here, in batches (store/media_index_fill.py)."""

    def made() -> bool:
        return (
            db["media_matches"].exists()
            and db["media_index_fill"].exists()
            and has_nearest_index(db)
        )

    if not made():
        with transaction(db):
            if not made():  # else another process opening it made them meanwhile
                _make_media_matches(db)
    if fill_pending(db):
        fill_media_index(db, progress=print_progress)


def _make_media_matches(db: Database) -> None:
    if db["media_matches"].exists() and db["media_index_fill"].exists():
        cap_matches(db)  # an archive from before each file kept only its K nearest
        return
    if not db["media_matches"].exists():
        db["media_matches"].create(
            {"sha256": str, "other_sha256": str, "pdq_distance": int, "phash_distance": int},
            pk=("sha256", "other_sha256"),
            foreign_keys=[("sha256", "media", "sha256"), ("other_sha256", "media", "sha256")],
        )  # fmt: skip
    cap_matches(db)
    create_index_tables(db, anew=True)
    start_fill(db)


def _enable_search(db: Database) -> None:
    for table, columns in [
        ("posts", ["text", "author_handle", "author_name"]),
        ("pages", ["title", "text"]),
        ("annotations", ["body", "tag"]),
    ]:
        if db[table].detect_fts():
            continue
        try:
            db[table].enable_fts(columns, create_triggers=True, tokenize="unicode61")
        except sqlite3.OperationalError:
            # Several processes opening a new archive at once: one of them made it first.
            if not db[table].detect_fts():
                raise


def ensure_evidence_tables(db: Database) -> None:
    """The tables this module writes (added on open, like every later part of the schema)."""
    tables = ("warc_records", "manifests", "timestamps", "checkpoints", "warc_files", "anchors",
              "exports", "wayback_copies")  # fmt: skip
    if all(db[t].exists() for t in tables):
        return
    with transaction(db):
        _create_evidence_tables(db)


def _create_evidence_tables(db: Database) -> None:
    db["warc_records"].create(
        {
            "id": int, "capture_id": str, "warc_file": str, "offset": int, "length": int,
            "record_id": str, "record_type": str, "target_uri": str, "warc_date": str,
            "sha256": str, "payload_sha256": str, "http_status": int, "content_type": str,
        },
        pk="id", foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True,
    )  # fmt: skip
    db["warc_records"].create_index(["capture_id"], if_not_exists=True)
    db["manifests"].create(
        {"capture_id": str, "manifest_sha256": str, "manifest": str, "created_at": str},
        pk="capture_id", foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True,
    )  # fmt: skip
    db["timestamps"].create(
        {
            "id": int, "capture_id": str, "tsa_url": str, "status": str, "manifest_sha256": str,
            "gen_time": str, "serial_number": str, "tsa_name": str, "response_b64": str,
            "error": str, "requested_at": str,
        },
        pk="id", foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True,
    )  # fmt: skip
    db["timestamps"].create_index(["capture_id"], if_not_exists=True)
    # Each WARC file's length and SHA-256 when its run closed it: appended or cut records show.
    db["warc_files"].create(
        {"warc_file": str, "bytes": int, "sha256": str, "sealed_at": str},
        pk="warc_file", if_not_exists=True,
    )  # fmt: skip
    # A second copy at the Wayback Machine (archive --wayback): each Save Page Now submission
    # of a capture's URL and what came of it, a failure with its reason (evidence.wayback).
    db["wayback_copies"].create(
        {
            "id": int, "capture_id": str, "url": str, "api": str, "status": str,
            "wayback_url": str, "archived_at": str, "job_id": str, "error": str,
            "submitted_at": str, "finished_at": str,
        },
        pk="id", foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True,
    )  # fmt: skip
    db["wayback_copies"].create_index(["capture_id"], if_not_exists=True)
    # The chain's head at a moment, anchored by TSAs (archiver seal): evidence.checkpoints.
    db["checkpoints"].create(
        {
            "id": int, "seq": int, "head": str, "sealed_at": str, "statement_sha256": str,
            "stamps": str,  # JSON: each TSA's Stamp, failures included
        },
        pk="id", if_not_exists=True,
    )  # fmt: skip
    # A checkpoint's OpenTimestamps proofs (evidence.ots): pending, then a new row when attested.
    db["anchors"].create(
        {
            "id": int, "checkpoint_id": int, "kind": str, "calendar": str, "status": str,
            "proof_b64": str, "bitcoin_height": int, "error": str, "recorded_at": str,
        },
        pk="id", foreign_keys=[("checkpoint_id", "checkpoints", "id")], if_not_exists=True,
    )  # fmt: skip
    # What `archiver export` wrote (evidence.exports): the files' SHA-256, the captures in it.
    db["exports"].create(
        {
            "id": int, "kind": str, "path": str, "files": str, "captures": str,
            "signed_by": str, "exported_at": str,
        },
        pk="id", if_not_exists=True,
    )  # fmt: skip
