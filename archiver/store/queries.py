"""The archive's named reads about posts and captures: a post's captures, the version of it in
force at a capture, its latest content capture, what a target means to cite or export.

Every part of the archiver that reads the archive (the CLI, cite, the archived-copy page,
the exports, verify, the Datasette plugins) calls these, so "a post's captures" means one
thing everywhere. A capture's own evidence (records, manifest, timestamps) and what verify
walks are in queries_evidence.py; what the post page shows is in queries_post_page.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archiver.errors import UsageError
from archiver.models import POST_OK
from archiver.store.targets import Target

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

# Every capture of a post: its own captures, and those that archived it as a quoted post
# (each wrote a version of it). Ties in time keep capture-id order, which is time order too.
POST_CAPTURES = """
    select * from captures
    where post_db_id = :post_id
       or id in (select capture_id from post_versions where post_id = :post_id)
    order by started_at, id
"""
# The version of a post in force at a capture: the last one written at or before it.
VERSION_AT = """
    select pv.* from post_versions pv join captures c on c.id = pv.capture_id
    where pv.post_id = :post_id and c.started_at <= :at
    order by c.started_at desc, pv.id desc limit 1
"""
POST_VERSIONS_TIMED = """
    select pv.*, c.started_at as capture_started_at
    from post_versions pv left join captures c on c.id = pv.capture_id
    where pv.post_id = :post_id order by pv.id
"""
# A media file as a post shows it: the file's row with the post's type, source URL and alt text.
MEDIA_AS_SHOWN = """
    select m.*, (select pm.type from post_media pm where pm.post_id = :post_id and pm.sha256 = m.sha256 limit 1) as type,
           (select pm.url from post_media pm where pm.post_id = :post_id and pm.sha256 = m.sha256 limit 1) as url,
           (select pm.alt_text from post_media pm where pm.post_id = :post_id and pm.sha256 = m.sha256 limit 1) as alt_text
    from media m where m.sha256 = :sha256
"""


def _first(db: Database, sql: str, params: list | dict) -> dict | None:
    return next(db.query(sql, params), None)


def _value(db: Database, sql: str, params: list | dict):
    row = db.execute(sql, params).fetchone()
    return row[0] if row else None


# -- what is there -------------------------------------------------------------


def post_exists(db: Database, post_db_id: str) -> bool:
    """Whether the archive has the post."""
    return _value(db, "select 1 from posts where id = ?", [post_db_id]) is not None


def post_complete(db: Database, post_db_id: str) -> bool:
    """The post is archived with every media file it lists: what a resumed run may skip."""
    sql = (
        "select 1 from posts where id = ? and not exists"
        " (select 1 from post_media where post_id = ? and sha256 is null)"
    )
    return _value(db, sql, [post_db_id, post_db_id]) is not None


def media_exists(db: Database, sha256: str) -> bool:
    """Whether the archive has the media file."""
    return _value(db, "select 1 from media where sha256 = ?", [sha256]) is not None


def archived_post_urls(db: Database) -> list[str]:
    """Every post the archive holds, by its canonical URL, in the order they were first captured."""
    return [row[0] for row in db.execute("select url from posts order by first_capture_id")]


def capture_ids(db: Database) -> list[str]:
    """Every capture's id, oldest first."""
    return [row[0] for row in db.execute("select id from captures order by started_at")]


def capture_row(db: Database, capture_id: str) -> dict | None:
    """The capture's row; None if there is no such capture."""
    return _first(db, "select * from captures where id = ?", [capture_id])


def post_row(db: Database, post_db_id: str) -> dict | None:
    """The post's current row; None if there is no such post."""
    return _first(db, "select * from posts where id = ?", [post_db_id])


def page_of_capture(db: Database, capture_id: str) -> dict | None:
    """The page a page capture archived, with the embeds found on it under "embeds" (those
    that named no post with the reason); None for any other capture."""
    page = _first(db, "select * from pages where capture_id = ?", [capture_id])
    if page is not None:
        page["embeds"] = list(db.query(PAGE_EMBEDS, {"page_id": page["id"]}))
    return page


PAGE_EMBEDS = """
    select position, platform, post_url, post_db_id, found_by, status, error
    from embeds where page_id = :page_id order by position, id
"""


def post_media_sha256s(db: Database, post_db_id: str) -> list[str]:
    """Each media file the post shows (once, in the order it shows them), by SHA-256."""
    sql = (
        "select distinct sha256 from post_media where post_id = ? and sha256 is not null "
        "order by position"
    )
    return [row[0] for row in db.execute(sql, [post_db_id])]


def media_as_shown(db: Database, post_db_id: str, sha256: str) -> dict | None:
    """The media file's row, with the type, source URL and alt text the post gives it."""
    return _first(db, MEDIA_AS_SHOWN, {"post_id": post_db_id, "sha256": sha256})


def media_row(db: Database, sha256: str) -> dict | None:
    """The media file's own row (what its bytes say), by its SHA-256."""
    return next(db.query("select * from media where sha256 = ?", [sha256]), None)


# -- a post's captures and versions ----------------------------------------------


def post_captures(db: Database, post_db_id: str) -> list[dict]:
    """Every capture of the post, oldest first: its own, and those that archived it as a quoted post."""
    return list(db.query(POST_CAPTURES, {"post_id": post_db_id}))


def version_at(db: Database, post_db_id: str, at: str) -> dict | None:
    """The post_versions row in force at time `at`: the last one captured at or before it."""
    return _first(db, VERSION_AT, {"post_id": post_db_id, "at": at})


def post_versions_timed(db: Database, post_db_id: str) -> list[dict]:
    """The post's post_versions rows, oldest first, each with its capture's `started_at` as
    `capture_started_at` (None if that capture is missing): what `version_in_force` reads."""
    return list(db.query(POST_VERSIONS_TIMED, {"post_id": post_db_id}))


def version_in_force(versions: list[dict], at: str) -> dict | None:
    """`version_at` over rows `post_versions_timed` already read (no query)."""
    timed = [v for v in versions if v["capture_started_at"] is not None]
    in_force = [v for v in timed if v["capture_started_at"] <= at]
    return max(in_force, key=lambda v: (v["capture_started_at"], v["id"]), default=None)


def latest_content_capture(db: Database, post_db_id: str) -> str:
    """The newest capture that saw the post with its content, else its newest; UsageError if none."""
    found = content_capture_of(post_captures(db, post_db_id), post_versions_timed(db, post_db_id))
    if found is None:
        raise UsageError(f"post {post_db_id} has no capture")
    return found["id"]


def content_capture_of(captures: list[dict], versions: list[dict]) -> dict | None:
    """`latest_content_capture` over rows already read: `post_captures` and
    `post_versions_timed`. None if the post has no capture but failed ones."""
    captures = [c for c in reversed(captures) if c["status"] != "error"]
    for capture in captures:
        version = version_in_force(versions, capture["started_at"])
        if version is not None and version["status"] == POST_OK:
            return capture
    return captures[0] if captures else None


def last_content_capture_before(db: Database, post_db_id: str, at: str) -> str | None:
    """The last capture at or before `at` that saw the post with its content (not gone)."""
    sql = (
        "select pv.capture_id from post_versions pv join captures c on c.id = pv.capture_id "
        "where pv.post_id = ? and pv.status = ? and c.started_at <= ? "
        "order by c.started_at desc limit 1"
    )
    return _value(db, sql, [post_db_id, POST_OK, at])


def post_state_now(db: Database, post_db_id: str) -> dict | None:
    """The post's status now, since when, and the post it quotes."""
    sql = "select status, status_since, quote_of from posts where id = ?"
    return _first(db, sql, [post_db_id])


# -- what a target means ---------------------------------------------------------


def capture_for_target(db: Database, target: Target) -> tuple[str, str | None]:
    """(capture id, post id) that a citation of the target means: a post's newest capture that
    holds its content, a capture itself, a media file's post (or the capture of the file
    itself), a page's capture. UsageError when there is none."""
    if target.type == "capture":
        return target.id, None
    if target.type == "post":
        return latest_content_capture(db, target.id), target.id
    if target.type == "media":
        sql = "select post_id from post_media where sha256 = ? order by post_id limit 1"
        post_id = _value(db, sql, [target.id])
        if post_id is not None:
            return latest_content_capture(db, post_id), post_id
        sql = "select id from captures where body_sha256 = ? order by started_at desc limit 1"
        capture_id = _value(db, sql, [target.id])
        if capture_id is None:
            raise UsageError(f"no post or capture in the archive shows media {target.id}")
        return capture_id, None
    capture_id = _value(db, "select capture_id from pages where cast(id as text) = ?", [target.id])
    if capture_id is None:
        raise UsageError(f"nothing in the archive to cite for {str(target)!r}")
    return capture_id, None


def captures_to_export(db: Database, targets: list[Target]) -> list[str]:
    """The captures an export of the targets writes, each once: every capture of a post (see
    post_captures), the capture a citation of anything else means; every capture for none."""
    if not targets:
        return capture_ids(db)
    ids: list[str] = []
    for target in targets:
        if target.type == "post":
            ids += [capture["id"] for capture in post_captures(db, target.id)]
        else:
            ids.append(capture_for_target(db, target)[0])
    return list(dict.fromkeys(ids))


def post_ids_by_author(db: Database, platform: str, handle: str, id_suffix: str) -> list[str]:
    """The archived posts on `platform` by `handle` whose id ends with `id_suffix`."""
    return [
        row[0]
        for row in db.execute(
            "select id from posts where author_handle = :handle and platform = :platform"
            " and substr(id, -length(:suffix)) = :suffix",
            {"suffix": id_suffix, "handle": handle, "platform": platform},
        )
    ]
