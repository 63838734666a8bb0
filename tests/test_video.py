"""Video through yt-dlp, its every request sent by the archiver's fetcher: HTML5 video, HLS, DASH.

The videos are made here with ffmpeg (tests/video_clips.py) and served by the replay
server; the archiver reaches them through its host mapping, as it would the web.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3

import pytest
from video_clips import CLIP_SECONDS, serve_dir
from warcio.archiveiterator import ArchiveIterator

from archiver.evidence.verify import verify_archive
from archiver.media import ytdlp_video
from archiver.media.video_sources import VideoOptions, ffmpeg_installed
from archiver.pipeline.archive import Archiver

PAGE = "https://news.example/2026/footage"
CLIP = "https://news.example/media/clip.mp4"


def page_with(*players: str) -> str:
    return (
        "<html><head><title>Footage from the scene</title></head><body>"
        f"<p>Filmed at the scene this morning.</p>{''.join(players)}</body></html>"
    )


STREAMS = {
    "hls": ("index.m3u8", "application/x-mpegURL"),
    "dash": ("manifest.mpd", "application/dash+xml"),
}


def serve_clip_page(replay, clips) -> None:
    """A page whose <video> plays the clip as one MP4 file."""
    replay.add(PAGE, page_with('<video controls src="/media/clip.mp4"></video>'),
               content_type="text/html; charset=utf-8")  # fmt: skip
    replay.add(CLIP, clips.mp4, content_type="video/mp4")


def serve_stream_page(replay, clips, kind: str, page: str = PAGE) -> str:
    """A page whose <video> plays the clip as an HLS or a DASH stream; the manifest's URL."""
    name, mime = STREAMS[kind]
    base = f"{page.split('/', 3)[0]}//{page.split('/', 3)[2]}/{kind}"
    replay.add(page, page_with(f'<video><source src="/{kind}/{name}" type="{mime}"></video>'),
               content_type="text/html")  # fmt: skip
    serve_dir(replay, base, getattr(clips, kind))
    return f"{base}/{name}"


def archive(settings, url: str):
    """(CaptureResult, the page's media rows joined with their media, in position order)."""
    with Archiver(settings) as archiver:
        result = archiver.archive(url)
        rows = list(
            archiver.db.query(
                "select page_media.*, media.* from page_media left join media"
                " on media.sha256 = page_media.sha256 where capture_id = ? order by position",
                [result.capture_id],
            )
        )
    return result, rows


def of_type(rows: list[dict], kind: str) -> list[dict]:
    return [row for row in rows if row["type"] == kind]


def warc_payloads(settings) -> dict[str, list[str]]:
    """URL -> the SHA-256 of each response body the WARC files hold for it."""
    found: dict[str, list[str]] = {}
    for path in sorted(settings.warcs.glob("*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    body = record.content_stream().read()
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    found.setdefault(url, []).append(hashlib.sha256(body).hexdigest())
    return found


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def near(ms: int | None, seconds: float) -> bool:
    return ms is not None and abs(ms - seconds * 1000) <= 150


def test_a_page_with_an_html5_video_keeps_its_bytes_hash_and_duration(replay, settings, clips):
    serve_clip_page(replay, clips)

    result, rows = archive(settings, PAGE)

    assert result.status == "ok", result.error
    [video] = of_type(rows, "video")
    data = clips.mp4.read_bytes()
    assert (video["url"], video["sha256"], video["mime"]) == (CLIP, sha256(data), "video/mp4")
    assert (settings.blobs_dir / video["blob_path"]).read_bytes() == data
    assert near(video["duration_ms"], CLIP_SECONDS) and (video["width"], video["height"]) == (
        160,
        120,
    )
    streams = json.loads(video["exif"])["streams"]
    assert (streams["video_codec"], streams["audio_codec"]) == ("h264", "aac")
    # The poster (the first frame) gives the video its thumbnail and its perceptual hashes;
    # keyframes spread over it are kept and hashed as images.
    frames = of_type(rows, "keyframe")
    assert len(frames) >= 2 and all(f["mime"] == "image/jpeg" and f["pdq"] for f in frames)
    assert video["thumbnail_path"] and video["phash"] == frames[0]["phash"]
    assert [f["url"] for f in frames][:2] == [f"{CLIP}#t=0", f"{CLIP}#t=0.75"]
    # yt-dlp's info JSON, as it writes it.
    [info_row] = of_type(rows, "video-info")
    info = json.loads((settings.blobs_dir / info_row["blob_path"]).read_bytes())
    assert info["webpage_url"] == PAGE and info["formats"][0]["url"] == CLIP
    # Its requests were the archiver's: one GET of the clip, in the WARC, with our User-Agent,
    # and the page itself not fetched twice.
    clip_requests = [r for r in replay.requests if r.path == "/media/clip.mp4"]
    assert [r.headers.get("user-agent") for r in clip_requests] == [settings.user_agent]
    assert len([r for r in replay.requests if r.path == "/2026/footage"]) == 1
    assert warc_payloads(settings)[CLIP] == [sha256(data)]
    report = verify_archive(settings)
    assert report.ok, report.problems


def test_an_hls_stream_is_joined_from_its_segments_each_in_the_warc(replay, settings, clips):
    manifest = serve_stream_page(replay, clips, "hls")

    result, rows = archive(settings, PAGE)

    assert result.status == "ok", result.error
    [video] = of_type(rows, "video")
    segments = [path.read_bytes() for path in clips.hls_segments()]
    assert video["url"] == manifest
    assert video["sha256"] == sha256(b"".join(segments))  # the segments as served, in order
    assert video["mime"] == "video/mp2t" and near(video["duration_ms"], CLIP_SECONDS)
    warc = warc_payloads(settings)
    for path, data in zip(clips.hls_segments(), segments, strict=True):
        assert sha256(data) in warc[f"https://news.example/hls/{path.name}"]
    assert verify_archive(settings).ok


def test_a_dash_stream_has_its_video_and_audio_merged_by_ffmpeg(replay, settings, clips):
    manifest = serve_stream_page(replay, clips, "dash")

    result, rows = archive(settings, PAGE)

    assert result.status == "ok", result.error
    [video] = of_type(rows, "video")
    assert video["url"] == manifest
    streams = json.loads(video["exif"])["streams"]
    assert (streams["video_codec"], streams["audio_codec"]) == ("h264", "aac")
    assert near(video["duration_ms"], CLIP_SECONDS)
    info = json.loads(
        (settings.blobs_dir / of_type(rows, "video-info")[0]["blob_path"]).read_bytes()
    )
    assert "+" in info["format_id"]  # a video format and an audio format, merged
    # Every segment of both streams was fetched (and recorded) through the fetcher.
    dash_requests = {r.path for r in replay.requests if r.path.startswith("/dash/")}
    segments = [f"chunk-stream{s}-0000{n}.m4s" for s in (0, 1) for n in range(1, CLIP_SECONDS + 1)]
    assert dash_requests >= {
        f"/dash/{name}" for name in ["init-stream0.m4s", "init-stream1.m4s", *segments]
    }
    assert verify_archive(settings).ok


def test_without_ffmpeg_the_best_single_file_is_kept_and_why(
    replay, settings, clips, monkeypatch, tmp_path
):
    serve_stream_page(replay, clips, "dash")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert not ffmpeg_installed()

    result, rows = archive(settings, PAGE)

    [video] = of_type(rows, "video")
    assert video["sha256"] and video["mime"] == "video/mp4"
    assert "ffmpeg is not installed" in result.error and "not merged" in result.error
    assert of_type(rows, "keyframe") == []  # no ffmpeg, no frames; the file itself is kept


def test_the_same_footage_reuploaded_as_a_stream_is_a_near_duplicate(replay, settings, clips):
    serve_clip_page(replay, clips)
    other = "https://mirror.example/reupload"
    serve_stream_page(replay, clips, "hls", page=other)

    _, first = archive(settings, PAGE)
    _, second = archive(settings, other)

    original, reupload = of_type(first, "video")[0], of_type(second, "video")[0]
    assert original["sha256"] != reupload["sha256"]  # different bytes, same footage
    with Archiver(settings) as archiver:
        matched = {row["other_sha256"] for row in archiver.db["media_matches"].rows_where(
            "sha256 = ?", [original["sha256"]])}  # fmt: skip
    assert reupload["sha256"] in matched


def test_a_video_over_the_size_limit_is_not_downloaded_and_says_so(replay, settings, clips):
    serve_clip_page(replay, clips)

    result, rows = archive(settings.with_(max_video_bytes=10_000), PAGE)

    assert result.status == "partial"
    [video] = of_type(rows, "video")
    assert video["sha256"] is None and "10,000-byte limit" in video["error"]


def test_a_page_without_video_asks_nothing_more(replay, settings):
    replay.add(PAGE, page_with("<p>No footage, only a mention of video.mpd in the text.</p>"),
               content_type="text/html")  # fmt: skip

    result, rows = archive(settings, PAGE)

    assert result.status == "ok" and rows == []
    assert [r.path for r in replay.requests] == ["/2026/footage"]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_request_the_fetcher_does_not_send_fails_and_leaves_the_machine_never(
    settings, method, tmp_path
):
    from yt_dlp.networking import Request
    from yt_dlp.networking.exceptions import RequestError

    from archiver.fetch.client import Fetcher

    options = VideoOptions(10**6, True)
    params = ytdlp_video._params(tmp_path, options, settings.user_agent)
    with (
        Fetcher(settings) as fetcher,
        ytdlp_video._ArchiverYDL(params, {"fetcher": fetcher, "max_bytes": 10**6}) as ydl,
    ):
        assert [type(h).__name__ for h in ydl._request_director.handlers.values()] == [
            "FetcherHandler"
        ]
        with pytest.raises(RequestError, match="GET and POST only"):
            ydl.urlopen(
                Request("https://www.youtube.com/youtubei/v1/player", data=b"{}", method=method)
            )
    # The autouse network guard fails the test had anything tried to reach past loopback.


def test_a_platform_whose_extractor_posts_sends_it_through_the_fetcher_recorded(replay, settings):
    """YouTube's extractor asks its API by a JSON POST: sent by the fetcher, kept in the WARC
    with its body; the API's answer (here a 404) is the video's reason."""
    from recorded import serve_fixture, serve_oembed

    watch = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    serve_oembed(
        replay, "https://www.youtube.com/oembed", watch, "oembed", "youtube_oembed_dQw4w9WgXcQ.json"
    )
    serve_fixture(replay, watch, "youtube", "youtube_watch_page_head_dQw4w9WgXcQ_constructed.html")

    with Archiver(settings) as archiver:
        result = archiver.archive(watch)
        [video] = archiver.db.query("select * from post_media where type = 'video'")

    assert result.status == "partial" and video["sha256"] is None
    assert "Unable to download API page: HTTP Error 404" in video["error"]
    [posted] = [r for r in replay.requests if r.method == "POST"]
    assert posted.host == "www.youtube.com" and posted.path.startswith("/youtubei/v1/")
    assert posted.headers["content-type"] == "application/json"
    sent = json.loads(posted.body)
    assert sent["videoId"] == "dQw4w9WgXcQ"
    [(headers, body)] = warc_requests(settings, "POST")
    assert json.loads(body) == sent and "application/json" in headers


def test_an_extractor_whose_api_is_a_json_post_gets_its_video_through_the_fetcher(
    replay, settings, clips, tmp_path
):
    """DLive's extractor asks its GraphQL API by a JSON POST, then joins the HLS stream it names:
    every request by the fetcher, the POST recorded with its body, the answer among the info's parts."""
    from recorded import fixture_path

    from archiver.fetch.client import Fetcher
    from archiver.fetch.warc import WarcRecorder

    answer = fixture_path("dlive", "graphigo_pastBroadcast_constructed.json")
    replay.add("https://graphigo.prd.dlive.tv/", answer, method="POST",
               content_type="application/json")  # fmt: skip
    serve_dir(replay, "https://playback.prd.dlive.tv/vod/pdp+3mTzOl4WR", clips.hls)
    options = VideoOptions(10**7, True)

    warc = WarcRecorder(settings.warcs)
    with Fetcher(settings, warc) as fetcher:
        [video] = ytdlp_video.download_videos(
            fetcher, "https://dlive.tv/p/pdp+3mTzOl4WR", tmp_path, options, follow_links=True
        )
    warc.close()

    segments = b"".join(path.read_bytes() for path in clips.hls_segments())
    assert video.path.read_bytes() == segments
    assert video.info["title"] == "Minecraft with james charles epic"
    assert video.info["extractor_key"] == "DLiveVOD" and video.info["timestamp"] == 1562011015
    [posted] = [r for r in replay.requests if r.method == "POST"]
    assert 'pastBroadcast(permlink:"pdp+3mTzOl4WR")' in json.loads(posted.body)["query"]
    [(_, body)] = warc_requests(settings, "POST")
    assert body == posted.body
    assert sha256(answer.read_bytes()) in video.info_parts_sha256


def warc_requests(settings, method: str) -> list[tuple[str, bytes]]:
    """(the HTTP headers as recorded, the body) of each WARC request record of `method`."""
    found = []
    for path in sorted(settings.warcs.glob("*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "request" and record.http_headers.protocol == method:
                    headers = record.http_headers.to_str()
                    found.append((headers, record.content_stream().read()))
    return found


def test_a_video_frame_swapped_or_its_probe_edited_is_caught(replay, settings, clips):
    serve_clip_page(replay, clips)
    _, rows = archive(settings, PAGE)
    video, frame = of_type(rows, "video")[0], of_type(rows, "keyframe")[1]
    assert verify_archive(settings).ok

    (settings.blobs_dir / frame["blob_path"]).write_bytes(b"another picture")
    with sqlite3.connect(settings.db_path) as conn:
        forged = json.dumps({"streams": {"video_codec": "vp9"}})
        conn.execute("update media set exif = ? where sha256 = ?", [forged, video["sha256"]])
    conn.close()

    report = verify_archive(settings)
    where = " ".join(f"{p.kind} {p.where} {p.detail}" for p in report.problems)
    assert frame["sha256"] in where and video["sha256"] in where


def serve_live(replay, clips, url: str) -> None:
    """The clip's HLS stream as a live one: its playlist lists three 1 s segments, no end."""
    listing = clips.hls.joinpath("index.m3u8").read_text()
    live = listing.replace("#EXT-X-ENDLIST", "").replace("#EXT-X-PLAYLIST-TYPE:VOD", "")
    serve_dir(replay, url.rsplit("/", 1)[0], clips.hls)
    replay.add(url, live, content_type="application/vnd.apple.mpegurl")  # over the VOD one


@pytest.mark.parametrize(("cap", "kept"), [(1800, 3), (2, 2)])
def test_a_live_stream_keeps_what_it_listed_joined_natively_and_says_partial(
    replay, settings, clips, tmp_path, cap, kept
):
    """A live HLS stream (as an extractor reports one): the segments its playlist lists now,
    the first max_live_seconds of them."""
    from archiver.fetch.client import Fetcher

    live = "https://live.example/hls/index.m3u8"
    serve_live(replay, clips, live)
    found = {"id": "live", "title": "On air", "is_live": True, "live_status": "is_live",
             "webpage_url": "https://live.example/watch",
             "formats": [{"format_id": "hls", "url": live, "manifest_url": live,
                          "protocol": "m3u8_native", "ext": "mp4"}]}  # fmt: skip
    options = VideoOptions(10**7, True, max_live_seconds=cap)
    params = ytdlp_video._params(tmp_path, options, settings.user_agent)
    with (
        Fetcher(settings) as fetcher,
        ytdlp_video._ArchiverYDL(params, {"fetcher": fetcher, "max_bytes": 10**7}) as ydl,
    ):
        video = ytdlp_video._downloaded(
            ydl, ydl.process_ie_result(found, download=True), options, live
        )

    segments = b"".join(path.read_bytes() for path in clips.hls_segments()[:kept])
    assert video.path.read_bytes() == segments  # not handed to ffmpeg: joined through the fetcher
    assert video.partial
    assert "a live stream: recorded only what it served while archived (partial)" in video.note
    cut = "its playlist listed 3 s, the first 2 s were kept (max_live_seconds 2)"
    assert (cut in video.note) == (kept < 3)
    # The playlist read once; the segments past the cap never asked for.
    assert [r.path for r in replay.requests] == ["/hls/index.m3u8"] + [
        f"/hls/index{i}.ts" for i in range(kept)
    ]


def test_a_page_playing_a_live_stream_is_a_partial_capture_that_verifies(replay, settings, clips):
    """A page's <video> plays a live HLS stream: its capped window is kept, the capture is
    partial with the reason as its error, and the untouched archive verifies."""
    replay.add(PAGE, page_with('<video><source src="/live/index.m3u8" type="application/x-mpegURL"></video>'),
               content_type="text/html")  # fmt: skip
    serve_live(replay, clips, "https://news.example/live/index.m3u8")

    result, rows = archive(settings.with_(max_live_seconds=1), PAGE)

    [video] = of_type(rows, "video")
    assert result.status == "partial"
    assert video["sha256"] == sha256(clips.hls_segments()[0].read_bytes())
    assert "a live stream: recorded only what it served while archived (partial)" in result.error
    assert "the first 1 s were kept (max_live_seconds 1)" in video["error"]
    assert "/live/index2.ts" not in [r.path for r in replay.requests]
    with Archiver(settings) as archiver:
        [row] = archiver.db.query("select status, error from captures")
    assert (row["status"], row["error"]) == ("partial", result.error)
    assert verify_archive(settings).ok


def test_a_video_at_a_private_address_is_refused_as_any_request_is(replay, settings):
    replay.add(PAGE, page_with('<video src="http://10.0.0.5/internal/clip.mp4"></video>'),
               content_type="text/html")  # fmt: skip

    result, rows = archive(settings, PAGE)

    [video] = of_type(rows, "video")
    assert result.status == "partial" and video["sha256"] is None
    assert "10.0.0.5 is a private address" in video["error"]
    assert [r.path for r in replay.requests] == ["/2026/footage"]


def test_one_video_that_fails_leaves_the_pages_others_kept(replay, settings, clips):
    replay.add(PAGE, page_with('<video src="/media/gone.mp4"></video><video src="/media/clip.mp4"></video>'),
               content_type="text/html")  # fmt: skip
    replay.add(CLIP, clips.mp4, content_type="video/mp4")

    result, rows = archive(settings, PAGE)

    videos = of_type(rows, "video")
    assert result.status == "partial"
    assert [(v["url"], v["sha256"] is None) for v in videos] == [
        ("https://news.example/media/gone.mp4", True), (CLIP, False)
    ]  # fmt: skip
    assert "HTTP Error 404" in videos[0]["error"]


def test_a_second_capture_of_the_video_lists_the_same_frames(replay, settings, clips):
    serve_clip_page(replay, clips)

    _, first = archive(settings, PAGE)
    _, second = archive(settings, PAGE)

    frames = [[row["sha256"] for row in rows if row["type"] in ("video", "keyframe")]
              for rows in (first, second)]  # fmt: skip
    assert len(frames[0]) >= 3 and frames[0] == frames[1]


def test_a_cookie_session_reaches_ytdlp_per_host_and_never_the_warc(
    replay, settings, clips, tmp_path
):
    """--cookies: yt-dlp's requests carry the session's cookies for their own host only, a
    redirect to another host none of them, and the WARC keeps no value."""
    secret = "VIDEO-SESSION-4f1c-SECRET"
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n"
        f".news.example\tTRUE\t/\tTRUE\t2145916800\tsessionid\t{secret}\n"
    )
    replay.add(PAGE, page_with('<video src="/media/clip.mp4"></video>'), content_type="text/html")
    replay.redirect(CLIP, "https://cdn.example/store/clip.mp4", status=302)
    replay.add("https://cdn.example/store/clip.mp4", clips.mp4, content_type="video/mp4")

    result, rows = archive(settings.with_(cookies_file=cookies), PAGE)

    assert of_type(rows, "video")[0]["sha256"] == sha256(clips.mp4.read_bytes()), result.error
    sent = {(r.host, r.path): r.headers.get("cookie") for r in replay.requests}
    assert sent[("news.example", "/media/clip.mp4")] == f"sessionid={secret}"
    assert sent[("cdn.example", "/store/clip.mp4")] is None
    warcs = b"".join(gzip.decompress(p.read_bytes()) for p in settings.warcs.glob("*.warc.gz"))
    assert secret.encode() not in warcs


def test_the_live_cap_is_read_from_the_environment_and_a_bad_one_said():
    from archiver.errors import UsageError
    from archiver.settings import Settings

    assert Settings.from_env({"ARCHIVER_MAX_LIVE_SECONDS": "600"}).max_live_seconds == 600
    assert Settings.from_env({}).max_live_seconds == 1800
    with pytest.raises(UsageError, match="ARCHIVER_MAX_LIVE_SECONDS must be a whole number"):
        Settings.from_env({"ARCHIVER_MAX_LIVE_SECONDS": "0"})
