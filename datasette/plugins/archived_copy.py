"""Datasette hooks for citable archived copies: the `/-/archive/<capture id>` page. (The
citation block on the post page, `_archiver_citation.html`, is archiver/web/post_page.py's.)

Thin: the page and the citations are made by archiver.evidence.copy_page and archiver.evidence.cite.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlite_utils import Database

from archiver.errors import UsageError
from archiver.evidence.archived import load_capture
from archiver.evidence.copy_page import render_archived_copy
from archiver.store.queries import page_of_capture
from archiver.web.serve import archive_database


def _base_url(datasette, request) -> str:
    """This archive's own address, as the reader reached it: archived-copy URLs are built on it."""
    return datasette.absolute_url(request, datasette.urls.path("/")).rstrip("/")


@hookimpl
def register_routes(datasette):
    return [(r"^/-/archive/(?P<capture_id>[^/]+)$", archived_copy_page)]


async def archived_copy_page(request, datasette):
    database = archive_database(datasette)
    capture_id = request.url_vars["capture_id"]
    headers = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
    if database is None:
        return Response.text("Not found", status=404, headers=headers)

    def build(conn):
        db = Database(conn)
        try:
            archived = load_capture(db, capture_id)
        except UsageError:
            return None
        return archived, page_of_capture(db, capture_id)

    found = await datasette.get_database(database).execute_fn(build)
    if found is None:
        return Response.text(
            f"The archive has no capture {capture_id}", status=404, headers=headers
        )
    archived, page = found
    html, policy = render_archived_copy(
        archived,
        media_href=lambda item: datasette.urls.path(f"/-/media/{item.sha256}"),
        base_url=_base_url(datasette, request),
        static=False,
        page=page,
    )
    return Response.html(html, headers=headers | {"content-security-policy": policy})


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/archiver-static/archiver-cite.css")]
