"""The archive database: the DESIGN.md table contract, versions, and the hash-chained event log."""

from __future__ import annotations

import pytest

from archiver.models import Capture, MediaRef, Post, StoredMedia
from archiver.store.connection import open_db
from archiver.store.eventlog import check_chain, utc_now
from archiver.store.transaction import transaction
from archiver.store.writes import new_capture_id, save_capture, save_post

CONTRACT = {
    "captures": "id url final_url kind platform started_at finished_at status error http_status body_sha256 warc_file tool_version",
    "posts": "id platform post_id url author_handle author_name author_id text created_at lang reply_to quote_of raw status first_capture_id last_capture_id",
    "post_versions": "id post_id capture_id content_sha256 text status captured_at",
    "media": "sha256 mime bytes width height duration_ms phash dhash pdq pdq_quality exif blob_path thumbnail_path first_url",
    "post_media": "post_id position sha256 url type alt_text",
    "pages": "id capture_id url title site_name author published_at html_sha256 text",
    "embeds": "id page_id position platform post_url post_db_id found_by article_text article_author article_date status",
    "annotations": "id target_type target_id kind body tag verification latitude longitude event_time author created_at supersedes",
    "events": "seq at actor action target payload_sha256 prev_hash hash",
}


def test_schema_has_every_contracted_table_and_column(tmp_path):
    db = open_db(tmp_path / "a.db")
    for table, columns in CONTRACT.items():
        assert set(columns.split()) <= set(db[table].columns_dict), table
    assert db["posts"].pks == ["id"] and db["post_media"].pks == ["post_id", "position"]
    assert db.journal_mode == "wal"
    assert db["posts"].detect_fts() and db["pages"].detect_fts() and db["annotations"].detect_fts()
    # Opening again is a no-op, not a migration error.
    open_db(tmp_path / "a.db")


def _capture(db) -> str:
    capture = Capture(
        id=new_capture_id(), url="https://x.com/u/status/1", kind="post", started_at=utc_now()
    )
    save_capture(db, capture)
    return capture.id


def _post(text: str, status: str = "ok") -> Post:
    return Post(
        platform="x",
        post_id="1",
        url="https://x.com/u/status/1",
        author_handle="u",
        text=text,
        status=status,
        raw='{"a":1}',
    )


def _media(sha: str) -> StoredMedia:
    return StoredMedia(
        sha256=sha, bytes=3, mime="image/jpeg", blob_path=f"sha256/{sha[:2]}/{sha[2:4]}/{sha}"
    )


def test_a_new_version_only_when_content_or_status_changes(tmp_path):
    db = open_db(tmp_path / "a.db")
    photo = (MediaRef(url="https://pbs.twimg.com/a", type="photo"), _media("a" * 64), None)
    with transaction(db):
        assert save_post(db, _post("first"), _capture(db), [photo]) is True
    with transaction(db):
        assert save_post(db, _post("first"), _capture(db), [photo]) is False
    with transaction(db):
        assert save_post(db, _post("edited"), _capture(db), [photo]) is True
    with transaction(db):
        assert save_post(db, _post(None, status="deleted"), _capture(db), []) is True

    versions = list(db.query("select text, status from post_versions order by id"))
    assert versions == [
        {"text": "first", "status": "ok"},
        {"text": "edited", "status": "ok"},
        {"text": "edited", "status": "deleted"},
    ]
    post = db["posts"].get("x:1")
    # A deleted post keeps the last text we saw, and its media link.
    assert post["status"] == "deleted" and post["text"] == "edited"
    assert [r["sha256"] for r in db.query("select sha256 from post_media")] == ["a" * 64]


def test_failed_redownload_keeps_the_earlier_file(tmp_path):
    db = open_db(tmp_path / "a.db")
    ref = MediaRef(url="https://pbs.twimg.com/a", type="photo")
    with transaction(db):
        save_post(db, _post("t"), _capture(db), [(ref, _media("b" * 64), None)])
    with transaction(db):
        save_post(db, _post("t"), _capture(db), [(ref, None, "HTTP 503")])
    row = db.execute("select sha256, error from post_media").fetchone()
    assert row == ("b" * 64, "HTTP 503")


def test_a_failed_transaction_leaves_no_half_post(tmp_path):
    db = open_db(tmp_path / "a.db")
    with pytest.raises(RuntimeError), transaction(db):
        save_post(db, _post("t"), _capture(db), [])
        raise RuntimeError("killed")
    assert db["posts"].count == 0 and db["captures"].count == 0 and db["events"].count == 0


def test_event_chain_catches_edits_and_deletions(tmp_path):
    db = open_db(tmp_path / "a.db")
    for text in ("one", "two", "three"):
        with transaction(db):
            save_post(db, _post(text), _capture(db), [])
    assert db["events"].count >= 6
    assert check_chain(db) == []

    db.execute("update events set actor = 'mallory' where seq = 2")
    db.conn.commit()
    assert [b.seq for b in check_chain(db)] == [2]

    db.execute("update events set actor = 'archiver' where seq = 2")
    db.execute("delete from events where seq = 4")
    db.conn.commit()
    problems = check_chain(db)
    assert problems and problems[0].seq == 5
