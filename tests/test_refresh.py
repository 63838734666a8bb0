"""Archiving a post again: a version only when text, media, status or a count that matters
changed; a deletion keeps the time it was first seen; an edit keeps both texts; `--refresh`
re-checks every archived post, politely, and says what changed."""

from __future__ import annotations

import json

from click.testing import CliRunner
from recorded import fixture_json, serve_syndication
from request_gate import now, spaced_from

from archiver.cli.commands import main
from archiver.pipeline.archive import Archiver
from archiver.store.changes import describe_change, moved_counts

TEXT_ID = "2023357708301455483"
TEXT_URL = f"https://x.com/jarredsumner/status/{TEXT_ID}"
PHOTO_ID = "1641086480675225601"


def serve_text_post(replay, **changes) -> None:
    data = fixture_json("x", "syndication", f"tweet-result_{TEXT_ID}_text_only.json") | changes
    serve_syndication(replay, TEXT_ID, json.dumps(data).encode())


def versions(archiver) -> list[dict]:
    return list(archiver.db.query("select * from post_versions order by id"))


def test_only_counts_that_matter_make_a_version(replay, settings):
    with Archiver(settings) as archiver:
        serve_text_post(replay, favorite_count=14)
        archiver.archive(TEXT_URL)
        serve_text_post(replay, favorite_count=20)  # likes tick over: not a new version
        small = archiver.archive(TEXT_URL)
        serve_text_post(replay, favorite_count=5000)  # the post spread: a new version
        big = archiver.archive(TEXT_URL)
        rows = versions(archiver)
    assert small.changed == [] and len(rows) == 2
    assert big.changes == {f"x:{TEXT_ID}": ["favorite_count 14 -> 5,000"]}
    assert json.loads(rows[1]["metrics"])["favorite_count"] == 5000
    assert rows[1]["author_handle"] == "jarredsumner"


def test_counts_rule():
    assert moved_counts({"views": 10_000}, {"views": 10_900}) == []  # +9%: drift
    assert moved_counts({"views": 10_000}, {"views": 11_000}) == ["views 10,000 -> 11,000"]
    assert moved_counts({"likes": 3}, {"likes": 90}) == []  # under 100: noise
    assert moved_counts('{"likes": 0}', '{"likes": 150}') == ["likes 0 -> 150"]


def test_an_edit_keeps_both_texts_and_a_deletion_keeps_when_it_was_first_seen(replay, settings):
    with Archiver(settings) as archiver:
        serve_text_post(replay)
        first = archiver.archive(TEXT_URL)
        serve_text_post(replay, text="an edited text")
        edited = archiver.archive(TEXT_URL)
        serve_syndication(replay, TEXT_ID, "tweet-result_tombstone_deleted.json")
        gone = archiver.archive(TEXT_URL)
        again = archiver.archive(TEXT_URL)  # still gone: no new version, same first-seen time
        rows = versions(archiver)
        post = archiver.db["posts"].get(f"x:{TEXT_ID}")
        gone_at = archiver.db["captures"].get(gone.capture_id)["started_at"]
    original = fixture_json("x", "syndication", f"tweet-result_{TEXT_ID}_text_only.json")["text"]
    assert [r["text"] for r in rows] == [original, "an edited text", "an edited text"]
    assert edited.changes[f"x:{TEXT_ID}"] == ["text edited (both texts kept)"]
    assert gone.changes[f"x:{TEXT_ID}"] == ["status ok -> deleted"]
    assert again.changed == []
    assert post["status"] == "deleted" and post["status_since"] == gone_at
    assert post["text"] == "an edited text"  # the last content seen is kept
    assert first.changes == {}


def test_describe_change_names_each_difference():
    before = {"status": "ok", "text": "a", "media_sha256s": '["x"]', "content_sha256": "1",
              "author_name": "Ann", "author_handle": "ann", "metrics": None}  # fmt: skip
    after = before | {"media_sha256s": '["y"]', "author_name": "Ann B", "content_sha256": "2"}
    assert describe_change(before, after) == ["media changed", "author name Ann -> Ann B"]


def test_refresh_rechecks_every_post_politely_and_prints_what_changed(replay, settings):
    serve_text_post(replay)
    serve_syndication(replay, PHOTO_ID, f"tweet-result_{PHOTO_ID}_photo.json")
    env = {"ARCHIVER_CONNECT_TO": f"*={replay.base_url}", "ARCHIVER_DELAY": "0"}
    db = ["--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    runner = CliRunner()
    photo_url = f"https://x.com/i/status/{PHOTO_ID}"
    assert runner.invoke(main, ["archive", TEXT_URL, photo_url, *db], env=env).exit_code == 0
    serve_text_post(replay, text="an edited text")
    replay.requests.clear()
    started = now()
    result = runner.invoke(
        main, ["archive", "--refresh", "--delay", "0.3", "--concurrency", "2", *db], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"changed since the last capture: x:{TEXT_ID}" in result.output
    assert f"x:{TEXT_ID}: text edited (both texts kept)" in result.output
    assert result.output.count("changed since the last capture") == 1  # the photo post did not
    # Both posts come from one host: its requests are spaced by the politeness delay.
    # (The second cannot arrive before 0.3 s have passed; the gap between arrivals proves nothing.)
    hits = [r.at for r in replay.requested("cdn.syndication.twimg.com")]
    assert len(hits) == 2 and spaced_from(started, hits, 0.3)
