"""One capture as it was captured: the post's text, author and media as of that capture,
its quoted post, the hashes, the collection record and the timestamps.

The archived-copy page, the static HTML export and `archiver cite` all read a
capture through `load_capture`, so the three always agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from archiver.errors import UsageError
from archiver.models import POST_OK
from archiver.platforms import db_id_of, label_of
from archiver.store import queries
from archiver.store.queries_evidence import (
    capture_manifest,
    capture_timestamps,
    capture_warc_records,
    capture_wayback_copies,
    post_wayback_copies,
)
from archiver.store.targets import resolve_target


@dataclass
class MediaItem:
    sha256: str
    type: str  # photo / video / gif / ...
    mime: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    phash: str | None = None
    dhash: str | None = None
    pdq: str | None = None
    url: str | None = None  # where it was downloaded from
    alt_text: str | None = None
    blob_path: str | None = None
    thumbnail_path: str | None = None

    @property
    def kind(self) -> str:
        """How to show it: image, video, audio or file."""
        mime = self.mime or ""
        for prefix in ("image", "video", "audio"):
            if mime.startswith(prefix + "/"):
                return prefix
        return "file"


@dataclass
class PostAsCaptured:
    db_id: str
    platform: str
    post_id: str
    url: str
    author_name: str | None
    author_handle: str | None
    created_at: str | None
    text: str | None
    lang: str | None
    status: str  # at this capture
    status_reason: str | None
    content_sha256: str | None
    raw: str | None
    media: list[MediaItem] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    quote_of: str | None = None

    @property
    def platform_name(self) -> str:
        return label_of(self.platform)


@dataclass
class ArchivedCapture:
    """Everything one capture holds; `post` is None for page and media captures."""

    capture: dict
    post: PostAsCaptured | None
    quoted: PostAsCaptured | None
    manifest: dict | None
    manifest_sha256: str | None
    records: list[dict]
    timestamps: list[dict]
    # The post's state now, which may be later than this capture (e.g. deleted since).
    current_status: str | None = None
    status_since: str | None = None
    last_content_capture: str | None = None  # for a deletion capture: where the content is
    found_in: dict | None = None  # the article page the post was embedded in
    # Second copies at the Wayback Machine (archive --wayback), newest first, failures included:
    # of the post, whichever of its captures asked; of the capture itself for a page.
    wayback: list[dict] = field(default_factory=list)

    @property
    def wayback_saved(self) -> list[dict]:
        return [w for w in self.wayback if w["status"] == "saved" and w["wayback_url"]]

    @property
    def id(self) -> str:
        return self.capture["id"]

    @property
    def main_hash(self) -> tuple[str, str | None]:
        """(what, SHA-256): the first photo/video, else the post's raw JSON, else the body."""
        for item in self.post.media if self.post else []:
            if item.type != "poster":
                return (item.type or "media", item.sha256)
        if self.post and self.post.raw:
            body = self.capture.get("body_sha256")
            return ("post JSON", body or hashlib.sha256(self.post.raw.encode("utf-8")).hexdigest())
        return ("body", self.capture.get("body_sha256"))

    @property
    def original_gone(self) -> bool:
        return self.current_status not in (None, POST_OK)


def load_capture(db: Database, capture_id: str) -> ArchivedCapture:
    """The capture with this id, as captured; UsageError when there is none."""
    capture = queries.capture_row(db, capture_id)
    if capture is None:
        raise UsageError(f"the archive has no capture {capture_id!r}")
    manifest_row = capture_manifest(db, capture_id)
    archived = ArchivedCapture(
        capture=capture,
        post=None,
        quoted=None,
        manifest=json.loads(manifest_row["manifest"]) if manifest_row else None,
        manifest_sha256=manifest_row["manifest_sha256"] if manifest_row else None,
        records=capture_warc_records(db, capture_id),
        timestamps=capture_timestamps(db, capture_id),
    )
    archived.wayback = (
        post_wayback_copies(db, capture["post_db_id"])
        if capture["post_db_id"]
        else capture_wayback_copies(db, capture_id)[::-1]
    )
    if capture["post_db_id"]:
        archived.post = _post_at(db, capture["post_db_id"], capture["started_at"])
    if archived.post is not None:
        now = queries.post_state_now(db, archived.post.db_id)
        archived.current_status, archived.status_since = now["status"], now["status_since"]
        if now["quote_of"]:
            archived.quoted = _post_at(db, now["quote_of"], capture["started_at"])
        if archived.post.status != POST_OK:
            archived.last_content_capture = queries.last_content_capture_before(
                db, archived.post.db_id, capture["started_at"]
            )
    if capture["parent_id"]:
        page = queries.page_of_capture(db, capture["parent_id"])
        if page is not None:
            archived.found_in = {k: page[k] for k in ("url", "title", "site_name", "capture_id")}
    return archived


def _post_at(db: Database, post_db_id: str, at: str) -> PostAsCaptured | None:
    post = queries.post_row(db, post_db_id)
    if post is None:
        return None
    version = queries.version_at(db, post_db_id, at) or {}
    media = []
    for sha256 in json.loads(version.get("media_sha256s") or "[]"):
        if not sha256:
            continue
        row = queries.media_as_shown(db, post_db_id, sha256)
        if row is not None:
            fields = {k: row.get(k) for k in MediaItem.__dataclass_fields__}
            media.append(MediaItem(**fields | {"type": row.get("type") or "media"}))
    metrics = version.get("metrics") if "metrics" in version else post.get("metrics")
    return PostAsCaptured(
        db_id=post_db_id, platform=post["platform"], post_id=post["post_id"], url=post["url"],
        author_name=version.get("author_name") or post["author_name"],
        author_handle=version.get("author_handle") or post["author_handle"],
        created_at=post["created_at"],
        text=version["text"] if version else post["text"], lang=post["lang"],
        status=version.get("status") or post["status"],
        status_reason=post["status_reason"] if version.get("status", POST_OK) != POST_OK else None,
        content_sha256=version.get("content_sha256"), raw=version.get("raw") or post["raw"],
        media=media, metrics=_json_dict(metrics), quote_of=post["quote_of"],
    )  # fmt: skip


def _json_dict(value) -> dict:
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def capture_for_target(db: Database, target: str) -> tuple[str, str | None]:
    """(capture id, post id) that a citation or export of TARGET means: a post id or URL (its
    newest capture that holds its content), a capture id, or a media SHA-256 (a post showing it)."""
    return queries.capture_for_target(db, resolve_target(db, target, db_id_of))


def export_capture_ids(db: Database, targets: Sequence[str]) -> list[str]:
    """The captures an export of the targets writes, each once: all of a post's captures (those
    that archived it as a quoted post too); every capture when no target is given."""
    found = [resolve_target(db, target, db_id_of) for target in targets]
    return queries.captures_to_export(db, found)
