"""The post page's data, read in one trip to Datasette's query thread: the post's rows
(archiver.store.queries_post_page), what analysts said about it and its media files
(annotations), and its citations (archiver.evidence), one statement for each kind of row.

`datasette/plugins/archiver_plugin.py` serves the page at the post's row URL with
`templates/archiver_post_page.html`; this module gives it the template's variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlite_utils import Database

from annotations import TargetState
from annotations.report import state_dict
from annotations.state import targets_of_post, targets_states
from annotations.web import ANNOTATE_PATH, can_annotate
from archiver.errors import UsageError
from archiver.evidence.archived import ArchivedCapture, citable_capture, load_capture
from archiver.evidence.copy_page import citations_for
from archiver.fetch.addresses import private_address
from archiver.store.queries import content_capture_of
from archiver.store.queries_evidence import capture_timestamps
from archiver.store.queries_post_page import PostPageRows, post_page_rows
from archiver.web.post_view import links_from_other_tables, post_vars
from archiver.web.serve import Archive, read_archive, sign_in_url, world_url


@dataclass
class PostPageData:
    rows: PostPageRows
    states: list[TargetState]  # the post's, then each of its media files'
    media_numbers: dict[str, int]  # "media 1", "media 2": a file's first position on the page
    cited: ArchivedCapture | None  # the capture its citations cite


def read_post_page(db: Database, post_id: str) -> PostPageData | None:
    """Everything the post page shows of one post; None if there is no such post."""
    rows = post_page_rows(db, post_id)
    if rows is None:
        return None
    numbers: dict[str, int] = {}
    for m in rows.media:
        if m["sha256"]:
            numbers.setdefault(m["sha256"], m["position"] + 1)
    states = targets_states(db, targets_of_post(post_id, list(numbers)))
    return PostPageData(rows, states, numbers, cited_capture(db, rows))


def cited_capture(db: Database, rows: PostPageRows) -> ArchivedCapture | None:
    """The post's newest capture holding its content (`queries.latest_content_capture`), as
    much of it as a citation reads; None if it has none."""
    capture = content_capture_of(rows.captures, rows.versions)
    if capture is None:
        return None
    kept = [m for m in rows.media if m["kept"]]
    timestamps = capture_timestamps(db, capture["id"])
    cited = citable_capture(rows.post, capture, rows.versions, kept, timestamps)
    if cited is not None:
        return cited
    try:  # the rows in hand are not enough for this capture: read it whole
        return load_capture(db, capture["id"])
    except UsageError:
        return None


async def post_page_context(datasette, archive: Archive, post_id: str, request) -> dict | None:
    """The post page template's variables; None if there is no such post."""
    found = await read_archive(datasette, archive, read_post_page, post_id)
    if found is None:
        return None
    return {
        "database": archive.database,
        "table": "posts",
        "archiver_post": post_vars(datasette, archive, found.rows),
        "archiver_annotations": await annotations_block(datasette, found, request),
        "archiver_citation": citation_block(datasette, found.cited, request),
        "foreign_key_tables": links_from_other_tables(datasette, archive, found.rows),
    }


async def annotations_block(datasette, found: PostPageData, request) -> dict:
    """The post's and its media files' annotations, and what the form needs."""
    states = []
    for target_now in found.states:
        state = state_dict(target_now, html=True)
        target = target_now.target
        number = found.media_numbers.get(target.id, "")
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


def citation_block(datasette, cited: ArchivedCapture | None, request) -> dict | None:
    """Every citation style, citing the post's latest capture (`_archiver_citation.html`)."""
    base_url = datasette.absolute_url(request, datasette.urls.path("/")).rstrip("/")
    citations = citations_for(cited, base_url) if cited is not None else []
    if not citations:
        return None
    return {
        "capture_id": cited.id,
        "archive_url": datasette.urls.path(f"/-/archive/{cited.id}"),
        "citations": citations,
        "script_url": datasette.urls.path("/archiver-static/archiver-cite.js"),
        # Reached at a private address, the citations name one readers cannot open.
        "private_host": private_address(urlsplit(base_url).hostname or "", resolve=False),
    }
