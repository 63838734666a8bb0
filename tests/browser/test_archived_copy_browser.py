"""The archived-copy page in Debian's Chromium, every request intercepted: it renders the demo post
offline (zero requests to any other origin), its copy button copies the citation, the post page's
citation block does the same, and the static export renders from files alone."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from evidence_archive import POST_ID, build_demo_archive
from fake_tsa import FakeTSA
from served_archive import HOSTILE_ID, build_served_archive

from archiver.cli.commands import main
from archiver.evidence.archived import load_capture
from archiver.evidence.cite import cite, cited_post
from archiver.store.connection import open_db
from archiver.web.serve import make_datasette

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory, serve_app):
    with FakeTSA() as tsa:
        demo = build_demo_archive(tmp_path_factory.mktemp("copy-page"), tsa_urls=(tsa.url,))
    with serve_app(make_datasette(demo.settings).app()) as base:
        yield demo, base


@pytest.fixture
def intercepted(browser):
    """A page whose every request passes a route that lets through only `page.origin`."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.origin, page.outside, page.seen, page.errors = None, [], [], []

    def route(route):
        url = route.request.url
        page.seen.append(url)
        own = page.origin and (url.startswith(page.origin + "/") or url == page.origin)
        if own or url.startswith("file://"):
            route.continue_()
        else:
            page.outside.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: (page.errors.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def expected_citation(demo, base: str, style: str) -> str:
    db = open_db(demo.settings.db_path)
    archived = load_capture(db, demo.post_capture)
    db.close()
    return cite(cited_post(archived, POST_ID, base), style).text


def test_archived_copy_renders_offline(served, intercepted, tmp_path):
    demo, base = served
    page = intercepted
    page.origin = base
    page.goto(f"{base}/-/archive/{demo.post_capture}", wait_until="load")
    photo = page.locator(f'img[src="/-/media/{demo.result.media_sha256s[0]}"]')
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 1600
    banner = page.locator(".banner").inner_text()
    assert "Archived copy — captured" in banner
    assert "https://x.com/ThomasVLinge/status/1819675899329130543" in banner
    assert page.get_by_text(
        "raise their flag over the Northeastern", exact=False
    ).first.is_visible()
    assert page.get_by_text(demo.result.media_sha256s[0]).first.is_visible()
    assert page.get_by_text("stamped by CN=Fake TSA", exact=False).is_visible()
    assert page.get_by_text("archiver 0.", exact=False).first.is_visible()  # the tool version
    page.screenshot(path=tmp_path / "archived-copy.png", full_page=True)
    assert page.outside == [], page.outside
    assert all(urlsplit(url).netloc == urlsplit(base).netloc for url in page.seen)
    assert page.errors == [], page.errors  # a CSP violation would show here


def test_copy_button_copies_the_citation(served, intercepted):
    demo, base = served
    page = intercepted
    page.origin = base
    page.goto(f"{base}/-/archive/{demo.post_capture}", wait_until="load")
    page.get_by_role("tab", name="Bluebook 21st").click()
    page.get_by_role("button", name="Copy Bluebook 21st").click()
    page.get_by_text("Copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == expected_citation(demo, base, "bluebook")
    assert f"archived at {base}/-/archive/{demo.post_capture}" in copied


def test_post_page_has_the_same_citations(served, intercepted, tmp_path):
    demo, base = served
    page = intercepted
    page.origin = base
    page.goto(f"{base}/-/post/{POST_ID}", wait_until="load")
    page.get_by_text("Cite this post").click()
    page.get_by_role("button", name="Copy APA 7th").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == expected_citation(demo, base, "apa")
    page.screenshot(path=tmp_path / "post-cite.png")
    assert page.outside == [] and page.errors == [], (page.outside, page.errors)


def test_static_export_renders_from_files_alone(served, intercepted, tmp_path):
    demo, _ = served
    out = tmp_path / "html"
    result = CliRunner().invoke(
        main,
        ["export", "--html", str(out), POST_ID, "--db", str(demo.settings.db_path),
         "--blobs", str(demo.settings.blobs_dir)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = intercepted
    page.goto((out / f"{demo.post_capture}.html").as_uri(), wait_until="load")
    photo = page.locator("figure img")
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 1600
    assert page.get_by_role("tab", name="CSL-JSON").is_visible()
    page.get_by_role("tab", name="CSL-JSON").click()
    assert page.locator('.archiver-cite-style[data-style="csl-json"]').is_visible()
    page.screenshot(path=tmp_path / "static.png", full_page=True)
    assert page.outside == [] and all(url.startswith("file://") for url in page.seen)
    assert page.errors == [], page.errors


def test_a_hostile_post_stays_inert_on_its_archived_copy(intercepted, tmp_path, serve_app):
    archive = build_served_archive(tmp_path / "hostile")
    db = open_db(archive.settings.db_path)
    capture = db.execute(
        "select id from captures where post_db_id = ? and status = 'ok'", [HOSTILE_ID]
    ).fetchone()[0]
    db.close()
    with serve_app(make_datasette(archive.settings).app()) as base:
        page = intercepted
        page.origin = base
        page.goto(f"{base}/-/archive/{capture}", wait_until="load")
        assert page.get_by_text("<script>alert(1)</script>", exact=False).first.is_visible()
        assert page.get_by_text("The original post is deleted", exact=False).is_visible()
        assert page.errors == [] and page.outside == [], (page.errors, page.outside)
        missing = page.goto(f"{base}/-/archive/no-such-capture")
        assert missing.status == 404
