"""X / Twitter: URL forms, the syndication token, and posts replayed from real recorded responses."""

from __future__ import annotations

import hashlib
import json

import pytest
from factories import jpeg_bytes, mp4_bytes
from recorded import fixture_path, serve_syndication

from archiver.pipeline.archive import Archiver
from archiver.platforms import identify
from archiver.platforms.x import syndication_token
from archiver.platforms.x_media import original_photo_url

PHOTO_ID = "1641086480675225601"
PHOTO_URL = "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig"


@pytest.mark.parametrize(
    "url",
    [
        f"https://x.com/SamuelSusla/status/{PHOTO_ID}",
        f"https://twitter.com/SamuelSusla/status/{PHOTO_ID}",
        f"https://mobile.twitter.com/SamuelSusla/status/{PHOTO_ID}",
        f"https://www.twitter.com/SamuelSusla/status/{PHOTO_ID}?s=20",
        f"https://x.com/SamuelSusla/status/{PHOTO_ID}/photo/1",
        f"https://fxtwitter.com/SamuelSusla/status/{PHOTO_ID}",
        f"https://vxtwitter.com/SamuelSusla/status/{PHOTO_ID}",
        f"https://fixupx.com/SamuelSusla/status/{PHOTO_ID}",
        f"https://twitter.com/SamuelSusla/statuses/{PHOTO_ID}",
        f"https://x.com/i/web/status/{PHOTO_ID}",
    ],
)
def test_every_url_form_names_the_same_post(url):
    ref = identify(url)
    assert ref is not None and ref.platform == "x"
    assert ref.post_id == PHOTO_ID
    assert ref.db_id == f"x:{PHOTO_ID}"


@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/home",
        "https://twitter.com/SamuelSusla",
        "https://example.com/u/status/1",
        "https://x.com/hashtag/Lashio",
    ],
)
def test_urls_that_are_not_posts(url):
    assert identify(url) is None


# Tokens computed with Node's own Number.prototype.toString(36), as the embed widget does.
@pytest.mark.parametrize(
    "post_id,token",
    [
        ("1641086480675225601", "3z7miaszni8"),
        ("20", "6dq1a2xwd93"),
        ("1684218600456876032", "42z4mwgp9h8"),
        ("1819607254218522980", "4esgqcvqmx4"),
        ("1", "bhi2ay3f28n"),
        ("999999999999999999", "2f9lc2ug9mm"),
    ],
)
def test_syndication_token_matches_the_embed_widget(post_id, token):
    assert syndication_token(post_id) == token


def test_photo_urls_ask_for_the_original_size():
    assert original_photo_url("https://pbs.twimg.com/media/FsZNOgcWAAEQtrd.jpg") == PHOTO_URL
    assert original_photo_url("https://pbs.twimg.com/media/X?format=png&name=small").endswith(
        "format=png&name=orig"
    )


def test_photo_post_is_archived_with_its_original_size_photo(replay, settings):
    photo = jpeg_bytes(seed=1, size=(400, 180))
    serve_syndication(replay, PHOTO_ID, "tweet-result_1641086480675225601_photo.json")
    replay.add(PHOTO_URL, photo, content_type="image/jpeg")

    with Archiver(settings) as archiver:
        result = archiver.archive(f"https://twitter.com/SamuelSusla/status/{PHOTO_ID}?s=20")
        db = archiver.db
        post = db["posts"].get(f"x:{PHOTO_ID}")
        media = list(
            db.query(
                "select * from post_media join media using (sha256) where post_id = ?", [post["id"]]
            )
        )

    assert result.status == "ok", result.error
    assert post["author_handle"] == "SamuelSusla" and post["author_name"] == "sammy"
    assert post["author_id"] == "469266133"
    assert post["created_at"] == "2023-03-29T14:34:41Z"
    assert post["lang"] == "en"
    assert post["text"].startswith("If you are interested about View Flattening")
    # The raw JSON is what the server sent, byte for byte.
    raw_file = fixture_path("x", "syndication", "tweet-result_1641086480675225601_photo.json")
    assert post["raw"] == raw_file.read_text("utf-8")
    assert len(media) == 1
    item = media[0]
    assert item["type"] == "photo" and item["url"] == PHOTO_URL
    assert item["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (item["width"], item["height"], item["mime"]) == (400, 180, "image/jpeg")
    assert (
        item["phash"]
        and item["dhash"]
        and len(item["pdq"]) == 64
        and item["pdq_quality"] is not None
    )
    assert (settings.blobs_dir / item["blob_path"]).read_bytes() == photo
    assert (settings.blobs_dir / item["thumbnail_path"]).exists()
    token_request = replay.requested("cdn.syndication.twimg.com")[0]
    assert token_request.query["token"] == "3z7miaszni8"


def test_video_post_keeps_the_best_mp4_and_its_poster(replay, settings):
    best = "https://video.twimg.com/amplify_video/1684020091854225408/vid/886x546/_Mb5SBNFpaVehGMW.mp4?tag=14"
    poster = (
        "https://pbs.twimg.com/amplify_video_thumb/1684020091854225408/img/xtWb477NwDzZ1VvG.jpg"
    )
    video, still = mp4_bytes(duration_ms=14510), jpeg_bytes(seed=2)
    serve_syndication(replay, "1684218600456876032", "tweet-result_1684218600456876032_video.json")
    replay.add(best, video, content_type="video/mp4")
    replay.add(poster, still, content_type="image/jpeg")

    with Archiver(settings) as archiver:
        result = archiver.archive("https://x.com/Rainmaker1973/status/1684218600456876032")
        rows = list(
            archiver.db.query(
                "select type, url, sha256 from post_media where post_id = 'x:1684218600456876032' order by position"
            )
        )
        video_row = archiver.db["media"].get(hashlib.sha256(video).hexdigest())

    assert result.status == "ok", result.error
    assert [(r["type"], r["url"]) for r in rows] == [("video", best), ("poster", poster)]
    assert rows[0]["sha256"] == hashlib.sha256(video).hexdigest()
    assert rows[1]["sha256"] == hashlib.sha256(still).hexdigest()
    assert video_row["mime"] == "video/mp4" and video_row["duration_ms"] == 14510
    # Lower-bitrate variants and the HLS playlist were not fetched.
    assert [r.path for r in replay.requested("video.twimg.com")] == [
        "/amplify_video/1684020091854225408/vid/886x546/_Mb5SBNFpaVehGMW.mp4"
    ]


def test_quoted_post_is_archived_too(replay, settings):
    serve_syndication(replay, "1641895049427550208", "tweet-result_1641895049427550208_quote.json")
    replay.add(PHOTO_URL, jpeg_bytes(seed=3), content_type="image/jpeg")

    with Archiver(settings) as archiver:
        result = archiver.archive("https://x.com/mattcarrollcode/status/1641895049427550208")
        outer = archiver.db["posts"].get("x:1641895049427550208")
        quoted = archiver.db["posts"].get(f"x:{PHOTO_ID}")
        quoted_media = list(
            archiver.db.query("select * from post_media where post_id = ?", [quoted["id"]])
        )

    assert result.post_ids == ["x:1641895049427550208", f"x:{PHOTO_ID}"]
    assert outer["quote_of"] == f"x:{PHOTO_ID}"
    assert quoted["author_handle"] == "SamuelSusla"
    assert len(quoted_media) == 1 and quoted_media[0]["sha256"]


CARD_IMAGE = "https://pbs.twimg.com/card_img/1639232954701594625/7ayIAMcm?format=png&name=orig"


def test_text_only_and_card_posts(replay, settings):
    serve_syndication(
        replay, "2023357708301455483", "tweet-result_2023357708301455483_text_only.json"
    )
    serve_syndication(replay, "1629262255744503809", "tweet-result_1629262255744503809_card.json")
    image = jpeg_bytes(seed=7, size=(1080, 567))
    replay.add(CARD_IMAGE, image, content_type="image/jpeg")
    with Archiver(settings) as archiver:
        text_only = archiver.archive("https://x.com/jarredsumner/status/2023357708301455483")
        card = archiver.archive("https://x.com/i/status/1629262255744503809")
        post = archiver.db["posts"].get("x:2023357708301455483")
        card_post = archiver.db["posts"].get("x:1629262255744503809")
        card_media = list(archiver.db["post_media"].rows_where("post_id = ?", [card_post["id"]]))
    assert text_only.status == "ok" and card.status == "ok", (text_only.error, card.error)
    assert post["author_handle"] == "jarredsumner" and post["text"]
    assert text_only.media_sha256s == [] and post["details"] is None
    # The link card as the post shows it: the t.co link's real target, title, text, site.
    assert json.loads(card_post["details"])["card"] == {
        "url": "https://beta.reactjs.org/learn/tutorial-tic-tac-toe",
        "title": "Tutorial: Tic-Tac-Toe \u2013 React",
        "description": "The library for web and native user interfaces",
        "site_name": "react.dev",
        "type": "summary_large_image",
        "image": CARD_IMAGE,
    }
    assert [(m["type"], m["url"]) for m in card_media] == [("card", CARD_IMAGE)]
    assert card.media_sha256s == [hashlib.sha256(image).hexdigest()]


def test_deleted_post_is_recorded_as_deleted(replay, settings):
    serve_syndication(replay, "1500000000000000000", "tweet-result_tombstone_deleted.json")
    with Archiver(settings) as archiver:
        result = archiver.archive("https://x.com/someone/status/1500000000000000000")
        post = archiver.db["posts"].get("x:1500000000000000000")
        capture = archiver.db["captures"].get(result.capture_id)
    assert result.status == "deleted" and not result.failed
    assert post["status"] == "deleted"
    assert "deleted by the Post author" in post["status_reason"]
    assert capture["status"] == "deleted"


def test_falls_back_to_oembed_when_syndication_has_nothing(replay, settings):
    oembed = fixture_path("x", "oembed_publish_twitter_alleyco_1679189879086018562.json")
    serve_syndication(replay, "1679189879086018562", b"", status=404)
    replay.add("https://publish.twitter.com/oembed", oembed, content_type="application/json")
    with Archiver(settings) as archiver:
        result = archiver.archive("https://twitter.com/alleyco/status/1679189879086018562")
        post = archiver.db["posts"].get("x:1679189879086018562")
    expected = json.loads(oembed.read_text("utf-8"))
    assert result.status == "partial"  # text, no media
    assert post["source"] == "oembed"
    assert post["author_name"] == expected["author_name"]
    assert post["author_handle"] == "alleyco"
    assert post["text"].startswith("We’re a full-service digital agency")
    assert post["text"].endswith("Learn more about our services here:https://t.co/8zZ5zP1Oyc")
    assert post["created_at"] == "2023-07-12"  # oEmbed shows a date, not a time


def test_post_missing_everywhere_is_recorded_not_crashed(replay, settings):
    serve_syndication(replay, "1400000000000000000", b"", status=404)
    replay.add(
        "https://publish.twitter.com/oembed",
        b'{"error":"not found"}',
        status=404,
        content_type="application/json",
    )
    with Archiver(settings) as archiver:
        result = archiver.archive("https://x.com/gone/status/1400000000000000000")
        post = archiver.db["posts"].get("x:1400000000000000000")
    assert result.status == "deleted"
    assert "404" in post["status_reason"]


def test_server_error_is_reported_and_recorded(replay, settings):
    serve_syndication(replay, "1300000000000000000", b"oops", status=500)
    replay.add("https://publish.twitter.com/oembed", b"oops", status=502)
    with Archiver(settings) as archiver:
        result = archiver.archive("https://x.com/u/status/1300000000000000000")
        capture = archiver.db["captures"].get(result.capture_id)
    assert result.failed
    assert "500" in result.error and "502" in result.error
    assert capture["status"] == "error"


def test_protected_post_is_recorded_as_unavailable(replay, settings):
    serve_syndication(replay, "1200000000000000000", b"", status=404)
    replay.add(
        "https://publish.twitter.com/oembed", b"{}", status=403, content_type="application/json"
    )
    with Archiver(settings) as archiver:
        result = archiver.archive("https://x.com/locked/status/1200000000000000000")
        post = archiver.db["posts"].get("x:1200000000000000000")
    assert result.status == "unavailable" and not result.failed
    assert post["status"] == "unavailable" and "protected" in post["status_reason"]


def test_animated_gif_is_kept_as_its_mp4_with_a_poster():
    """X serves GIFs as MP4 (bitrate 0); a recorded video response re-typed as animated_gif."""
    from archiver.platforms.x import parse_syndication

    data = json.loads(
        fixture_path("x", "syndication", "tweet-result_1684218600456876032_video.json").read_text()
    )
    detail = data["mediaDetails"][0]
    detail["type"] = "animated_gif"
    detail["video_info"]["variants"] = [
        {
            "bitrate": 0,
            "content_type": "video/mp4",
            "url": "https://video.twimg.com/tweet_video/Abc.mp4",
        }
    ]
    post = parse_syndication(data)
    assert [(m.type, m.url) for m in post.media] == [
        ("gif", "https://video.twimg.com/tweet_video/Abc.mp4"),
        ("poster", detail["media_url_https"]),
    ]


def test_reply_names_its_parent():
    from archiver.platforms.x import parse_syndication

    data = json.loads(
        fixture_path(
            "x", "syndication", "tweet-result_2023357708301455483_text_only.json"
        ).read_text()
    )
    data["in_reply_to_status_id_str"] = "2023357000000000000"
    assert parse_syndication(data).reply_to == "x:2023357000000000000"


def test_a_poll_card_keeps_its_choices_and_final_counts(replay, settings):
    """X's GraphQL gives a card's binding_values as a list of {key, value}: the real poll card
    of post 1899954694652309701 (FxEmbed's recording), put in place of the real link card of
    the syndication answer for 1629262255744503809 (composed here from the two recordings)."""
    answer = json.loads(
        fixture_path("x", "syndication", "tweet-result_1629262255744503809_card.json").read_text()
    )
    graphql = json.loads(
        fixture_path(
            "x", "graphql", "TweetResultByRestId_1899954694652309701_poll_card.json"
        ).read_text()
    )
    answer["card"] = graphql["data"]["tweetResult"]["result"]["card"]["legacy"]
    serve_syndication(replay, "1629262255744503809", json.dumps(answer).encode())
    with Archiver(settings) as archiver:
        result = archiver.archive("https://x.com/i/status/1629262255744503809")
        post = archiver.db["posts"].get("x:1629262255744503809")
    assert result.status == "ok", result.error
    assert json.loads(post["details"]) == {
        "poll": {
            "options": [
                {"title": "MISC Freelancer", "votes": 2},
                {"title": "Anvil Carrack", "votes": 6},
                {"title": "Drake Cutlass (Any?)", "votes": 5},
                {"title": "Origin 600i", "votes": 9},
            ],
            "votes": 22,
            "expires_at": "2025-03-16T22:44:33Z",
            "final": True,
        }
    }
