"""Vimeo: real oEmbed answers for video 235352744 (oscarotero/Embed): the full 2020 answer, and 2024's minimal
one beside the 404 page served for the video then (its <head> extracted)."""

from __future__ import annotations

import hashlib
import json

from factories import jpeg_bytes
from recorded import serve_fixture, serve_oembed


def test_vimeo_oembed_with_description_and_upload_date(replay, archive_one):
    url = "https://vimeo.com/235352744"
    serve_oembed(
        replay,
        "https://vimeo.com/api/oembed.json",
        url,
        "oembed",
        "vimeo_oembed_235352744_2020.json",
    )
    thumb = jpeg_bytes(seed=74, size=(640, 360))
    replay.add("https://i.vimeocdn.com/video/657162424_640.jpg", thumb, content_type="image/jpeg")

    result, post, media = archive_one("https://player.vimeo.com/video/235352744")

    assert (
        post["text"]
        == "Vimeo Live is here\n\nProfessional live streaming is here. \n\nLearn more at vimeo.com/live"
    )
    assert (post["author_handle"], post["created_at"]) == ("vimeomarketing", "2017-09-25")
    assert json.loads(post["details"])["duration"] == 75
    assert media[0]["sha256"] == hashlib.sha256(thumb).hexdigest()
    assert result.status == "partial"  # the page was not served


def test_vimeo_2024_minimal_oembed_and_404_page_are_kept_as_they_are(replay, archive_one, settings):
    url = "https://vimeo.com/235352744"
    serve_oembed(
        replay,
        "https://vimeo.com/api/oembed.json",
        url,
        "oembed",
        "vimeo_oembed_235352744_2024_minimal.json",
    )
    serve_fixture(replay, url, "vimeo", "vimeo_page_235352744_404_extracted.html", status=404)
    # The adapter's own capture; its video is yt-dlp's (tests/test_video.py).
    result, post, media = archive_one(url, with_settings=settings.with_(video=False))
    assert not result.failed and post["text"] is None and media == []
    details = json.loads(post["details"])
    assert details["page"] == {"http_status": 404} and details["video_id"] == 235352744
