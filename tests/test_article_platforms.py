"""An article that embeds every kind of post: one embeds row per distinct post, each accounted for.

The article is constructed (no real page embeds all these kinds); each embed
uses the platform's documented embed markup, and each platform answers from the
recordings the platform tests use (real where one exists). Then the archive is
served: Datasette shows the platform as a facet of posts.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

from click.testing import CliRunner
from recorded import fixture_json, serve_fixture, serve_oembed, serve_syndication

from archiver.cli.commands import main
from archiver.pipeline.archive import Archiver
from archiver.web.serve import make_datasette

DID = "did:plc:kvwvcn5iqfooopmyzvb4qzba"
ARTICLE_URL = "https://news.example/2024/10/everything-embedded"
TIKTOK = "https://www.tiktok.com/@a3noticias/video/6806030056956251397"

ARTICLE = f"""<!DOCTYPE html><html><head><title>Everything embedded</title>
<meta property="og:title" content="Everything embedded"></head><body><article>
<p>Reports came in from every platform.</p>
<blockquote class="bluesky-embed" data-bluesky-uri="at://{DID}/app.bsky.feed.post/3kaheyt6vpc22">
  <p lang="en"></p>&mdash; Python SDK (<a href="https://bsky.app/profile/{DID}?ref_src=embed">@test.marshal.dev</a>)
  <a href="https://bsky.app/profile/{DID}/post/3kaheyt6vpc22?ref_src=embed">Sep 28, 2023</a></blockquote>
<iframe src="https://mastodon.social/@mastodonpy_test_2/117020570233811316/embed" class="mastodon-embed"></iframe>
<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@someone/109999999999999999/embed">
  <a href="https://mastodon.social/@someone/109999999999999999"><div>Post by @someone@mastodon.social</div></a></blockquote>
<script async src="https://telegram.org/js/telegram-widget.js?22" data-telegram-post="tchantest/14"></script>
<blockquote class="reddit-embed-bq"><a href="https://www.reddit.com/r/crafts/comments/13opkyi/an_outfit_i_made/">An outfit I made</a><br> by
  <a href="https://www.reddit.com/user/fel0ra/">u/fel0ra</a> in <a href="https://www.reddit.com/r/crafts/">crafts</a></blockquote>
<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="YouTube"></iframe>
<lite-youtube videoid="dQw4w9WgXcQ"></lite-youtube>
{fixture_json("oembed", "tiktok_oembed_a3noticias_6806030056956251397.json")["html"]}
<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/ySl7G9tO_q/?utm_source=ig_embed">
  <a href="https://www.instagram.com/p/ySl7G9tO_q/">A post shared by Alberto Garzón (@agarzoniu)</a></blockquote>
<div class="fb-post" data-href="https://www.facebook.com/facebook/videos/10153231379946729/"></div>
<blockquote class="text-post-media" data-text-post-permalink="https://www.threads.net/@zuck/post/C8Y0K8UJbGx">
  <a href="https://www.threads.net/@zuck/post/C8Y0K8UJbGx"><div>Post by @zuck</div></a></blockquote>
<blockquote class="twitter-tweet"><p lang="en">If you are interested about View Flattening</p>&mdash; sammy (@SamuelSusla)
  <a href="https://twitter.com/SamuelSusla/status/1641086480675225601">March 29, 2023</a></blockquote>
<blockquote class="twitter-tweet"><p>A photo we could not trace pic.twitter.com/AAAAAAAAAA</p>&mdash; Someone (@someone) May 1, 2024</blockquote>
<p>Not embeds, only links: <a href="https://www.youtube.com/watch?v=eiHXASgRTcA">a video</a> and
  <a href="https://bsky.app/profile/{DID}/post/3kahesw26il2z">a post</a>.</p>
</article></body></html>"""


def serve_platforms(replay) -> None:
    appview = "https://public.api.bsky.app/xrpc"
    serve_fixture(
        replay,
        f"{appview}/app.bsky.feed.getPostThread?uri={quote(f'at://{DID}/app.bsky.feed.post/3kaheyt6vpc22', safe='')}",
        "bluesky", "getPostThread_recordWithMedia_images_quote.json",
    )  # fmt: skip
    serve_fixture(
        replay, "https://mastodon.social/api/v1/statuses/117020570233811316",
        "mastodon", "status_GET_image_117020570233811316.json",
    )  # fmt: skip
    serve_fixture(
        replay, "https://mastodon.social/api/v1/statuses/109999999999999999",
        "mastodon", "status_GET_404_not_found.json", status=404,
    )  # fmt: skip
    serve_fixture(
        replay,
        "https://t.me/tchantest/14?embed=1",
        "telegram",
        "tme_embed_tchantest_14_album_constructed.html",
    )
    serve_fixture(
        replay,
        "https://www.reddit.com/r/crafts/comments/13opkyi.json",
        "reddit",
        "comments_json_crafts_13opkyi_gallery.json",
    )
    serve_oembed(
        replay, "https://www.youtube.com/oembed", "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "oembed", "youtube_oembed_dQw4w9WgXcQ.json",
    )  # fmt: skip
    serve_oembed(
        replay,
        "https://www.tiktok.com/oembed",
        TIKTOK,
        "oembed",
        "tiktok_oembed_a3noticias_6806030056956251397.json",
    )
    serve_fixture(replay, TIKTOK, "tiktok", "tiktok_video_page_a3noticias_6806030056956251397.html")
    serve_fixture(
        replay,
        "https://www.instagram.com/p/ySl7G9tO_q/",
        "instagram",
        "instagram_post_page_ySl7G9tO_q_2020_extracted.html",
    )
    serve_fixture(
        replay, "https://www.facebook.com/facebook/videos/10153231379946729",
        "facebook", "facebook_video_page_unsupported_browser_extracted.html",
    )  # fmt: skip
    serve_fixture(
        replay,
        "https://www.threads.com/@zuck/post/C8Y0K8UJbGx",
        "threads",
        "threads_post_page_constructed.html",
    )
    serve_syndication(replay, "1641086480675225601", "tweet-result_1641086480675225601_photo.json")
    # No media files are served: their hashes are the platform tests' business; here a
    # failed download leaves a post archived as partial, not dropped.


def test_every_kind_is_one_row_each_archived_or_explained(replay, settings):
    serve_platforms(replay)
    replay.add(ARTICLE_URL, ARTICLE, content_type="text/html; charset=utf-8")

    with Archiver(settings) as archiver:
        result = archiver.archive(ARTICLE_URL)
        embeds = list(archiver.db.query("select * from embeds order by position"))
        posts = {row["id"]: row for row in archiver.db.query("select * from posts")}

    by_platform = {}
    for embed in embeds:
        by_platform.setdefault(embed["platform"], []).append(embed)
    # One row per distinct post: the YouTube iframe and <lite-youtube> are one video;
    # links in running text are not embeds.
    assert sorted((p, len(rows)) for p, rows in by_platform.items()) == [
        ("bluesky", 1), ("facebook", 1), ("instagram", 1), ("mastodon", 2), ("reddit", 1),
        ("telegram", 1), ("threads", 1), ("tiktok", 1), ("x", 2), ("youtube", 1),
    ]  # fmt: skip
    assert len({e["post_url"] for e in embeds if e["post_url"]}) == len(embeds) - 1
    for embed in embeds:
        assert embed["status"] in ("archived", "unavailable", "deleted", "unresolved"), embed
        if embed["status"] != "archived":
            assert embed["error"], embed
        if embed["status"] != "unresolved":
            post = posts[embed["post_db_id"]]
            assert post["platform"] == embed["platform"]
            if post["status"] != "ok":
                assert post["status_reason"], post["id"]
    status = {e["post_url"]: e["status"] for e in embeds}
    assert status["https://mastodon.social/@someone/109999999999999999"] == "deleted"
    assert status["https://www.facebook.com/facebook/videos/10153231379946729"] == "unavailable"
    assert [e["status"] for e in embeds if e["post_url"] is None] == ["unresolved"]
    archived = {e["platform"] for e in embeds if e["status"] == "archived"}
    assert archived >= {
        "bluesky",
        "mastodon",
        "telegram",
        "reddit",
        "youtube",
        "tiktok",
        "instagram",
        "threads",
        "x",
    }
    assert posts[f"bluesky:{DID}/3kaheyt6vpc22"]["quote_of"] == f"bluesky:{DID}/3kahesw26il2z"
    assert result.status == "partial" and not result.failed  # the untraceable X embed

    # Browsing the archive: the platform is a facet of posts.
    ds = make_datasette(settings)
    page = asyncio.run(ds.client.get("/archive/posts.json?_facet=platform&_size=0")).json()
    served = asyncio.run(ds.client.get("/archive/posts")).text
    facet = {row["value"]: row["count"] for row in page["facet_results"]["platform"]["results"]}
    assert set(facet) == {p["platform"] for p in posts.values()} and len(facet) == 10
    assert 'data-column="platform"' in served
    assert json.loads(json.dumps(facet))["mastodon"] == 2


def test_the_command_archives_one_url_of_every_platform(replay, settings):
    serve_platforms(replay)
    urls = {
        "bluesky": f"at://{DID}/app.bsky.feed.post/3kaheyt6vpc22",
        "mastodon": "https://mastodon.social/@mastodonpy_test_2/117020570233811316",
        "telegram": "https://t.me/tchantest/14",
        "reddit": "https://www.reddit.com/r/crafts/comments/13opkyi/an_outfit_i_made/",
        "youtube": "https://youtu.be/dQw4w9WgXcQ",
        "tiktok": TIKTOK,
        "instagram": "https://www.instagram.com/p/ySl7G9tO_q/",
        "facebook": "https://www.facebook.com/facebook/videos/10153231379946729/",
        "threads": "https://www.threads.net/@zuck/post/C8Y0K8UJbGx",
        "x": "https://x.com/SamuelSusla/status/1641086480675225601",
    }
    args = ["archive", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir),
            "--connect-to", f"*={settings.connect_to['*']}", "--json", "-q", *urls.values()]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    lines = {line["url"]: line for line in map(json.loads, result.stdout.splitlines())}
    statuses = {platform: lines[url]["status"] for platform, url in urls.items()}
    assert statuses["facebook"] == "unavailable"  # no post without login: recorded, not failed
    assert all(s in ("ok", "partial") for p, s in statuses.items() if p != "facebook"), statuses
    assert {p: lines[u]["post_ids"][0].split(":", 1)[0] for p, u in urls.items()} == {
        p: p for p in urls
    }
