"""One capture as it was captured: the post's text, author and media as of that capture,
its quoted post, the hashes, the collection record and the timestamps.

The archived-copy page, the static HTML export and `archiver cite` all read a
capture through `load_capture`, so the three always agree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlite_utils import Database

from archiver.errors import UsageError
from archiver.models import POST_OK
from archiver.platforms import db_id_of, label_of
from archiver.store.targets import resolve_target

# The version of a post in force at a capture: the last one written at or before it.
_VERSION_AT = """
    select pv.* from post_versions pv join captures c on c.id = pv.capture_id
    where pv.post_id = :post_id and c.started_at <= :at
    order by c.started_at desc, pv.id desc limit 1
"""
_MEDIA = """
    select m.*, (select pm.type from post_media pm where pm.post_id = :post_id and pm.sha256 = m.sha256 limit 1) as type,
           (select pm.url from post_media pm where pm.post_id = :post_id and pm.sha256 = m.sha256 limit 1) as url,
           (select pm.alt_text from post_media pm where pm.post_id = :post_id and pm.sha256 = m.sha256 limit 1) as alt_text
    from media m where m.sha256 = :sha256
"""


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
    rows = list(db.query("select * from captures where id = ?", [capture_id]))
    if not rows:
        raise UsageError(f"the archive has no capture {capture_id!r}")
    capture = rows[0]
    manifest_row = next(
        iter(db.query("select * from manifests where capture_id = ?", [capture_id])), None
    )
    archived = ArchivedCapture(
        capture=capture,
        post=None,
        quoted=None,
        manifest=json.loads(manifest_row["manifest"]) if manifest_row else None,
        manifest_sha256=manifest_row["manifest_sha256"] if manifest_row else None,
        records=list(
            db.query("select * from warc_records where capture_id = ? order by id", [capture_id])
        ),
        timestamps=list(
            db.query("select * from timestamps where capture_id = ? order by id", [capture_id])
        ),
    )
    if capture["post_db_id"]:
        archived.post = _post_at(db, capture["post_db_id"], capture["started_at"])
    if archived.post is not None:
        now = db.execute(
            "select status, status_since, quote_of from posts where id = ?", [archived.post.db_id]
        ).fetchone()
        archived.current_status, archived.status_since, quote_of = now
        if quote_of:
            archived.quoted = _post_at(db, quote_of, capture["started_at"])
        if archived.post.status != POST_OK:
            archived.last_content_capture = _last_ok_capture(
                db, archived.post.db_id, capture["started_at"]
            )
    if capture["parent_id"]:
        archived.found_in = next(
            iter(
                db.query(
                    "select p.url, p.title, p.site_name, p.capture_id from pages p where p.capture_id = ?",
                    [capture["parent_id"]],
                )
            ),
            None,
        )
    return archived


def _post_at(db: Database, post_db_id: str, at: str) -> PostAsCaptured | None:
    posts = list(db.query("select * from posts where id = ?", [post_db_id]))
    if not posts:
        return None
    post = posts[0]
    version = next(iter(db.query(_VERSION_AT, {"post_id": post_db_id, "at": at})), None) or {}
    media = []
    for sha256 in json.loads(version.get("media_sha256s") or "[]"):
        if not sha256:
            continue
        row = next(iter(db.query(_MEDIA, {"post_id": post_db_id, "sha256": sha256})), None)
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


def _last_ok_capture(db: Database, post_db_id: str, at: str) -> str | None:
    row = db.execute(
        "select pv.capture_id from post_versions pv join captures c on c.id = pv.capture_id "
        "where pv.post_id = ? and pv.status = ? and c.started_at <= ? "
        "order by c.started_at desc limit 1",
        [post_db_id, POST_OK, at],
    ).fetchone()
    return row[0] if row else None


def _json_dict(value) -> dict:
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def capture_for_target(db: Database, target: str) -> tuple[str, str | None]:
    """(capture id, post id) that a citation or export of TARGET means: a post id or URL (its
    newest capture that holds its content), a capture id, or a media SHA-256 (a post showing it)."""
    found = resolve_target(db, target, db_id_of)
    if found.type == "capture":
        return found.id, None
    if found.type == "media":
        row = db.execute(
            "select post_id from post_media where sha256 = ? order by post_id limit 1", [found.id]
        ).fetchone()
        if row is not None:
            return latest_content_capture(db, row[0]), row[0]
        row = db.execute(
            "select id from captures where body_sha256 = ? order by started_at desc limit 1",
            [found.id],
        ).fetchone()
        if row is None:
            raise UsageError(f"no post or capture in the archive shows media {found.id}")
        return row[0], None
    if found.type == "post":
        return latest_content_capture(db, found.id), found.id
    row = db.execute(
        "select capture_id from pages where cast(id as text) = ?", [found.id]
    ).fetchone()
    if row is None:
        raise UsageError(f"nothing in the archive to cite for {target!r}")
    return row[0], None


def latest_content_capture(db: Database, post_db_id: str) -> str:
    """The newest capture that saw the post with its content; else its newest capture."""
    captures = [
        row[0]
        for row in db.execute(
            "select id from captures where status != 'error' and (post_db_id = ? or id in "
            "(select capture_id from post_versions where post_id = ?)) order by started_at desc",
            [post_db_id, post_db_id],
        )
    ]
    if not captures:
        raise UsageError(f"post {post_db_id} has no capture")
    for capture_id in captures:
        at = db.execute("select started_at from captures where id = ?", [capture_id]).fetchone()[0]
        version = next(iter(db.query(_VERSION_AT, {"post_id": post_db_id, "at": at})), None)
        if version is not None and version["status"] == POST_OK:
            return capture_id
    return captures[0]
