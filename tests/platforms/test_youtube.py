"""YouTube: the real oEmbed answers (oscarotero/Embed, wp-block-converter recordings), the watch page, the thumbnail hashed.

The watch page's <head> is constructed (named so): no recorded watch page was found.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from factories import jpeg_bytes
from recorded import fixture_path, serve_fixture, serve_oembed

RICK = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_youtube_from_oembed_and_the_watch_page(replay, archive_one, settings):
    serve_oembed(
        replay, "https://www.youtube.com/oembed", RICK, "oembed", "youtube_oembed_dQw4w9WgXcQ.json"
    )
    serve_fixture(replay, RICK, "youtube", "youtube_watch_page_head_dQw4w9WgXcQ_constructed.html")
    thumb = jpeg_bytes(seed=71, size=(480, 360))
    replay.add("https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg", thumb, content_type="image/jpeg")

    # The adapter's own capture; its video is yt-dlp's (tests/test_video.py).
    no_video = settings.with_(video=False)
    result, post, media = archive_one("https://youtu.be/dQw4w9WgXcQ?t=42", with_settings=no_video)

    assert result.status == "ok", result.error
    assert post["id"] == "youtube:dQw4w9WgXcQ" and post["source"] == "oembed+page"
    assert post["text"] == "Rick Astley - Never Gonna Give You Up (Official Music Video)"
    assert (post["author_name"], post["author_handle"]) == ("Rick Astley", "RickAstleyYT")
    assert post["created_at"] == "2009-10-25T06:57:33Z"  # the page's datePublished, in UTC
    assert post["raw"] == fixture_path("oembed", "youtube_oembed_dQw4w9WgXcQ.json").read_text(
        "utf-8"
    )
    assert [(m["type"], m["sha256"]) for m in media] == [
        ("photo", hashlib.sha256(thumb).hexdigest())
    ]
    assert (
        json.loads(post["details"])["page"]["image"]
        == "https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg"
    )


def test_youtube_without_its_page_is_partial(replay, archive_one):
    url = "https://www.youtube.com/watch?v=eiHXASgRTcA"
    serve_oembed(
        replay, "https://www.youtube.com/oembed", url, "oembed", "youtube_oembed_noisy_kittens.json"
    )
    replay.add("https://i.ytimg.com/vi/eiHXASgRTcA/hqdefault.jpg", jpeg_bytes(seed=72))
    result, post, _ = archive_one("https://www.youtube-nocookie.com/embed/eiHXASgRTcA")
    assert result.status == "partial"  # oEmbed only: no page, so no description or date
    assert post["text"] == "Noisy kittens waiting for dinner!"
    assert json.loads(post["details"])["page"] == {"http_status": 404}


@pytest.mark.parametrize(
    "status,body,expected",
    [
        (404, "Not Found", "deleted"),
        (401, "Unauthorized", "unavailable"),
        (403, "Forbidden", "unavailable"),
    ],
)
def test_youtube_oembed_errors_are_statuses(replay, archive_one, status, body, expected):
    replay.add("https://www.youtube.com/oembed", body, status=status, content_type="text/html")
    result, post, _ = archive_one("https://www.youtube.com/watch?v=aaaaaaaaaaa")
    assert result.status == expected and post["status"] == expected
    assert f"HTTP {status}" in post["status_reason"]
