"""The rows the pipeline writes: captures, media, posts and their versions, pages, embeds.

Each writes its row and its event; the caller holds the transaction
(store.transaction), so a killed run leaves whole captures or none. The tables
themselves are in schema.py.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from datetime import UTC, datetime

from sqlite_utils import Database

from archiver import __version__
from archiver.models import POST_OK, RENDER_TYPES, Capture, Embed, MediaRef, Post, StoredMedia
from archiver.store.changes import counts_moved
from archiver.store.eventlog import payload_hash, record_event, utc_now
from archiver.store.media_lookup import record_matches
from archiver.store.queries import media_exists
from archiver.store.queries_evidence import POST_STATE, post_state
from archiver.store.rows import insert_row, upsert_row


def new_capture_id() -> str:
    """Sortable by time, unique across processes: 20261125T214600123Z-a1b2c3d4."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{stamp}Z-{secrets.token_hex(4)}"


def save_capture(db: Database, capture: Capture) -> None:
    row = asdict(capture) | {"tool_version": __version__}
    insert_row(db, "captures", row)
    record_event(db, capture.operator or "archiver", "capture", f"capture:{capture.id}", row)


def save_media(db: Database, media: StoredMedia) -> None:
    if media_exists(db, media.sha256):
        return
    row = {
        "sha256": media.sha256, "mime": media.mime, "bytes": media.bytes,
        "width": media.width, "height": media.height, "duration_ms": media.duration_ms,
        "phash": media.phash, "dhash": media.dhash, "pdq": media.pdq,
        "pdq_quality": media.pdq_quality,
        "exif": _json_or_none(media.exif),
        "blob_path": media.blob_path, "thumbnail_path": media.thumbnail_path,
        "thumbnail_sha256": media.thumbnail_sha256,
        "first_url": media.first_url, "analysis_error": media.error, "first_seen_at": utc_now(),
    }  # fmt: skip
    insert_row(db, "media", row)
    record_event(db, "archiver", "media", f"media:{media.sha256}", row)
    record_matches(db, (media.sha256, media.pdq, media.pdq_quality, media.phash))


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
        "details": _json_or_none(post.details),
    }  # fmt: skip
    # A post first seen already removed may still show its content (a Reddit post
    # removed by moderators keeps its title and video): keep what the platform served.
    keep_content = post.status == POST_OK or existing is None
    _write_post_row(db, post, capture_id, captured_at, fields, existing[0] if existing else None)
    if keep_content:
        version_media = _write_post_media(db, post, capture_id, media)
        digest = content_hash(post, version_media)
    else:
        version_media, digest = _current_media(db, post.db_id), _last_content(db, post.db_id)
    changed = _add_version_if_changed(
        db, post, capture_id, captured_at, version_media, digest, count_metrics=keep_content
    )
    record_event(
        db, "archiver", "post", f"post:{post.db_id}", {"capture_id": capture_id, "post": fields}
    )
    record_post_state(db, post.db_id)
    return changed


def record_post_state(db: Database, post_db_id: str) -> None:
    """Log the post's row and its media list as they now stand (the `post_state` event).

    The posts row is derived (a deleted post keeps the content last seen; a field a later
    capture lacks keeps its value), so no one capture's event describes it: this one does,
    and verify checks the row and its post_media against the latest of them.
    """
    record_event(db, "archiver", POST_STATE, f"post:{post_db_id}", post_state(db, post_db_id))


def _write_post_row(
    db: Database, post: Post, capture_id: str, captured_at: str, fields: dict, status: str | None
) -> None:
    """Insert the post, or update it: a deleted or unreachable post keeps the last content we
    saw and only its status moves. `status` is its status before, None for a new post."""
    state = {"status": post.status, "status_reason": post.status_reason}
    if status is None:
        row = {"id": post.db_id, **fields, **state}
        row |= {"first_capture_id": capture_id, "last_capture_id": capture_id}
        row["status_since"] = captured_at
        insert_row(db, "posts", row)
        return
    gone = post.status != POST_OK
    update = {} if gone else {k: v for k, v in fields.items() if v is not None}
    update |= state | {"last_capture_id": capture_id}
    if status != post.status:
        update["status_since"] = captured_at
    db["posts"].update(post.db_id, update)


def _write_post_media(
    db: Database,
    post: Post,
    capture_id: str,
    media: list[tuple[MediaRef, StoredMedia | None, str | None]],
) -> list[str | None]:
    """The post's media list as this capture found it; returns each position's SHA-256, but for
    a render of its page (RENDER_TYPES: new bytes each capture, not the post's content)."""
    sha256s: list[str | None] = []
    for position, (ref, stored, error) in enumerate(media):
        sha256 = stored.sha256 if stored else None
        if stored is not None:
            save_media(db, stored)
        else:
            # A failed re-download must not unlink the file an earlier capture kept.
            sha256 = _kept_sha256(db, post.db_id, position, ref.url)
        if ref.type not in RENDER_TYPES:
            sha256s.append(sha256)
        upsert_row(
            db, "post_media",
            {
                "post_id": post.db_id, "position": position, "sha256": sha256, "url": ref.url,
                "type": ref.type, "alt_text": ref.alt_text, "capture_id": capture_id,
                "error": error,
            },
            key=("post_id", "position"),
        )  # fmt: skip
    # post_media is the current state; earlier media lists stay in post_versions.
    db.execute(
        "delete from post_media where post_id = ? and position >= ?", [post.db_id, len(media)]
    )
    return sha256s


def _add_version_if_changed(
    db: Database,
    post: Post,
    capture_id: str,
    captured_at: str,
    version_media: list[str | None],
    digest: str,
    *,
    count_metrics: bool,
) -> bool:
    """A post_versions row (and its event) when content, status or counts moved; True if added."""
    current, author_name, author_handle, metrics = db.execute(
        "select text, author_name, author_handle, metrics from posts where id = ?", [post.db_id]
    ).fetchone()
    last = db.execute(
        "select content_sha256, status, metrics from post_versions where post_id = ? order by id desc limit 1",
        [post.db_id],
    ).fetchone()
    changed = last is None or last[0] != digest or last[1] != post.status
    changed = changed or bool(count_metrics and counts_moved(last[2], metrics))
    if changed:
        version = {
            "post_id": post.db_id, "capture_id": capture_id, "content_sha256": digest or "",
            "text": current, "status": post.status, "captured_at": captured_at,
            "media_sha256s": json.dumps(version_media), "raw": post.raw,
            "author_name": author_name, "author_handle": author_handle, "metrics": metrics,
        }  # fmt: skip
        version_id = insert_row(db, "post_versions", version)
        # The version is evidence of what the post said when captured: its row is in the log.
        record_event(db, "archiver", "post_version", f"post_version:{version_id}", version)
    return changed


def _kept_sha256(db: Database, post_db_id: str, position: int, url: str) -> str | None:
    row = db.execute(
        "select sha256 from post_media where post_id = ? and position = ? and url = ?",
        [post_db_id, position, url],
    ).fetchone()
    return row[0] if row else None


def _current_media(db: Database, post_db_id: str) -> list[str | None]:
    rows = db.execute(
        "select sha256, type from post_media where post_id = ? order by position", [post_db_id]
    )
    return [sha256 for sha256, kind in rows if kind not in RENDER_TYPES]


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
        "meta": _json_or_none(meta.get("meta")),
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


def _json_or_none(value) -> str | None:
    """JSON as written for a value (characters kept, not escaped), None for an empty one."""
    return json.dumps(value, ensure_ascii=False) if value else None


def save_checkpoint(db: Database, row: dict) -> int:
    """Keep a checkpoint of the chain (evidence.checkpoints) and log it; returns its id."""
    checkpoint_id = insert_row(db, "checkpoints", row)
    record_event(db, "archiver", "checkpoint", f"checkpoint:{checkpoint_id}", row)
    return checkpoint_id


def save_anchor(db: Database, row: dict) -> int:
    """Keep a checkpoint's OpenTimestamps proof (evidence.ots) and log it; returns its id."""
    anchor_id = insert_row(db, "anchors", row)
    record_event(db, "archiver", "anchor", f"anchor:{anchor_id}", row)
    return anchor_id


def save_export(db: Database, row: dict) -> int:
    """Keep what an export wrote (evidence.exports) and log it; returns its id."""
    export_id = insert_row(db, "exports", row)
    record_event(db, "archiver", "export", f"export:{export_id}", row)
    return export_id


def save_warc_file(db: Database, row: dict) -> None:
    """Keep a closed WARC file's length and SHA-256 (its seal), and log it."""
    insert_row(db, "warc_files", row)
    record_event(db, "archiver", "warc_file", f"warc_file:{row['warc_file']}", row)


def save_wayback_copy(db: Database, row: dict) -> int:
    """Keep a Save Page Now submission of a capture's URL (evidence.wayback), and log it."""
    copy_id = insert_row(db, "wayback_copies", row)
    record_event(db, "archiver", "wayback_copy", f"wayback_copy:{copy_id}", row)
    return copy_id
