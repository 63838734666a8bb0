"""SIGKILL while an article's embedded posts are fetched: the page capture is whole or absent, and a re-run completes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

from click.testing import CliRunner
from faults import (
    archive_command,
    article_html,
    assert_consistent,
    count_posts,
    query,
    serve_photo_post,
)
from recorded import SYNDICATION

from archiver.cli.commands import main
from archiver.web.replay import ReplayResponse

ARTICLE = "https://news.example/2024/08/three-posts"
POST_IDS = ["1700000000000000001", "1700000000000000002", "1700000000000000003"]


def page_capture_state(settings) -> dict[str, int]:
    """How many rows of each part of a page capture the archive holds."""
    counts = query(
        settings,
        "select (select count(*) from captures where kind = 'page'),"
        " (select count(*) from pages), (select count(*) from embeds),"
        " (select count(*) from manifests m join captures c on c.id = m.capture_id"
        "  where c.kind = 'page'),"
        " (select count(*) from warc_records w join captures c on c.id = w.capture_id"
        "  where c.kind = 'page')",
    )[0]
    return dict(
        zip(["captures", "pages", "embeds", "manifests", "warc_records"], counts, strict=True)
    )


def syndication_fetches(replay, post_id: str) -> int:
    return len(
        [r for r in replay.requested("cdn.syndication.twimg.com") if r.query.get("id") == post_id]
    )


def verify(settings) -> None:
    verified = CliRunner().invoke(
        main, ["verify", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    )
    assert verified.exit_code == 0, verified.output


def test_a_kill_during_an_articles_embeds_leaves_the_whole_page_or_none(replay, settings):
    replay.add(ARTICLE, article_html(POST_IDS), content_type="text/html")
    for post_id in POST_IDS:
        serve_photo_post(replay, post_id)
    # The second embed's post never answers while the first run is alive.
    released = threading.Event()
    stalled = threading.Event()

    def stall(request, handler):
        stalled.set()
        released.wait(60)
        return ReplayResponse(503, {}, b"")

    replay.add(f"{SYNDICATION}?id={POST_IDS[1]}", handler=stall)

    proc = subprocess.Popen(
        archive_command(settings, replay, ARTICLE),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert stalled.wait(60), "the run never reached the second embed"
        deadline = time.monotonic() + 60  # a wait until, not a stopwatch: a busy machine is slow
        while count_posts(settings) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert count_posts(settings) == 1, "the first embedded post should be committed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        released.set()

    # The first post is whole; of the page capture, which commits after its last embed,
    # there is nothing: no capture without its manifest, no embeds without their page.
    assert_consistent(settings)
    assert set(page_capture_state(settings).values()) == {0}
    verify(settings)

    # The same command again: the archived post is linked, not fetched; the page written once.
    serve_photo_post(replay, POST_IDS[1])
    first_fetches = syndication_fetches(replay, POST_IDS[0])
    rerun = subprocess.run(
        archive_command(settings, replay, "--json", ARTICLE),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    result = json.loads(rerun.stdout)
    assert result["status"] == "ok" and result["kind"] == "page"
    assert [e["status"] for e in result["embeds"]] == ["archived"] * 3
    assert syndication_fetches(replay, POST_IDS[0]) == first_fetches

    state = page_capture_state(settings)
    assert state["captures"] == state["pages"] == state["manifests"] == 1
    assert state["embeds"] == 3 and state["warc_records"] > 0
    embeds = query(settings, "select post_db_id, status from embeds order by position")
    assert embeds == [(f"x:{post_id}", "archived") for post_id in POST_IDS]
    assert count_posts(settings) == 3
    assert_consistent(settings)
    verify(settings)
