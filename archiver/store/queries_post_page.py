"""The archive's named reads behind the served archive's own pages: a post's page (its versions,
media, the articles that embed it, its captures, posts showing the same files) and a
media file's cells.

The Datasette plugins run these on Datasette's read connections (through `execute_fn`);
the captures the post page lists are `queries.post_captures`, as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.store.queries import post_captures, post_row
from archiver.store.queries_evidence import post_wayback_copies

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

POST_MEDIA = """
    select pm.position, pm.type, pm.url, pm.alt_text, pm.error, pm.sha256,
           m.mime, m.bytes, m.width, m.height, m.duration_ms, m.phash, m.dhash,
           m.pdq, m.pdq_quality, m.exif, m.thumbnail_path, m.first_url, m.analysis_error
    from post_media pm left join media m on m.sha256 = pm.sha256
    where pm.post_id = :id order by pm.position
"""
# The article's own copy of the post, beside the page it came from; an embed not linked to
# the post yet is found by the post's URL.
POST_EMBEDS = """
    select e.id, e.position, e.found_by, e.post_url, e.status, e.error,
           e.article_text, e.article_author, e.article_date,
           p.id as page_id, p.url as page_url, p.title as page_title, p.site_name,
           c.id as page_capture_id, c.started_at as page_captured_at
    from embeds e
    left join pages p on p.id = e.page_id
    left join captures c on c.id = p.capture_id
    where e.post_db_id = :id or (e.post_db_id is null and e.post_url = :url)
    order by c.started_at, e.page_id, e.position
"""
POST_VERSIONS = """
    select id, capture_id, captured_at, status, content_sha256, text, media_sha256s
    from post_versions where post_id = :id order by id
"""
# Other posts showing the same file, or a near duplicate of it: the pairs
# archiver/store/media_matches.py wrote when each file was first saved. Two plain joins,
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
    """Everything the post page shows of one post, as rows."""

    post: dict
    versions: list[dict]
    media: list[dict]
    embeds: list[dict]
    captures: list[dict]
    similar: list[dict]
    wayback: list[dict]  # its copies at the Wayback Machine (archive --wayback), newest first


def post_page_rows(db: Database, post_db_id: str) -> PostPageRows | None:
    """The rows of the post's page; None if there is no such post."""
    post = post_row(db, post_db_id)
    if post is None:
        return None
    return PostPageRows(
        post=post,
        versions=list(db.query(POST_VERSIONS, {"id": post_db_id})),
        media=list(db.query(POST_MEDIA, {"id": post_db_id})),
        embeds=list(db.query(POST_EMBEDS, {"id": post_db_id, "url": post["url"]})),
        captures=post_captures(db, post_db_id),
        similar=list(db.query(SIMILAR_POSTS, {"id": post_db_id})),
        wayback=post_wayback_copies(db, post_db_id),
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
