"""The archive's named reads behind the served archive's own pages: a post's page (its versions,
media, the articles that embed it, its captures, posts showing the same files) and a
media file's cells.

The Datasette plugins run these on Datasette's read connections (through `execute_fn`);
the captures the post page lists are `queries.post_captures`, as everywhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.store.queries import POST_CAPTURES, post_row, post_versions_timed

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

POST_MEDIA = """
    select pm.position, pm.type, pm.url, pm.alt_text, pm.error, pm.sha256,
           m.mime, m.bytes, m.width, m.height, m.duration_ms, m.phash, m.dhash,
           m.pdq, m.pdq_quality, m.exif, m.thumbnail_path, m.first_url, m.analysis_error,
           m.blob_path, m.sha256 is not null as kept,
           (select count(*) from media_matches mm where mm.sha256 = pm.sha256) as near_kept
    from post_media pm left join media m on m.sha256 = pm.sha256
    where pm.post_id = :id order by pm.position
"""
# The article's own copy of the post, beside the page it came from; an embed not linked to
# the post yet is found by the post's URL.
POST_EMBEDS = """
    select e.id, e.position, e.post_db_id, e.found_by, e.post_url, e.status, e.error,
           e.article_text, e.article_author, e.article_date,
           p.id as page_id, p.url as page_url, p.title as page_title, p.site_name,
           c.id as page_capture_id, c.started_at as page_captured_at
    from embeds e
    left join pages p on p.id = e.page_id
    left join captures c on c.id = p.capture_id
    where e.post_db_id = :id or (e.post_db_id is null and e.post_url = :url)
    order by c.started_at, e.page_id, e.position
"""
# Other posts showing the same file, or a near duplicate of it: the file's own media_matches
# rows (its K nearest near duplicates, archiver/media/nearest.py). Two plain joins,
# not one over a union: SQLite then builds a Bloom filter over all of post_media.
SIMILAR_POSTS = """
    select mine.position as position, other.post_id as post, p.author_handle, p.platform,
           p.created_at, p.status, m.sha256, m.thumbnail_path, 'same file' as match,
           case when m.pdq != '' then 0 end as pdq_distance,
           case when m.phash != '' then 0 end as phash_distance
    from post_media mine
    join media m on m.sha256 = mine.sha256
    join post_media other on other.sha256 = mine.sha256 and other.post_id != mine.post_id
    join posts p on p.id = other.post_id
    where mine.post_id = :id
    group by mine.position, other.post_id
    union all
    select mine.position, other.post_id, p.author_handle, p.platform, p.created_at,
           p.status, om.sha256, om.thumbnail_path, 'near duplicate', mm.pdq_distance,
           mm.phash_distance
    from post_media mine
    join media_matches mm on mm.sha256 = mine.sha256
    join post_media other on other.sha256 = mm.other_sha256 and other.post_id != mine.post_id
    join media om on om.sha256 = mm.other_sha256
    join posts p on p.id = other.post_id
    where mine.post_id = :id
    group by mine.position, other.post_id, om.sha256
    order by position, match desc, pdq_distance, post
"""


@dataclass
class PostPageRows:
    """Everything the post page shows of one post, as rows (versions as `post_versions_timed`)."""

    post: dict
    versions: list[dict]
    media: list[dict]
    embeds: list[dict]
    captures: list[dict]
    similar: list[dict]
    wayback: list[dict]  # its copies at the Wayback Machine (archive --wayback), newest first


WAYBACK_COLUMNS = ("id", "capture_id", "url", "api", "status", "wayback_url", "archived_at",
                   "job_id", "error", "submitted_at", "finished_at")  # fmt: skip
# The post's captures (as post_captures) with each one's Wayback copies, in one statement.
CAPTURES_WITH_WAYBACK = f"""
select c.*, case when c.post_db_id = :post_id then (
    select json_group_array(json_object({", ".join(f"'{k}', w.{k}" for k in WAYBACK_COLUMNS)}))
    from wayback_copies w where w.capture_id = c.id
) end as wayback_json
from ({POST_CAPTURES}) c
order by c.started_at, c.id
"""


def _captures_and_wayback(db: Database, post_db_id: str) -> tuple[list[dict], list[dict]]:
    """The post's captures, and the Wayback copies its own captures made, newest first."""
    captures, wayback = [], []
    for row in db.query(CAPTURES_WITH_WAYBACK, {"post_id": post_db_id}):
        wayback += json.loads(row.pop("wayback_json") or "[]")
        captures.append(row)
    wayback.sort(key=lambda w: (w["submitted_at"] or "", w["id"]), reverse=True)
    return captures, wayback


def post_page_rows(db: Database, post_db_id: str) -> PostPageRows | None:
    """The rows of the post's page, one statement each; None if there is no such post."""
    post = post_row(db, post_db_id)
    if post is None:
        return None
    captures, wayback = _captures_and_wayback(db, post_db_id)
    return PostPageRows(
        post=post,
        versions=post_versions_timed(db, post_db_id),
        media=list(db.query(POST_MEDIA, {"id": post_db_id})),
        embeds=list(db.query(POST_EMBEDS, {"id": post_db_id, "url": post["url"]})),
        captures=captures,
        similar=list(db.query(SIMILAR_POSTS, {"id": post_db_id})),
        wayback=wayback,
    )


def media_numbers(db: Database, post_db_id: str) -> dict[str, int]:
    """Which number each of the post's media files has on its page ("media 1", "media 2")."""
    sql = (
        "select sha256, min(position) + 1 as number from post_media"
        " where post_id = ? and sha256 is not null group by sha256"
    )
    return dict(db.execute(sql, [post_db_id]).fetchall())


def media_file(db: Database, sha256: str) -> dict | None:
    """What a media cell and the file routes need: its type and its thumbnail; None if unknown."""
    sql = "select mime, thumbnail_path from media where sha256 = ?"
    return next(db.query(sql, [sha256]), None)
