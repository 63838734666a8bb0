"""OpenTimestamps anchors of checkpoints (`archiver seal --ots`), against a local fake calendar:
pending when sealed, attested in a Bitcoin block after `seal --upgrade`, checked by verify."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from click.testing import CliRunner
from evidence_archive import build_demo_archive
from fake_ots_calendar import FakeCalendar

from archiver.cli.commands import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_archive(tmp_path_factory.mktemp("ots-demo"))


def run(archive, *args: str):
    return CliRunner().invoke(main, [*args, "--db", str(archive.settings.db_path)])


def verify(archive):
    result = run(archive, "verify", "--blobs", str(archive.settings.blobs_dir))
    return result.exit_code, result.output


def anchors(archive) -> list[dict]:
    conn = sqlite3.connect(archive.settings.db_path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("select * from anchors order by id")]
    conn.close()
    return rows


def test_a_checkpoint_is_anchored_pending_then_attested(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    with FakeCalendar() as calendar:
        sealed = run(copy, "seal", "--ots", calendar.url)
        assert sealed.exit_code == 0, sealed.output
        assert f"OpenTimestamps proof from {calendar.url}: pending" in sealed.output
        [pending] = anchors(copy)
        assert pending["status"] == "pending" and pending["proof_b64"]
        code, output = verify(copy)
        assert code == 0, output
        assert "pending: the calendar has not yet put it in Bitcoin" in output
        # Still pending at the calendar: nothing new is kept.
        assert "still pending" in run(copy, "seal", "--upgrade", "--ots", calendar.url).output
        assert len(anchors(copy)) == 1
        calendar.confirm(871_234)
        upgraded = run(copy, "seal", "--upgrade", "--ots", calendar.url)
        assert upgraded.exit_code == 0, upgraded.output
        assert "in Bitcoin block 871234" in upgraded.output
    rows = anchors(copy)
    assert [r["status"] for r in rows] == ["pending", "attested"]  # added, never rewritten
    assert rows[1]["bitcoin_height"] == 871_234
    code, output = verify(copy)
    assert code == 0, output
    assert "attested in Bitcoin block 871234" in output and "not checked offline" in output
    # The attested proof is the pending one completed: it still starts from the checkpoint.
    assert base64.b64decode(rows[1]["proof_b64"]).startswith(
        base64.b64decode(rows[0]["proof_b64"])[:40]
    )


def test_a_calendar_that_fails_leaves_the_checkpoint_made(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    with FakeCalendar() as calendar:
        calendar.mode = "error"
        sealed = run(copy, "seal", "--ots", calendar.url, "--json")
    assert sealed.exit_code == 0, sealed.output
    [anchor] = json.loads(sealed.output)["anchors"]
    assert anchor["status"] == "failed" and "500" in anchor["error"]
    assert verify(copy)[0] == 0


def test_a_proof_swapped_for_another_checkpoints_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    with FakeCalendar() as calendar:
        assert run(copy, "seal", "--ots", calendar.url).exit_code == 0
        assert run(copy, "seal", "--ots", calendar.url).exit_code == 0
    first, second = anchors(copy)
    conn = sqlite3.connect(copy.settings.db_path)
    # Both checks see it: the row no longer matches its event, and the proof another statement.
    conn.execute(
        "update anchors set proof_b64 = ? where id = ?", [second["proof_b64"], first["id"]]
    )
    conn.commit()
    conn.close()
    code, output = verify(copy)
    assert code == 1
    assert "the proof is for another statement than its checkpoint's" in output
    assert f"the OpenTimestamps proof {first['id']}, field proof_b64" in output  # the row check


def test_a_deleted_anchor_is_caught(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    with FakeCalendar() as calendar:
        assert run(copy, "seal", "--ots", calendar.url).exit_code == 0
    conn = sqlite3.connect(copy.settings.db_path)
    conn.execute("delete from anchors")
    conn.commit()
    conn.close()
    code, output = verify(copy)
    assert code == 1 and "an event logged this row being written; it is gone" in output
