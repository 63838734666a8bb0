"""Bluesky: handle -> DID, posts replayed from real AppView responses, video via HLS, gone posts.

Real recordings: getPostThread_recordWithMedia_images_quote.json (MarshalX/atproto),
getPostThread_images_with_replies_2023.json and getAuthorFeed_mixed_embeds_2023.json
(atproto.dart). Constructed from the lexicons (no recording exists): resolveHandle
answers, the video thread and its HLS playlists, notFound/blocked thread roots.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from urllib.parse import quote

from factories import jpeg_bytes, ts_bytes
from recorded import fixture_json, fixture_path, serve_fixture

from archiver.evidence.verify import verify_archive
from archiver.pipeline.archive import Archiver
from archiver.platforms import identify
from archiver.platforms.bluesky import parse_post_view

APPVIEW = "https://public.api.bsky.app/xrpc"
DID = "did:plc:kvwvcn5iqfooopmyzvb4qzba"
POST_URI = f"at://{DID}/app.bsky.feed.post/3kaheyt6vpc22"
IMAGE = f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/bafkreic3cp5ky525vsukjvrzxsc2h3jka2gud74l2hgeatw2rhj2qycnmq@jpeg"


def serve_thread(replay, uri: str, *fixture: str, status: int = 200) -> None:
    serve_fixture(
        replay, f"{APPVIEW}/app.bsky.feed.getPostThread?uri={quote(uri, safe='')}", "bluesky",
        *fixture, status=status,
    )  # fmt: skip


def serve_handle(replay, handle: str, fixture: str, status: int = 200) -> None:
    serve_fixture(
        replay, f"{APPVIEW}/com.atproto.identity.resolveHandle?handle={handle}", "bluesky", fixture,
        status=status,
    )  # fmt: skip


def serve_handle_post(replay, *, seed: int) -> bytes:
    """The recorded post of @test.marshal.dev (resolved to DID), with a generated photo."""
    serve_handle(replay, "test.marshal.dev", "resolveHandle_test.marshal.dev_constructed.json")
    serve_thread(replay, POST_URI, "getPostThread_recordWithMedia_images_quote.json")
    photo = jpeg_bytes(seed=seed)
    replay.add(IMAGE, photo, content_type="image/jpeg")
    return photo


def test_handle_url_is_archived_under_the_did_with_its_image_and_quoted_post(replay, settings):
    photo = serve_handle_post(replay, seed=11)

    with Archiver(settings) as archiver:
        result = archiver.archive("https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22")
        again = archiver.archive(f"https://bsky.app/profile/{DID}/post/3kaheyt6vpc22")
        db = archiver.db
        post = db["posts"].get(f"bluesky:{DID}/3kaheyt6vpc22")
        quoted = db["posts"].get(f"bluesky:{DID}/3kahesw26il2z")
        media = list(db.query("select * from post_media where post_id = ?", [post["id"]]))
        capture = db["captures"].get(result.capture_id)
        posts = db.execute("select count(*) from posts").fetchone()[0]

    assert result.status == "ok", result.error
    assert result.post_ids == [f"bluesky:{DID}/3kaheyt6vpc22", f"bluesky:{DID}/3kahesw26il2z"]
    # The handle URL and the DID URL are one post, not two.
    assert again.post_ids[0] == result.post_ids[0] and posts == 2
    assert capture["post_db_id"] == post["id"]
    assert post["author_handle"] == "test.marshal.dev" and post["author_id"] == DID
    assert post["author_name"] == "Python SDK"
    assert post["created_at"] == "2023-09-28T12:49:36.735Z" and post["lang"] == "en"
    assert post["url"] == "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"
    assert post["quote_of"] == quoted["id"] and quoted["text"] == "test"
    raw = fixture_path("bluesky", "getPostThread_recordWithMedia_images_quote.json")
    assert post["raw"] == raw.read_text("utf-8")
    assert [(m["type"], m["url"], m["sha256"]) for m in media] == [
        ("photo", IMAGE, hashlib.sha256(photo).hexdigest())
    ]
    assert json.loads(post["metrics"]) == {"likeCount": 0, "repostCount": 0, "replyCount": 0}


def test_a_quoted_post_is_cited_and_exported_from_the_capture_that_quoted_it(
    replay, settings, tmp_path
):
    """The quoted post has no capture of its own: the quoting post's capture holds it, and
    `cite` and `export` of the quoted post both find that capture (one query, post_captures)."""
    from click.testing import CliRunner

    from archiver.cli.commands import main

    serve_handle_post(replay, seed=12)
    blobs = ["--blobs", str(settings.blobs_dir)]

    def run(*args: str):
        return CliRunner().invoke(main, [*args, "--db", str(settings.db_path)])

    archived = run(
        "archive", f"https://bsky.app/profile/{DID}/post/3kaheyt6vpc22", "--json",
        "--connect-to", f"*={replay.base_url}", "--delay", "0", *blobs,
    )  # fmt: skip
    assert archived.exit_code == 0, archived.output
    capture_id = json.loads(archived.stdout)["capture_id"]
    quoted_id = f"bluesky:{DID}/3kahesw26il2z"
    quoted_url = f"https://bsky.app/profile/{DID}/post/3kahesw26il2z"

    cited = run("cite", quoted_url, "--json")
    wacz = tmp_path / "quoted.wacz"
    exported = run("export", "--wacz", str(wacz), quoted_url, *blobs)
    html = run("export", "--html", str(tmp_path / "html"), quoted_id, *blobs)

    assert cited.exit_code == 0, cited.output
    assert json.loads(cited.stdout) | {"citations": None} == {
        "post_id": quoted_id, "capture_id": capture_id, "citations": None,
    }  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert f"wrote {wacz}: 1 capture(s)" in exported.output
    with zipfile.ZipFile(wacz) as package:
        pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
    assert [page["id"] for page in pages[1:]] == [capture_id]
    assert html.exit_code == 0, html.output
    assert "wrote 1 archived-copy page(s)" in html.output


def test_a_rerun_of_a_list_skips_a_post_it_named_by_handle(replay, settings, tmp_path):
    """The post is kept under its DID; the handle URL in the list still finds it on a re-run."""
    from click.testing import CliRunner

    from archiver.cli.commands import main

    serve_handle_post(replay, seed=11)
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22\n"
        "https://bsky.app/profile/Test.Marshal.dev/post/3kaheyt6vpc22\n"  # handles ignore case
        f"https://bsky.app/profile/{DID}/post/3kaheyt6vpc22\n"
    )
    args = ["archive", "--input", str(urls), "--json", "--db", str(settings.db_path),
            "--blobs", str(settings.blobs_dir), "--connect-to", f"*={replay.base_url}",
            "--delay", "0", "--concurrency", "1"]  # fmt: skip

    first = CliRunner().invoke(main, args)
    served = len(replay.requests)
    second = CliRunner().invoke(main, args)

    assert first.exit_code == 0, first.output
    assert [json.loads(line)["status"] for line in first.stdout.splitlines()] == [
        "ok", "skipped", "skipped"
    ]  # fmt: skip
    rerun = [json.loads(line) for line in second.stdout.splitlines()]
    assert [r["status"] for r in rerun] == ["skipped"] * 3
    assert {r["post_ids"][0] for r in rerun} == {f"bluesky:{DID}/3kaheyt6vpc22"}
    assert len(replay.requests) == served  # nothing fetched again


def test_did_url_of_a_2023_reply_with_an_image(replay, settings):
    did = "did:plc:iuk433sj23ncu2oo2pfnw7fw"
    uri = f"at://{did}/app.bsky.feed.post/3jujgsslyxt2h"
    serve_thread(replay, uri, "getPostThread_images_with_replies_2023.json")
    fullsize = fixture_json("bluesky", "getPostThread_images_with_replies_2023.json")["thread"][
        "post"
    ]["embed"]["images"][0]["fullsize"]
    photo = jpeg_bytes(seed=12)
    replay.add(fullsize, photo, content_type="image/jpeg")

    with Archiver(settings) as archiver:
        result = archiver.archive(uri)  # an at:// URI names the post too
        post = archiver.db["posts"].get(f"bluesky:{did}/3jujgsslyxt2h")

    assert result.status == "ok", result.error
    assert post["author_handle"] == "skeet.computer"
    assert post["text"] == "hellthread hellthread hellthread\n\ndid it work?"
    assert post["reply_to"] == "bluesky:did:plc:mf5dzzqkp7fnmby6blfeljwj/3jujdjxptu42j"
    assert json.loads(post["metrics"])["likeCount"] == 5
    assert result.media_sha256s == [hashlib.sha256(photo).hexdigest()]


def test_external_link_card_from_a_real_feed_item():
    feed = fixture_json("bluesky", "getAuthorFeed_mixed_embeds_2023.json")["feed"]
    view = next(
        item["post"]
        for item in feed
        if (item["post"].get("embed") or {}).get("$type") == "app.bsky.embed.external#view"
    )
    external = view["embed"]["external"]
    post = parse_post_view(view)
    assert post.details["card"]["uri"] == external["uri"]
    assert post.details["card"]["title"] == external["title"]
    assert [(m.type, m.url) for m in post.media] == (
        [("card", external["thumb"])] if external.get("thumb") else []
    )


VIDEO_RKEY = "3lvideoconstr2"


def serve_video(replay, resolutions: tuple[str, ...]) -> tuple[str, bytes, bytes]:
    """The constructed video post, its master playlist and the given variants; (base URL, master, poster)."""
    video = fixture_json("bluesky", "getPostThread_video_constructed.json")["thread"]["post"]
    base = video["embed"]["playlist"].rsplit("/", 1)[0]
    serve_thread(
        replay,
        f"at://{DID}/app.bsky.feed.post/{VIDEO_RKEY}",
        "getPostThread_video_constructed.json",
    )
    master = serve_fixture(
        replay, f"{base}/playlist.m3u8", "bluesky", "hls_constructed", "playlist.m3u8"
    )
    for res in resolutions:
        serve_fixture(
            replay, f"{base}/{res}/video.m3u8", "bluesky", "hls_constructed", f"{res}_video.m3u8"
        )
    poster = jpeg_bytes(seed=13)
    replay.add(f"{base}/thumbnail.jpg", poster, content_type="image/jpeg")
    return base, master.read_bytes(), poster


def test_video_keeps_playlist_poster_and_the_joined_segments(replay, settings):
    base, master, poster = serve_video(replay, ("720p",))
    segments = [ts_bytes(packets=30, seed=1), ts_bytes(packets=20, seed=2)]
    for i, body in enumerate(segments):
        replay.add(f"{base}/720p/video{i}.ts", body, content_type="video/mp2t")

    with Archiver(settings) as archiver:
        result = archiver.archive(f"https://bsky.app/profile/{DID}/post/{VIDEO_RKEY}")
        rows = list(
            archiver.db.query(
                "select pm.type, pm.url, pm.sha256, pm.alt_text, m.mime from post_media pm"
                " left join media m using (sha256) where post_id = ? order by position",
                [f"bluesky:{DID}/{VIDEO_RKEY}"],
            )
        )

    assert result.status == "ok", result.error
    assert [(r["type"], r["url"]) for r in rows] == [
        ("playlist", f"{base}/playlist.m3u8"),
        ("video", f"{base}/720p/video.m3u8"),
        ("poster", f"{base}/thumbnail.jpg"),
    ]
    assert rows[0]["sha256"] == hashlib.sha256(master).hexdigest()
    # The video is the best variant's segments, joined in order.
    assert rows[1]["sha256"] == hashlib.sha256(b"".join(segments)).hexdigest()
    assert rows[1]["mime"] == "video/mp2t" and rows[1]["alt_text"] == "A street at dusk"
    assert rows[2]["sha256"] == hashlib.sha256(poster).hexdigest()
    # The best variant fitted: the 360p playlist was never asked for.
    assert not any("360p" in r.path for r in replay.requested("video.bsky.app"))
    # The joined file is in no WARC response, its segments are: verify checks those (a
    # multi-segment video once made every archive holding one fail verify).
    report = verify_archive(settings)
    assert report.ok, report.problems


def test_video_too_big_to_join_keeps_playlist_and_poster(replay, settings):
    serve_video(replay, ("720p", "360p"))
    small = settings.with_(max_response_bytes=100_000)  # both variants are estimated larger
    with Archiver(small) as archiver:
        result = archiver.archive(f"https://bsky.app/profile/{DID}/post/{VIDEO_RKEY}")
        rows = list(
            archiver.db.query(
                "select type, sha256, error from post_media where post_id = ? order by position",
                [f"bluesky:{DID}/{VIDEO_RKEY}"],
            )
        )

    assert result.status == "partial"
    assert [(r["type"], r["sha256"] is not None) for r in rows] == [
        ("playlist", True), ("video", False), ("poster", True),
    ]  # fmt: skip
    assert "over the 100,000-byte limit" in rows[1]["error"]
    assert not any(r.path.endswith(".ts") for r in replay.requested("video.bsky.app"))


def test_not_found_and_blocked_roots_are_statuses(replay, settings):
    cases = {
        "3kgoneconstr22": ("getPostThread_notFoundPost_constructed.json", 200, "deleted"),
        "3kblockconstr2": ("getPostThread_blockedPost_constructed.json", 200, "unavailable"),
        "3kmissingcons": ("getPostThread_400_NotFound_constructed.json", 400, "deleted"),
    }
    for rkey, (fixture, status, _) in cases.items():
        serve_thread(replay, f"at://{DID}/app.bsky.feed.post/{rkey}", fixture, status=status)

    with Archiver(settings) as archiver:
        for rkey, (_, _, expected) in cases.items():
            result = archiver.archive(f"https://bsky.app/profile/{DID}/post/{rkey}")
            post = archiver.db["posts"].get(f"bluesky:{DID}/{rkey}")
            assert (result.status, post["status"]) == (expected, expected), rkey
            assert post["status_reason"], rkey


def test_a_handle_that_names_no_account_is_unavailable(replay, settings):
    serve_handle(
        replay, "gone.example.com", "resolveHandle_400_unknown_constructed.json", status=400
    )
    with Archiver(settings) as archiver:
        result = archiver.archive("https://bsky.app/profile/gone.example.com/post/3kaheyt6vpc22")
        post = archiver.db["posts"].get("bluesky:gone.example.com/3kaheyt6vpc22")
    assert result.status == "unavailable" and not result.failed
    assert "Unable to resolve handle" in post["status_reason"]


def test_an_embed_by_handle_links_the_post_under_its_did(replay, settings, tmp_path):
    serve_handle_post(replay, seed=15)
    article = tmp_path / "article.html"
    article.write_text(
        """<html><body><p>As posted:</p><blockquote class="bluesky-embed"
        data-bluesky-uri="at://test.marshal.dev/app.bsky.feed.post/3kaheyt6vpc22"><p lang="en"></p>
        &mdash; Python SDK (<a href="https://bsky.app/profile/test.marshal.dev">@test.marshal.dev</a>)
        </blockquote></body></html>""",
        "utf-8",
    )
    with Archiver(settings) as archiver:
        result = archiver.archive(str(article))
        embed = next(archiver.db.query("select * from embeds"))
    assert result.embeds[0]["status"] == "archived"
    assert embed["post_db_id"] == result.embeds[0]["post_id"] == f"bluesky:{DID}/3kaheyt6vpc22"


def test_url_forms_name_one_post():
    for url in (
        "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22",
        "https://embed.bsky.app/embed/test.marshal.dev/app.bsky.feed.post/3kaheyt6vpc22",
        "at://test.marshal.dev/app.bsky.feed.post/3kaheyt6vpc22",
    ):
        assert identify(url).post_id == "test.marshal.dev/3kaheyt6vpc22"


LOGGED_IN_ONLY_DID = "did:plc:yf6b2cgjhxo5wevddebvklna"


def test_an_authors_request_not_to_be_shown_logged_out_is_kept(replay, settings):
    """A real postView whose author set `!no-unauthenticated` (the AppView still serves it):
    the post is archived, the label kept, and a notice says what the author asked."""
    uri = f"at://{LOGGED_IN_ONLY_DID}/app.bsky.feed.post/3lhmgh4f5es2q"
    serve_thread(replay, uri, "getPostThread_no_unauthenticated_extracted.json")
    with Archiver(settings) as archiver:
        result = archiver.archive(
            f"https://bsky.app/profile/{LOGGED_IN_ONLY_DID}/post/3lhmgh4f5es2q"
        )
        post = archiver.db["posts"].get(result.post_ids[0])
    details = json.loads(post["details"])
    assert result.status == "ok", result.error
    assert post["text"] == "There's a Peter Kay impersonator at a hotel near me next month"
    assert details["author_labels"] == ["!no-unauthenticated"]
    assert "labels" not in details  # the post itself carries none
    assert "not to show their posts to logged-out readers" in details["notices"][0]
    assert verify_archive(settings).ok
