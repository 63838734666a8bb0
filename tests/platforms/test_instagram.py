"""Instagram: what the public post page's card shows without login, else unavailable with the reason.

Real: a 2020 Instagram post page (oscarotero/Embed recording; its <head> extracted:
title, meta tags, canonical link and JSON-LD, scripts and body left out), and the
article embeds in tests/fixtures/articles (postlight usmagazine). Constructed: the
login page Instagram redirects a client without a session to.
"""

from __future__ import annotations

import hashlib

from factories import jpeg_bytes
from recorded import fixture_path, serve_fixture

from archiver.pipeline.archive import Archiver

POST = "https://www.instagram.com/p/ySl7G9tO_q/"
IMAGE = (
    "https://instagram.fmad7-1.fna.fbcdn.net/v/t51.2885-15/e15/10948350_1537839273135776_400653032_n.jpg"
    "?_nc_ht=instagram.fmad7-1.fna.fbcdn.net&_nc_cat=108&_nc_ohc=6ciqMJFONRsAX_4m7SN"
    "&oh=292e61e54d6a0617a60bea677170d4d1&oe=5EEFE649"
)


def test_public_page_card_gives_caption_author_date_and_image(replay, archive_one):
    page = serve_fixture(
        replay, POST, "instagram", "instagram_post_page_ySl7G9tO_q_2020_extracted.html"
    )
    photo = jpeg_bytes(seed=81, size=(640, 640))
    replay.add(IMAGE, photo, content_type="image/jpeg")

    result, post, media = archive_one("https://www.instagram.com/p/ySl7G9tO_q/?utm_source=ig_embed")

    assert result.status == "ok", result.error
    assert post["source"] == "page" and post["raw"] == page.read_text("utf-8")
    assert (post["author_name"], post["author_handle"]) == ("Alberto Garzón", "agarzoniu")
    # The JSON-LD caption is whole; the og: tags cut it.
    assert post["text"].endswith("pero ya seguros de la victoria de la izquierda.")
    assert post["created_at"] == "2015-01-25T20:34:26Z"
    assert [(m["type"], m["sha256"]) for m in media] == [
        ("photo", hashlib.sha256(photo).hexdigest())
    ]


def test_login_wall_is_unavailable_with_the_reason(replay, archive_one):
    replay.redirect(
        POST, "https://www.instagram.com/accounts/login/?next=/p/ySl7G9tO_q/", status=302
    )
    serve_fixture(
        replay,
        "https://www.instagram.com/accounts/login/",
        "instagram",
        "instagram_login_page_constructed.html",
    )
    result, post, _ = archive_one(POST)
    assert result.status == "unavailable" and not result.failed
    assert post["status"] == "unavailable"
    assert "Instagram requires login" in post["status_reason"]
    assert "/accounts/login/" in post["status_reason"]


def test_login_wall_keeps_the_articles_copy(replay, settings):
    # usmagazine embeds Instagram post BNpLF8LD0GD (a real article); Instagram answers with login.
    article_url = "https://www.usmagazine.com/celebrity-news/news/article/"
    serve_fixture(replay, article_url, "articles", "postlight__www.usmagazine.com.html")
    replay.redirect(
        "https://www.instagram.com/p/BNpLF8LD0GD/",
        "https://www.instagram.com/accounts/login/",
        status=302,
    )
    serve_fixture(
        replay,
        "https://www.instagram.com/accounts/login/",
        "instagram",
        "instagram_login_page_constructed.html",
    )
    with Archiver(settings) as archiver:
        result = archiver.archive(article_url)
        post = archiver.db["posts"].get("instagram:BNpLF8LD0GD")
        embed = next(archiver.db.query("select * from embeds"))
    # Kept from the article's copy (the embed counts as archived), the post marked unavailable.
    assert [e["status"] for e in result.embeds] == ["archived"]
    assert embed["post_db_id"] == "instagram:BNpLF8LD0GD" and "login" in embed["error"]
    assert post["source"] == "article" and post["status"] == "unavailable"
    assert post["text"] == embed["article_text"] and post["text"]
    assert "Instagram requires login" in post["status_reason"]


def test_fixture_is_the_recorded_head():
    text = fixture_path(
        "instagram", "instagram_post_page_ySl7G9tO_q_2020_extracted.html"
    ).read_text("utf-8")
    assert 'property="og:title"' in text and "application/ld+json" in text
