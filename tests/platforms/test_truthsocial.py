"""Truth Social: real API responses (truemediaorg/media-resolver's recordings), end to end.

`archiver archive` of a post URL and of an article that embeds one, through the
replay server, then `archiver cite`: the platform is one module, and nothing else
was told about it.
"""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner
from factories import jpeg_bytes
from recorded import fixture_json, fixture_path, serve_fixture

from archiver.cli.commands import main
from archiver.discovery.embeds import discover_in_html

IMAGE_ID, CARD_ID = "113154513611419835", "113154381896339455"
IMAGE_POST = f"https://truthsocial.com/@realDonaldTrump/posts/{IMAGE_ID}"
CARD_POST = f"https://truthsocial.com/@TruthSports/posts/{CARD_ID}"
IMAGE_FIXTURE = "status_113154513611419835_image.json"
CARD_FIXTURE = "status_113154381896339455_link_card.json"
ARTICLE_URL = "https://news.example/2024/09/what-he-posted"
# The embed code Truth Social hands out (its iframe of the API's post URL + /embed).
EMBED_CODE = (
    f'<iframe src="https://truthsocial.com/@TruthSports/{CARD_ID}/embed" class="truthsocial-embed"'
    ' style="max-width: 100%; border: 0" width="600" allowfullscreen="allowfullscreen"></iframe>'
    '<script src="https://truthsocial.com/embed.js" async="async"></script>'
)


def status_api(status_id: str) -> str:
    return f"https://truthsocial.com/api/v1/statuses/{status_id}"


def serve_image_post(replay) -> bytes:
    serve_fixture(replay, status_api(IMAGE_ID), "truthsocial", IMAGE_FIXTURE)
    photo = jpeg_bytes(seed=41, size=(796, 782))
    url = fixture_json("truthsocial", IMAGE_FIXTURE)["media_attachments"][0]["url"]
    replay.add(url, photo, content_type="image/jpeg")
    return photo


def cli(settings, *args: str):
    common = ["--db", str(settings.db_path)]
    if args[0] == "archive":
        common += [
            "--blobs",
            str(settings.blobs_dir),
            "--connect-to",
            f"*={settings.connect_to['*']}",
        ]
    result = CliRunner().invoke(main, [args[0], *common, *args[1:]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def posts(settings) -> dict[str, dict]:
    from sqlite_utils import Database

    db = Database(settings.db_path)
    return {row["id"]: row for row in db.query("select * from posts")}


def test_archive_a_post_url_keeps_the_post_and_its_image(replay, settings):
    photo = serve_image_post(replay)

    result = cli(settings, "archive", "--json", IMAGE_POST)

    [line] = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert line["status"] == "ok", line
    assert line["post_ids"] == [f"truthsocial:{IMAGE_ID}"]
    assert line["media_sha256s"] == [hashlib.sha256(photo).hexdigest()]
    post = posts(settings)[f"truthsocial:{IMAGE_ID}"]
    assert (post["platform"], post["url"]) == ("truthsocial", IMAGE_POST)
    assert (post["author_handle"], post["author_name"]) == ("realDonaldTrump", "Donald J. Trump")
    assert post["created_at"] == "2024-09-17T19:20:54.666Z"
    assert post["raw"] == fixture_path("truthsocial", IMAGE_FIXTURE).read_text("utf-8")
    assert json.loads(post["metrics"])["favourites_count"] == 3456
    # The API's own URL for the post is this one: not a status seen from elsewhere.
    assert "original_url" not in json.loads(post["details"] or "{}")


def test_a_link_post_keeps_its_text_and_card(replay, settings):
    serve_fixture(replay, status_api(CARD_ID), "truthsocial", CARD_FIXTURE)
    card_image = fixture_json("truthsocial", CARD_FIXTURE)["card"]["image"]
    replay.add(card_image, jpeg_bytes(seed=42), content_type="image/jpeg")

    cli(settings, "archive", f"https://truthsocial.com/users/TruthSports/statuses/{CARD_ID}")

    post = posts(settings)[f"truthsocial:{CARD_ID}"]
    assert post["text"].startswith("Alex Cora Won't Be Suspended by MLB")
    assert post["url"] == CARD_POST
    assert json.loads(post["details"])["card"]["title"].startswith("Alex Cora")


def test_a_quote_archives_the_quoted_post(replay, settings):
    # Composed from the two real recordings: Truth Social serves a quoted post whole,
    # in the quoting post's `quote` (and its id in `quote_id`).
    quoting = fixture_json("truthsocial", IMAGE_FIXTURE)
    quoted = fixture_json("truthsocial", CARD_FIXTURE)
    body = json.dumps(quoting | {"quote": quoted, "quote_id": CARD_ID})
    replay.add(status_api(IMAGE_ID), body, content_type="application/json")

    result = cli(settings, "archive", "--json", IMAGE_POST)

    [line] = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert line["post_ids"] == [f"truthsocial:{IMAGE_ID}", f"truthsocial:{CARD_ID}"]
    archived = posts(settings)
    assert archived[f"truthsocial:{IMAGE_ID}"]["quote_of"] == f"truthsocial:{CARD_ID}"
    assert archived[f"truthsocial:{CARD_ID}"]["author_handle"] == "TruthSports"


def test_a_deleted_post_is_recorded_as_deleted(replay, settings):
    replay.add(status_api("113000000000000001"), {"error": "Record not found"}, status=404)

    result = CliRunner().invoke(
        main,
        ["archive", "--db", str(settings.db_path), "--connect-to", f"*={settings.connect_to['*']}",
         "--json", "https://truthsocial.com/@someone/posts/113000000000000001"],
    )  # fmt: skip

    assert json.loads(result.stdout.splitlines()[0])["status"] == "deleted"
    post = posts(settings)["truthsocial:113000000000000001"]
    assert post["status"] == "deleted" and "HTTP 404: Record not found" in post["status_reason"]


def test_its_embed_code_is_found_in_an_article():
    html = f"<article><p>He posted:</p>{EMBED_CODE}<p>Then more.</p></article>"
    [embed] = discover_in_html(html, ARTICLE_URL)
    assert (embed.platform, embed.post_id, embed.found_by, embed.post_url) == (
        "truthsocial",
        CARD_ID,
        "iframe",
        CARD_POST,
    )


def test_an_article_that_embeds_a_post_is_archived_with_it(replay, settings):
    serve_fixture(replay, status_api(CARD_ID), "truthsocial", CARD_FIXTURE)
    article = f"<html><head><title>What he posted</title></head><body>{EMBED_CODE}</body></html>"
    replay.add(ARTICLE_URL, article, content_type="text/html; charset=utf-8")

    cli(settings, "archive", ARTICLE_URL)

    from sqlite_utils import Database

    [embed] = Database(settings.db_path).query("select * from embeds")
    assert (embed["platform"], embed["post_db_id"]) == ("truthsocial", f"truthsocial:{CARD_ID}")
    assert posts(settings)[f"truthsocial:{CARD_ID}"]["author_handle"] == "TruthSports"


def test_citations_name_the_platform(replay, settings):
    serve_image_post(replay)
    cli(settings, "archive", IMAGE_POST)

    apa = cli(settings, "cite", f"truthsocial:{IMAGE_ID}", "--style", "apa").output
    assert f"[Post]. Truth Social. {IMAGE_POST}" in apa
    [csl] = json.loads(cli(settings, "cite", IMAGE_POST, "--style", "csl-json").output)
    assert (csl["container-title"], csl["genre"]) == ("Truth Social", "Post")
