"""--wayback and `archiver wayback`: a second copy at the Wayback Machine, and its earlier copies.

Real: the recorded X photo post (tests/fixtures/x, via test_cli's serve_photo_post).
Modelled: the Wayback Machine's answers (tests/wayback_server.py), through the replay
server; nothing here reaches the Internet Archive.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3

import pytest
from test_cli import PHOTO_ID, archive_args, run, serve_photo_post
from wayback_server import (
    JOB_ID,
    KEYS,
    SAVED_AT,
    WAYBACK,
    cdx_rows,
    serve_anonymous_save,
    serve_keyed_save,
)

from archiver.pipeline.archive import Archiver
from archiver.web.replay import ReplayResponse

POST_URL = f"https://x.com/i/status/{PHOTO_ID}"


def archived_post_url(replay, settings) -> str:
    """Archive the photo post once, without --wayback: its canonical URL as the archive has it."""
    serve_photo_post(replay)
    out = json.loads(run(archive_args(settings, "--json", POST_URL)).stdout)
    db = sqlite3.connect(settings.db_path)
    url = db.execute("select url from posts where id = ?", [out["post_ids"][0]]).fetchone()[0]
    db.close()
    return url


def wayback_rows(settings) -> list[dict]:
    db = sqlite3.connect(settings.db_path)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("select * from wayback_copies order by id")]
    db.close()
    return rows


def test_anonymous_save_page_now_records_the_copy_with_the_capture(replay, settings):
    url = archived_post_url(replay, settings)
    serve_anonymous_save(replay, url)

    result = run(archive_args(settings, "--json", "--wayback", POST_URL))

    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "ok"
    expected = f"{WAYBACK}/web/{SAVED_AT}/{url}"
    assert out["wayback"]["status"] == "saved" and out["wayback"]["wayback_url"] == expected
    assert out["wayback"]["archived_at"] == "2026-12-07T13:45:12Z"
    (row,) = wayback_rows(settings)
    assert (row["capture_id"], row["api"], row["job_id"]) == (
        out["capture_id"],
        "anonymous",
        JOB_ID,
    )
    saves = [r for r in replay.requests if r.host == "web.archive.org"]
    assert [r.path for r in saves] == [f"/save/{url}", f"/save/status/{JOB_ID}"]
    assert all("authorization" not in r.headers for r in saves)
    assert run(["verify", "--db", str(settings.db_path)]).exit_code == 0


@pytest.mark.parametrize("answer", ["redirect", "content-location"])
def test_a_copy_named_in_the_answer_is_the_copy(replay, settings, answer):
    url = archived_post_url(replay, settings)
    named = f"/web/{SAVED_AT}/{url}"
    if answer == "redirect":
        replay.redirect(f"{WAYBACK}/save/{url}", named, status=302)
    else:
        replay.add(
            f"{WAYBACK}/save/{url}", "<html>saved</html>", headers={"Content-Location": named}
        )
    out = json.loads(run(archive_args(settings, "--json", "--wayback", POST_URL)).stdout)
    assert out["wayback"]["wayback_url"] == f"{WAYBACK}/web/{SAVED_AT}/{url}"
    assert out["wayback"]["job_id"] is None
    # The copy itself is not fetched: naming it is the answer.
    assert not [r for r in replay.requests if r.path.startswith("/web/")]


def test_keyed_spn2_posts_the_url_polls_the_job_and_keeps_no_key(replay, settings):
    url = archived_post_url(replay, settings)
    serve_keyed_save(replay, url, states=["pending", "pending", "success"])

    with Archiver(settings.with_(wayback=True, wayback_keys=KEYS, wayback_poll=0.01)) as archiver:
        result = archiver.archive(POST_URL)

    assert result.wayback["status"] == "saved", result.wayback
    assert result.wayback["api"] == "spn2"
    saves = [r for r in replay.requests if r.host == "web.archive.org"]
    assert [(r.method, r.path) for r in saves] == [("POST", "/save")] + [
        ("GET", f"/save/status/{JOB_ID}")
    ] * 3
    assert saves[0].form == {"url": url}
    assert all(r.headers["authorization"] == f"LOW {KEYS}" for r in saves)
    warcs = b"".join(p.read_bytes() for p in settings.warcs.glob("*.warc.gz"))
    text = gzip.decompress(warcs).decode("latin-1")
    assert "s3cr3tK3yV4lu3" not in text and "WARC-Archiver-Redacted: Authorization" in text
    assert f"url={url}".replace(":", "%3A").replace("/", "%2F") in text  # the POST's form


def test_the_keys_come_from_the_environment(replay, settings, monkeypatch):
    url = archived_post_url(replay, settings)
    serve_keyed_save(replay, url)
    env = {"ARCHIVER_WAYBACK": "1", "ARCHIVER_WAYBACK_KEYS": KEYS}
    out = json.loads(run(archive_args(settings, "--json", POST_URL), env=env).stdout)
    assert (out["wayback"]["status"], out["wayback"]["api"]) == ("saved", "spn2")
    bad = run(archive_args(settings, POST_URL), env={"ARCHIVER_WAYBACK_KEYS": "no-colon"})
    assert bad.exit_code == 2 and "ARCHIVER_WAYBACK_KEYS expects ACCESS:SECRET" in bad.stderr


def test_wayback_failures_are_recorded_and_never_fail_the_capture(replay, settings):
    url = archived_post_url(replay, settings)
    replay.add(
        f"{WAYBACK}/save/{url}", "Too Many Requests", status=429, headers={"Retry-After": "3600"}
    )
    result = run(archive_args(settings, "--wayback", POST_URL))
    assert result.exit_code == 0
    assert (
        "Wayback Machine submission FAILED: the Wayback Machine is rate limiting (HTTP 429)"
        in result.stdout
    )

    serve_keyed_save(replay, url, states=["error"])
    with Archiver(settings.with_(wayback=True, wayback_keys=KEYS, wayback_poll=0.01)) as archiver:
        spn_error = archiver.archive(POST_URL)
        assert spn_error.status == "ok"
        assert spn_error.wayback["error"] == (
            "Save Page Now: error:not-found - Live page is not available: 404"
        )
    serve_keyed_save(replay, url, states=["pending"])
    slow = settings.with_(wayback=True, wayback_keys=KEYS, wayback_poll=0.01, wayback_wait=0.1)
    with Archiver(slow) as archiver:
        pending = archiver.archive(POST_URL)
    assert "still pending after 0.1 s" in pending.wayback["error"]
    replay.add(f"{WAYBACK}/save", {"status": "error", "status_ext": "error:user-session-limit",
               "message": "You have already reached the limit of active sessions."}, method="POST")  # fmt: skip
    with Archiver(settings.with_(wayback=True, wayback_keys=KEYS)) as archiver:
        refused = archiver.archive(POST_URL)
    assert refused.wayback["error"].startswith("Save Page Now: error:user-session-limit")
    rows = wayback_rows(settings)
    assert [r["status"] for r in rows] == ["failed"] * 4 and all(r["error"] for r in rows)
    assert run(["verify", "--db", str(settings.db_path)]).exit_code == 0


def test_verify_catches_a_tampered_or_removed_wayback_row(replay, settings):
    url = archived_post_url(replay, settings)
    serve_anonymous_save(replay, url)
    run(archive_args(settings, "--wayback", POST_URL))
    db = sqlite3.connect(settings.db_path)
    db.execute("update wayback_copies set wayback_url = 'https://web.archive.org/web/2099/x'")
    db.commit()
    changed = run(["verify", "--db", str(settings.db_path)])
    assert changed.exit_code == 1
    assert (
        "the Wayback Machine copy record 1, field wayback_url" in changed.output
        and "changed since it was written" in changed.output
    )
    db.execute("delete from wayback_copies")
    db.commit()
    db.close()
    removed = run(["verify", "--db", str(settings.db_path)])
    assert removed.exit_code == 1 and "the Wayback Machine copy record 1:" in removed.output
    assert "it is gone" in removed.output


def serve_cdx(replay, url: str, copies: list[tuple[str, str]]) -> None:
    replay.add(f"{WAYBACK}/cdx/search/cdx?url={url}&output=json", cdx_rows(url, copies))


COPIES = [("20230101120000", "200"), ("20240315090000", "200"), ("20240316090000", "302"),
          ("20250101000000", "200")]  # fmt: skip


def test_wayback_lists_a_urls_earlier_copies_from_the_cdx_api(replay, settings):
    url = "https://x.com/someone/status/1234567890123456789"
    serve_cdx(replay, url, COPIES)
    result = run(["wayback", "--db", str(settings.db_path), "--connect-to", f"*={replay.base_url}",
                  "--json", url])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["url"] == url and out["archived"] is None
    assert [(c["captured_at"], c["statuscode"]) for c in out["copies"]] == [
        ("2023-01-01T12:00:00Z", "200"), ("2024-03-15T09:00:00Z", "200"),
        ("2024-03-16T09:00:00Z", "302"), ("2025-01-01T00:00:00Z", "200"),
    ]  # fmt: skip
    assert out["copies"][0]["wayback_url"] == f"{WAYBACK}/web/20230101120000/{url}"
    assert not settings.db_path.exists()  # listing archives nothing

    human = run(["wayback", "--connect-to", f"*={replay.base_url}", url])
    assert human.stdout.startswith(f"4 Wayback Machine copies of {url}\n")
    assert "2024-03-15T09:00:00Z  200  text/html" in human.stdout


def test_wayback_of_an_archived_post_looks_up_its_url(replay, settings):
    url = archived_post_url(replay, settings)
    serve_cdx(replay, url, COPIES[:1])
    out = json.loads(run(["wayback", "--db", str(settings.db_path), "--connect-to",
                          f"*={replay.base_url}", "--json", f"x:{PHOTO_ID}"]).stdout)  # fmt: skip
    assert out["url"] == url and len(out["copies"]) == 1


def test_archive_closest_keeps_the_copys_original_bytes_as_a_page_capture(replay, settings):
    url = "https://x.com/someone/status/1234567890123456789"
    serve_cdx(replay, url, COPIES)
    page = b"<html><head><title>someone on X: the deleted words</title></head><body>the deleted words</body></html>"
    replay.add(f"{WAYBACK}/web/20240315090000id_/{url}", page, content_type="text/html")
    args = ["wayback", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir),
            "--connect-to", f"*={replay.base_url}", "--json", url]  # fmt: skip

    # Closest to 2024-03-16: the copy of the 16th redirected, so the 200 of the 15th.
    out = json.loads(run([*args, "--archive-closest", "--to", "2024-03-16"]).stdout)

    archived = out["archived"]
    assert archived["status"] == "ok" and archived["kind"] == "page"
    assert archived["wayback_timestamp"] == "20240315090000"
    db = sqlite3.connect(settings.db_path)
    capture = db.execute(
        "select kind, source, url, body_sha256 from captures where id = ?", [archived["capture_id"]]
    ).fetchone()
    title = db.execute(
        "select title from pages where capture_id = ?", [archived["capture_id"]]
    ).fetchone()
    db.close()
    assert capture == ("page", "wayback", f"{WAYBACK}/web/20240315090000id_/{url}",
                       hashlib.sha256(page).hexdigest())  # fmt: skip
    assert title == ("someone on X: the deleted words",)
    assert run(["verify", "--db", str(settings.db_path)]).exit_code == 0


def test_wayback_usage_and_failures_are_one_line(replay, settings):
    url = "https://x.com/someone/status/1"
    assert run(["wayback", url, "--to", "2024"]).exit_code == 2
    bad_date = run(["wayback", url, "--archive-closest", "--to", "last week"])
    assert bad_date.exit_code == 2 and "--to expects a date" in bad_date.stderr
    replay.add(f"{WAYBACK}/cdx/search/cdx?url={url}", handler=lambda r, h: ReplayResponse(503))
    down = run(["wayback", "--connect-to", f"*={replay.base_url}", url])
    assert down.exit_code == 1 and down.stderr.count("\n") == 1
    assert "CDX API answered HTTP 503" in down.stderr
    replay.add(f"{WAYBACK}/cdx/search/cdx?url={url}", b"")
    none = run(["wayback", "--connect-to", f"*={replay.base_url}", "--archive-closest", url])
    assert none.exit_code == 1 and "has no copy" in none.stderr


def test_citations_name_the_wayback_copy_as_a_second_copy(replay, settings):
    url = archived_post_url(replay, settings)
    serve_anonymous_save(replay, url)
    run(archive_args(settings, "--wayback", POST_URL))
    copy = f"{WAYBACK}/web/{SAVED_AT}/{url}"

    cited = json.loads(run(["cite", "--db", str(settings.db_path), "--style", "all", "--json",
                            f"x:{PHOTO_ID}"]).stdout)["citations"]  # fmt: skip
    second = f"second copy at the Wayback Machine, saved 2026-12-07T13:45:12Z: {copy}"
    for style in ("apa", "mla", "chicago", "bluebook"):
        assert second in cited[style], style
    assert cited["csl-json"][0]["custom"]["wayback"] == {
        "url": copy, "saved_at": "2026-12-07T13:45:12Z"
    }  # fmt: skip
    assert "Wayback Machine" in cited["bibtex"]
