"""A post's video in Debian's Chromium: archived by yt-dlp through the fetcher, played from the blob store."""

from __future__ import annotations

import hashlib

import pytest
from recorded import serve_fixture, serve_oembed

from archiver.pipeline.archive import Archiver
from archiver.web.serve import make_datasette

pytestmark = pytest.mark.browser

TIKTOK = "https://www.tiktok.com/@a3noticias/video/6806030056956251397"
FIXTURE = ("tiktok", "tiktok_video_page_a3noticias_6806030056956251397.html")


def test_the_post_page_plays_the_archived_video(replay, settings, clips, page, serve_app, tmp_path):
    from platforms.test_tiktok import video_addresses

    oembed = ("oembed", "tiktok_oembed_a3noticias_6806030056956251397.json")
    serve_oembed(replay, "https://www.tiktok.com/oembed", TIKTOK, *oembed)
    recorded = serve_fixture(replay, TIKTOK, *FIXTURE)
    for address in video_addresses(recorded.read_text("utf-8")):
        replay.add(address, clips.mp4, content_type="video/mp4")
    with Archiver(settings) as archiver:
        result = archiver.archive(TIKTOK)
    sha256 = hashlib.sha256(clips.mp4.read_bytes()).hexdigest()
    assert sha256 in result.media_sha256s, result.error

    with serve_app(make_datasette(settings).app()) as base:
        page.goto(f"{base}/archive/posts/tiktok~3A6806030056956251397", wait_until="load")
        video = page.locator(f'video[src="/-/media/{sha256}"]')
        video.scroll_into_view_if_needed()
        # Playable: the browser reads its metadata and plays it from the archive's own server.
        page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle(), timeout=10_000)
        assert abs(video.evaluate("v => v.duration") - 3) < 0.2
        assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [160, 120]
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "v => v.currentTime > 0.3", arg=video.element_handle(), timeout=10_000
        )
        assert video.get_attribute("poster")  # the first frame, as its thumbnail
        assert page.get_by_text(sha256, exact=True).first.is_visible()
        page.screenshot(path=tmp_path / "video-post.png", full_page=True)
    assert all(url.startswith(base) for url in page.requested), page.requested
    assert page.errors == []
