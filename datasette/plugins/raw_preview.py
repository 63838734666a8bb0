"""The platform's response (`raw`) in table listings: a short preview and its size, not all of it.

A post's `raw` is the platform's whole JSON (2 kB for a tweet, far more elsewhere): shown
whole, its column alone was 2,200 px wide on the demo's posts table. render_cell only shapes
HTML cells; `.json` and `.csv` still carry it whole, and the post page reads it itself. The
size links to the row's JSON, where all of it is.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils import format_bytes, tilde_encode
from markupsafe import Markup

from archiver.web.serve import archive_config

PREVIEW_CHARS = 80
_TABLES = frozenset({"posts", "post_versions"})


def raw_preview(value: str, json_url: str | None) -> Markup | None:
    """The first PREVIEW_CHARS characters (whitespace runs as one space), escaped, then the size."""
    if len(value) <= PREVIEW_CHARS:
        return None  # short enough to show as it is
    # Only the start is looked at: a megabyte of JSON is never split whole.
    preview = " ".join(value[: PREVIEW_CHARS * 4].split())[:PREVIEW_CHARS]
    size = format_bytes(len(value.encode()))  # Datasette's own, as its blob cells show
    if json_url is None:
        return Markup('<span class="archiver-raw-preview">{}… ({})</span>').format(preview, size)
    return Markup(
        '<span class="archiver-raw-preview">{}… <a href="{}" title="All of it, as JSON">({})</a></span>'
    ).format(preview, json_url, size)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    # Called for every cell of every table page: anything but `raw` leaves at once.
    if column != "raw" or table not in _TABLES or not isinstance(value, str):
        return None
    archive = archive_config(datasette)
    if archive is None or database != archive.database:
        return None
    try:
        pk = row["id"]  # both tables' primary key; a sqlite3.Row has no get()
    except (IndexError, KeyError):
        pk = None
    json_url = None
    if pk is not None:
        json_url = datasette.urls.row(database, table, tilde_encode(str(pk)), format="json")
    return raw_preview(value, json_url)
