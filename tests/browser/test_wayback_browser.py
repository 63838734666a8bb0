"""The post page in Debian's Chromium shows the post's second copy at the Wayback Machine.

The archive is made through the whole pipeline (archive --wayback) against the replay
server: the recorded X photo post, and the modelled Save Page Now answers of
tests/wayback_server.py. A failed submission is listed with its reason.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from test_cli import PHOTO_ID, archive_args, run, serve_photo_post
from wayback_server import SAVED_AT, WAYBACK, serve_anonymous_save

from archiver.web.serve import make_datasette

pytestmark = pytest.mark.browser


def test_post_page_shows_the_wayback_copy_and_a_failed_submission(
    replay, settings, page, serve_app, tmp_path
):
    serve_photo_post(replay)
    first = json.loads(
        run(archive_args(settings, "--json", f"https://x.com/i/status/{PHOTO_ID}")).stdout
    )
    db = sqlite3.connect(settings.db_path)
    (post_url,) = db.execute("select url from posts where id = ?", first["post_ids"]).fetchone()
    db.close()
    replay.add(f"{WAYBACK}/save/{post_url}", "busy", status=503, headers={"Retry-After": "3600"})
    run(archive_args(settings, "--wayback", post_url))  # refused: recorded, the capture kept
    serve_anonymous_save(replay, post_url)
    assert run(archive_args(settings, "--wayback", post_url)).exit_code == 0
    copy = f"{WAYBACK}/web/{SAVED_AT}/{post_url}"

    with serve_app(make_datasette(settings).app()) as base:
        page.goto(f"{base}/-/post/{first['post_ids'][0]}", wait_until="load")
        banner = page.locator("p.archiver-wayback-copy")
        assert banner.is_visible()
        assert "Second copy: Wayback Machine, saved 2026-12-07T13:45:12Z" in banner.inner_text()
        assert banner.locator("a").get_attribute("href") == copy
        table = page.locator("section.archiver-wayback")
        assert "Wayback Machine copies (1 of 2 submissions)" in table.inner_text()
        assert "the Wayback Machine answered HTTP 503" in table.inner_text()
        table.scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "wayback.png", full_page=True)
        assert not page.errors
