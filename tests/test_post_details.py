"""Details a post shows besides text and media, on the served post page, in `archive --json`,
and under `archiver verify` (no browser; tests/browser/test_post_details_browser.py looks)."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from click.testing import CliRunner
from details_archive import (
    CARD_POST,
    HOSTILE_POST,
    LABELLED_POST,
    POLL_POST,
    WAITING_POST,
    build_details_archive,
)
from recorded import serve_fixture
from sqlite_utils import Database

from archiver.cli.commands import main
from archiver.evidence.verify import verify_archive
from archiver.web.serve import make_datasette


def post_page(settings, post_id: str) -> str:
    ds = make_datasette(settings)
    path = "/archive/posts/" + post_id.replace(":", "~3A").replace("/", "~2F")
    page = asyncio.run(ds.client.get(path))
    assert page.status_code == 200
    return page.text


def test_card_poll_label_and_processing_notes_are_shown(replay, settings):
    archive = build_details_archive(replay, settings)
    assert archive.statuses == {
        CARD_POST: "ok", HOSTILE_POST: "ok", POLL_POST: "ok", WAITING_POST: "partial",
        LABELLED_POST: "ok",
    }  # fmt: skip

    card = post_page(settings, CARD_POST)
    assert 'class="archiver-card"' in card
    assert "Tutorial: Tic-Tac-Toe \u2013 React" in card and "react.dev" in card
    assert 'href="https://beta.reactjs.org/learn/tutorial-tic-tac-toe"' in card

    poll = post_page(settings, POLL_POST)
    assert "Mata Hari, the second outfit" in poll and "67%" in poll and "61 votes" in poll
    assert "&lt;b&gt;Something else&lt;/b&gt;" in poll and "<b>Something else" not in poll

    labelled = post_page(settings, LABELLED_POST)
    assert "not to show their posts to logged-out readers" in labelled
    assert '<code class="archiver-label">!no-unauthenticated</code>' in labelled

    waiting = post_page(settings, WAITING_POST)
    assert "Not everything the platform lists could be archived" in waiting
    assert "still processing the video (processing)" in waiting


def test_a_hostile_card_renders_inert(replay, settings):
    build_details_archive(replay, settings)
    html = post_page(settings, HOSTILE_POST)
    for live in ["<script>alert", "<img src=x", "<svg onload", 'href="javascript:']:
        assert live not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<code>javascript:alert(4)</code>" in html  # the card's link, as text only


def test_archive_json_says_what_could_not_be_archived_yet(replay, settings):
    serve_fixture(
        replay, "https://www.reddit.com/r/crafts/comments/13opkyi.json", "reddit",
        "comments_json_crafts_13opkyi_gallery_unprocessed_derived.json",
    )  # fmt: skip
    result = CliRunner().invoke(
        main,
        ["archive", "https://www.reddit.com/r/crafts/comments/13opkyi/x/", "--json",
         "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir),
         "--connect-to", f"*={replay.base_url}"],
    )  # fmt: skip
    printed = json.loads(result.output.strip().splitlines()[-1])
    assert (printed["status"], printed["post_ids"], printed["media_sha256s"]) == (
        "partial",
        [POLL_POST],
        [],
    )
    assert "Reddit lists 5 gallery items; 5 could not be downloaded" in printed["error"]
    details = printed["post_details"][POLL_POST]
    assert details["gallery"] == {"items": 5, "downloadable": 0}
    assert details["incomplete"] in printed["error"]


def tamper(settings, sql: str, *params) -> set[tuple[str, str]]:
    conn = sqlite3.connect(settings.db_path)
    conn.execute(sql, params)
    conn.commit()
    conn.close()
    report = verify_archive(settings)
    assert not report.ok
    return {(p.kind, p.where) for p in report.problems}


def edited_details(settings, post_id: str, edit) -> str:
    details = json.loads(Database(settings.db_path)["posts"].get(post_id)["details"])
    edit(details)
    return json.dumps(details)


@pytest.mark.parametrize(
    "post_id,edit",
    [
        (POLL_POST, lambda d: d["poll"]["options"][1].update(votes=170)),
        (LABELLED_POST, lambda d: d.pop("notices")),
        (CARD_POST, lambda d: d["card"].update(url="https://elsewhere.example/")),
        (WAITING_POST, lambda d: d.pop("incomplete")),
    ],
)
def test_verify_passes_untouched_and_catches_edited_details(replay, settings, post_id, edit):
    build_details_archive(replay, settings)
    report = verify_archive(settings)
    assert report.ok, report.problems
    changed = edited_details(settings, post_id, edit)
    found = tamper(settings, "update posts set details = ? where id = ?", changed, post_id)
    assert ("row", f"posts {post_id}") in found


def test_verify_catches_a_partial_capture_passed_off_as_ok(replay, settings):
    build_details_archive(replay, settings)
    found = tamper(
        settings,
        "update captures set status = 'ok', error = null where post_db_id = ?",
        WAITING_POST,
    )
    assert any(kind == "row" and "captures" in where for kind, where in found), found
