"""The SQLite archive: schema, migrations and the writes the pipeline makes.

WAL mode and a busy timeout let Datasette read while archiving runs, and let
several archiving processes share one file. Each archived post is written in
one transaction, so a killed run leaves whole posts or none.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from . import __version__
from .changes import counts_moved
from .errors import StorageError
from .eventlog import append_event, payload_hash
from .evidence import ensure_evidence_tables
from .models import POST_OK, Capture, Embed, MediaRef, Post, StoredMedia

SCHEMA_VERSION = 1


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_capture_id() -> str:
    """Sortable by time, unique across processes: 20261125T214600123Z-a1b2c3d4."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{stamp}Z-{secrets.token_hex(4)}"


def open_db(path: Path | str, *, check_same_thread: bool = True) -> Database:
    """Open (creating if needed) an archive database with the current schema."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=60, check_same_thread=check_same_thread)
        db = Database(conn)
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("PRAGMA foreign_keys = ON")
        if db.journal_mode != "wal":
            db.enable_wal()
        ensure_schema(db)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open the archive database {path}: {exc}") from exc
    return db


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE: take the write lock up front, so concurrent writers wait instead of failing."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


def ensure_schema(db: Database) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        with transaction(db):
            _create_tables(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        _enable_search(db)
    _add_later_parts(db)
    _add_missing_indexes(db)
    ensure_evidence_tables(db)
    # The views deriving annotations' current state; imported here because annotations
    # builds on this module.
    from annotations.state import ensure_views

    ensure_views(db)


# Columns and tables added since schema version 1. They are added on open, so an
# older archive gains them without a migration step; nothing is renamed.
ADDED_COLUMNS = {
    # details: JSON: link card, poll, forwarded-from, subreddit, ...; status_since: when the
    # current status was first seen (for a deleted post, when we first saw it gone).
    "posts": {"details": str, "status_since": str},
    # Who and what counts each version showed, so an earlier version reads as it was.
    "post_versions": {"author_name": str, "author_handle": str, "metrics": str},
    "pages": {"description": str, "image_url": str, "meta": str},  # meta: OpenGraph etc. (JSON)
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
    ("post_media", ["sha256"]),
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


# -- writes ------------------------------------------------------------------


def record_event(db: Database, actor: str, action: str, target: str, row: dict) -> None:
    append_event(db, at=utc_now(), actor=actor, action=action, target=target, payload=row)


def save_capture(db: Database, capture: Capture) -> None:
    row = asdict(capture) | {"tool_version": __version__}
    db["captures"].insert(row, replace=False)
    record_event(db, capture.operator or "archiver", "capture", f"capture:{capture.id}", row)


def save_media(db: Database, media: StoredMedia) -> None:
    if db.execute("select 1 from media where sha256 = ?", [media.sha256]).fetchone():
        return
    row = {
        "sha256": media.sha256, "mime": media.mime, "bytes": media.bytes,
        "width": media.width, "height": media.height, "duration_ms": media.duration_ms,
        "phash": media.phash, "dhash": media.dhash, "pdq": media.pdq,
        "pdq_quality": media.pdq_quality,
        "exif": json.dumps(media.exif, ensure_ascii=False) if media.exif else None,
        "blob_path": media.blob_path, "thumbnail_path": media.thumbnail_path,
        "first_url": media.first_url, "analysis_error": media.error, "first_seen_at": utc_now(),
    }  # fmt: skip
    db["media"].insert(row)
    record_event(db, "archiver", "media", f"media:{media.sha256}", row)


def content_hash(post: Post, media_sha256s: list[str | None]) -> str:
    """What counts as the post's content: a change here makes a new version."""
    return payload_hash(
        {
            "text": post.text,
            "author_handle": post.author_handle,
            "author_name": post.author_name,
            "created_at": post.created_at,
            "media": media_sha256s,
            "quote_of": post.quote_of,
            "reply_to": post.reply_to,
        }
    )


def save_post(
    db: Database,
    post: Post,
    capture_id: str,
    media: list[tuple[MediaRef, StoredMedia | None, str | None]],
) -> bool:
    """Write the post's current state and its media; add a version if content or status changed.

    Returns True when a new version row was added.
    """
    row = db.execute("select started_at from captures where id = ?", [capture_id]).fetchone()
    captured_at = row[0] if row else utc_now()
    existing = db.execute("select status from posts where id = ?", [post.db_id]).fetchone()
    fields = {
        "platform": post.platform, "post_id": post.post_id, "url": post.url,
        "author_handle": post.author_handle, "author_name": post.author_name,
        "author_id": post.author_id, "text": post.text, "created_at": post.created_at,
        "lang": post.lang, "reply_to": post.reply_to, "quote_of": post.quote_of,
        "raw": post.raw, "source": post.source,
        "metrics": json.dumps(post.metrics) if post.metrics else None,
        "details": json.dumps(post.details, ensure_ascii=False) if post.details else None,
    }  # fmt: skip
    gone = post.status != POST_OK
    # A post first seen already removed may still show its content (a Reddit post
    # removed by moderators keeps its title and video): keep what the platform served.
    keep_content = not gone or existing is None
    if existing is None:
        row = {
            "id": post.db_id,
            **fields,
            "status": post.status,
            "status_reason": post.status_reason,
        }
        row |= {"first_capture_id": capture_id, "last_capture_id": capture_id}
        row["status_since"] = captured_at
        db["posts"].insert(row)
    else:
        # A deleted or unreachable post keeps the last content we saw; only its status moves.
        update = {} if gone else {k: v for k, v in fields.items() if v is not None}
        update |= {
            "status": post.status,
            "status_reason": post.status_reason,
            "last_capture_id": capture_id,
        }
        if existing[0] != post.status:
            update["status_since"] = captured_at
        db["posts"].update(post.db_id, update)

    sha256s: list[str | None] = []
    if keep_content:
        for position, (ref, stored, error) in enumerate(media):
            sha256 = stored.sha256 if stored else None
            if stored is not None:
                save_media(db, stored)
            else:
                # A failed re-download must not unlink the file an earlier capture kept.
                sha256 = _kept_sha256(db, post.db_id, position, ref.url)
            sha256s.append(sha256)
            db["post_media"].upsert(
                {
                    "post_id": post.db_id, "position": position, "sha256": sha256, "url": ref.url,
                    "type": ref.type, "alt_text": ref.alt_text, "capture_id": capture_id,
                    "error": error,
                },
                pk=("post_id", "position"),
            )  # fmt: skip
        # post_media is the current state; earlier media lists stay in post_versions.
        db.execute(
            "delete from post_media where post_id = ? and position >= ?", [post.db_id, len(media)]
        )

    current, author_name, author_handle, metrics = db.execute(
        "select text, author_name, author_handle, metrics from posts where id = ?", [post.db_id]
    ).fetchone()
    version_media = sha256s if keep_content else _current_media(db, post.db_id)
    digest = content_hash(post, version_media) if keep_content else _last_content(db, post.db_id)
    last = db.execute(
        "select content_sha256, status, metrics from post_versions where post_id = ? order by id desc limit 1",
        [post.db_id],
    ).fetchone()
    changed = last is None or last[0] != digest or last[1] != post.status
    changed = changed or bool(keep_content and counts_moved(last[2], metrics))
    if changed:
        version = {
            "post_id": post.db_id, "capture_id": capture_id, "content_sha256": digest or "",
            "text": current, "status": post.status, "captured_at": captured_at,
            "media_sha256s": json.dumps(version_media), "raw": post.raw,
            "author_name": author_name, "author_handle": author_handle, "metrics": metrics,
        }  # fmt: skip
        db["post_versions"].insert(version)
    record_event(
        db, "archiver", "post", f"post:{post.db_id}", {"capture_id": capture_id, "post": fields}
    )
    return changed


def _kept_sha256(db: Database, post_db_id: str, position: int, url: str) -> str | None:
    row = db.execute(
        "select sha256 from post_media where post_id = ? and position = ? and url = ?",
        [post_db_id, position, url],
    ).fetchone()
    return row[0] if row else None


def _current_media(db: Database, post_db_id: str) -> list[str | None]:
    return [
        r[0]
        for r in db.execute(
            "select sha256 from post_media where post_id = ? order by position", [post_db_id]
        )
    ]


def _last_content(db: Database, post_db_id: str) -> str:
    row = db.execute(
        "select content_sha256 from post_versions where post_id = ? order by id desc limit 1",
        [post_db_id],
    ).fetchone()
    return row[0] if row else payload_hash({})


def save_page(db: Database, capture_id: str, url: str, meta: dict, html_sha256: str | None) -> int:
    row = {
        "capture_id": capture_id, "url": url, "title": meta.get("title"),
        "site_name": meta.get("site_name"), "author": meta.get("author"),
        "published_at": meta.get("published_at"), "html_sha256": html_sha256, "text": meta.get("text"),
        "description": meta.get("description"), "image_url": meta.get("image_url"),
        "meta": json.dumps(meta["meta"], ensure_ascii=False) if meta.get("meta") else None,
    }  # fmt: skip
    page_id = db["pages"].insert(row).last_pk
    record_event(db, "archiver", "page", f"page:{page_id}", row)
    return page_id


def save_page_media(
    db: Database, page_id: int, capture_id: str,
    media: list[tuple[MediaRef, StoredMedia | None, str | None]],
) -> None:  # fmt: skip
    """Link a page to its own media (its main image), in order; a failed download keeps its error."""
    for position, (ref, stored, error) in enumerate(media):
        if stored is not None:
            save_media(db, stored)
        row = {
            "page_id": page_id, "position": position, "sha256": stored.sha256 if stored else None,
            "url": ref.url, "type": ref.type, "capture_id": capture_id, "error": error,
        }  # fmt: skip
        db["page_media"].upsert(row, pk=("page_id", "position"))
        record_event(db, "archiver", "page_media", f"page:{page_id}", row)


def save_embed(
    db: Database, page_id: int, embed: Embed, status: str, post_db_id: str | None, error: str | None
) -> int:
    row = {
        "page_id": page_id, "position": embed.position, "platform": embed.platform,
        "post_url": embed.post_url, "post_db_id": post_db_id, "found_by": embed.found_by,
        "article_text": embed.article_text, "article_author": embed.article_author,
        "article_date": embed.article_date,
        "article_links": json.dumps(embed.article_links), "short_links": json.dumps(embed.short_links),
        "status": status, "error": error,
    }  # fmt: skip
    embed_id = db["embeds"].insert(row).last_pk
    record_event(db, "archiver", "embed", f"embed:{embed_id}", row)
    return embed_id


def post_exists(db: Database, post_db_id: str) -> bool:
    return db.execute("select 1 from posts where id = ?", [post_db_id]).fetchone() is not None


def post_complete(db: Database, post_db_id: str) -> bool:
    """The post is archived with every media file it lists: what a resumed run may skip."""
    row = db.execute(
        "select 1 from posts where id = ? and not exists"
        " (select 1 from post_media where post_id = ? and sha256 is null)",
        [post_db_id, post_db_id],
    ).fetchone()
    return row is not None
