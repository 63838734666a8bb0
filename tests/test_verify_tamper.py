"""Tampering verify must catch (issue 13): rows edited, removed or pointed elsewhere with sqlite3.

Each case changes a copy of the demo archive (the Lashio article and the post it embeds)
as anyone with the file could, then checks `archiver verify` names the row.
"""

from __future__ import annotations

import sqlite3

import pytest
from evidence_archive import POST_ID, build_demo_archive
from factories import jpeg_bytes

from archiver.evidence.verify import verify_archive
from archiver.pipeline.archive import Archiver


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_archive(tmp_path_factory.mktemp("tamper-demo"))


def changed_copy(demo, tmp_path, statements):
    """A copy of the demo archive with the statements applied, as anyone with the file could."""
    copy = demo.copy_to(tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    for sql, params in statements:
        conn.execute(sql, params)
    conn.commit()
    conn.close()
    return copy


def tampered(demo, tmp_path, *statements: tuple[str, tuple]) -> set[tuple[str, str]]:
    """Apply the statements to a copy; the (kind, where) of every mismatch verify reports."""
    copy = changed_copy(demo, tmp_path, statements)
    report = verify_archive(copy.settings)
    assert not report.ok
    return {(p.kind, p.where) for p in report.problems}


def test_the_untouched_demo_archive_verifies(demo):
    report = verify_archive(demo.settings)
    assert report.ok, report.problems
    assert not any("post states" in note for note in report.notes)  # every post is covered


@pytest.mark.parametrize(
    "column,value",
    [("created_at", "2023-01-01T00:00:00Z"), ("url", "https://x.com/someone/status/1"),
     ("author_handle", "someone_else"), ("raw", '{"forged": true}')],
)  # fmt: skip
def test_a_post_field_a_citation_prints_is_covered(demo, tmp_path, column, value):
    # A forged created_at or url would be printed by `archiver cite` as the post's own.
    found = tampered(
        demo, tmp_path, (f"update posts set [{column}] = ? where id = ?", (value, POST_ID))
    )
    assert ("row", f"posts {POST_ID}") in found


def test_a_post_pointed_at_another_photo_is_caught(demo, tmp_path):
    other = "0" * 64
    found = tampered(
        demo,
        tmp_path,
        (
            "insert into media (sha256, mime, bytes, blob_path) values (?, 'image/jpeg', 1, ?)",
            (other, f"sha256/00/00/{other}"),
        ),
        ("update post_media set sha256 = ? where post_id = ?", (other, POST_ID)),
    )
    assert ("row", f"posts {POST_ID}") in found


@pytest.mark.parametrize("table,key", [("captures", "id"), ("manifests", "capture_id"),
                                       ("post_versions", "id"), ("embeds", "id"), ("pages", "id")])  # fmt: skip
def test_a_deleted_row_is_caught(demo, tmp_path, table, key):
    conn = sqlite3.connect(demo.settings.db_path)
    row_key = conn.execute(f"select [{key}] from [{table}] order by rowid limit 1").fetchone()[0]
    conn.close()
    found = tampered(
        demo,
        tmp_path,
        ("pragma foreign_keys = off", ()),
        (f"delete from [{table}] where [{key}] = ?", (row_key,)),
    )
    assert ("row", f"{table} {row_key}") in found


def test_a_deleted_post_is_caught(demo, tmp_path):
    found = tampered(
        demo,
        tmp_path,
        ("pragma foreign_keys = off", ()),
        ("delete from post_media where post_id = ?", (POST_ID,)),
        ("delete from posts where id = ?", (POST_ID,)),
    )
    assert ("row", f"posts {POST_ID}") in found


def test_a_changed_page_media_row_is_caught(replay, settings):
    page = (
        "<html><head><title>A page</title>"
        "<meta property='og:image' content='https://news.example/card.jpg'></head>"
        "<body><p>No embeds here.</p></body></html>"
    )
    replay.add("https://news.example/page", page, content_type="text/html")
    replay.add("https://news.example/card.jpg", jpeg_bytes(seed=5), content_type="image/jpeg")
    with Archiver(settings) as archiver:
        assert archiver.archive("https://news.example/page").status == "ok"
    assert verify_archive(settings).ok
    conn = sqlite3.connect(settings.db_path)
    (page_id,) = conn.execute("select page_id from page_media").fetchone()
    conn.execute("update page_media set url = 'https://elsewhere.example/card.jpg'")
    conn.commit()
    conn.close()
    report = verify_archive(settings)
    assert ("row", f"page_media {page_id}") in {(p.kind, p.where) for p in report.problems}


def test_a_post_added_behind_the_log_is_caught(demo, tmp_path):
    found = tampered(
        demo,
        tmp_path,
        (
            "insert into posts (id, platform, post_id, url, text, status, last_capture_id)"
            " select 'x:1', 'x', '1', 'https://x.com/i/status/1', 'forged', 'ok', last_capture_id"
            " from posts where id = ?",
            (POST_ID,),
        ),
    )
    assert ("row", "posts x:1") in found


def warc_path(copy) -> tuple[str, object]:
    conn = sqlite3.connect(copy.settings.db_path)
    (name,) = conn.execute("select warc_file from warc_files").fetchone()
    conn.close()
    return name, copy.settings.db_path.parent / name


def test_records_appended_to_a_warc_file_are_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    name, path = warc_path(copy)
    with open(path, "ab") as f:  # a whole extra record would do the same: the length moved
        f.write(path.read_bytes()[:500])
    report = verify_archive(copy.settings)
    assert ("warc", name) in {(p.kind, p.where) for p in report.problems}
    assert any("records were appended or cut" in p.detail for p in report.problems)


def test_a_warc_file_cut_short_or_its_seal_removed_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    name, path = warc_path(copy)
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    assert ("warc", name) in {(p.kind, p.where) for p in verify_archive(copy.settings).problems}
    path.write_bytes(data)
    assert verify_archive(copy.settings).ok
    found = tampered(demo, tmp_path / "unsealed", ("delete from warc_files", ()))
    assert ("row", f"warc_files {name}") in found


def test_a_replaced_thumbnail_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    sha256, relpath = conn.execute(
        "select sha256, thumbnail_path from media where thumbnail_path is not null"
    ).fetchone()
    conn.close()
    thumbnail = copy.settings.blobs_dir / relpath
    thumbnail.write_bytes(jpeg_bytes(seed=99))  # another picture, as valid a JPEG
    report = verify_archive(copy.settings)
    assert ("blob", f"thumbnail of media {sha256}") in {(p.kind, p.where) for p in report.problems}


def located(demo, tmp_path, *statements: tuple[str, tuple]) -> list[dict]:
    """Apply the statements to a copy; the problems `archiver verify --json` prints."""
    import json

    from click.testing import CliRunner

    from archiver.cli.commands import main

    copy = changed_copy(demo, tmp_path, statements)
    args = ["verify", "--json", "--db", str(copy.settings.db_path),
            "--blobs", str(copy.settings.blobs_dir)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    return json.loads(result.output)["problems"]


def test_json_names_the_table_key_column_and_event(demo, tmp_path):
    conn = sqlite3.connect(demo.settings.db_path)
    state_seq = conn.execute(
        "select max(seq) from events where action = 'post_state' and target = ?",
        [f"post:{POST_ID}"],
    ).fetchone()[0]
    capture_id, capture_seq = conn.execute(
        "select c.id, e.seq from captures c join events e on e.target = 'capture:' || c.id"
        " order by c.started_at limit 1"
    ).fetchone()
    conn.close()
    problems = located(
        demo, tmp_path,
        ("update posts set created_at = '2023-01-01T00:00:00Z' where id = ?", (POST_ID,)),
        ("update captures set operator = 'forged' where id = ?", (capture_id,)),
    )  # fmt: skip
    post = next(p for p in problems if p["table"] == "posts")
    assert (post["key"], post["column"], post["event"]) == (POST_ID, "post.created_at", state_seq)
    capture = next(p for p in problems if p["table"] == "captures")
    assert (capture["key"], capture["column"], capture["event"]) == (
        capture_id,
        "operator",
        capture_seq,
    )


def test_plain_output_names_the_field_in_words(demo, tmp_path):
    from click.testing import CliRunner

    from archiver.cli.commands import main

    copy = demo.copy_to(tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    conn.execute("update posts set url = 'https://x.com/someone/status/1' where id = ?", [POST_ID])
    conn.commit()
    conn.close()
    result = CliRunner().invoke(main, ["verify", "--db", str(copy.settings.db_path),
                                       "--blobs", str(copy.settings.blobs_dir)])  # fmt: skip
    assert f"MISMATCH row: the post {POST_ID}, field post.url: its row" in result.output
    assert result.output.rstrip().endswith("the archive is not as it was captured.")
