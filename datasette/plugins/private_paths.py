"""Where the archive lives on the server's disk is not the readers' business.

Datasette's /-/databases lists each database with its absolute path, to anyone. This
route answers in its place (plugin routes come before Datasette's own) with the same
list, less the path. /-/metadata.json holds no path: serve keeps the blob store's
location on the Datasette instance.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response


@hookimpl
def register_routes(datasette):
    return [(r"^/-/databases(?P<format>\.json)?$", databases)]


async def databases(request, datasette):
    listed = [
        {key: value for key, value in db.items() if key != "path"}
        for db in datasette._connected_databases()
    ]
    return Response.json(listed)
