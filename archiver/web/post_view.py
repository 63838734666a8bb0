"""The post page's `archiver_post`: a post's rows (archiver.store.queries_post_page) shaped for
`templates/_archiver_post.html`, which only lays them out; and the archive's URLs for posts
and media files.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from datasette.utils import tilde_encode

from archiver.evidence.textdiff import compare_copies
from archiver.media.blobstore import is_sha256
from archiver.media.nearest import MATCHES_PER_FILE
from archiver.models import POST_OK
from archiver.store.queries_post_page import PostPageRows
from archiver.web.post_details import external_link, post_details
from archiver.web.serve import Archive

# The tables whose rows point at a post, each listed in full on its page: "Links from other
# tables" names them, as Datasette's row page did, counted from the rows the page read.
LINKED_TABLES = (("post_versions", "post_id"), ("post_media", "post_id"), ("embeds", "post_db_id"))


def post_vars(datasette, archive: Archive, found: PostPageRows) -> dict:
    """`archiver_post`: everything the post page shows, shaped for the template (which only
    lays it out)."""
    post = found.post
    versions = found.versions
    media = [media_item(datasette, m) for m in found.media]
    gone = post["status"] != POST_OK
    seen_ok = [v["captured_at"] for v in versions if v["status"] == POST_OK]
    return {
        **post,
        "heading": post_heading(post),
        "gone": gone,
        "last_seen_ok_at": seen_ok[-1] if gone and seen_ok else None,
        "origin_link": external_link(post["url"]),
        "metrics": json_object(post["metrics"]),
        "details": post_details(post["details"]),
        "reply_to_url": post_url(datasette, archive, post["reply_to"]) if post["reply_to"] else None,
        "quote_of_url": post_url(datasette, archive, post["quote_of"]) if post["quote_of"] else None,
        "json_url": datasette.urls.row(archive.database, "posts", tilde_encode(post["id"]), format="json"),
        "media": media,
        "embeds": [embed_item(datasette, archive, e, post) for e in found.embeds],
        "captures": [
            {**c, "row_url": datasette.urls.row(archive.database, "captures", tilde_encode(c["id"]))}
            for c in found.captures
        ],
        "versions": [
            {**v, "media_sha256s": json_list(v["media_sha256s"]), "same_text": v["text"] == post["text"]}
            for v in versions
        ],
        "wayback": [
            {**w, "link": external_link(w["wayback_url"]), "capture_url": datasette.urls.row(archive.database, "captures", tilde_encode(w["capture_id"]))}
            for w in found.wayback
        ],
        # Media whose near duplicates fill the K kept: more files may look like them.
        "similar_capped": [m["position"] + 1 for m in found.media if (m["near_kept"] or 0) >= MATCHES_PER_FILE],
        "matches_per_file": MATCHES_PER_FILE,
        "similar": [
            {**s, "url": post_url(datasette, archive, s["post"]), "thumb": thumb_url(datasette, s["sha256"]) if s["thumbnail_path"] else None}
            for s in found.similar
        ],
    }  # fmt: skip


def post_heading(post: dict) -> str:
    name = post["author_name"] or ""
    handle = f"@{post['author_handle']}" if post["author_handle"] else ""
    who = f"{name} ({handle})" if name and handle else name or handle or "unknown author"
    return f"{who} on {post['platform']}"


def media_item(datasette, row: dict) -> dict:
    mime = row["mime"] or ""
    sha256 = row["sha256"] if row["sha256"] and is_sha256(row["sha256"]) else None
    if sha256 is None:
        show = "missing"
    elif mime.startswith("image/"):
        show = "image"
    elif mime.startswith(("video/", "audio/")):
        show = mime.split("/")[0]
    else:
        show = "file"
    return {
        **row,
        "show": show,
        "src": media_url(datasette, sha256) if sha256 else None,
        "poster": thumb_url(datasette, sha256) if sha256 and row["thumbnail_path"] else None,
        "size": f"{row['width']}×{row['height']}" if row["width"] and row["height"] else None,
        "bytes_text": f"{row['bytes']:,} bytes" if row["bytes"] is not None else None,
        "exif": sorted(json_object(row["exif"]).items()),
        "source_link": external_link(row["url"]),
    }


def embed_item(datasette, archive: Archive, row: dict, post: dict) -> dict:
    # The article's copy against the post as the platform served it (not when the post's
    # only text is that very copy).
    served = post["text"] if post["source"] != "article" else None
    return {
        **row,
        "page_link": external_link(row["page_url"]),
        "page_row_url": datasette.urls.row(archive.database, "pages", str(row["page_id"])) if row["page_id"] is not None else None,
        **compare_copies(served, row["article_text"]),
    }  # fmt: skip


def json_object(text: str | None) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        k: v if isinstance(v, str | int | float) or v is None else json.dumps(v, ensure_ascii=False)
        for k, v in value.items()
    }


def json_list(text: str | None) -> list:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def post_url(datasette, archive: Archive, post_id: str) -> str:
    return datasette.urls.row(archive.database, "posts", tilde_encode(post_id))


def media_url(datasette, sha256: str) -> str:
    return datasette.urls.path(f"/-/media/{sha256}")


def thumb_url(datasette, sha256: str) -> str:
    return datasette.urls.path(f"/-/thumb/{sha256}")


def links_from_other_tables(datasette, archive: Archive, found: PostPageRows) -> list[dict]:
    """Datasette's row page's `foreign_key_tables` for a post, counted from the page's rows."""
    post_id = found.post["id"]
    counts = {
        "post_versions": len(found.versions),
        "post_media": len(found.media),
        "embeds": sum(e["post_db_id"] == post_id for e in found.embeds),
    }
    return [
        {
            "other_table": table, "other_column": column, "count": counts[table],
            "link": datasette.urls.table(archive.database, table) + "?" + urlencode({column: post_id}),
        }
        for table, column in LINKED_TABLES
    ]  # fmt: skip
