"""Searches that match most of the archive: answered in time where they can be, and where
they cannot, a page that says so and how to narrow the search instead of showing SQL.

The statements Datasette's table view makes for a search are planned by
archiver/store/search_plan.py on the archive's connection (counted in the full-text index,
rows found by walking the order's index, no facets over most of the archive).

A broad search ordered by a column with no index (or any other statement of one that runs
out of time) still sorts every matching row; Datasette then answers "SQL Interrupted" with
the query's text. An analyst needs to hear that the search was too broad and what narrows it.
"""

from __future__ import annotations

from contextvars import ContextVar

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

from archiver.store import search_plan
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


# Each request's count of matches per search statement: its rows, count and facets ask once.
_matches: ContextVar[dict | None] = ContextVar("archiver_search_matches", default=None)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def each_request(scope, receive, send):
            token = _matches.set({})
            try:
                await app(scope, receive, send)
            finally:
                _matches.reset(token)

        return each_request

    return wrap


@hookimpl
def startup(datasette):
    archive = archive_config(datasette)
    if archive is None:
        return
    database = datasette.get_database(archive.database)
    if not getattr(database.execute, "plans_searches", False):
        database.execute = planned(database.execute)


def planned(execute):
    """Datasette's `Database.execute`, with the statements of a search planned first."""

    async def run(sql, params=None, *args, **kwargs):
        search = search_plan.search_in(sql) if isinstance(sql, str) else None
        if search is not None:
            sql = await plan(execute, sql, search, params)
        return await execute(sql, params, *args, **kwargs)

    run.plans_searches = True
    return run


async def plan(execute, sql: str, search, params) -> str:
    counted = search_plan.fts_count(sql)
    if counted is not None:
        return counted
    memo = _matches.get()
    key = (search.group(0), repr(params))
    if memo is None or key not in memo:
        try:
            found = await execute(search_plan.matches_sql(search), params, log_sql_errors=False)
        except Exception:  # a malformed search: the statement itself says what is wrong
            return sql
        if memo is not None:
            memo[key] = found.rows[0][0]
        matches = found.rows[0][0]
    else:
        matches = memo[key]
    if search_plan.is_facet(sql):
        if matches > search_plan.FACETS_UP_TO:
            raise QueryInterrupted(None, sql, params)  # the page lists the facet as timed out
        return sql
    if matches < search_plan.BROAD_MATCHES:
        return sql
    return search_plan.broad(sql) or sql
