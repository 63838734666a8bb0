"""RFC 3161 timestamps from a local fake TSA (a test key; never a real authority): a stamped
capture verifies, an altered token or manifest hash does not, and a TSA that fails or times out
leaves the capture archived and says so."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3

import pytest
from click.testing import CliRunner
from evidence_archive import POST_ID, build_demo_archive
from fake_tsa import FakeTSA

from archiver.cli.commands import main
from archiver.evidence.archived import load_capture
from archiver.evidence.cite import cite, cited_post
from archiver.evidence.verify import verify_archive
from archiver.settings import Settings
from archiver.store.connection import open_db


@pytest.fixture(scope="module")
def tsa():
    with FakeTSA() as server:
        yield server


@pytest.fixture(scope="module")
def stamped(tmp_path_factory, tsa):
    return build_demo_archive(tmp_path_factory.mktemp("stamped"), tsa_urls=(tsa.url,))


def rows(archive, sql: str, params=()) -> list[dict]:
    db = open_db(archive.settings.db_path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def test_each_capture_is_stamped_over_its_manifest(stamped, tsa):
    stamps = rows(stamped, "select * from timestamps order by id")
    manifests = {r["capture_id"]: r for r in rows(stamped, "select * from manifests")}
    assert {s["capture_id"] for s in stamps} == {stamped.post_capture, stamped.page_capture}
    for stamp in stamps:
        assert stamp["status"] == "stamped" and stamp["tsa_url"] == tsa.url
        assert stamp["tsa_name"] == "CN=Fake TSA,O=archiver tests"
        assert stamp["manifest_sha256"] == manifests[stamp["capture_id"]]["manifest_sha256"]
        assert stamp["gen_time"].endswith("Z")
    assert stamped.result.timestamps[0]["status"] == "stamped"


def test_a_stamped_capture_verifies(stamped, tsa, tmp_path):
    report = verify_archive(stamped.settings)
    assert report.ok, report.problems
    assert report.checked["timestamps"] == 2
    # Trusting the test root explicitly: the signature chains to it.
    roots = tmp_path / "roots.pem"
    roots.write_bytes(tsa.authority.root_pem())
    trusted = verify_archive(stamped.settings.with_(tsa_roots=roots))
    assert trusted.ok and not any("tsa-roots" in note for note in trusted.notes)


def test_an_altered_token_does_not_verify(stamped, tmp_path):
    copy = stamped.copy_to(tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    stamp_id, b64 = conn.execute("select id, response_b64 from timestamps limit 1").fetchone()
    token = bytearray(base64.b64decode(b64))
    token[-5] ^= 0x01  # inside the signature
    conn.execute(
        "update timestamps set response_b64 = ? where id = ?",
        [base64.b64encode(bytes(token)).decode(), stamp_id],
    )
    conn.commit()
    conn.close()
    result = CliRunner().invoke(main, ["verify", "--db", str(copy.settings.db_path),
                                       "--blobs", str(copy.settings.blobs_dir)])  # fmt: skip
    assert result.exit_code == 1
    assert f"MISMATCH timestamp: timestamps {stamp_id}" in result.output
    assert "signature does not verify" in result.output


def test_an_altered_manifest_hash_does_not_verify(stamped, tmp_path):
    """Rewriting a capture's record consistently (manifest and its hash) still breaks the stamp."""
    copy = stamped.copy_to(tmp_path)
    conn = sqlite3.connect(copy.settings.db_path)
    text = conn.execute(
        "select manifest from manifests where capture_id = ?", [stamped.post_capture]
    ).fetchone()[0]
    forged = json.loads(text)
    forged["started_at"] = "2024-08-03T09:00:00.000Z"  # "we had it before it was posted"
    forged_text = json.dumps(forged, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    conn.execute(
        "update manifests set manifest = ?, manifest_sha256 = ? where capture_id = ?",
        [forged_text, hashlib.sha256(forged_text.encode()).hexdigest(), stamped.post_capture],
    )
    conn.commit()
    conn.close()
    problems = verify_archive(copy.settings).problems
    stamp_problems = [p for p in problems if p.kind == "timestamp"]
    assert stamp_problems and "not the manifest" in stamp_problems[0].detail
    assert stamped.post_capture in stamp_problems[0].where


def test_a_root_the_user_does_not_trust_fails(stamped, tmp_path):
    other = FakeTSA("Other TSA").authority
    roots = tmp_path / "other.pem"
    roots.write_bytes(other.root_pem())
    report = verify_archive(stamped.settings.with_(tsa_roots=roots))
    assert [p.kind for p in report.problems] == ["timestamp", "timestamp"]


def test_the_archived_copy_and_the_citation_name_the_timestamp(stamped):
    db = open_db(stamped.settings.db_path)
    archived = load_capture(db, stamped.post_capture)
    db.close()
    text = cite(cited_post(archived, POST_ID), "apa").text
    assert "RFC 3161 timestamp by Fake TSA at " in text


@pytest.mark.parametrize("mode", ["error", "slow", "garbage"])
def test_a_failing_tsa_leaves_the_capture_archived_and_says_so(tmp_path, mode):
    with FakeTSA() as broken, FakeTSA() as working:
        broken.mode, broken.delay = mode, 3.0
        archive = build_demo_archive(tmp_path, tsa_urls=(broken.url, working.url), tsa_timeout=0.5)
    assert archive.result.status == "ok" and archive.result.post_ids == [POST_ID]
    failed, ok = archive.result.timestamps
    assert failed["status"] == "failed" and ok["status"] == "stamped"
    expected = {
        "error": "the TSA answered HTTP 500",
        "slow": "timed out after 0.5 s",
        "garbage": "the TSA's reply does not check out",
    }[mode]
    # The slow TSA answers validly after 3 s: only the 0.5 s timeout makes its stamp "failed".
    assert expected in failed["error"]
    report = verify_archive(archive.settings)
    assert report.ok, report.problems
    assert any("not stamped" in note for note in report.notes)


def test_cli_takes_tsa_flags_and_reports_a_failure(replay, settings, tmp_path):
    from recorded import serve_syndication

    serve_syndication(
        replay, "2023357708301455483", "tweet-result_2023357708301455483_text_only.json"
    )
    url = "https://x.com/jarredsumner/status/2023357708301455483"
    env = {"ARCHIVER_CONNECT_TO": f"*={replay.base_url}", "ARCHIVER_DELAY": "0"}
    db = ["--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    with FakeTSA() as down:
        down.mode = "error"
        result = CliRunner().invoke(main, ["archive", url, "--tsa", down.url, *db], env=env)
    assert result.exit_code == 0, result.output
    assert (
        f"timestamp FAILED from {down.url}: the TSA answered HTTP 500 (the capture is archived)"
        in result.output
    )
    bad = CliRunner().invoke(main, ["archive", url, "--tsa", "ftp://tsa.example", *db], env=env)
    assert bad.exit_code == 2 and "--tsa expects an http(s) URL" in bad.output


def test_archiver_tsa_environment_variable():
    settings = Settings.from_env({"ARCHIVER_TSA": "http://tsa.one/ , http://tsa.two/"})
    assert settings.tsa_urls == ("http://tsa.one/", "http://tsa.two/")
    assert Settings.from_env({}).tsa_urls == ()
