"""Facebook: without login Facebook shows no post; that is recorded as unavailable, with its reason.

Real: what Facebook served a plain HTTP client for a video URL (metascraper's
recording: an "update your browser" page; its <head> extracted, scripts left out),
and the article embeds in tests/fixtures/articles (spoe.at, aol). Constructed:
a public page whose card carries the post (the OpenGraph tags Facebook documents).
"""

from __future__ import annotations

import hashlib

from factories import jpeg_bytes
from recorded import serve_fixture

from archiver.pipeline.archive import Archiver

VIDEO = "https://www.facebook.com/facebook/videos/10153231379946729"  # as the adapter asks


def test_update_your_browser_page_is_unavailable_with_its_title(replay, archive_one):
    serve_fixture(
        replay, VIDEO, "facebook", "facebook_video_page_unsupported_browser_extracted.html"
    )
    result, post, media = archive_one(VIDEO + "/?ref=embed")
    assert result.status == "unavailable" and not result.failed and media == []
    assert post["id"] == "facebook:10153231379946729" and post["status"] == "unavailable"
    assert "Facebook shows no post without login" in post["status_reason"]
    assert "Actualiza tu navegador | Facebook" in post["status_reason"]


def test_login_redirect_is_unavailable(replay, archive_one):
    url = "https://www.facebook.com/Sozialdemokratie/posts/928812574504508"
    replay.redirect(url, "https://www.facebook.com/login/?next=" + url, status=302)
    replay.add(
        "https://www.facebook.com/login/",
        "<html><title>Log in to Facebook</title></html>",
        content_type="text/html",
    )
    result, post, _ = archive_one(url + "/")
    assert result.status == "unavailable" and "Facebook requires login" in post["status_reason"]


def test_a_public_card_is_kept(replay, archive_one):
    url = "https://www.facebook.com/pamela.rendi.wagner/posts/488827215936105"
    page = (
        '<html><head><meta property="og:title" content="Pamela Rendi-Wagner">'
        '<meta property="og:description" content="Heute im Parlament: Mieten runter.">'
        '<meta property="og:image" content="https://scontent.xx.fbcdn.net/v/t1.0-9/photo.jpg">'
        "</head><body></body></html>"
    )  # constructed: the documented OpenGraph tags
    replay.add(url, page, content_type="text/html")
    photo = jpeg_bytes(seed=91)
    replay.add("https://scontent.xx.fbcdn.net/v/t1.0-9/photo.jpg", photo, content_type="image/jpeg")
    result, post, media = archive_one(url)
    assert result.status == "ok", result.error
    assert (post["text"], post["author_name"]) == (
        "Heute im Parlament: Mieten runter.",
        "Pamela Rendi-Wagner",
    )
    assert media[0]["sha256"] == hashlib.sha256(photo).hexdigest()


def test_real_article_embeds_are_each_recorded(replay, settings):
    # spoe.at embeds two Facebook posts (a real page); Facebook answers with its browser page.
    article = "https://spoe.at/2019/mieterhoehung/"
    serve_fixture(replay, article, "articles", "trafilatura__spoe.at-mieterhoehung.html")
    for url in (
        "https://www.facebook.com/Sozialdemokratie/posts/928812574504508",
        "https://www.facebook.com/pamela.rendi.wagner/posts/488827215936105",
    ):
        serve_fixture(
            replay, url, "facebook", "facebook_video_page_unsupported_browser_extracted.html"
        )
    with Archiver(settings) as archiver:
        result = archiver.archive(article)
        embeds = list(archiver.db.query("select * from embeds order by position"))
    assert [e["platform"] for e in embeds] == ["facebook", "facebook"]
    assert all(e["status"] in ("archived", "unavailable") and e["error"] for e in embeds)
    assert all(e["post_db_id"] for e in embeds)
    assert not result.failed
