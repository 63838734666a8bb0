"""Pages that embed no post: kept for themselves, with their link card and their main image hashed."""

from __future__ import annotations

import hashlib
import json

from factories import jpeg_bytes
from recorded import fixture_path, serve_fixture

from archiver.pipeline.archive import Archiver
from archiver.platforms.pages import page_card, page_metadata

CNN = "https://www.cnn.com/2016/11/29/politics/donald-trump-transition-presidency/index.html"
CNN_IMAGE = "https://media.cnn.com/api/v1/images/stellar/prod/161128072443-01-trump-1128.jpg?q=x_823,y_333,h_874,w_1554,c_crop/w_800"


def test_a_page_without_embeds_keeps_its_card_and_main_image(replay, settings):
    # A real CNN article (postlight's recording), which embeds no post.
    serve_fixture(replay, CNN, "articles", "negative__postlight__www.cnn.com.html")
    image = jpeg_bytes(seed=101, size=(800, 450))
    replay.add(CNN_IMAGE, image, content_type="image/jpeg")

    with Archiver(settings) as archiver:
        result = archiver.archive(CNN)
        page = next(archiver.db.query("select * from pages"))
        media = list(
            archiver.db.query(
                "select * from page_media join media using (sha256) where page_id = ?", [page["id"]]
            )
        )

    assert result.status == "ok" and result.kind == "page" and result.embeds == []
    assert page["title"] == "Why Donald Trump won't change | CNN Politics"
    assert page["description"].startswith("Winning the presidency didn't change Donald Trump")
    assert (page["site_name"], page["author"]) == ("CNN", "Stephen Collinson")
    assert page["published_at"] == "2016-11-29T10:39:35Z"
    assert page["image_url"] == CNN_IMAGE
    meta = json.loads(page["meta"])
    assert meta["og:type"] == "article" and meta["twitter:card"] == "summary_large_image"
    assert result.media_sha256s == [hashlib.sha256(image).hexdigest()]
    assert [(m["type"], m["url"], m["sha256"], m["width"]) for m in media] == [
        ("image", CNN_IMAGE, hashlib.sha256(image).hexdigest(), 800)
    ]


def test_a_main_image_that_fails_makes_the_capture_partial(replay, settings):
    serve_fixture(replay, CNN, "articles", "negative__postlight__www.cnn.com.html")
    with Archiver(settings) as archiver:
        result = archiver.archive(CNN)
        row = next(archiver.db.query("select * from page_media"))
        capture = archiver.db["captures"].get(result.capture_id)
    assert result.status == capture["status"] == "partial"
    assert row["sha256"] is None and "404" in row["error"] and "404" in capture["error"]


def test_articles_with_embeds_do_not_fetch_their_image(replay, settings):
    replay.add(
        "https://news.example/a",
        '<html><head><meta property="og:image" content="/lead.jpg"></head><body>'
        '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe></body></html>',
        content_type="text/html",
    )
    with Archiver(settings) as archiver:
        archiver.archive("https://news.example/a")
        page = next(archiver.db.query("select * from pages"))
    assert page["image_url"] == "https://news.example/lead.jpg"  # recorded, absolute
    assert not any(r.path == "/lead.jpg" for r in replay.requests)


def test_card_reads_opengraph_twitter_and_json_ld():
    card = page_card(
        fixture_path("instagram", "instagram_post_page_ySl7G9tO_q_2020_extracted.html").read_text(
            "utf-8"
        ),
        "https://www.instagram.com/p/ySl7G9tO_q/",
    )
    assert card["site_name"] == "Instagram" and card["type"] == "instapp:photo"
    assert card["url"] == "https://www.instagram.com/p/ySl7G9tO_q/"
    assert card["image"].startswith("https://instagram.fmad7-1.fna.fbcdn.net/")
    assert card["published_at"] == "2015-01-25T20:34:26Z"  # from the JSON-LD uploadDate
    assert card["meta"]["json_ld"][0]["@type"] == "ImageObject"
    assert card["meta"]["canonical"] == "https://www.instagram.com/p/ySl7G9tO_q/"


def test_plain_text_copies_have_no_card():
    meta = page_metadata("Just words.\nMore words.", is_html=False)
    assert (meta["description"], meta["image_url"], meta["meta"]) == (None, None, None)
