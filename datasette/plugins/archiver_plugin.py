"""Datasette hooks for the archive: the blob and thumbnail routes, media cells and the post page.

The post page is Datasette's own row page for `posts` (so every foreign key
that points at a post already links to it); `templates/row.html` swaps in
`_archiver_post.html` when `extra_template_vars` below supplies `archiver_post`.
Analysts' annotations, sign-in and the map are in archiver_annotations.py.
What it reads is the store's named reads (archiver.store.queries_post_page), run on
Datasette's read connections.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

from datasette import hookimpl
from datasette.utils import escape_fts, sqlite_timelimit, tilde_encode, urlsafe_components
from datasette.utils.asgi import Response
from markupsafe import Markup
from sqlite_utils import Database

from archiver.evidence.textdiff import compare_copies
from archiver.media.blobstore import blob_relpath, is_sha256
from archiver.media.sniff import sniff_mime
from archiver.models import POST_OK
from archiver.store.queries_post_page import media_file, post_page_rows
from archiver.web.blobhttp import safe_content_type, send_file
from archiver.web.serve import Archive, archive_config, tune_connection

T = TypeVar("T")


async def read(datasette, archive: Archive, fn: Callable[..., T], *args) -> T:
    """Run one of the store's named reads on a read connection of the archive, under the time
    limit Datasette puts on each of its own queries (one trip to its query thread)."""

    def run(conn) -> T:
        with sqlite_timelimit(conn, datasette.setting("sql_time_limit_ms")):
            return fn(Database(conn), *args)

    return await datasette.get_database(archive.database).execute_fn(run)


# -- routes ------------------------------------------------------------------


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/media/(?P<sha256>[^/]*)$", stored_file_route(locate_blob)),
        (r"^/-/thumb/(?P<sha256>[^/]*)$", stored_file_route(locate_thumbnail)),
        (r"^/-/post/(?P<post_id>[^/]+)$", redirect_to_post),
    ]


@hookimpl
def prepare_connection(conn, database, datasette):
    # The canned search query: words as typed, never FTS syntax ('""' matches nothing).
    conn.create_function(
        "archiver_fts_query", 1, lambda q: escape_fts(q or "") or '""', deterministic=True
    )
    archive = archive_config(datasette)
    if archive is not None and database == archive.database:
        tune_connection(conn)


def not_found(what: str = "Not found") -> Response:
    return Response.text(what, status=404, headers={"x-content-type-options": "nosniff"})


def stored_file_route(locate):
    """A route serving the file `locate(archive, sha256, media row)` finds for a valid SHA-256."""

    async def serve(request, send, datasette):
        archive = archive_config(datasette)
        sha256 = request.url_vars["sha256"]
        if request.method not in ("GET", "HEAD"):
            return Response.text("Method not allowed", status=405)
        if archive is None or not is_sha256(sha256):
            return not_found()
        media = await read(datasette, archive, media_file, sha256)
        found = locate(archive, sha256, media or {})
        if found is None:
            return not_found()
        path, content_type, etag = found
        await send_file(
            send, path, content_type=content_type, range_header=request.headers.get("range"),
            head_only=request.method == "HEAD", etag=etag, filename=path.name,
        )  # fmt: skip

    return serve


def locate_blob(archive: Archive, sha256: str, media: dict) -> tuple[Path, str, str] | None:
    """The blob by its hash only: the path is never built from anything else the request says."""
    path = archive.blobs_dir / blob_relpath(sha256)
    return (path, safe_content_type(media.get("mime")), sha256) if path.is_file() else None


def locate_thumbnail(archive: Archive, sha256: str, media: dict) -> tuple[Path, str, None] | None:
    path = thumbnail_file(archive, media.get("thumbnail_path"))
    return (path, safe_content_type(sniff_mime(path)), None) if path else None


def thumbnail_file(archive: Archive, relpath: str | None) -> Path | None:
    """The thumbnail file, only if it is a file inside the blob store."""
    if not relpath:
        return None
    root = archive.blobs_dir.resolve()
    path = (root / relpath).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


async def redirect_to_post(request, datasette):
    """A URL for a post that does not depend on the database file's name (for citations)."""
    archive = archive_config(datasette)
    if archive is None:
        return not_found()
    post_id = unquote(request.url_vars["post_id"])
    return Response.redirect(post_url(datasette, archive, post_id))


def post_url(datasette, archive: Archive, post_id: str) -> str:
    return datasette.urls.row(archive.database, "posts", tilde_encode(post_id))


def media_url(datasette, sha256: str) -> str:
    return datasette.urls.path(f"/-/media/{sha256}")


def thumb_url(datasette, sha256: str) -> str:
    return datasette.urls.path(f"/-/thumb/{sha256}")


# -- hooks -------------------------------------------------------------------


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/archiver-static/archiver.css")]


# The only columns render_cell changes: every other cell returns at once, before
# any configuration lookup (a table page renders thousands of cells).
_CELL_COLUMNS = frozenset({"sha256", "thumbnail_path", "post", "page"})


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column not in _CELL_COLUMNS:
        return None
    archive = archive_config(datasette)
    if archive is None or database != archive.database:
        return None
    if (table, column) in (("media", "sha256"), ("post_media", "sha256"), (None, "sha256")):
        # A foreign key cell arrives expanded as {"value": ..., "label": ...}.
        sha256 = value.get("value") if isinstance(value, dict) else value
    elif (table, column) == ("media", "thumbnail_path") and value:
        sha256 = row["sha256"]
    elif (
        column == "post" and table in (None, "posts_overview") and isinstance(value, str) and value
    ):
        # The canned queries and the overview name a post id column "post": link it.
        return Markup('<a href="{}">{}</a>').format(post_url(datasette, archive, value), value)
    elif (table, column) == (None, "page") and isinstance(value, int):
        url = datasette.urls.row(archive.database, "pages", str(value))
        return Markup('<a href="{}">{}</a>').format(url, value)
    else:
        return None
    if not isinstance(sha256, str) or not is_sha256(sha256):
        return None

    async def media_cell():
        media = await read(datasette, archive, media_file, sha256) or {}
        if media.get("thumbnail_path"):
            preview = Markup('<img src="{}" alt="thumbnail" loading="lazy">').format(
                thumb_url(datasette, sha256)
            )
        else:
            preview = Markup("[{}]").format(media.get("mime") or "file")
        return Markup(
            '<a class="archiver-thumb" href="{}">{}</a><code class="archiver-hash">{}</code>'
        ).format(media_url(datasette, sha256), preview, sha256)

    return media_cell


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    archive = archive_config(datasette)
    if view_name != "row" or table != "posts" or archive is None or database != archive.database:
        return None
    if request is None or "pks" not in request.url_vars:
        return None
    post_id = urlsafe_components(request.url_vars["pks"])[0]

    async def post_vars():
        return {"archiver_post": await post_page(datasette, archive, post_id)}

    return post_vars


# -- the post page -----------------------------------------------------------


async def post_page(datasette, archive: Archive, post_id: str) -> dict | None:
    """Everything the post page shows, shaped for the template (which only lays it out)."""
    found = await read(datasette, archive, post_page_rows, post_id)
    if found is None:
        return None
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
        "reply_to_url": post_url(datasette, archive, post["reply_to"]) if post["reply_to"] else None,
        "quote_of_url": post_url(datasette, archive, post["quote_of"]) if post["quote_of"] else None,
        "json_url": datasette.urls.row(archive.database, "posts", tilde_encode(post_id), format="json"),
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


def external_link(url: str | None) -> dict | None:
    """A link to the live web only for http(s) URLs; anything else is shown as text."""
    if not url:
        return None
    return {"text": url, "href": url if url.lower().startswith(("http://", "https://")) else None}


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
