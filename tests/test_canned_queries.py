"""The canned queries answer as they did before they were rewritten for 1 M posts.

datasette/metadata.yml's queries were rewritten so that each answers its first page within
Datasette's time limit on a million posts (bench/datasette_scale.py). On a small archive of
real captures (posts archived over HTTP from recorded answers, sharing photo files and near
duplicates, one verified, some deleted; an article with its embeds; annotations), each
query returns exactly what its earlier SQL returns: the same columns, rows and order.
The earlier SQL is kept as it was in tests/fixtures/canned/queries_fb5b821.yml.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from factories import jpeg_bytes
from recorded import fixture_json, fixture_path, serve_syndication
from test_archive import SEED, serve_lashio

from annotations.log import add_annotation
from annotations.model import Draft
from archiver.pipeline.archive import Archiver
from archiver.store.connection import open_db
from archiver.store.targets import Target
from archiver.web.serve import make_datasette

METADATA = Path(__file__).parent.parent / "datasette" / "metadata.yml"
BEFORE = fixture_path("canned", "queries_fb5b821.yml")
PHOTO_POST = fixture_json("x", "syndication", "tweet-result_1641086480675225601_photo.json")
TEXT_POST = fixture_json("x", "syndication", "tweet-result_2023357708301455483_text_only.json")

# The photos the posts show, by name: the same name is the same file (bytes) at another URL.
FILES = {
    "flag": jpeg_bytes(seed=3, size=(480, 270)),
    "flag-recompressed": jpeg_bytes(seed=3, size=(470, 264)),  # a near duplicate of "flag"
    "street": jpeg_bytes(seed=5, size=(400, 300)),
    "field": jpeg_bytes(seed=9, size=(300, 200)),
}
# (post id, author, created_at, text, the file each photo is): posts 3 and 4 were made in
# the same second, as were 7 and 8.
POSTS = [
    ("3000000000000000001", "first", "2024-08-01T10:00:00.000Z",
     "Flag raised over the regional command", ["flag"]),
    ("3000000000000000002", "second", "2024-08-02T10:00:00.000Z",
     "The flag photo again, reposted", ["flag", "street"]),
    ("3000000000000000003", "third", "2024-08-03T10:00:00.000Z",
     "A street and the flag once more", ["street", "flag"]),
    ("3000000000000000004", "fourth", "2024-08-03T10:00:00.000Z",
     "The flag, recompressed", ["flag-recompressed"]),
    ("3000000000000000005", "fifth", "2024-08-04T10:00:00.000Z",
     "A street scene at dusk", ["street"]),
    ("3000000000000000006", "sixth", "2024-08-05T10:00:00.000Z",
     "Another place entirely, a field", ["field"]),
    ("3000000000000000007", "seventh", "2024-08-06T10:00:00.000Z",
     "The flag at dawn", ["flag"]),
    ("3000000000000000008", "eighth", "2024-08-06T10:00:00.000Z",
     "A field and a street", ["field", "street"]),
]  # fmt: skip
GONE_AT_FIRST = ["3000000000000000011", "3000000000000000012"]  # deleted before any capture
# More posts with the word "flag" than the search shows (200), to rank them all and cut.
BULK_FLAG_POSTS = 205
SEARCHES = ["flag", "street", "Lashio", "recycled", "field dusk", "command", "", '"x:1 (']


def post_answer(post_id: str, author: str, created_at: str, text: str, files: list[str]) -> bytes:
    """The recorded photo post's syndication answer, re-keyed, showing these photos."""
    detail = PHOTO_POST["mediaDetails"][0]
    media = [
        dict(detail, media_url_https=f"https://pbs.twimg.com/media/{post_id}-{n}-{name}.jpg")
        for n, name in enumerate(files)
    ]
    user = dict(PHOTO_POST["user"], screen_name=author, name=author.title())
    answer = dict(PHOTO_POST, id_str=post_id, text=text, created_at=created_at, user=user)
    return json.dumps(answer | {"mediaDetails": media, "photos": []}).encode()


def serve_post(replay, post_id, author, created_at, text, files) -> str:
    serve_syndication(replay, post_id, post_answer(post_id, author, created_at, text, files))
    for n, name in enumerate(files):
        replay.add(
            f"https://pbs.twimg.com/media/{post_id}-{n}-{name}?format=jpg&name=orig",
            FILES[name],
            content_type="image/jpeg",
        )
    return f"https://x.com/{author}/status/{post_id}"


def serve_text_post(replay, n: int) -> str:
    """The recorded text post, re-keyed: the word "flag" among 1 to 30 others."""
    post_id = str(3100000000000000000 + n)
    text = " ".join(["flag"] * (1 + n % 3) + ["words"] * (n % 29) + [f"report {n}"])
    answer = dict(TEXT_POST, id_str=post_id, text=text)
    serve_syndication(replay, post_id, json.dumps(answer).encode())
    return f"https://x.com/jarredsumner/status/{post_id}"


def build_archive(replay, settings) -> None:
    """Every kind of row the canned queries read, written by archiving over HTTP."""
    serve_lashio(replay)
    with Archiver(settings) as archiver:
        assert archiver.archive(str(SEED)).status == "ok"  # an article and its embedded post
        for post in POSTS:
            assert archiver.archive(serve_post(replay, *post)).status == "ok"
        for n in range(BULK_FLAG_POSTS):
            assert archiver.archive(serve_text_post(replay, n)).status == "ok"
        for post_id in GONE_AT_FIRST + [POSTS[5][0]]:  # the sixth post is deleted since
            serve_syndication(replay, post_id, "tweet-result_tombstone_deleted.json")
            archiver.archive(f"https://x.com/someone/status/{post_id}")
        db = archiver.db
        add_annotation(db, Target("post", "x:" + POSTS[0][0]), Draft(
            "verification", verification="verified", body="The command's flag, matched"), "alice")  # fmt: skip
        add_annotation(db, Target("post", "x:" + POSTS[6][0]), Draft(
            "verification", verification="disputed", body="Not the same flag"), "bob")  # fmt: skip
        sha = next(db.query("select sha256 from post_media where url like '%-flag?%'"))["sha256"]
        add_annotation(db, Target("media", sha), Draft("tag", tag="recycled"), "alice")
        add_annotation(db, Target("post", "x:" + POSTS[4][0]), Draft(
            "note", body="The street at dusk, seen from the command post"), "bob")  # fmt: skip


def queries(path: Path, container: str) -> dict[str, str]:
    data = yaml.safe_load(path.read_text("utf-8"))
    found = data["databases"]["archive"]["queries"] if container == "metadata" else data["queries"]
    return {name: query["sql"] for name, query in found.items()}


@pytest.fixture
def answers(replay, settings):
    """Each query's columns and rows, for each set of parameters, before and now."""
    build_archive(replay, settings)
    open_db(settings.db_path).close()
    ds = make_datasette(settings)
    before, now = queries(BEFORE, "before"), queries(METADATA, "metadata")
    assert set(before) == set(now)

    async def run(sql: str, params: dict) -> tuple[list, list]:
        result = await ds.get_database("archive").execute(sql, params)
        return list(result.columns), [tuple(row) for row in result.rows]

    async def all_answers() -> dict:
        found = {}
        for name in now:
            for params in [{"q": q} for q in SEARCHES] if name == "search" else [{}]:
                found[name, params.get("q")] = (
                    await run(before[name], params),
                    await run(now[name], params),
                )
        return found

    return asyncio.run(all_answers())


def test_each_canned_query_returns_what_it_did_before_it_was_rewritten(answers):
    for (name, q), (before, now) in answers.items():
        assert now == before, (name, q)
    # The comparison means something: each query has rows here, and ties to keep in order.
    rows = {key: before[1] for key, (before, _) in answers.items()}
    for name in ["unverified_media_seen_elsewhere", "posts_deleted_since_capture",
                 "posts_with_media", "embeds_beside_archive", "media_in_several_posts",
                 "gone_posts"]:  # fmt: skip
        assert rows[name, None], name
    elsewhere = rows["unverified_media_seen_elsewhere", None]
    assert {row[7] for row in elsewhere} == {0, 1}  # near duplicates only, and same files
    assert max(row[5] for row in elsewhere) >= 3  # a post whose media are in three others
    assert "x:" + POSTS[0][0] not in [row[0] for row in elsewhere]  # verified
    assert [row[5] for row in rows["gone_posts", None]].count(None) >= 2  # never seen ok
    assert len(rows["posts_with_media", None]) > len(POSTS)  # posts with several photos
    found_in = {row[0] for q in SEARCHES for row in rows["search", q]}
    assert found_in == {"post", "annotation", "page"}
    assert len(rows["search", "flag"]) == 200  # of more posts with the word
