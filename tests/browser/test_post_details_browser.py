"""Post details in Debian's Chromium: an X link card, a Reddit poll and a Bluesky author's
request not to be shown logged out, as a reader of the served archive sees them."""

from __future__ import annotations

import pytest
from details_archive import CARD_POST, HOSTILE_POST, LABELLED_POST, POLL_POST, build_details_archive

from archiver.web.serve import make_datasette

pytestmark = pytest.mark.browser


def page_path(post_id: str) -> str:
    return "/archive/posts/" + post_id.replace(":", "~3A").replace("/", "~2F")


def test_link_card_poll_and_label_notice_are_shown(replay, settings, page, serve_app, tmp_path):
    build_details_archive(replay, settings)
    with serve_app(make_datasette(settings).app()) as base:
        page.goto(base + page_path(CARD_POST), wait_until="load")
        card = page.locator("figure.archiver-card")
        assert card.is_visible()
        assert card.get_by_text("Tutorial: Tic-Tac-Toe \u2013 React").is_visible()
        link = card.get_by_role("link", name="https://beta.reactjs.org/learn/tutorial-tic-tac-toe")
        assert link.get_attribute("rel") == "noopener noreferrer nofollow"
        # The card's image is the archived file, served by the archive.
        card_image = page.locator("section.archiver-media img").first
        assert card_image.evaluate("img => img.complete && img.naturalWidth") == 1080
        page.screenshot(path=tmp_path / "card.png", full_page=True)

        page.goto(base + page_path(POLL_POST), wait_until="load")
        rows = page.locator("figure.archiver-poll tbody tr")
        assert rows.count() == 3
        assert rows.nth(0).inner_text().split("\t") == ["Mata Hari, the second outfit", "41", "67%"]
        assert rows.nth(2).inner_text().startswith("<b>Something else</b>")  # shown, not markup
        assert page.get_by_text("61 votes").is_visible()
        page.screenshot(path=tmp_path / "poll.png", full_page=True)

        page.goto(base + page_path(LABELLED_POST), wait_until="load")
        notice = page.locator(".archiver-notice")
        assert notice.is_visible()
        assert "not to show their posts to logged-out readers" in notice.inner_text()
        assert (
            notice.bounding_box()["y"] < page.locator("section.archiver-texts").bounding_box()["y"]
        )
        assert page.locator("code.archiver-label", has_text="!no-unauthenticated").is_visible()
        page.screenshot(path=tmp_path / "label.png", full_page=True)

        page.goto(base + page_path(HOSTILE_POST), wait_until="load")
        assert page.locator(
            "figure.archiver-card code", has_text="javascript:alert(4)"
        ).is_visible()
        page.screenshot(path=tmp_path / "hostile.png", full_page=True)

        assert all(url.startswith(base) for url in page.requested), page.requested
    assert page.dialogs == [] and page.errors == []
