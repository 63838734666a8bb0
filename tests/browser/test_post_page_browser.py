"""The post page in Debian's Chromium: the photo loads, the evidence is visible, hostile text stays inert."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from served_archive import ARTICLE_COPY, build_served_archive

from archiver.web.serve import make_datasette

pytestmark = pytest.mark.browser

POST_PAGE = "/archive/posts/x~3A1819675899329130543"
HOSTILE_PAGE = "/archive/posts/x~3A666"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The archive served by uvicorn on a free port, in a background thread."""
    archive = build_served_archive(tmp_path_factory.mktemp("browser"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        make_datasette(archive.settings).app(), log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the archive server did not start")
        time.sleep(0.05)
    yield archive, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_post_page_shows_the_photo_hashes_and_the_articles_copy(served, page, tmp_path):
    archive, base = served
    page.goto(base + POST_PAGE, wait_until="load")
    photo = page.locator(f'img[src="/-/media/{archive.photo_sha256}"]')
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 480
    assert page.get_by_text(archive.photo_sha256, exact=True).first.is_visible()
    assert page.get_by_text("c3c3c3c33c3c3c3c").is_visible()
    assert page.get_by_text(ARTICLE_COPY).is_visible()
    assert page.get_by_text("Second line.", exact=False).first.is_visible()
    # The platform's JSON, opened, reads across the page (the table listings' narrow raw
    # preview style once caught this section too).
    page.get_by_text("The platform's response, verbatim").click()
    verbatim = page.locator("section.archiver-raw pre")
    assert verbatim.is_visible()
    assert verbatim.evaluate("pre => pre.getBoundingClientRect().width") > 600
    page.screenshot(path=tmp_path / "post.png", full_page=True)
    assert all(url.startswith(base) for url in page.requested), page.requested
    assert page.dialogs == []


def test_hostile_post_runs_nothing(served, page, tmp_path):
    archive, base = served
    page.goto(base + HOSTILE_PAGE, wait_until="load")
    assert page.locator(".archiver-banner").is_visible()
    assert page.get_by_text("<script>alert(1)</script>", exact=False).first.is_visible()
    page.screenshot(path=tmp_path / "hostile.png")
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)
    # The archived SVG, opened on its own, is sandboxed: its onload and <script> never run.
    page.goto(f"{base}/-/media/{archive.svg_sha256}", wait_until="load")
    assert page.dialogs == []
    assert page.errors and all("sandboxed" in error for error in page.errors), page.errors
    assert all(url.startswith(base) for url in page.requested), page.requested


def test_a_photo_with_more_look_alikes_than_kept_says_so(served, page, tmp_path):
    import hashlib

    from archiver.media.nearest import MATCHES_PER_FILE
    from archiver.models import StoredMedia
    from archiver.store.connection import open_db
    from archiver.store.transaction import transaction
    from archiver.store.writes import save_media

    archive, base = served
    page.goto(base + POST_PAGE, wait_until="load")
    assert page.locator(".archiver-similar-capped").count() == 0
    db = open_db(archive.settings.db_path)
    for n in range(MATCHES_PER_FILE + 5):  # the post's photo re-encoded: PDQ a few bits away
        sha = hashlib.sha256(f"look-alike {n}".encode()).hexdigest()
        pdq = format(int("ab" * 32, 16) ^ (n + 1) << 40, "064x")
        with transaction(db):
            save_media(db, StoredMedia(sha256=sha, bytes=1, blob_path=f"sha256/{sha}",
                                       mime="image/jpeg", pdq=pdq, pdq_quality=90))  # fmt: skip
    db.close()
    page.goto(base + POST_PAGE, wait_until="load")
    note = page.locator(".archiver-similar-capped")
    assert note.is_visible()
    assert note.inner_text().startswith(
        f"Media 1: at least {MATCHES_PER_FILE} other files look like it. The archive keeps"
        f" each file's {MATCHES_PER_FILE} nearest near duplicates"
    )
    note.scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / "capped.png")
