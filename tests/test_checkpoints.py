"""`archiver seal` and the checkpoints verify holds the chain to: a rewrite of the whole event
chain, consistent in itself, passes the chain check but not a checkpoint sealed before it."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from evidence_archive import POST_ID, build_demo_archive
from fake_tsa import FakeTSA

from archiver.cli.commands import main
from archiver.evidence.verify import verify_archive
from archiver.store.eventlog import GENESIS, event_hash, payload_hash


@pytest.fixture(scope="module")
def tsa():
    with FakeTSA() as server:
        yield server


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_archive(tmp_path_factory.mktemp("seal-demo"))


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def db_args(archive) -> list[str]:
    return ["--db", str(archive.settings.db_path)]


def verify(archive, *extra: str):
    return run("verify", *db_args(archive), "--blobs", str(archive.settings.blobs_dir), *extra)


def sealed_copy(demo, tmp_path, *tsa_args: str) -> tuple:
    copy = demo.copy_to(tmp_path)
    result = run("seal", "--json", *db_args(copy), *tsa_args)
    assert result.exit_code == 0, result.output
    return copy, json.loads(result.output)


def rewrite_post_text_and_chain(archive, text: str) -> None:
    """What someone with the file could do: change the post and its latest version, then
    recompute every event hash from there, so the chain is consistent in itself."""
    conn = sqlite3.connect(archive.settings.db_path)
    conn.row_factory = sqlite3.Row
    conn.execute("update posts set text = ? where id = ?", [text, POST_ID])
    conn.execute("update post_versions set text = ? where post_id = ?", [text, POST_ID])
    version = dict(
        conn.execute("select * from post_versions where post_id = ?", [POST_ID]).fetchone()
    )
    version_id = version.pop("id")
    state = {
        "post": dict(conn.execute("select * from posts where id = ?", [POST_ID]).fetchone()),
        "media": [dict(r) for r in conn.execute(
            "select * from post_media where post_id = ? order by position", [POST_ID])],
    }  # fmt: skip
    conn.execute("update events set payload_sha256 = ? where target = ?",
                 [payload_hash(version), f"post_version:{version_id}"])  # fmt: skip
    conn.execute("update events set payload_sha256 = ? where action = 'post_state' and target = ?",
                 [payload_hash(state), f"post:{POST_ID}"])  # fmt: skip
    prev = GENESIS
    for row in conn.execute("select * from events order by seq").fetchall():
        digest = event_hash(row["seq"], row["at"], row["actor"], row["action"], row["target"],
                            row["payload_sha256"], prev)  # fmt: skip
        conn.execute("update events set prev_hash = ?, hash = ? where seq = ?",
                     [prev, digest, row["seq"]])  # fmt: skip
        prev = digest
    conn.commit()
    conn.close()


def test_a_consistent_rewrite_of_the_whole_chain_passes_without_a_checkpoint(demo, tmp_path):
    # The gap checkpoints close: nothing inside the database knows what the head was.
    copy = demo.copy_to(tmp_path)
    rewrite_post_text_and_chain(copy, "A different claim altogether")
    assert verify_archive(copy.settings).ok


def test_seal_prints_the_head_and_keeps_it_in_the_archive_and_beside_it(demo, tmp_path):
    copy = demo.copy_to(tmp_path)
    result = run("seal", *db_args(copy))
    assert result.exit_code == 0, result.output
    assert "sealed the event chain at event " in result.output
    assert "not stamped: no TSA configured" in result.output
    seq, head = result.output.split("--expect-head ")[1].split()[0].split(":")
    line = json.loads((tmp_path / "archive.checkpoints.jsonl").read_text().splitlines()[-1])
    assert (line["seq"], line["head"]) == (int(seq), head)
    code = verify(copy, "--expect-head", f"{seq}:{head}")
    assert code.exit_code == 0, code.output
    assert "1 checkpoints" in code.output


def test_a_rewrite_before_a_checkpoint_is_caught(demo, tmp_path):
    copy, checkpoint = sealed_copy(demo, tmp_path)
    rewrite_post_text_and_chain(copy, "A different claim altogether")
    result = verify(copy)
    assert result.exit_code == 1
    assert (
        f"MISMATCH checkpoint: checkpoint at event {checkpoint['seq']}" in result.output
        and "the chain was rewritten at or before this checkpoint" in result.output
    ), result.output


def test_a_head_kept_elsewhere_catches_a_rewrite_that_also_rewrote_the_checkpoints(demo, tmp_path):
    copy, checkpoint = sealed_copy(demo, tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    conn.execute("delete from checkpoints")
    conn.execute("delete from events where action = 'checkpoint'")
    conn.commit()
    conn.close()
    (tmp_path / "archive.checkpoints.jsonl").unlink()
    rewrite_post_text_and_chain(copy, "A different claim altogether")
    assert verify(copy).exit_code == 0  # every trace inside the archive rewritten
    result = verify(copy, "--expect-head", f"{checkpoint['seq']}:{checkpoint['head']}")
    assert result.exit_code == 1
    assert f"MISMATCH checkpoint: expected head at event {checkpoint['seq']}" in result.output


def test_a_stamped_checkpoint_cannot_be_moved_to_a_rewritten_head(demo, tmp_path, tsa):
    copy, checkpoint = sealed_copy(demo, tmp_path, "--tsa", tsa.url)
    assert checkpoint["stamps"][0]["status"] == "stamped"
    roots = tmp_path / "roots.pem"
    roots.write_bytes(tsa.authority.root_pem())
    assert verify(copy, "--tsa-roots", str(roots)).exit_code == 0
    rewrite_post_text_and_chain(copy, "A different claim altogether")
    # The forger moves the checkpoint to the new head, in the table, its event and the file.
    conn = sqlite3.connect(copy.settings.db_path)
    new_head = conn.execute(
        "select hash from events where seq = ?", [checkpoint["seq"]]
    ).fetchone()[0]
    conn.execute("update checkpoints set head = ?", [new_head])
    conn.commit()
    conn.close()
    path = tmp_path / "archive.checkpoints.jsonl"
    path.write_text(path.read_text().replace(checkpoint["head"], new_head))
    result = verify(copy, "--tsa-roots", str(roots))
    assert result.exit_code == 1
    # The TSA signed the old head: its token does not cover the new one.
    assert f"MISMATCH checkpoint: checkpoint at event {checkpoint['seq']}" in result.output
    assert "not the manifest" in result.output or "does not verify" in result.output


def test_a_checkpoint_removed_from_the_archive_but_kept_in_the_file_is_caught(demo, tmp_path):
    copy, checkpoint = sealed_copy(demo, tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    conn.execute("delete from checkpoints")
    conn.commit()
    conn.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert "in the checkpoint file but missing from the database" in result.output


def test_expect_head_must_be_seq_colon_hash(demo):
    result = verify(demo, "--expect-head", "12:nothex")
    assert result.exit_code == 2 and "expected SEQ:HASH" in result.output


def test_seal_on_an_empty_archive_says_there_is_nothing_to_seal(tmp_path):
    from archiver.store.connection import open_db

    open_db(tmp_path / "archive.db").close()
    result = run("seal", "--db", str(tmp_path / "archive.db"))
    assert result.exit_code == 2 and "nothing to seal" in result.output


def test_with_a_tsa_every_archiving_run_and_annotation_batch_is_sealed(tmp_path, tsa):
    from archiver.web.demo import DEMO_ARTICLE_URL, demo_replay

    db = ["--db", str(tmp_path / "archive.db")]
    with demo_replay() as replay:
        archived = run("archive", *db, "--connect-to", f"*={replay.base_url}", "--delay", "0",
                       "--tsa", tsa.url, DEMO_ARTICLE_URL)  # fmt: skip
    assert archived.exit_code == 0, archived.output
    assert "sealed the event chain at event " in archived.output
    assert f"stamped by {tsa.url}" in archived.output
    annotated = CliRunner(env={"ARCHIVER_TSA": tsa.url}).invoke(
        main, ["annotate", *db, POST_ID, "--note", "Flag matches", "--author", "analyst"]
    )
    assert annotated.exit_code == 0, annotated.output
    lines = (tmp_path / "archive.checkpoints.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x)["stamps"][0]["status"] == "stamped" for x in lines)
    roots = tmp_path / "roots.pem"
    roots.write_bytes(tsa.authority.root_pem())
    checked = run("verify", *db, "--blobs", str(tmp_path / "blobs"), "--tsa-roots", str(roots))
    assert checked.exit_code == 0, checked.output
    assert "2 checkpoints" in checked.output
