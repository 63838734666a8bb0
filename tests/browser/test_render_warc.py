"""archive --screenshot: the PNG and the PDF the browser made are in the capture's WARC as
`resource` records (as Webrecorder's tools write theirs), which verify re-reads and the WACZ
export carries, so a WARC or WACZ reader sees the render too."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from rendered_post import POST_URL, serve_telegram_post
from warcio.archiveiterator import ArchiveIterator

from archiver.cli import main

pytestmark = pytest.mark.browser

POST_ID = "telegram:tchantest/14"
KINDS = {"screenshot": ("urn:fullPage:", "image/png"), "pdf": ("urn:pdf:", "application/pdf")}


def cli(settings, *args: str):
    """`archiver ARGS --db ... --blobs ...` as a user runs it, Chromium from ARCHIVER_CHROMIUM."""
    where = ["--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    env = {"ARCHIVER_CHROMIUM": str(settings.chromium_path)}
    return CliRunner().invoke(main, [*args, *where], env=env, catch_exceptions=False)


def archive_with_screenshot(settings, replay) -> dict:
    serve_telegram_post(replay)
    mapping = f"*={replay.base_url}"
    result = cli(settings, "archive", "--screenshot", "--json", "--connect-to", mapping, POST_URL)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def rendered_files(settings, capture_id: str) -> dict[str, str]:
    """{"screenshot" / "pdf": SHA-256} of the post's media from this capture's render."""
    db = sqlite(settings)
    rows = db.execute(
        "select type, sha256 from post_media where post_id = ? and type in ('screenshot', 'pdf')",
        [POST_ID],
    ).fetchall()
    db.close()
    return dict(rows)


def sqlite(settings):
    import sqlite3

    return sqlite3.connect(settings.db_path)


def warc_records(path: Path) -> list[tuple[int, object, bytes]]:
    """Every record of a WARC file: (its offset, its headers, its payload)."""
    found = []
    with open(path, "rb") as f:
        records = ArchiveIterator(f)
        for record in records:
            payload = record.content_stream().read()
            found.append((records.get_record_offset(), record, payload))
    return found


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_the_render_is_in_the_capture_warc_as_resource_records(replay, shooting, tmp_path):
    summary = archive_with_screenshot(shooting, replay)
    capture_id = summary["capture_id"]
    files = rendered_files(shooting, capture_id)
    db = sqlite(shooting)
    warc_file = db.execute("select warc_file from captures where id = ?", [capture_id]).fetchone()
    rows = db.execute(
        "select target_uri, offset, payload_sha256, content_type from warc_records"
        " where capture_id = ? and record_type = 'resource'",
        [capture_id],
    ).fetchall()
    manifest = json.loads(
        db.execute("select manifest from manifests where capture_id = ?", [capture_id]).fetchone()[
            0
        ]
    )
    db.close()
    path = shooting.db_path.parent / warc_file[0]
    records = warc_records(path)
    by_uri = {r.rec_headers.get_header("WARC-Target-URI"): (o, r, p) for o, r, p in records}
    page_response = next(
        r for _, r, _ in records if r.rec_type == "response" and r.rec_headers.get_header(
            "WARC-Target-URI") == POST_URL
    )  # fmt: skip

    assert set(files) == {"screenshot", "pdf"}
    for kind, (prefix, content_type) in KINDS.items():
        offset, record, payload = by_uri[prefix + POST_URL]
        headers = record.rec_headers
        assert record.rec_type == "resource"
        assert headers.get_header("Content-Type") == content_type
        # The record holds the very file the blob store keeps, with its digests.
        assert hashlib.sha256(payload).hexdigest() == files[kind]
        assert headers.get_header("WARC-Payload-Digest") == sha1_digest(payload)
        assert headers.get_header("WARC-Block-Digest") == sha1_digest(payload)
        # Made in the same capture event as the page's response the browser rendered.
        assert headers.get_header("WARC-Concurrent-To") == page_response.rec_headers.get_header(
            "WARC-Record-ID"
        )
        # A warc_records row of the capture, and in its manifest's list of records.
        assert (prefix + POST_URL, offset, files[kind], content_type) in rows
        listed = [r for r in manifest["warc_records"] if r["uri"] == prefix + POST_URL]
        assert [(r["type"], r["offset"], r["payload_sha256"]) for r in listed] == [
            ("resource", offset, files[kind])
        ]
    png = Image.open(io.BytesIO(by_uri["urn:fullPage:" + POST_URL][2]))
    assert png.format == "PNG" and png.width == 1280
    png.save(tmp_path / "screenshot-from-the-warc.png")
    assert by_uri["urn:pdf:" + POST_URL][2].startswith(b"%PDF-")
    # warcio's own check re-computes every record's digests.
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(" resource\n    digest pass") == 2, check.stdout
    # The untouched archive verifies.
    verified = cli(shooting, "verify", "--json")
    assert verified.exit_code == 0, verified.output


def test_a_changed_screenshot_record_is_reported_with_its_file_and_offset(replay, shooting):
    summary = archive_with_screenshot(shooting, replay)
    db = sqlite(shooting)
    warc_file, offset, length = db.execute(
        "select warc_file, offset, length from warc_records where capture_id = ?"
        " and target_uri = ?",
        [summary["capture_id"], "urn:fullPage:" + POST_URL],
    ).fetchone()
    db.close()
    path = shooting.db_path.parent / warc_file
    assert cli(shooting, "verify").exit_code == 0

    # Another picture in its place: the record rewritten whole, as valid as the first (same
    # record id and headers, its digests recomputed), the rest of the file after it.
    data = path.read_bytes()
    forged = forged_record(data[offset : offset + length])
    path.chmod(0o644)
    path.write_bytes(data[:offset] + forged + data[offset + length :])

    verified = cli(shooting, "verify", "--json")
    assert verified.exit_code == 1, verified.output
    problems = json.loads(verified.output)["problems"]
    at = [p for p in problems if p["offset"] == offset]
    assert at == [
        {
            "kind": "warc", "where": f"warc_records {at[0]['key']} ({warc_file} @ {offset})",
            "detail": at[0]["detail"], "table": "warc_records", "key": at[0]["key"],
            "column": None, "event": None, "file": str(path), "offset": offset,
        }
    ]  # fmt: skip
    # The record the row points to no longer is the one the capture wrote (here the shorter
    # forged record and the start of the next one fill its length) ...
    assert "records at offset" in at[0]["detail"] or "hash to" in at[0]["detail"], at
    # ... the capture's screenshot is in none of its resource records any more, and the
    # file is not what its run sealed.
    shot = rendered_files(shooting, summary["capture_id"])["screenshot"]
    assert f"no WARC resource record of this capture has the screenshot {shot}" in [
        p["detail"] for p in problems
    ]
    assert [p["file"] for p in problems if p["table"] == "warc_files"] == [str(path)]


def forged_record(member: bytes) -> bytes:
    """A valid WARC record (one gzip member) with the same headers, holding another PNG."""
    from warcio.warcwriter import WARCWriter

    record = next(iter(ArchiveIterator(io.BytesIO(member))))
    picture = Image.open(io.BytesIO(record.content_stream().read())).convert("RGB")
    picture.paste((200, 0, 0), (0, 0, 400, 300))
    other = io.BytesIO()
    picture.save(other, format="PNG")
    headers = {
        k: v for k, v in record.rec_headers.headers
        if k not in ("WARC-Block-Digest", "WARC-Payload-Digest", "Content-Length")
    }  # fmt: skip
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    forged = writer.create_warc_record(
        headers["WARC-Target-URI"], "resource", payload=io.BytesIO(other.getvalue()),
        length=len(other.getvalue()), warc_content_type="image/png", warc_headers_dict=headers,
    )  # fmt: skip
    writer.write_record(forged)
    return out.getvalue()


def test_the_wacz_export_carries_and_indexes_the_render(replay, shooting, tmp_path):
    summary = archive_with_screenshot(shooting, replay)
    files = rendered_files(shooting, summary["capture_id"])
    out = tmp_path / "render.wacz"
    exported = cli(shooting, "export", "--wacz", str(out), summary["capture_id"])
    assert exported.exit_code == 0, exported.output
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0 and "the passed WACZ is valid" in check.stdout, check.stdout

    with zipfile.ZipFile(out) as wacz:
        index = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode()
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        warc = wacz.read("archive/archiver-export.warc.gz")
    entries = [
        (ts, json.loads(fields))
        for _, ts, fields in (line.split(" ", 2) for line in index.splitlines())
    ]
    indexed = {e["url"]: e for _, e in entries}
    payloads = {
        r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "resource"
    }
    for kind, (prefix, content_type) in KINDS.items():
        # In the package's WARC byte for byte, and in its CDXJ index, for a reader to find.
        assert hashlib.sha256(payloads[prefix + POST_URL]).hexdigest() == files[kind]
        assert indexed[prefix + POST_URL]["mime"] == content_type
    # The capture's page is the one the browser rendered, the URL its screenshots are named by,
    # at the time its response was recorded.
    assert [(p["id"], p["url"]) for p in pages[1:]] == [(summary["capture_id"], POST_URL)]
    [loaded] = [ts for ts, e in entries if e["url"] == POST_URL and e.get("status") == "200"]
    assert re.sub(r"\D", "", pages[1]["ts"])[:14] == loaded


def test_an_archive_rendered_before_renders_were_in_the_warc_still_verifies(
    replay, shooting, monkeypatch
):
    # The recorder of an earlier archiver: it kept the render as blobs only.
    from archiver.fetch.exchange import Recorder
    from archiver.fetch.warc import WarcRecorder

    monkeypatch.setattr(WarcRecorder, "resource", Recorder.resource)
    summary = archive_with_screenshot(shooting, replay)
    monkeypatch.undo()
    files = rendered_files(shooting, summary["capture_id"])

    verified = cli(shooting, "verify", "--json")
    assert verified.exit_code == 0, verified.output
    notes = json.loads(verified.output)["notes"]
    for kind, sha256 in files.items():
        assert any(f"{kind} {sha256} was rendered before renders were written into the WARC"
                   in note for note in notes), notes  # fmt: skip


def test_a_queue_workers_render_reaches_the_archive_with_its_records(replay, shooting):
    """Scale-out: a worker renders into its bundle; the one writer commits its records."""
    from archiver.pipeline.bundle import decode_bundle, encode_bundle
    from archiver.pipeline.collect import BundleCommitter
    from archiver.pipeline.remote import capture_bundle

    serve_telegram_post(replay)
    bundle = decode_bundle(encode_bundle(capture_bundle(POST_URL, shooting, job_id="job-1")))
    committer = BundleCommitter(shooting)
    try:
        assert committer.refusal(bundle) is None
        assert committer.commit(bundle) == 1
    finally:
        committer.close()
    capture_id = bundle.entries[0].capture.id
    files = rendered_files(shooting, capture_id)
    db = sqlite(shooting)
    made = db.execute(
        "select target_uri, payload_sha256 from warc_records"
        " where capture_id = ? and record_type = 'resource'",
        [capture_id],
    ).fetchall()
    db.close()

    assert sorted(made) == sorted(
        (prefix + POST_URL, files[kind]) for kind, (prefix, _) in KINDS.items()
    )
    verified = cli(shooting, "verify", "--json")
    assert verified.exit_code == 0, verified.output
