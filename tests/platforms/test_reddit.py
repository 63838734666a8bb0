"""Reddit: threads replayed from real `<permalink>.json` responses (graw's recorded fixtures).

The recordings were made without raw_json=1, so their URLs carry &amp;; the
adapter asks with raw_json=1 and unescapes either way. Error bodies (404, 403)
follow Reddit's documented {"message", "error"} shape: constructed.
"""

from __future__ import annotations

import hashlib
import html
import json

from factories import jpeg_bytes, mp4_bytes
from recorded import fixture_json, fixture_path, serve_fixture

from archiver.pipeline.archive import Archiver
from archiver.platforms import identify

GALLERY = "comments_json_crafts_13opkyi_gallery.json"
REMOVED = "comments_json_oddlysatisfying_151unk5_video_removed.json"
CROSSPOST = "comments_json_holdmyredbull_116yyx6_image_preview.json"
PARENT_DELETED = "comments_json_awwwtf_xxp051_crosspost_parent_deleted.json"


def post_data(fixture: str) -> dict:
    return fixture_json("reddit", fixture)[0]["data"]["children"][0]["data"]


def serve_files(replay, urls: list[str], kind: str = "photo") -> dict[str, bytes]:
    files = {}
    for i, url in enumerate(urls):
        files[url] = mp4_bytes(seed=i) if kind == "video" else jpeg_bytes(seed=60 + i)
        replay.add(url, files[url])
    return files


def rows(archiver, post_id: str) -> list[dict]:
    return list(
        archiver.db.query(
            "select type, url, sha256, alt_text from post_media where post_id = ? order by position",
            [post_id],
        )
    )


def test_gallery_keeps_every_image_in_order(replay, settings):
    serve_fixture(
        replay, "https://www.reddit.com/r/crafts/comments/13opkyi.json", "reddit", GALLERY
    )
    data = post_data(GALLERY)
    urls = [
        html.unescape(data["media_metadata"][item["media_id"]]["s"]["u"])
        for item in data["gallery_data"]["items"]
    ]
    files = serve_files(replay, urls)

    with Archiver(settings) as archiver:
        result = archiver.archive(
            "https://old.reddit.com/r/crafts/comments/13opkyi/an_outfit_i_made_for_my_mata_hari_cosplay_top_and/"
        )
        post = archiver.db["posts"].get("reddit:13opkyi")
        media = rows(archiver, "reddit:13opkyi")

    assert result.status == "ok", result.error
    assert len(media) == 5 and "&amp;" not in media[0]["url"]
    assert [m["url"] for m in media] == urls
    assert [m["sha256"] for m in media] == [hashlib.sha256(files[u]).hexdigest() for u in urls]
    assert post["text"].startswith("An outfit I made for my Mata Hari cosplay")
    assert (post["author_handle"], post["created_at"]) == ("fel0ra", "2023-05-22T12:30:47Z")
    assert json.loads(post["details"])["subreddit"] == "crafts"
    assert json.loads(post["metrics"])["num_comments"] == 39
    assert post["raw"] == fixture_path("reddit", GALLERY).read_text("utf-8")
    assert replay.requested("www.reddit.com")[0].query == {"raw_json": "1"}


def test_removed_video_is_unavailable_but_keeps_what_reddit_still_serves(replay, settings):
    serve_fixture(replay, "https://www.reddit.com/comments/151unk5.json", "reddit", REMOVED)
    video = "https://v.redd.it/3b2ww78v6hcb1/DASH_1080.mp4?source=fallback"
    files = serve_files(replay, [video], kind="video")

    with Archiver(settings) as archiver:
        result = archiver.archive("https://redd.it/151unk5")  # the short link
        post = archiver.db["posts"].get("reddit:151unk5")
        media = rows(archiver, "reddit:151unk5")

    assert result.status == "unavailable" and not result.failed
    assert post["status"] == "unavailable"
    assert "removed_by_category: moderator" in post["status_reason"]
    assert post["text"] == "Bronze casting in a sand mold"
    assert [(m["type"], m["sha256"]) for m in media] == [
        ("video", hashlib.sha256(files[video]).hexdigest())
    ]


def test_crosspost_archives_its_parent_with_the_video(replay, settings):
    serve_fixture(
        replay, "https://www.reddit.com/r/holdmyredbull/comments/116yyx6.json", "reddit", CROSSPOST
    )
    data = post_data(CROSSPOST)
    preview = html.unescape(data["preview"]["images"][0]["source"]["url"])
    parent = data["crosspost_parent_list"][0]
    parent_video = parent["secure_media"]["reddit_video"]["fallback_url"]
    parent_poster = html.unescape(parent["preview"]["images"][0]["source"]["url"])
    files = serve_files(replay, [preview, parent_poster]) | serve_files(
        replay, [parent_video], "video"
    )

    with Archiver(settings) as archiver:
        result = archiver.archive("https://www.reddit.com/r/holdmyredbull/comments/116yyx6/_/")
        post = archiver.db["posts"].get("reddit:116yyx6")
        parent_row = archiver.db["posts"].get("reddit:116mn1j")
        own, parents = rows(archiver, "reddit:116yyx6"), rows(archiver, "reddit:116mn1j")

    assert result.status == "ok", result.error
    assert result.post_ids == ["reddit:116yyx6", "reddit:116mn1j"]
    assert post["quote_of"] == "reddit:116mn1j"
    assert parent_row["text"].startswith("Meanwhile in Czech republic")
    assert [m["type"] for m in own] == ["card"]  # a link post: Reddit's preview of the link
    assert [(m["type"], m["url"]) for m in parents] == [
        ("video", parent_video),
        ("poster", parent_poster),
    ]
    assert all(m["sha256"] == hashlib.sha256(files[m["url"]]).hexdigest() for m in own + parents)


def test_crosspost_of_a_deleted_post_records_the_parent_as_deleted(replay, settings):
    serve_fixture(
        replay, "https://www.reddit.com/r/awwwtf/comments/xxp051.json", "reddit", PARENT_DELETED
    )
    parent = post_data(PARENT_DELETED)["crosspost_parent_list"][0]
    serve_files(replay, [parent["secure_media"]["reddit_video"]["fallback_url"]], "video")

    with Archiver(settings) as archiver:
        result = archiver.archive("https://www.reddit.com/r/awwwtf/comments/xxp051/error_404/")
        post = archiver.db["posts"].get("reddit:xxp051")
        gone = archiver.db["posts"].get("reddit:xxfng1")

    assert post["status"] == "ok" and post["quote_of"] == "reddit:xxfng1"
    assert (gone["status"], gone["author_handle"]) == ("deleted", None)
    assert "deleted by its author" in gone["status_reason"]
    assert gone["text"] == "Error 404\n\n[deleted]"  # what Reddit still shows
    assert result.status == "ok", result.error


def test_a_comment_permalink_archives_the_comment(replay, settings):
    serve_fixture(
        replay, "https://www.reddit.com/r/crafts/comments/13opkyi/_/jl5gj56.json", "reddit", GALLERY
    )
    with Archiver(settings) as archiver:
        result = archiver.archive(
            "https://www.reddit.com/r/crafts/comments/13opkyi/comment/jl5gj56/"
        )
        comment = archiver.db["posts"].get("reddit:13opkyi/jl5gj56")
    assert result.status == "ok", result.error
    assert comment["author_handle"] == "kelowana" and comment["reply_to"] == "reddit:13opkyi"
    assert comment["text"].startswith("Wow. \n\nNailed it.")


def test_404_is_deleted_and_403_unavailable(replay, settings):
    replay.add(
        "https://www.reddit.com/comments/zzzzzz.json",
        {"message": "Not Found", "error": 404},
        status=404,
    )
    replay.add(
        "https://www.reddit.com/comments/yyyyyy.json",
        {"reason": "private", "message": "Forbidden", "error": 403},
        status=403,
    )
    with Archiver(settings) as archiver:
        missing = archiver.archive("https://redd.it/zzzzzz")
        private = archiver.archive("https://www.reddit.com/comments/yyyyyy/")
        statuses = dict(archiver.db.execute("select id, status from posts").fetchall())
    assert (missing.status, private.status) == ("deleted", "unavailable")
    assert statuses == {"reddit:zzzzzz": "deleted", "reddit:yyyyyy": "unavailable"}
    assert "Forbidden" in private.error


def test_short_and_long_links_name_one_post():
    assert (
        identify("https://redd.it/151unk5").db_id
        == identify(
            "https://www.reddit.com/r/oddlysatisfying/comments/151unk5/bronze_casting_in_a_sand_mold/"
        ).db_id
    )
