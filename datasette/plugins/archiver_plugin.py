"""Datasette hooks for the archive: the blob and thumbnail routes, media cells and the post page.

The post page is served at the URL of Datasette's row page for `posts` (so every foreign
key that points at a post links to it) by the route below, not by Datasette's row view:
that view ran some 70 statements of its own (foreign-key counts, cell hooks) for a page
rebuilt here from the post's rows in eight (archiver/web/post_page.py, bench/README.md),
laid out by `templates/archiver_post_page.html` in Datasette's chrome.
Analysts' annotations, sign-in and the map are in archiver_annotations.py.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import unquote

from datasette import hookimpl
from datasette.utils import escape_fts, tilde_decode, urlsafe_components
from datasette.utils.asgi import NotFound, Response
from datasette.views.row import RowView
from markupsafe import Markup

from archiver.media.blobstore import blob_relpath, is_sha256
from archiver.media.s3blobs import S3BlobStore
from archiver.media.sniff import sniff_mime
from archiver.store.queries_post_page import media_file
from archiver.web.blobhttp import safe_content_type, send_file, send_object
from archiver.web.post_page import post_page_context
from archiver.web.post_view import media_url, post_url, thumb_url
from archiver.web.serve import Archive, archive_config, read_archive, tune_connection

# -- routes ------------------------------------------------------------------


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/media/(?P<sha256>[^/]*)$", stored_file_route(locate_blob)),
        (r"^/-/thumb/(?P<sha256>[^/]*)$", stored_file_route(locate_thumbnail)),
        (r"^/-/post/(?P<post_id>[^/]+)$", redirect_to_post),
        # A post's row page (Datasette's own route for it comes after the plugins'); its JSON
        # (a format extension) stays Datasette's.
        (r"^/(?P<database>[^/.]+)/posts/(?P<pks>[^/.]+)$", post_page_route),
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
        media = await read_archive(datasette, archive, media_file, sha256)
        found = locate(archive, sha256, media or {})
        if found is None:
            return not_found()
        where, content_type, etag = found
        how = {"content_type": content_type, "range_header": request.headers.get("range"),
               "head_only": request.method == "HEAD", "etag": etag}  # fmt: skip
        if isinstance(where, Path):
            await send_file(send, where, filename=where.name, **how)
        else:  # on S3: streamed through this server, with the same inert headers
            store, relpath, size = where
            await send_object(
                send, store, relpath, size, filename=relpath.rsplit("/", 1)[-1], **how
            )

    return serve


def stored_object(archive: Archive, relpath: str) -> tuple | None:
    """(store, relpath, length) of an object of the archive's S3 blob store; None if missing."""
    store = s3_store(archive.blob_url)
    size = store.size_of(relpath)
    return None if size is None else (store, relpath, size)


@functools.cache
def s3_store(url: str) -> S3BlobStore:
    return S3BlobStore(url)  # one boto3 client for the server's threads (clients are thread-safe)


def locate_blob(archive: Archive, sha256: str, media: dict) -> tuple | None:
    """The blob by its hash only: the path is never built from anything else the request says."""
    if archive.blob_url:
        found = stored_object(archive, blob_relpath(sha256))
        return (found, safe_content_type(media.get("mime")), sha256) if found else None
    path = archive.blobs_dir / blob_relpath(sha256)
    return (path, safe_content_type(media.get("mime")), sha256) if path.is_file() else None


def locate_thumbnail(archive: Archive, sha256: str, media: dict) -> tuple | None:
    if archive.blob_url:  # only where analysis puts a thumbnail (a JPEG) is looked at
        relpath = media.get("thumbnail_path")
        if relpath != f"thumbs/{sha256[:2]}/{sha256}.jpg":  # analyse.thumbnail_relpath
            return None
        found = stored_object(archive, relpath)
        return (found, "image/jpeg", None) if found else None
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
        media = await read_archive(datasette, archive, media_file, sha256) or {}
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


# -- the post page -----------------------------------------------------------


async def post_page_route(request, send, datasette):
    """The post page: the post's rows read in one trip (archiver/web/post_page.py), laid out by
    `_archiver_post.html` in Datasette's chrome. Datasette's row page for anything else."""
    archive = archive_config(datasette)
    database = tilde_decode(request.url_vars["database"])
    if archive is None or database != archive.database or request.method != "GET":
        return await RowView.as_view(datasette)(request, send)
    # The row page's permission checks (the table, the database, the instance; Forbidden if
    # refused), less its second round as an anonymous reader for the 🔒 it puts in its heading.
    await datasette.ensure_permissions(
        request.actor,
        [("view-table", (database, "posts")), ("view-database", database), "view-instance"],
    )
    post_id = urlsafe_components(request.url_vars["pks"])[0]
    context = await post_page_context(datasette, archive, post_id, request)
    if context is None:
        raise NotFound("Record not found")
    html = await datasette.render_template(
        "archiver_post_page.html", context, request=request, view_name="archiver_post"
    )
    return Response.html(html)
