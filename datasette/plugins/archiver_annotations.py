"""Datasette hooks for analysts' annotations: the form's POST, sign-in, the map, the post page's block.

Thin: reading, rules and writing are in the `annotations` package. Sign-in is a link
`archiver serve` prints (archiver/web/serve.py keeps the tokens on the Datasette instance);
any Datasette auth plugin that sets an actor works too, the actor's id being the author.
The post page (archiver_plugin.py) gets `archiver_annotations` from extra_template_vars.
"""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils import tilde_encode, urlsafe_components
from datasette.utils.asgi import Response
from sqlite_utils import Database

from annotations import geolocated, post_targets, render_note, target_state
from annotations.report import state_dict
from annotations.web import ANNOTATE_PATH, can_annotate, safe_return_path, save_form
from archiver.errors import InvalidAnnotation
from archiver.store.queries_post_page import media_numbers
from archiver.web.serve import SIGN_IN_PATH, archive_database

MAP_PATH = "/-/map"


def _post_url(datasette, database: str, post_id: str) -> str:
    return datasette.urls.row(database, "posts", tilde_encode(post_id))


def sign_in_url(datasette, back_to: str) -> str:
    return datasette.urls.path(f"{SIGN_IN_PATH}?next={quote(back_to)}")


def world_url(datasette) -> str:
    return datasette.urls.path("/archiver-static/world.svg")


async def read(datasette, database: str, fn, *args):
    """Run an `annotations` reader on a read connection of the archive."""
    return await datasette.get_database(database).execute_fn(lambda conn: fn(Database(conn), *args))


def _not_found() -> Response:
    return Response.text("Not found", status=404, headers={"x-content-type-options": "nosniff"})


# -- routes ------------------------------------------------------------------


@hookimpl
def register_routes(datasette):
    return [
        (rf"^{ANNOTATE_PATH}$", annotate),
        (rf"^{SIGN_IN_PATH}$", sign_in),
        (rf"^{MAP_PATH}$", annotations_map),
    ]


async def annotate(request, datasette):
    """The annotation form's POST: signed-in actors only (CSRF is Datasette's), then back."""
    database = archive_database(datasette)
    if database is None:
        return _not_found()
    if request.method != "POST":
        return Response.text("Method not allowed", status=405)
    if not await can_annotate(datasette, request.actor):
        return Response.text("Sign in to annotate: anonymous visitors can only read.", status=403)
    form = dict(await request.post_vars())
    back = safe_return_path(form.get("return_to")) or datasette.urls.instance()
    try:
        saved = await save_form(datasette, database, form, request.actor)
    except InvalidAnnotation as exc:
        datasette.add_message(request, f"Not saved: {exc}", datasette.ERROR)
        return Response.redirect(back + "#annotate")
    datasette.add_message(request, f"Saved #{saved.id}: {saved.summary()}", datasette.INFO)
    sealing = getattr(datasette, "archiver_seal", None)
    if sealing:  # a TSA is configured: anchor the chain's head after this annotation
        said = await asyncio.to_thread(sealing)
        if said:
            datasette.add_message(request, "; ".join(line.strip() for line in said), datasette.INFO)
    return Response.redirect(back + "#annotations")


async def sign_in(request, datasette):
    """Exchange a token `archiver serve` printed for a signed actor cookie, by POST only.

    The printed link carries the token in its query; opening it (GET) only shows a button
    that posts it (CSRF-protected), so a link someone else sends cannot sign a reader in
    as them (login CSRF). The form's token field keeps a pasted token out of the address
    bar and the browser's history.
    """
    tokens = getattr(datasette, "archiver_sign_in", None) or {}
    given = await request.post_vars() if request.method == "POST" else request.args
    token, back = given.get("token"), given.get("next")
    name = next((n for t, n in tokens.items() if token and secrets.compare_digest(t, token)), None)
    # Datasette's CSRF check passes a POST that carries no cookie at all, which is what a
    # cross-site form sends: a sign-in is only taken from this site's own page.
    from_this_site = "ds_csrftoken" in request.cookies
    if name is None or request.method != "POST" or not from_this_site:
        html = await datasette.render_template(
            "archiver_sign_in.html",
            {
                "failed": token is not None and name is None,
                "enabled": bool(tokens),
                "next": safe_return_path(back) or "",
                "confirm_name": name,
                "confirm_token": token if name else "",
            },
            request=request,
        )
        # No Referer from this page: its address may hold a token.
        headers = {"referrer-policy": "no-referrer"}
        refused = token is not None and (name is None or request.method == "POST")
        status = 403 if refused else 200
        return Response.html(html, status=status, headers=headers)
    response = Response.redirect(safe_return_path(back) or datasette.urls.instance())
    response.set_cookie("ds_actor", datasette.sign({"a": {"id": name}}, "actor"), httponly=True)
    datasette.add_message(request, f"Signed in as {name}: you can annotate.", datasette.INFO)
    return response


async def annotations_map(request, datasette):
    """Every current geolocation on one map, each linking to its post."""
    database = archive_database(datasette)
    if database is None:
        return _not_found()
    points = await read(datasette, database, geolocated)
    for point in points:
        point["url"] = _post_url(datasette, database, point["post"]) if point["post"] else None
        point["label"] = f"{point['target_type']} {point['target_id']}"
        point["body_html"] = render_note(point["body"])
    html = await datasette.render_template(
        "archiver_map.html", {"points": points, "world_url": world_url(datasette)}, request=request
    )
    return Response.html(html)


# -- hooks -------------------------------------------------------------------


@hookimpl
def extra_js_urls(datasette):
    return [{"url": datasette.urls.path("/archiver-static/archiver-map.js"), "module": False}]


@hookimpl
def menu_links(datasette, actor, request):
    if archive_database(datasette) is None:
        return None
    links = [{"href": datasette.urls.path(MAP_PATH), "label": "Map of geolocations"}]
    if not actor:
        path = request.path if request else "/"
        links.append({"href": sign_in_url(datasette, path), "label": "Sign in to annotate"})
    return links


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    archive_db = archive_database(datasette)
    if view_name != "row" or table != "posts" or archive_db is None or database != archive_db:
        return None
    if request is None or "pks" not in request.url_vars:
        return None
    post_id = urlsafe_components(request.url_vars["pks"])[0]

    async def annotation_vars():
        block = await annotations_block(datasette, database, post_id, request)
        return {"archiver_annotations": block}

    return annotation_vars


async def annotations_block(datasette, database: str, post_id: str, request) -> dict:
    """The post's and its media files' annotations, and what the form needs."""

    def read_states(db: Database) -> list[tuple]:
        # One trip to Datasette's query thread for the post and all its media files.
        numbers = media_numbers(db, post_id)
        return [
            (target, target_state(db, target), numbers.get(target.id, ""))
            for target in post_targets(db, post_id)
        ]

    states = []
    for target, target_now, number in await read(datasette, database, read_states):
        state = state_dict(target_now, html=True)
        state["label"] = (
            "this post" if target.type == "post" else f"media {number} ({target.id[:12]}…)"
        )
        states.append(state)
    actor = request.actor
    return {
        "targets": states,
        "points": [s["geolocation"] | {"label": s["label"]} for s in states if s["geolocation"]],
        "can_annotate": await can_annotate(datasette, actor),
        "actor": actor.get("id") if actor else None,
        "action_url": datasette.urls.path(ANNOTATE_PATH),
        "return_to": request.path,
        "sign_in_url": sign_in_url(datasette, request.path),
        "world_url": world_url(datasette),
    }
