"""Datasette hooks for citable archived copies: the `/-/archive/<capture id>` page, and the
citation block on the post page (`_archiver_citation.html`, included by the post template).

Thin: the page and the citations are made by archiver.evidence.copy_page and archiver.evidence.cite.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.utils import urlsafe_components
from datasette.utils.asgi import Response
from sqlite_utils import Database

from archiver.errors import UsageError
from archiver.evidence.archived import load_capture
from archiver.evidence.copy_page import citations_for, render_archived_copy
from archiver.fetch.addresses import private_address
from archiver.store.queries import latest_content_capture, page_of_capture
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
def extra_template_vars(view_name, table, database, request, datasette):
    """`archiver_citation` for the post page: every style, citing the post's latest capture."""
    if view_name != "row" or table != "posts" or database != archive_database(datasette):
        return None
    if request is None or "pks" not in request.url_vars:
        return None
    post_id = urlsafe_components(request.url_vars["pks"])[0]

    async def citation_vars():
        def build(conn):
            db = Database(conn)
            try:
                capture_id = latest_content_capture(db, post_id)
                archived = load_capture(db, capture_id)
            except UsageError:
                return None
            return capture_id, citations_for(archived, base_url)

        base_url = _base_url(datasette, request)

        found = await datasette.get_database(database).execute_fn(build)
        if not found or not found[1]:
            return {"archiver_citation": None}
        capture_id, citations = found
        return {
            "archiver_citation": {
                "capture_id": capture_id,
                "archive_url": datasette.urls.path(f"/-/archive/{capture_id}"),
                "citations": citations,
                "script_url": datasette.urls.path("/archiver-static/archiver-cite.js"),
                # Reached at a private address, the citations name one readers cannot open.
                "private_host": private_address(urlsplit(base_url).hostname or "", resolve=False),
            }
        }

    return citation_vars


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/archiver-static/archiver-cite.css")]
