"""archive --screenshot: Debian's Chromium renders the post's page or the article, every request
through the archiver's fetcher (so through the replay server), kept as a PNG and a PDF."""

from __future__ import annotations

import hashlib
import io
import json
import socket

import pytest
from click.testing import CliRunner
from factories import jpeg_bytes
from PIL import Image
from recorded import fixture_path, serve_syndication
from rendered_post import ALBUM_PHOTOS, POST_URL, serve_telegram_post

from archiver.cli import main
from archiver.evidence.verify import verify_archive
from archiver.fetch.warc_index import read_record
from archiver.pipeline.archive import Archiver
from archiver.web.replay import ReplayServer

pytestmark = pytest.mark.browser

ARTICLE = "https://news.example/2023/views"
STATIC_POST, INJECTED_POST = "1641086480675225601", "2023357708301455483"
# An article (constructed) showing one post in the served markup and one its script injects,
# as lazy-loading embed plugins do; both posts' syndication answers are real recordings.
ARTICLE_HTML = (
    "<html><head><title>Views</title></head><body><h1>Two posts</h1>"
    '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">If you are interested about View'
    " Flattening in React Native, I wrote a short post about it</p>&mdash; sammy (@SamuelSusla) "
    '<a href="https://twitter.com/SamuelSusla/status/1641086480675225601">March 29, 2023</a>'
    '</blockquote><div class="lazy-embed" data-id="2023357708301455483"></div>'
    '<script src="https://news.example/static/lazy-embeds.js"></script></body></html>'
)
LAZY_EMBEDS_JS = """
for (const slot of document.querySelectorAll('.lazy-embed')) {
  const quote = document.createElement('blockquote');
  quote.className = 'twitter-tweet';
  const link = document.createElement('a');
  link.href = 'https://twitter.com/i/status/' + slot.dataset.id;
  link.textContent = 'the post';
  quote.appendChild(link);
  slot.replaceWith(quote);
}
"""


def serve_article(replay) -> None:
    replay.add(ARTICLE, ARTICLE_HTML, content_type="text/html; charset=utf-8")
    replay.add(
        "https://news.example/static/lazy-embeds.js",
        LAZY_EMBEDS_JS,
        content_type="text/javascript",
    )
    serve_syndication(replay, STATIC_POST, "tweet-result_1641086480675225601_photo.json")
    serve_syndication(replay, INJECTED_POST, "tweet-result_2023357708301455483_text_only.json")
    replay.add(
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig",
        jpeg_bytes(seed=9),
        content_type="image/jpeg",
    )


def manifest_of(db, capture_id: str) -> dict:
    row = db.execute("select manifest from manifests where capture_id = ?", [capture_id])
    return json.loads(row.fetchone()[0])


def warc_uris(settings, db, capture_id: str, record_type: str = "response") -> set[str]:
    """The URIs of the capture's records of a type, read from the WARC files themselves."""
    rows = db.execute(
        "select warc_file, offset, length from warc_records where capture_id = ?", [capture_id]
    )
    records = [read_record(settings.db_path.parent / f, o, n) for f, o, n in rows.fetchall()]
    return {r.target_uri for r in records if r.record_type == record_type}


def check_files(settings, db, kind_table: str, owner: str, key: str) -> dict[str, dict]:
    rows = db.execute(
        f"select type, sha256 from {kind_table} where {key} = ? and type in ('screenshot', 'pdf')",
        [owner],
    ).fetchall()
    files = {}
    for kind, sha256 in rows:
        media = db.execute("select mime, width from media where sha256 = ?", [sha256]).fetchone()
        data = (settings.blobs_dir / "sha256" / sha256[:2] / sha256[2:4] / sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256
        files[kind] = {"sha256": sha256, "mime": media[0], "width": media[1], "bytes": data}
    return files


def test_a_post_page_is_kept_as_png_and_pdf_from_requests_the_warc_holds(replay, shooting):
    serve_telegram_post(replay)
    with Archiver(shooting) as archiver:
        result = archiver.archive(POST_URL)
        again = archiver.archive(POST_URL)
        db = archiver.db
        files = check_files(shooting, db, "post_media", "telegram:tchantest/14", "post_id")
        manifest = manifest_of(db, result.capture_id)
        uris = warc_uris(shooting, db, result.capture_id)
        versions = db.execute("select count(*) from post_versions").fetchone()[0]

    assert result.status == "ok", result.error
    assert files["screenshot"]["mime"] == "image/png" and files["screenshot"]["width"] == 1280
    png = Image.open(io.BytesIO(files["screenshot"]["bytes"]))
    assert png.height >= 900
    assert files["pdf"]["mime"] == "application/pdf"
    assert files["pdf"]["bytes"].startswith(b"%PDF-")
    # Named in the manifest, with what the browser did.
    named = {m["type"]: m["sha256"] for m in manifest["media"]}
    assert named["screenshot"] and named["pdf"]
    assert manifest["render"]["url"] == POST_URL
    assert manifest["render"]["requests_answered"] >= 3
    # The browser asked for the post's page and its photos: each went through our client,
    # is in this capture's WARC records, and reached the replay server.
    browser_asked = {r.url for r in replay.requests if r.host == "t.me" and not r.query}
    assert browser_asked == {POST_URL}
    assert {POST_URL, *ALBUM_PHOTOS} <= uris
    # A new render is not a new version of the post: its content did not change.
    assert again.status == "ok" and versions == 1


def test_an_article_is_rendered_and_injected_embeds_are_found(replay, shooting):
    serve_article(replay)
    with Archiver(shooting) as archiver:
        result = archiver.archive(ARTICLE)
        db = archiver.db
        page_id = db.execute("select id from pages").fetchone()[0]
        files = check_files(shooting, db, "page_media", page_id, "page_id")
        embeds = db.execute("select post_db_id, found_by, status from embeds order by position")
        embeds = embeds.fetchall()
        manifest = manifest_of(db, result.capture_id)
        uris = warc_uris(shooting, db, result.capture_id)

    assert result.status == "ok", result.error
    assert set(files) == {"screenshot", "pdf"}
    assert embeds == [
        (f"x:{STATIC_POST}", "blockquote", "archived"),
        (f"x:{INJECTED_POST}", "rendered", "archived"),
    ]
    assert {m["type"] for m in manifest["media"]} == {"screenshot", "pdf"}
    assert {ARTICLE, "https://news.example/static/lazy-embeds.js"} <= uris


def test_a_page_cannot_reach_a_private_address_or_leave_the_browser(
    tmp_path, chromium, monkeypatch
):
    """Only news.example is mapped; what the page names elsewhere goes through our client's
    rules (a private address refused, by literal or by name), and nothing leaves otherwise."""
    with ReplayServer() as news, ReplayServer() as intranet:
        port = intranet._httpd.server_address[1]
        intranet.add(
            "https://intranet.example/secret.png", jpeg_bytes(1), content_type="image/jpeg"
        )
        intranet.add("http://127.0.0.1/secret.png", jpeg_bytes(2), content_type="image/jpeg")
        html = (
            "<html><body><h1>Hostile</h1>"
            f'<img src="http://127.0.0.1:{port}/secret.png">'
            f'<img src="http://intranet.example:{port}/secret.png">'
            f"<script>try {{ new WebSocket('ws://127.0.0.1:{port}/socket'); }} catch (e) {{}}"
            "fetch('https://news.example/collect', {method: 'POST', body: 'x'}).catch(() => {});"
            f"navigator.sendBeacon('http://127.0.0.1:{port}/beacon', 'x');</script></body></html>"
        )
        news.add("https://news.example/hostile", html, content_type="text/html")
        resolve = socket.getaddrinfo

        def intranet_is_private(host, *args, **kwargs):
            if host == "intranet.example":
                return resolve("127.0.0.1", *args, **kwargs)
            return resolve(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", intranet_is_private)
        settings = _settings(tmp_path, {"news.example": news.base_url}, chromium)
        with Archiver(settings) as archiver:
            result = archiver.archive("https://news.example/hostile")
            manifest = manifest_of(archiver.db, result.capture_id)

    assert result.status == "ok", result.error
    assert intranet.requests == []  # neither the images, the socket nor the beacon got there
    assert {r.method for r in news.requests} == {"GET"}
    assert "/collect" not in {r.path for r in news.requests}
    refused = "\n".join(manifest["render"]["requests_refused"])
    assert f"127.0.0.1:{port}/secret.png" in refused and "private address" in refused
    assert "intranet.example" in refused
    assert "WebSockets are not opened" in refused and "POST https://news.example/collect" in refused


def _settings(tmp_path, mapping, chromium):
    from archiver.settings import Settings

    return Settings(
        db_path=tmp_path / "archive.db", blobs_dir=tmp_path / "blobs", connect_to=mapping,
        timeout=5.0, max_retries=0, host_delay=0.0, screenshot=True, chromium_path=chromium,
        render_timeout=20.0,
    )  # fmt: skip


def test_a_consent_dialog_is_dismissed_and_recorded(replay, shooting):
    page = fixture_path("render", "consent_onetrust_constructed.html")
    replay.add("https://news.example/consent", page, content_type="text/html; charset=utf-8")
    replay.add("https://news.example/after-consent.png", jpeg_bytes(3), content_type="image/jpeg")
    with Archiver(shooting) as archiver:
        result = archiver.archive("https://news.example/consent")
        manifest = manifest_of(archiver.db, result.capture_id)

    assert manifest["render"]["consent_clicked"] == [
        {
            "cmp": "OneTrust",
            "selector": "#onetrust-accept-btn-handler",
            "text": "Accept All Cookies",
            "frame": "https://news.example/consent",
        }
    ]
    # The click did what the dialog does: its cookie went out with the next request, through us.
    after = replay.requested("news.example")[-1]
    assert after.path == "/after-consent.png"
    assert "OptanonAlertBoxClosed=" in after.headers.get("cookie", "")


def test_without_a_browser_the_capture_goes_on_and_says_so_once(replay, settings, tmp_path):
    serve_telegram_post(replay)
    serve_article(replay)
    env = {"ARCHIVER_SCREENSHOT": "1", "ARCHIVER_CHROMIUM": str(tmp_path / "no-chromium")}
    args = ["archive", "--db", str(settings.db_path), "--connect-to", f"*={replay.base_url}"]
    result = CliRunner().invoke(main, [*args, POST_URL, ARTICLE], env=env)

    assert result.exit_code == 0, result.output
    assert result.stderr.count("no screenshots in this run: Chromium was not found") == 1
    with Archiver(settings) as archiver:
        kinds = [r[0] for r in archiver.db.execute("select type from post_media")]
        manifests = [
            json.loads(r[0]) for r in archiver.db.execute("select manifest from manifests")
        ]
    assert "screenshot" not in kinds and kinds.count("photo") == 3
    renders = [m["render"] for m in manifests if "render" in m]
    assert len(renders) == 2 and all("Chromium was not found" in r["error"] for r in renders)


def test_verify_passes_on_screenshots_and_catches_a_swapped_one(replay, shooting):
    serve_telegram_post(replay)
    with Archiver(shooting) as archiver:
        archiver.archive(POST_URL)
        files = check_files(shooting, archiver.db, "post_media", "telegram:tchantest/14", "post_id")
    assert verify_archive(shooting).ok

    shot = files["screenshot"]["sha256"]
    blob = shooting.blobs_dir / "sha256" / shot[:2] / shot[2:4] / shot
    blob.chmod(0o644)
    blob.write_bytes(files["pdf"]["bytes"])  # another render's bytes under the screenshot's name
    report = verify_archive(shooting)
    assert not report.ok
    assert any(p.kind == "blob" and shot in p.where for p in report.problems)


def test_the_post_page_shows_the_screenshot_and_the_pdf(
    replay, shooting, page, serve_app, tmp_path
):
    from archiver.web.serve import make_datasette

    serve_telegram_post(replay)
    with Archiver(shooting) as archiver:
        archiver.archive(POST_URL)
        files = check_files(shooting, archiver.db, "post_media", "telegram:tchantest/14", "post_id")
    shot, pdf = files["screenshot"]["sha256"], files["pdf"]["sha256"]
    with serve_app(make_datasette(shooting).app()) as base:
        page.goto(base + "/archive/posts/telegram~3Atchantest~2F14", wait_until="load")
        image = page.locator(f'img[src="/-/media/{shot}"]')
        assert image.evaluate("img => img.complete && img.naturalWidth") == 1280
        assert page.locator(f'a[href="/-/media/{pdf}"]').first.is_visible()
        assert page.get_by_text(shot, exact=True).first.is_visible()
        image.scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "post-with-screenshot.png", full_page=True)
    assert not page.errors, page.errors


def test_the_archived_copy_page_and_the_citations_name_the_render(
    replay, shooting, page, serve_app, tmp_path
):
    from archiver.evidence.archived import load_capture
    from archiver.evidence.cite import cite, cited_post
    from archiver.web.serve import make_datasette

    serve_telegram_post(replay)
    with Archiver(shooting) as archiver:
        result = archiver.archive(POST_URL)
        files = check_files(shooting, archiver.db, "post_media", "telegram:tchantest/14", "post_id")
        citation = cite(cited_post(load_capture(archiver.db, result.capture_id)), "apa").text
    shot, pdf = files["screenshot"]["sha256"], files["pdf"]["sha256"]
    assert f"page screenshot SHA-256 {shot}" in citation and f"page PDF SHA-256 {pdf}" in citation
    with serve_app(make_datasette(shooting).app()) as base:
        page.goto(f"{base}/-/archive/{result.capture_id}", wait_until="load")
        section = page.locator("section.rendered")
        image = section.locator("img")
        assert image.evaluate("img => img.complete && img.naturalWidth") == 1280
        assert section.get_by_text(pdf, exact=True).is_visible()
        assert "every request through the archiver's client" in section.inner_text()
        section.scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "archived-copy.png")
    assert not page.errors, page.errors


def test_a_list_shares_one_browser_and_each_capture_keeps_its_own_records(replay, shooting):
    serve_telegram_post(replay)
    serve_article(replay)
    with Archiver(shooting) as archiver:
        results = {r.url: r for r in archiver.archive_many([POST_URL, ARTICLE], concurrency=2)}
        db = archiver.db
        uris = {url: warc_uris(shooting, db, r.capture_id) for url, r in results.items()}
        made = {
            url: warc_uris(shooting, db, r.capture_id, "resource") for url, r in results.items()
        }
        renders = {url: manifest_of(db, r.capture_id)["render"] for url, r in results.items()}

    assert {r.status for r in results.values()} == {"ok"}
    assert all("error" not in render for render in renders.values()), renders
    # The browser's requests went to the capture it rendered for, not to the other one.
    assert "https://news.example/static/lazy-embeds.js" in uris[ARTICLE]
    assert "https://news.example/static/lazy-embeds.js" not in uris[POST_URL]
    assert set(ALBUM_PHOTOS) <= uris[POST_URL]
    # So did each render's screenshot and PDF.
    assert made == {url: {f"urn:fullPage:{url}", f"urn:pdf:{url}"} for url in (POST_URL, ARTICLE)}


def test_a_logged_in_session_is_the_browsers_too(replay, shooting, tmp_path):
    # With --cookies, the session must survive the page setting its own cookie (here, consent):
    # the browser's Cookie header then carries both, through our client.
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n"
        ".news.example\tTRUE\t/\tTRUE\t2145916800\tsessionid\tLOGGED-IN-VALUE\n"
    )
    page = fixture_path("render", "consent_onetrust_constructed.html")
    replay.add("https://news.example/consent", page, content_type="text/html; charset=utf-8")
    replay.add("https://news.example/after-consent.png", jpeg_bytes(3), content_type="image/jpeg")
    with Archiver(shooting.with_(cookies_file=cookies)) as archiver:
        result = archiver.archive("https://news.example/consent")
        manifest = manifest_of(archiver.db, result.capture_id)
    after = replay.requested("news.example")[-1].headers.get("cookie", "")
    assert "OptanonAlertBoxClosed=" in after and "sessionid=LOGGED-IN-VALUE" in after
    assert manifest["logged_in_hosts"] == ["news.example"]
