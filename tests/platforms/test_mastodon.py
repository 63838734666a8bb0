"""Mastodon: statuses replayed from real API responses (Mastodon.py cassettes, the official docs).

The cassettes were recorded against a Mastodon server at localhost:3000, so their
media URLs name that host; here the status is asked of mastodon.social, and the
media are served at the URLs the recordings name. A public post that names a
private address is refused unless the user mapped that host, so these tests map
localhost deliberately, as `--connect-to localhost=...` would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest
from factories import jpeg_bytes, mp4_bytes
from recorded import fixture_json, fixture_path, serve_fixture

from archiver.pipeline.archive import Archiver

HOST = "mastodon.social"


@pytest.fixture
def settings(settings):
    """The shared settings, with the recordings' localhost mapped deliberately."""
    return dataclasses.replace(
        settings, connect_to={**settings.connect_to, "localhost": settings.connect_to["*"]}
    )


def serve_status(replay, status_id: str, fixture: str, status: int = 200) -> None:
    serve_fixture(
        replay, f"https://{HOST}/api/v1/statuses/{status_id}", "mastodon", fixture, status=status
    )


def archive(settings, url: str):
    with Archiver(settings) as archiver:
        result = archiver.archive(url)
        posts = {row["id"]: row for row in archiver.db.query("select * from posts")}
        media = list(
            archiver.db.query(
                "select pm.*, m.mime from post_media pm left join media m using (sha256)"
                " order by post_id, position"
            )
        )
    return result, posts, media


def test_status_with_an_image(replay, settings):
    serve_status(replay, "117020570233811316", "status_GET_image_117020570233811316.json")
    data = fixture_json("mastodon", "status_GET_image_117020570233811316.json")
    photo = jpeg_bytes(seed=21)
    replay.add(data["media_attachments"][0]["url"], photo, content_type="image/jpeg")

    result, posts, media = archive(
        settings, f"https://{HOST}/@mastodonpy_test_2/117020570233811316"
    )

    assert result.status == "ok", result.error
    post = posts[f"mastodon:{HOST}/117020570233811316"]
    assert (post["text"], post["lang"], post["author_handle"]) == (
        "oh no!",
        "ja",
        "mastodonpy_test_2",
    )
    assert post["created_at"] == "2026-08-01T13:49:57.172Z"
    assert post["author_id"] == "http://localhost:3000/ap/users/117020566092212359"
    assert post["raw"] == fixture_path(
        "mastodon", "status_GET_image_117020570233811316.json"
    ).read_text("utf-8")
    assert [(m["type"], m["sha256"]) for m in media] == [
        ("photo", hashlib.sha256(photo).hexdigest())
    ]


def test_status_with_two_images_keeps_their_descriptions(replay, settings):
    serve_status(replay, "117020576664345360", "status_POST_multiple_media.json")
    data = fixture_json("mastodon", "status_POST_multiple_media.json")
    for i, item in enumerate(data["media_attachments"]):
        replay.add(item["url"], jpeg_bytes(seed=30 + i), content_type="image/jpeg")

    result, _, media = archive(settings, f"https://{HOST}/web/statuses/117020576664345360")

    assert result.status == "ok", result.error
    assert [m["alt_text"] for m in media] == [
        "John Lennon doing a funny walk", "hololives #1 detective, watson ameliachan",
    ]  # fmt: skip
    assert all(m["sha256"] for m in media)


def test_video_status_keeps_the_video_and_its_preview(replay, settings):
    serve_status(replay, "117020605591369864", "status_POST_video.json")
    item = fixture_json("mastodon", "status_POST_video.json")["media_attachments"][0]
    video, preview = mp4_bytes(duration_ms=7300, width=640, height=640), jpeg_bytes(seed=22)
    replay.add(item["url"], video, content_type="video/mp4")
    replay.add(item["preview_url"], preview, content_type="image/jpeg")

    result, _, media = archive(settings, f"https://{HOST}/@admin/117020605591369864")

    assert result.status == "ok", result.error
    assert [(m["type"], m["sha256"], m["alt_text"]) for m in media] == [
        ("video", hashlib.sha256(video).hexdigest(), "Original description"),
        ("poster", hashlib.sha256(preview).hexdigest(), None),
    ]


def test_every_attachment_kind_from_the_documentation(replay, settings):
    # Composed from two real documents: the docs' Status example, given the docs'
    # four MediaAttachment examples (image, video, gifv, audio).
    status = fixture_json("mastodon", "docs_status_gargron_103270115826048975_card.json")
    attachments = fixture_json("mastodon", "docs_media_attachments_image_video_gifv_audio.json")
    body = json.dumps(status | {"media_attachments": attachments})
    replay.add(
        f"https://{HOST}/api/v1/statuses/103270115826048975", body, content_type="application/json"
    )
    files = {
        attachments[0]["url"]: jpeg_bytes(seed=23),
        attachments[1]["url"]: mp4_bytes(seed=1),
        attachments[1]["preview_url"]: jpeg_bytes(seed=24),
        attachments[2]["url"]: mp4_bytes(seed=2, duration_ms=1110),
        attachments[2]["preview_url"]: jpeg_bytes(seed=25),
        attachments[3]["url"]: b"ID3\x04\x00" + bytes(2000),
    }
    for url, data in files.items():
        replay.add(url, data)

    result, posts, media = archive(settings, f"https://{HOST}/@Gargron/103270115826048975")

    assert [(m["type"], m["url"]) for m in media] == [
        ("photo", attachments[0]["url"]),
        ("video", attachments[1]["url"]),
        ("poster", attachments[1]["preview_url"]),
        ("gif", attachments[2]["url"]),
        ("poster", attachments[2]["preview_url"]),
        ("audio", attachments[3]["url"]),
    ]
    assert [m["sha256"] for m in media] == [
        hashlib.sha256(files[m["url"]]).hexdigest() for m in media
    ]
    assert media[0]["alt_text"] == "test media description"
    post = posts[f"mastodon:{HOST}/103270115826048975"]
    assert post["text"].startswith('"I lost my inheritance with one wrong digit on my sort code"')
    assert "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000" in post["text"]
    card = json.loads(post["details"])["card"]
    assert (
        card["title"] == "‘I lost my £193,000 inheritance – with one wrong digit on my sort code’"
    )
    assert json.loads(post["metrics"])["favourites_count"] == 11


def test_poll_and_card_are_kept_in_details(replay, settings):
    serve_status(replay, "117020582690282017", "status_POST_poll.json")
    serve_status(replay, "117020609135389699", "status_GET_with_card.json")
    with Archiver(settings) as archiver:
        poll = archiver.archive(f"https://{HOST}/@admin/117020582690282017")
        card = archiver.archive(f"https://{HOST}/@mastodonpy_test/117020609135389699")
        details = {
            row["id"]: json.loads(row["details"])
            for row in archiver.db.query("select id, details from posts")
        }
    assert poll.status == card.status == "ok"
    assert details[f"mastodon:{HOST}/117020582690282017"]["poll"]["options"] == [
        {"title": "four twenty", "votes": 0}, {"title": "sixty-nine", "votes": 0},
    ]  # fmt: skip
    assert details[f"mastodon:{HOST}/117020609135389699"]["card"] == {
        "url": "http://example.org/", "title": "Example Domain", "type": "link",
    }  # fmt: skip


def test_a_quote_archives_the_quoted_status(replay, settings):
    serve_status(replay, "117020582925004921", "status_POST_with_quote.json")
    result, posts, _ = archive(settings, f"https://{HOST}/@mastodonpy_test/117020582925004921")
    outer = posts[f"mastodon:{HOST}/117020582925004921"]
    assert result.post_ids == [
        f"mastodon:{HOST}/117020582925004921",
        f"mastodon:{HOST}/117020582917124092",
    ]
    assert outer["quote_of"] == f"mastodon:{HOST}/117020582917124092"
    assert outer["text"] == "yoooooooo"  # the "RE: <link>" paragraph for old clients is dropped
    assert posts[f"mastodon:{HOST}/117020582917124092"]["text"] == "Toot!"


def test_404_is_recorded_as_deleted(replay, settings):
    serve_status(replay, "109999999999999999", "status_GET_404_not_found.json", status=404)
    result, posts, _ = archive(settings, f"https://{HOST}/@someone/109999999999999999")
    post = posts[f"mastodon:{HOST}/109999999999999999"]
    assert result.status == "deleted" and post["status"] == "deleted"
    assert "HTTP 404: Not Found" in post["status_reason"]


@pytest.mark.parametrize("status", [401, 403])
def test_an_instance_that_wants_login_is_unavailable(replay, settings, status):
    replay.add(
        f"https://{HOST}/api/v1/statuses/110000000000000001",
        {"error": "This API requires an authenticated user"},  # the documented error shape
        status=status,
    )
    result, posts, _ = archive(settings, f"https://{HOST}/@someone/110000000000000001")
    assert result.status == "unavailable" and not result.failed
    assert "requires login" in posts[f"mastodon:{HOST}/110000000000000001"]["status_reason"]
