"""The pipeline end to end: articles (HTML and plain text) -> embeds -> posts -> media -> database."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from factories import jpeg_bytes
from recorded import fixture_path, serve_syndication

from archiver.pipeline.archive import Archiver
from archiver.web.demo import DEMO_DATA

SEED = fixture_path("seed", "lashio-article.txt")
LASHIO_ID = "1819675899329130543"  # the placeholder id of the demo's constructed response
LASHIO_PHOTO = "https://pbs.twimg.com/media/GUDemoLashioFlag?format=jpg&name=orig"


def serve_lashio(replay, *, tco: bool = True) -> bytes:
    """The t.co redirect, the constructed syndication response and the stand-in photo."""
    if tco:
        replay.redirect(
            "https://t.co/ZY8SlS26sJ",
            f"https://twitter.com/ThomasVLinge/status/{LASHIO_ID}/photo/1",
        )
    serve_syndication(replay, LASHIO_ID, DEMO_DATA / "tweet-result_lashio_constructed.json")
    photo = (DEMO_DATA / "lashio-standin-photo.jpg").read_bytes()
    replay.add(LASHIO_PHOTO, photo, content_type="image/jpeg")
    return photo


def test_seed_text_article_yields_the_flag_raising_post_with_its_photo(replay, settings):
    photo = serve_lashio(replay)
    with Archiver(settings) as archiver:
        result = archiver.archive(str(SEED))
        db = archiver.db
        embed = next(db.query("select * from embeds"))
        post = db["posts"].get(f"x:{LASHIO_ID}")
        media = next(db.query("select * from post_media join media using (sha256)"))
        page = next(db.query("select * from pages"))

    assert result.status == "ok" and result.kind == "page", result
    assert result.post_ids == [f"x:{LASHIO_ID}"]
    assert embed["found_by"] == "text-signature"
    assert "raise their flag over the Northeastern regional command" in embed["article_text"]
    assert embed["article_author"] == "Thomas van Linge (@ThomasVLinge)"
    assert embed["article_date"] == "August 3, 2024"
    assert embed["post_db_id"] == f"x:{LASHIO_ID}" and embed["status"] == "archived"
    assert post["author_handle"] == "ThomasVLinge" and post["author_name"] == "Thomas van Linge"
    assert post["created_at"] == "2024-08-03T10:05:17Z"
    assert media["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (media["width"], media["height"]) == (1600, 900)
    assert media["pdq"] and media["phash"]
    assert "Lashio" in page["text"]
    # The article itself is kept, by hash, in the blob store.
    assert (settings.blobs_dir / "sha256").exists()
    assert page["html_sha256"] == hashlib.sha256(SEED.read_bytes()).hexdigest()


def test_article_url_is_fetched_and_recorded_in_the_warc(replay, settings):
    serve_lashio(replay)
    article = "https://news.example/2024/08/lashio-command-captured.txt"
    replay.add(article, SEED.read_bytes(), content_type="text/plain; charset=utf-8")
    with Archiver(settings) as archiver:
        result = archiver.archive(article)
        captures = list(
            archiver.db.query("select kind, warc_file, parent_id, status from captures order by id")
        )
    assert result.status == "ok", result
    assert [c["kind"] for c in captures] == ["page", "post"]
    assert captures[1]["parent_id"] is not None
    warc = settings.db_path.parent / captures[0]["warc_file"]
    assert warc.exists() and warc.suffixes[-2:] == [".warc", ".gz"]


def test_unresolvable_embed_keeps_the_article_copy(replay, settings):
    # No t.co route: the redirect answers 404, so the post id cannot be learned.
    with Archiver(settings) as archiver:
        result = archiver.archive(str(SEED))
        embeds = list(archiver.db.query("select * from embeds"))
    assert result.status == "partial"
    assert len(embeds) == 1
    assert embeds[0]["status"] == "unresolved" and embeds[0]["post_db_id"] is None
    assert "raise their flag" in embeds[0]["article_text"]
    assert json.loads(embeds[0]["short_links"]) == ["https://t.co/ZY8SlS26sJ"]
    # The --json summary says why, as the embeds row does.
    assert result.embeds[0]["status"] == "unresolved"
    assert (
        result.embeds[0]["error"] == embeds[0]["error"] and "no link" in result.embeds[0]["error"]
    )


def test_platform_failure_falls_back_to_the_article_copy(replay, settings):
    replay.redirect(
        "https://t.co/ZY8SlS26sJ", f"https://twitter.com/ThomasVLinge/status/{LASHIO_ID}/photo/1"
    )
    serve_syndication(replay, LASHIO_ID, b"upstream error", status=500)
    replay.add("https://publish.twitter.com/oembed", b"upstream error", status=500)
    with Archiver(settings) as archiver:
        result = archiver.archive(str(SEED))
        post = archiver.db["posts"].get(f"x:{LASHIO_ID}")
        embed = next(archiver.db.query("select * from embeds"))
    assert not result.failed
    assert post["source"] == "article" and post["status"] == "unavailable"
    assert "raise their flag" in post["text"]
    assert post["author_handle"] == "ThomasVLinge" and post["created_at"] == "2024-08-03"
    assert embed["status"] == "archived" and embed["post_db_id"] == f"x:{LASHIO_ID}"


def test_real_article_page_keeps_every_embed_even_when_x_is_down(replay, settings):
    """basicthinking.de (a real page, 12 embedded tweets); X answers 503 to everything."""
    page = "https://www.basicthinking.de/blog/2018/12/10/tweets/"
    replay.add(
        page,
        fixture_path("articles", "trafilatura__basicthinking.de.tweets.html"),
        content_type="text/html; charset=utf-8",
    )
    replay.add("https://cdn.syndication.twimg.com/tweet-result", b"", status=503)
    replay.add("https://publish.twitter.com/oembed", b"", status=503)
    with Archiver(settings) as archiver:
        result = archiver.archive(page)
        embeds = list(archiver.db.query("select * from embeds order by position"))
        posts = list(archiver.db.query("select * from posts where source = 'article'"))
    expected = json.loads(fixture_path("articles", "EMBEDS.json").read_text())[
        "trafilatura__basicthinking.de.tweets.html"
    ]
    expected_ids = {t.rsplit("/", 1)[-1] for t in expected["unique_targets"]["twitter"]}
    assert {e["post_url"].rsplit("/", 1)[-1] for e in embeds} == expected_ids
    assert all(e["found_by"] == "blockquote" and e["article_text"] for e in embeds)
    assert len(posts) == 12 and all(p["text"] for p in posts)
    assert not result.failed


def test_html_article_with_a_real_recorded_post(replay, settings):
    article = "https://blog.example/view-flattening"
    html = (
        "<html><head><title>View flattening</title></head><body><p>Intro.</p>"
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">If you are interested about View Flattening'
        " in React Native, I wrote a short post about it</p>&mdash; sammy (@SamuelSusla) "
        '<a href="https://twitter.com/SamuelSusla/status/1641086480675225601?ref_src=twsrc%5Etfw">March 29, 2023</a>'
        "</blockquote></body></html>"
    )
    replay.add(article, html, content_type="text/html")
    serve_syndication(replay, "1641086480675225601", "tweet-result_1641086480675225601_photo.json")
    photo = jpeg_bytes(seed=9)
    replay.add(
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig",
        photo,
        content_type="image/jpeg",
    )
    with Archiver(settings) as archiver:
        result = archiver.archive(article)
        page = next(archiver.db.query("select * from pages"))
    assert result.status == "ok" and result.post_ids == ["x:1641086480675225601"]
    assert result.media_sha256s == [hashlib.sha256(photo).hexdigest()]
    assert page["title"] == "View flattening"


def test_rearchiving_an_article_links_posts_already_archived(replay, settings):
    serve_lashio(replay)
    with Archiver(settings) as archiver:
        archiver.archive(str(SEED))
        second = archiver.archive(str(SEED))
        counts = {t: archiver.db[t].count for t in ("pages", "embeds", "posts", "post_versions")}
    assert second.post_ids == [f"x:{LASHIO_ID}"]
    assert counts == {"pages": 2, "embeds": 2, "posts": 1, "post_versions": 1}
    assert len(replay.requested("cdn.syndication.twimg.com")) == 1


def test_the_database_is_consistent_after_a_run(replay, settings):
    serve_lashio(replay)
    with Archiver(settings) as archiver:
        archiver.archive(str(SEED))
    conn = sqlite3.connect(settings.db_path)
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    assert conn.execute("pragma foreign_key_check").fetchall() == []


def test_refresh_reports_what_changed(replay, settings):
    """A post fetched again: unchanged adds no version; edited or deleted adds one and says so."""
    serve_syndication(
        replay, "2023357708301455483", "tweet-result_2023357708301455483_text_only.json"
    )
    url = "https://x.com/jarredsumner/status/2023357708301455483"
    with Archiver(settings) as archiver:
        first = archiver.archive(url)
        same = archiver.archive(url)
        edited = json.loads(
            fixture_path(
                "x", "syndication", "tweet-result_2023357708301455483_text_only.json"
            ).read_text()
        )
        edited["text"] = "an edited text"
        serve_syndication(replay, "2023357708301455483", json.dumps(edited).encode())
        changed = archiver.archive(url)
        serve_syndication(replay, "2023357708301455483", "tweet-result_tombstone_deleted.json")
        deleted = archiver.archive(url)
        versions = list(archiver.db.query("select text, status from post_versions order by id"))
    assert (first.changed, same.changed) == ([], [])
    assert changed.changed == ["x:2023357708301455483"] and deleted.changed == [
        "x:2023357708301455483"
    ]
    assert [v["status"] for v in versions] == ["ok", "ok", "deleted"]
    assert versions[1]["text"] == "an edited text" and versions[2]["text"] == "an edited text"
