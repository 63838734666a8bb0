"""A search too broad to answer in time says so, and how to narrow it, instead of showing SQL.

On a large archive a search for a word in most posts cannot be listed newest first within
Datasette's SQL time limit: its table query sorts every matching row, read whole (the
platform's JSON included), and on 1 M posts a word in 94 % of them takes seconds
(bench/README.md). Datasette then answers "SQL Interrupted" with the query's text. An
analyst needs to hear that the search was too broad and what narrows it.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

from archiver.web.serve import archive_config

TITLE = "Search too broad"


@hookimpl
def handle_exception(datasette, request, exception):
    if not isinstance(exception, DatasetteError) or exception.title != "SQL Interrupted":
        return None
    if request is None or archive_config(datasette) is None:
        return None
    terms = [request.args.get(key) for key in request.args if key.startswith("_search")]
    search = " ".join(term for term in terms if term)
    if not search:
        return None
    seconds = datasette.setting("sql_time_limit_ms") / 1000
    message = (
        f"The search for “{search}” matches too many rows to list within the {seconds:g}-second"
        " limit. Narrow it: add another word, put a phrase in quotes, or filter the rows first"
        " (a platform, an author, a status, or a range of created_at)."
    )
    if request.path.endswith(".json"):
        body = {"ok": False, "error": message, "status": 400, "title": TITLE}
        return Response.json(body, status=400)

    async def page():
        context = {"title": TITLE, "error": message, "status": 400}  # escaped by the template
        html = await datasette.render_template("error.html", context, request=request)
        return Response.html(html, status=400)

    return page
