"""TikTok: the real oEmbed answer and the real video page (oscarotero/Embed, 2024): caption, author, creation time, thumbnail."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlsplit

from factories import jpeg_bytes
from recorded import fixture_json, serve_fixture, serve_oembed


def test_tiktok_from_oembed_and_the_page_state(replay, archive_one, clips):
    url = "https://www.tiktok.com/@a3noticias/video/6806030056956251397"
    serve_oembed(
        replay,
        "https://www.tiktok.com/oembed",
        url,
        "oembed",
        "tiktok_oembed_a3noticias_6806030056956251397.json",
    )
    page = serve_fixture(
        replay, url, "tiktok", "tiktok_video_page_a3noticias_6806030056956251397.html"
    )
    # The video's files, at every address the recorded page names (yt-dlp's TikTok extractor
    # reads them from its state): a clip made here stands in for the footage.
    for address in video_addresses(page.read_text("utf-8")):
        replay.add(address, clips.mp4, content_type="video/mp4")
    oembed = fixture_json("oembed", "tiktok_oembed_a3noticias_6806030056956251397.json")
    thumb = jpeg_bytes(seed=73, size=(480, 848))
    replay.add(oembed["thumbnail_url"], thumb, content_type="image/jpeg")

    result, post, media = archive_one(url)

    assert result.status == "ok", result.error
    assert post["text"] == oembed["title"]
    assert (post["author_handle"], post["author_name"]) == ("a3noticias", "Antena 3 Noticias")
    assert post["created_at"] == "2020-03-19T21:12:41Z"  # createTime, from the page's state
    assert post["author_id"].isdigit()
    assert set(json.loads(post["metrics"])) >= {
        "diggCount",
        "playCount",
        "commentCount",
        "shareCount",
    }
    assert json.loads(post["details"])["music"].startswith("Resistiré")
    assert media[0]["sha256"] == hashlib.sha256(thumb).hexdigest()
    # The video, by yt-dlp's TikTok extractor from the same recorded page, through our fetcher.
    [video] = [m for m in media if m["type"] == "video"]
    assert video["sha256"] == hashlib.sha256(clips.mp4.read_bytes()).hexdigest()
    assert urlsplit(video["url"]).hostname.endswith("-webapp-prime.tiktok.com")
    [info] = [m for m in media if m["type"] == "video-info"]
    assert info["url"] == f"{url}#yt-dlp-info"


def video_addresses(page: str) -> set[str]:
    """The video file URLs in a TikTok page's state (JSON-escaped), path only: any query matches."""
    found = re.findall(r'"(https:\\u002F\\u002Fv[0-9]+-webapp-prime\.tiktok\.com[^"]+)"', page)
    return {urlsplit(u.replace("\\u002F", "/"))._replace(query="").geturl() for u in found}
