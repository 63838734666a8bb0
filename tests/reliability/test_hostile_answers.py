"""Malformed platform answers and pages past the parsers' bounds: each URL ends with what was
usable kept (or a capture with its reason), the run goes on, and the work stays bounded."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from factories import jpeg_bytes, ts_bytes
from faults import media_url, photo_post, post_url, query, serve_photo_post
from recorded import fixture_json, serve_fixture, serve_syndication

import archiver.discovery.embeds
from archiver.media import hls

PHOTO_ID = "1641086480675225601"


def serve_malformed(replay, post_id: str, change) -> str:
    """The recorded photo post re-keyed to `post_id`, its photo served, then `change`d."""
    answer = json.loads(photo_post(post_id, f"R{post_id}"))
    replay.add(
        media_url(f"R{post_id}"), jpeg_bytes(seed=int(post_id) % 97), content_type="image/jpeg"
    )
    serve_syndication(replay, post_id, json.dumps(change(answer)).encode())
    return post_url(post_id)


def with_photo_url(url: str):
    return lambda answer: dict(
        answer, mediaDetails=[dict(answer["mediaDetails"][0], media_url_https=url)]
    )


MALFORMED = {
    "1500000000000000101": lambda a: dict(a, user="x"),
    "1500000000000000102": lambda a: dict(a, mediaDetails=[1]),
    "1500000000000000103": lambda a: dict(
        a, mediaDetails=[{k: v for k, v in a["mediaDetails"][0].items() if k != "media_url_https"}]
    ),
    "1500000000000000104": lambda a: dict(a, created_at=1e20),
    "1500000000000000105": with_photo_url("https://pbs.twimg.com/media/a\tb.jpg"),
    "1500000000000000106": with_photo_url("https://pbs.twimg.com/media/a\x00b.jpg"),
    "1500000000000000107": with_photo_url("https://pbs.twimg.com/media/" + "a" * 65_536),
}


def test_malformed_x_answers_keep_the_post_and_the_run_goes_on(replay, settings, archive_cli):
    urls = [serve_malformed(replay, post_id, change) for post_id, change in MALFORMED.items()]
    deep = b'{"a":' * 1_000_000 + b"1" + b"}" * 1_000_000  # json.loads: RecursionError
    serve_syndication(replay, "1500000000000000108", deep)
    good = serve_photo_post(replay, "1500000000000000109")
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these

    run = archive_cli("--json", *urls, post_url("1500000000000000108"), good)

    assert time.process_time() - cpu < 60
    assert run.status == 1, run.out  # the one post X gave nothing usable for
    lines = {line["url"]: line for line in run.json_lines()}
    assert len(lines) == 9
    deep_line = lines[post_url("1500000000000000108")]
    assert deep_line["status"] == "error"
    assert "X gave no usable answer for post 1500000000000000108" in deep_line["error"]
    assert query(
        settings, "select status from captures where url = ?", [post_url("1500000000000000108")]
    ) == [("error",)]
    posts = dict(query(settings, "select post_id, status from posts"))
    assert all(posts[post_id] == "ok" for post_id in MALFORMED), posts
    assert posts["1500000000000000109"] == "ok"
    # What was usable is kept; what was not is dropped, and said so in the post's details.
    row = query(settings, "select author_handle, created_at, text from posts where post_id = ?",
                ["1500000000000000101"])  # fmt: skip
    assert row[0][0] is None and row[0][2]
    assert query(
        settings, "select created_at from posts where post_id = '1500000000000000104'"
    ) == [(None,)]
    photos = dict(query(settings, "select p.post_id, count(pm.sha256) from posts p left join post_media pm"
                                  " on pm.post_id = p.id group by p.id"))  # fmt: skip
    assert [photos[i] for i in MALFORMED] == [1, 0, 0, 1, 0, 0, 0]
    for post_id, reason in (
        ("1500000000000000105", "a URL with whitespace or control characters"),
        ("1500000000000000106", "a URL with whitespace or control characters"),
        ("1500000000000000107", "a URL of 65,564 characters (at most 8,192)"),
    ):
        details = query(settings, "select details from posts where post_id = ?", [post_id])
        assert json.loads(details[0][0])["dropped"] == [f"photo media: {reason}"]


def embed_code(post_id: str) -> str:
    return (
        '<blockquote class="twitter-tweet"><p>Post</p>&mdash; A (@a) '
        f'<a href="https://twitter.com/a/status/{post_id}">August 3, 2024</a></blockquote>'
    )


def test_an_article_with_more_embeds_than_the_cap_archives_the_first(
    replay, settings, archive_cli, monkeypatch
):
    monkeypatch.setattr(archiver.discovery.embeds, "MAX_EMBEDS", 3)
    ids = [f"15000000000000002{i:02d}" for i in range(40)]
    for post_id in ids[:3]:
        serve_photo_post(replay, post_id)
    page = "<html><body>" + "".join(embed_code(i) for i in ids) + "</body></html>"
    replay.add("https://news.example/many", page.encode(), content_type="text/html")

    run = archive_cli("https://news.example/many")

    assert run.status == 0, run.out
    assert run.out.startswith("partial  https://news.example/many")
    assert "the page embeds more than 3 posts; only the first 3 were archived" in run.out
    assert sorted(p for (p,) in query(settings, "select post_id from posts")) == ids[:3]
    assert len(replay.requested("cdn.syndication.twimg.com")) == 3
    assert query(settings, "select count(*) from embeds") == [(3,)]


def test_an_article_of_100000_embeds_is_kept_without_parsing_it(replay, settings, archive_cli):
    page = "<html><body>" + "".join(embed_code(f"1{i:018d}") for i in range(100_000)) + "</body>"
    replay.add("https://news.example/flood", page.encode(), content_type="text/html")
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these

    run = archive_cli("https://news.example/flood")

    assert time.process_time() - cpu < 60
    assert run.status == 0, run.out
    assert "the document has more than 200,000 elements; it is kept, not parsed" in run.out
    assert query(settings, "select count(*) from posts") == [(0,)]
    assert replay.requested("cdn.syndication.twimg.com") == []
    assert query(settings, "select status from captures") == [("partial",)]


def test_a_deeply_nested_page_is_kept_without_parsing_it(replay, settings, archive_cli):
    body = b"<html><body>" + b"<span>" * 2_700_000 + b"</body></html>"  # 16 MB
    replay.add("https://news.example/deep", body, content_type="text/html")
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these

    run = archive_cli("https://news.example/deep")

    assert time.process_time() - cpu < 60
    assert run.status == 0, run.out
    assert run.out.startswith("partial  https://news.example/deep")
    assert "elements; it is kept, not parsed (no embedded posts or metadata were read)" in run.out
    assert query(settings, "select count(*) from pages") == [(1,)]


def test_an_embed_inside_1000_nested_spans_is_still_archived(replay, settings, archive_cli):
    post_id = "1500000000000000301"
    serve_photo_post(replay, post_id)
    nested = "<span>" * 1000 + "Deep text" + "</span>" * 1000
    page = (
        f'<html><body><blockquote class="twitter-tweet"><p>{nested}</p>&mdash; A (@a) '
        f'<a href="https://twitter.com/a/status/{post_id}">August 3, 2024</a></blockquote></body></html>'
    )
    replay.add("https://news.example/spans", page.encode(), content_type="text/html")

    run = archive_cli("https://news.example/spans")

    assert run.status == 0, run.out
    assert query(settings, "select status from posts") == [("ok",)]
    assert query(settings, "select article_text from embeds") == [("Deep text",)]


DID = "did:plc:kvwvcn5iqfooopmyzvb4qzba"
VIDEO = f"https://bsky.app/profile/{DID}/post/3lvideoconstr2"


def serve_video_post(replay, media_playlist: str) -> str:
    """The constructed Bluesky video post whose one variant is `media_playlist`; its base URL."""
    view = fixture_json("bluesky", "getPostThread_video_constructed.json")["thread"]["post"]
    base = view["embed"]["playlist"].rsplit("/", 1)[0]
    uri = quote(f"at://{DID}/app.bsky.feed.post/3lvideoconstr2", safe="")
    serve_fixture(
        replay, f"https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri={uri}",
        "bluesky", "getPostThread_video_constructed.json",
    )  # fmt: skip
    master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n720p/video.m3u8\n"
    replay.add(
        f"{base}/playlist.m3u8", master.encode(), content_type="application/vnd.apple.mpegurl"
    )
    replay.add(
        f"{base}/720p/video.m3u8",
        media_playlist.encode(),
        content_type="application/vnd.apple.mpegurl",
    )
    replay.add(f"{base}/thumbnail.jpg", jpeg_bytes(seed=13), content_type="image/jpeg")
    return base


def test_a_playlist_of_5000_segments_is_kept_but_not_joined(replay, settings, archive_cli):
    playlist = "#EXTM3U\n" + "".join(f"#EXTINF:0.1,\nseg{i}.ts\n" for i in range(5000))
    base = serve_video_post(replay, playlist)
    replay.add(f"{base}/720p/seg0.ts", ts_bytes(10, seed=1), content_type="video/mp2t")
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these

    run = archive_cli(VIDEO)

    assert time.process_time() - cpu < 30
    assert run.status == 0, run.out
    assert run.out.startswith("partial  " + VIDEO)
    assert f"the video has 5,000 segments, over the limit of {hls.MAX_SEGMENTS:,}" in run.out
    assert not [r for r in replay.requested("video.bsky.app") if r.path.endswith(".ts")]
    rows = query(settings, "select type, sha256 is null from post_media order by position")
    assert rows == [("playlist", 0), ("video", 1), ("poster", 0)]  # the video: not joined


def test_a_malformed_extinf_does_not_stop_the_video(replay, settings, archive_cli):
    base = serve_video_post(replay, "#EXTM3U\n#EXTINF:1.2.3,\nseg0.ts\n#EXTINF:9e999,\nseg1.ts\n")
    for i in range(2):
        replay.add(f"{base}/720p/seg{i}.ts", ts_bytes(10, seed=i), content_type="video/mp2t")

    run = archive_cli(VIDEO)

    assert run.status == 0, run.out
    assert ("video",) in query(settings, "select type from post_media")


def test_a_malformed_mastodon_status_keeps_the_post(replay, settings, archive_cli):
    status = fixture_json("mastodon", "status_GET_image_117020570233811316.json")
    photo = "https://files.example/original/a.jpg"
    status.update(
        account="x", created_at=1e20, language=[1], card=[1], poll="x", reblog=7,
        media_attachments=[1, {"type": "image", "url": "https://files.example/a\x00.jpg"},
                           {"type": ["image"], "url": photo, "meta": "x"}],
    )  # fmt: skip
    replay.add("https://mastodon.example/api/v1/statuses/117020570233811316",
               json.dumps(status).encode(), content_type="application/json")  # fmt: skip
    replay.add(photo, jpeg_bytes(seed=5), content_type="image/jpeg")

    run = archive_cli("https://mastodon.example/@someone/117020570233811316")

    assert run.status == 0, run.out
    row = query(
        settings, "select status, author_handle, created_at, lang, text, details from posts"
    )
    assert row[0][:4] == ("ok", None, None, None) and row[0][4]
    assert json.loads(row[0][5])["dropped"] == [
        "photo media: a URL with whitespace or control characters"
    ]
    assert query(settings, "select type from post_media") == [("file",)]
