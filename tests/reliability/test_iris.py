"""Internationalised URLs (IRIs): from the user, a redirect, a page's metadata and a post's media.

Each is fetched in its URI form (IDNA host, UTF-8 percent-encoded path), which is what
the WARC records; what the user typed stays the capture's `url`.
"""

from __future__ import annotations

import gzip

from factories import jpeg_bytes
from faults import media_url, photo_post, query
from recorded import serve_syndication
from warcio.archiveiterator import ArchiveIterator

ARTICLE = "https://bücher.example/ärticle?q=ü"
ARTICLE_URI = "https://xn--bcher-kva.example/%C3%A4rticle?q=%C3%BC"


def warc_target_uris(settings) -> set[str]:
    uris = set()
    for path in settings.warcs.glob("*.warc.gz"):
        with gzip.open(path, "rb") as raw, open(path, "rb") as stream:
            raw.read(1)  # a readable gzip file
            for record in ArchiveIterator(stream):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if uri:
                    uris.add(uri)
    return uris


def test_an_iri_a_redirect_and_an_og_image_with_non_ascii_paths_are_archived(
    replay, settings, earlier, archive_cli
):
    page = (
        "<html><head><title>Bücher</title>"
        "<meta property='og:image' content='https://bücher.example/bild/straße.jpg'>"
        "</head><body><p>Über Bücher</p></body></html>"
    )
    replay.add(ARTICLE_URI, page, content_type="text/html")
    replay.add(
        "https://xn--bcher-kva.example/bild/stra%C3%9Fe.jpg",
        jpeg_bytes(seed=3),
        content_type="image/jpeg",
    )
    replay.redirect("https://news.example/moved", "/café")
    replay.add(
        "https://news.example/caf%C3%A9", "<html><body>Café</body></html>", content_type="text/html"
    )

    run = archive_cli("--json", ARTICLE, "https://news.example/moved")

    assert run.status == 0, run.out + run.err
    results = {line["url"]: line for line in run.json_lines()}
    assert results[ARTICLE]["status"] == "ok"
    assert results["https://news.example/moved"]["status"] == "ok"
    assert query(settings, "select url from captures where url = ?", [ARTICLE]) == [(ARTICLE,)]
    assert query(
        settings, "select final_url from captures where url = ?", ["https://news.example/moved"]
    ) == [("https://news.example/caf%C3%A9",)]
    uris = warc_target_uris(settings)
    assert ARTICLE_URI in uris
    assert "https://xn--bcher-kva.example/bild/stra%C3%9Fe.jpg" in uris
    assert "https://news.example/caf%C3%A9" in uris
    assert all(uri.isascii() for uri in uris)
    earlier.assert_intact()


def test_a_post_whose_media_url_is_an_iri_keeps_its_photo(replay, settings, archive_cli):
    post_id = "1819000000000000777"
    recorded = photo_post(post_id, "unused")
    body = recorded.replace(
        b"https://pbs.twimg.com/media/unused.jpg", "https://pbs.twimg.com/media/fötö.jpg".encode()
    )
    serve_syndication(replay, post_id, body)
    photo = jpeg_bytes(seed=11)
    replay.add(media_url("f%C3%B6t%C3%B6"), photo, content_type="image/jpeg")

    run = archive_cli("--json", f"https://x.com/someone/status/{post_id}")

    assert run.status == 0, run.out + run.err
    (line,) = run.json_lines()
    assert line["status"] == "ok" and len(line["media_sha256s"]) == 1
