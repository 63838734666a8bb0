"""Reddit: what a post shows besides text and media (polls), and what Reddit cannot give yet
(gallery items and videos still processing, a comment deleted from its permalink).

A real thread (graw's recording of r/crafts 13opkyi) served at a comment permalink whose
comment it no longer lists; the rest are derived from real recordings or constructed in
Reddit's own shapes, as tests/fixtures/SOURCES.md says for each.
"""

from __future__ import annotations

import hashlib
import html
import json

from factories import jpeg_bytes
from recorded import fixture_json, serve_fixture

from archiver.evidence.verify import verify_archive
from archiver.pipeline.archive import Archiver

THREAD = "https://www.reddit.com/r/crafts/comments/13opkyi"
POLL = "comments_json_crafts_13opkyi_poll_constructed.json"
GALLERY_WAITING = "comments_json_crafts_13opkyi_gallery_unprocessed_derived.json"
VIDEO_WAITING = "comments_json_mtb_116mn1j_video_processing_derived.json"
GALLERY = "comments_json_crafts_13opkyi_gallery.json"


def archive_one(settings, url: str):
    with Archiver(settings) as archiver:
        result = archiver.archive(url)
        post = archiver.db["posts"].get(result.post_ids[0])
        media = list(archiver.db["post_media"].rows_where("post_id = ?", [post["id"]]))
        capture = archiver.db["captures"].get(result.capture_id)
    return result, post, media, capture


def test_a_poll_keeps_its_options_and_counts(replay, settings):
    serve_fixture(replay, f"{THREAD}.json", "reddit", POLL)
    result, post, media, _ = archive_one(settings, f"{THREAD}/which_costume/")
    assert result.status == "ok", result.error
    assert json.loads(post["details"])["poll"] == {
        "options": [
            {"title": "Mata Hari, the second outfit", "votes": 41},
            {"title": "Cleopatra", "votes": 17},
            {"title": "<b>Something else</b>", "votes": 3},
        ],
        "votes": 61,
        "expires_at": "2023-05-26T00:00:00Z",
    }
    assert post["text"] == "Which costume should I make next?\n\nVoting closes in three days."
    assert media == []


def test_a_gallery_still_processing_is_partial_and_says_how_many_items(replay, settings):
    serve_fixture(replay, f"{THREAD}.json", "reddit", GALLERY_WAITING)
    result, post, media, capture = archive_one(settings, f"{THREAD}/an_outfit/")
    details = json.loads(post["details"])
    assert result.status == "partial" and capture["status"] == "partial"
    assert media == [] and result.media_sha256s == []
    assert details["gallery"] == {"items": 5, "downloadable": 0}
    said = "Reddit lists 5 gallery items; 5 could not be downloaded (Reddit's status for them: unprocessed)"
    assert details["incomplete"] == said
    assert said in result.error and said in capture["error"]
    assert post["status"] == "ok"  # the post is there; only its files are not yet


def test_a_gallery_with_every_item_ready_stays_ok(replay, settings):
    serve_fixture(replay, f"{THREAD}.json", "reddit", GALLERY)
    data = fixture_json("reddit", GALLERY)[0]["data"]["children"][0]["data"]
    for item in data["gallery_data"]["items"]:
        url = html.unescape(data["media_metadata"][item["media_id"]]["s"]["u"])
        replay.add(url, jpeg_bytes(seed=len(url)))
    result, post, media, _ = archive_one(settings, f"{THREAD}/an_outfit/")
    assert result.status == "ok" and len(media) == 5
    assert "incomplete" not in json.loads(post["details"])


def test_a_gallery_with_one_failed_item_keeps_the_rest_and_is_partial(replay, settings):
    """Reddit answers `{"status": "failed"}` for an item it could not process (as curl showed
    for gallery 10b485x in SpartanJ/ImgurViewer#60): the real gallery with its last item so."""
    thread = fixture_json("reddit", GALLERY)
    data = thread[0]["data"]["children"][0]["data"]
    items = data["gallery_data"]["items"]
    data["media_metadata"][items[-1]["media_id"]] = {"status": "failed"}
    replay.add(f"{THREAD}.json", json.dumps(thread).encode(), content_type="application/json")
    files = {}
    for item in items[:-1]:
        url = html.unescape(data["media_metadata"][item["media_id"]]["s"]["u"])
        files[url] = jpeg_bytes(seed=len(files) + 20)
        replay.add(url, files[url])
    result, post, media, _ = archive_one(settings, f"{THREAD}/an_outfit/")
    details = json.loads(post["details"])
    assert result.status == "partial"
    assert [m["url"] for m in media] == list(files)
    assert details["gallery"] == {"items": 5, "downloadable": 4}
    assert "1 could not be downloaded (Reddit's status for them: failed)" in result.error


def test_a_video_still_processing_says_so_and_keeps_its_still_as_a_poster(replay, settings):
    serve_fixture(
        replay, "https://www.reddit.com/r/MTB/comments/116mn1j.json", "reddit", VIDEO_WAITING
    )
    data = fixture_json("reddit", VIDEO_WAITING)[0]["data"]["children"][0]["data"]
    still_url = html.unescape(data["preview"]["images"][0]["source"]["url"])
    still = jpeg_bytes(seed=5)
    replay.add(still_url, still)
    result, post, media, _ = archive_one(
        settings, "https://www.reddit.com/r/MTB/comments/116mn1j/meanwhile_in_czech_republic/"
    )
    details = json.loads(post["details"])
    assert result.status == "partial"
    assert details["video"] == {"status": "processing"}
    assert "still processing the video" in details["incomplete"]
    # Not a link card: the preview is the video's still.
    assert [(m["type"], m["sha256"]) for m in media] == [
        ("poster", hashlib.sha256(still).hexdigest())
    ]
    assert replay.requested("v.redd.it") == []  # no video file was named, none was asked for


def test_a_comment_gone_from_its_permalink_is_deleted(replay, settings):
    # Reddit's answer for the permalink: the thread, without the comment it names.
    serve_fixture(replay, f"{THREAD}/_/jzzzzz9.json", "reddit", GALLERY)
    result, post, _, capture = archive_one(
        settings, "https://www.reddit.com/r/crafts/comments/13opkyi/comment/jzzzzz9/"
    )
    assert (result.status, capture["status"], post["status"]) == ("deleted", "deleted", "deleted")
    assert post["id"] == "reddit:13opkyi/jzzzzz9" and not result.failed
    assert "no longer shows comment jzzzzz9" in post["status_reason"]
    assert post["raw"]  # Reddit's answer is kept as served


def test_the_archive_with_these_details_verifies(replay, settings):
    serve_fixture(replay, f"{THREAD}.json", "reddit", GALLERY_WAITING)
    serve_fixture(replay, f"{THREAD}/_/jzzzzz9.json", "reddit", GALLERY)
    with Archiver(settings) as archiver:
        archiver.archive(f"{THREAD}/an_outfit/")
        archiver.archive(f"{THREAD}/comment/jzzzzz9/")
    report = verify_archive(settings)
    assert report.ok, report.problems


def test_a_removed_video_post_without_its_video_is_not_called_processing(replay, settings):
    """The real removed post 151unk5 with its video objects gone (as Reddit may strip them):
    its status says what happened; nothing claims the video is still processing."""
    thread = fixture_json("reddit", "comments_json_oddlysatisfying_151unk5_video_removed.json")
    data = thread[0]["data"]["children"][0]["data"]
    data["media"] = data["secure_media"] = None
    replay.add(
        "https://www.reddit.com/comments/151unk5.json", json.dumps(thread).encode(),
        content_type="application/json",
    )  # fmt: skip
    result, post, media, _ = archive_one(settings, "https://redd.it/151unk5")
    details = json.loads(post["details"])
    assert (result.status, post["status"]) == ("unavailable", "unavailable")
    assert "video" not in details and "incomplete" not in details
