"""`archiver verify` and each capture's collection record: a clean archive passes; a flipped
blob byte, an annotation edited behind the log's back, a deleted event, a changed WARC byte or
a changed capture row are each caught, named, and make the exit status non-zero."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner
from evidence_archive import POST_ID, build_demo_archive

from archiver.cli.commands import main
from archiver.evidence.verify import verify_archive
from archiver.fetch.warc_index import read_record
from archiver.media.blobstore import blob_relpath
from archiver.store.connection import open_db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    archive = build_demo_archive(tmp_path_factory.mktemp("verify-demo"))
    from annotations import Draft, add_annotations, resolve_target

    db = open_db(archive.settings.db_path)
    add_annotations(
        db, resolve_target(db, POST_ID), [Draft("note", body="Flag matches MNDAA's")], "analyst"
    )
    db.close()
    return archive


def tamper(archive, sql: str, params=()) -> None:
    """Change the archive behind its back, as anyone with the file and sqlite3 could."""
    conn = sqlite3.connect(archive.settings.db_path)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def verify_cli(archive) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--db",
            str(archive.settings.db_path),
            "--blobs",
            str(archive.settings.blobs_dir),
        ],
    )
    return result.exit_code, result.output


def test_a_clean_archive_verifies(demo):
    code, output = verify_cli(demo)
    assert code == 0, output
    assert "OK: the archive is as it was captured." in output
    report = verify_archive(demo.settings)
    assert report.checked["WARC records"] == 8  # page, t.co hop, syndication, photo: each req+resp
    assert report.checked["blobs"] == 2 and report.checked["captures"] == 2


def test_each_capture_records_what_the_berkeley_protocol_asks(demo):
    db = open_db(demo.settings.db_path)
    manifest = json.loads(db["manifests"].get(demo.post_capture)["manifest"])
    records = list(db.query("select * from warc_records where capture_id = ?", [demo.post_capture]))
    db.close()
    assert manifest["collected_by"] == "test analyst"  # who
    assert manifest["started_at"].endswith("Z") and manifest["finished_at"].endswith("Z")  # when
    assert manifest["host"] and "*" in manifest["connect_to"]  # from where (here: via the replay)
    assert manifest["tool"]["name"] == "archiver" and manifest["tool"]["version"]  # with what
    assert manifest["original_url"] == "https://x.com/ThomasVLinge/status/1819675899329130543"
    assert manifest["media"][0]["sha256"] == demo.result.media_sha256s[0]  # the hashes
    assert manifest["body_sha256"] and len(manifest["warc_records"]) == 4
    # Each record row points at exactly that record, byte for byte.
    base = demo.settings.db_path.parent
    for row in records:
        found = read_record(base / row["warc_file"], row["offset"], row["length"])
        assert (found.record_id, found.sha256) == (row["record_id"], row["sha256"])
    photo = next(r for r in records if r["payload_sha256"] == demo.result.media_sha256s[0])
    assert photo["target_uri"].startswith("https://pbs.twimg.com/media/")


def test_a_flipped_byte_in_a_blob_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    photo = demo.result.media_sha256s[0]
    path = copy.settings.blobs_dir / blob_relpath(photo)
    data = bytearray(path.read_bytes())
    data[1000] ^= 0x01
    path.write_bytes(bytes(data))
    code, output = verify_cli(copy)
    assert code == 1
    assert f"MISMATCH blob: {path}: its bytes hash to" in output


def test_an_annotation_edited_with_sqlite3_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    tamper(copy, "update annotations set body = 'Flag does not match' where id = 1")
    code, output = verify_cli(copy)
    assert code == 1
    assert "MISMATCH row: annotations: annotation #1 was changed after it was written" in output


def test_a_deleted_event_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    tamper(copy, "delete from events where seq = 3")
    code, output = verify_cli(copy)
    assert code == 1
    assert "MISMATCH event: events seq 4: events 3..3 are missing" in output


def test_deleting_the_last_event_is_caught_by_the_row_it_recorded(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    target = conn.execute("select target from events order by seq desc limit 1").fetchone()[0]
    conn.execute("delete from events where seq = (select max(seq) from events)")
    conn.commit()
    conn.close()
    code, output = verify_cli(copy)
    assert code == 1 and target.split(":", 1)[1] in output, output


def test_a_changed_warc_record_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    db = open_db(copy.settings.db_path)
    row = next(
        db.query(
            "select * from warc_records where record_type = 'response' and capture_id = ?",
            [demo.post_capture],
        )
    )
    db.close()
    path = copy.settings.db_path.parent / row["warc_file"]
    data = bytearray(path.read_bytes())
    data[row["offset"] + row["length"] // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, output = verify_cli(copy)
    assert code == 1
    assert (
        f"MISMATCH warc: warc_records {row['id']} ({row['warc_file']} @ {row['offset']})" in output
    )


def test_a_changed_capture_row_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    tamper(
        copy,
        "update captures set started_at = '2024-01-01T00:00:00Z' where id = ?",
        [demo.post_capture],
    )
    report = verify_archive(copy.settings)
    places = {(p.kind, p.where) for p in report.problems}
    assert ("row", f"captures {demo.post_capture}") in places
    assert ("manifest", f"capture {demo.post_capture}") in places


def test_a_post_version_edited_with_sqlite3_is_caught(demo, tmp_path):
    """What the post said when captured is evidence: its version row is checked against its event."""
    copy = demo.copy_to(tmp_path)
    tamper(copy, "update post_versions set text = 'Something else entirely' where post_id = ?",
           [POST_ID])  # fmt: skip
    code, output = verify_cli(copy)
    assert code == 1
    assert (
        "MISMATCH row: an archived version of a post 1, field text: changed since it was written"
        in output
    ), output


def test_a_post_whose_text_was_changed_behind_its_versions_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    tamper(copy, "update posts set text = 'Something else entirely' where id = ?", [POST_ID])
    code, output = verify_cli(copy)
    assert code == 1
    assert (
        f"MISMATCH row: the post {POST_ID}, field text: differs from its latest version's text"
        in output
    )


def test_versions_written_before_they_were_logged_are_noted_not_failed(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    tamper(copy, "delete from events where action = 'post_version'")  # as an older archiver wrote
    report = verify_archive(copy.settings)
    assert not any(p.where.startswith("post_versions") for p in report.problems), report.problems
    assert any("post_versions rows were written before" in note for note in report.notes)


def test_verify_json_and_a_missing_archive(demo, tmp_path):
    result = CliRunner().invoke(main, ["verify", "--json", "--db", str(demo.settings.db_path),
                                       "--blobs", str(demo.settings.blobs_dir)])  # fmt: skip
    assert json.loads(result.output)["ok"] is True
    missing = CliRunner().invoke(main, ["verify", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "no archive at" in missing.output


def test_concurrent_captures_keep_their_own_records(replay, settings):
    """Four workers share one WARC file; each capture's record rows are its own exchanges."""
    from factories import jpeg_bytes
    from recorded import fixture_json, serve_syndication

    from archiver.pipeline.archive import Archiver

    recorded = fixture_json("x", "syndication", "tweet-result_1641086480675225601_photo.json")
    ids = [str(1741086480675225601 + i) for i in range(6)]
    for i, post_id in enumerate(ids):
        photo = f"https://pbs.twimg.com/media/Bulk{i}"
        variant = dict(recorded, id_str=post_id)
        variant["mediaDetails"] = [
            dict(recorded["mediaDetails"][0], media_url_https=photo + ".jpg")
        ]
        serve_syndication(replay, post_id, json.dumps(variant).encode())
        replay.add(f"{photo}?format=jpg&name=orig", jpeg_bytes(seed=300 + i))
    urls = [f"https://x.com/SamuelSusla/status/{post_id}" for post_id in ids]
    with Archiver(settings) as archiver:
        results = list(archiver.archive_many(urls, concurrency=4))
        rows = list(archiver.db.query("select capture_id, target_uri from warc_records"))
    assert all(r.status == "ok" for r in results)
    for result in results:
        uris = [r["target_uri"] for r in rows if r["capture_id"] == result.capture_id]
        index = ids.index(result.post_ids[0].split(":")[1])
        assert len(uris) == 4, uris
        assert all(ids[index] in u or f"Bulk{index}?" in u for u in uris), uris
    assert verify_archive(settings).ok


def test_an_archive_whose_every_capture_failed_verifies_and_says_so(replay, settings):
    replay.add("https://news.example/gone", "no such page", status=500)
    args = ["--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    failed = CliRunner().invoke(main, ["archive", *args, "--connect-to",
                                       f"*={replay.base_url}", "--delay", "0", "--retries", "0",
                                       "https://news.example/gone"])  # fmt: skip
    assert failed.exit_code == 1 and "FAILED https://news.example/gone" in failed.output
    assert not settings.blobs_dir.joinpath("sha256").exists()
    result = CliRunner().invoke(main, ["verify", *args])
    assert result.exit_code == 0, result.output
    assert "no capture kept a media file: there are no files to re-hash" in result.output
    # Without even a blob store directory, the same (it exited 2, "no blob store", before).
    shutil.rmtree(settings.blobs_dir, ignore_errors=True)
    assert CliRunner().invoke(main, ["verify", *args]).exit_code == 0
