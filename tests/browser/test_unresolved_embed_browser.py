"""An embed code that names no post, on the archived-copy page of the article, in Chromium:
the page lists it with its platform, "unresolved" and the reason."""

from __future__ import annotations

import pytest
from recorded import serve_fixture

from archiver.pipeline.archive import Archiver
from archiver.web.serve import make_datasette

pytestmark = pytest.mark.browser


def test_archived_copy_page_shows_an_unresolved_embed_and_why(
    replay, settings, serve_app, page, tmp_path
):
    url = "https://blog.example/supplements"
    # A real page's Reddit embed code whose link holds a placeholder, not a post id.
    serve_fixture(replay, url, "corpus", "pages", "excerpt__unresolved_reddit_placeholder.html")
    with Archiver(settings) as archiver:
        result = archiver.archive(url)

    with serve_app(make_datasette(settings).app()) as base:
        page.goto(f"{base}/-/archive/{result.capture_id}")
        listed = page.locator("section.embeds li")
        assert listed.count() == 1
        shown = listed.inner_text()
        page.screenshot(path=str(tmp_path / "unresolved-embed.png"), full_page=True)

    assert "reddit" in shown and "no post named" in shown and "unresolved" in shown
    assert "reddit-embed-bq" in shown and "links no post" in shown
