"""`archiver archive --blobs s3://BUCKET/PREFIX`, as a user runs it: posts replayed over HTTP, the
files on moto's S3 server (its HTTP server mode), then `verify` and `serve` reading them there."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import time
import urllib.request
import uuid

import pytest
from queue_support import (
    LocalS3,
    archiver_process,
    archiver_run,
    free_port,
    photo,
    serve_posts,
    serving,
    wait_for,
)

from archiver.evidence.verify import verify_path
from archiver.platforms.x_media import original_photo_url
from archiver.settings import Settings
from archiver.web.replay import ReplayResponse, ReplayServer

PREFIX = "evidence"


@pytest.fixture
def s3():
    # moto keeps its buckets in this process from one server to the next: one bucket a test.
    server = LocalS3(bucket=f"archive-{uuid.uuid4().hex[:12]}").start()
    yield server
    server.stop()


def archive_env(root, s3: LocalS3, replay: ReplayServer) -> dict:
    return {
        "ARCHIVER_DB": str(root / "archive.db"), "ARCHIVER_BLOBS": f"s3://{s3.bucket}/{PREFIX}",
        "ARCHIVER_CONNECT_TO": f"*={replay.base_url}", "AWS_MAX_ATTEMPTS": "1", **s3.env,
    }  # fmt: skip


def keys(s3: LocalS3, under: str) -> dict[str, dict]:
    listed = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix=f"{PREFIX}/{under}")
    return {item["Key"][len(PREFIX) + 1 :]: item for item in listed.get("Contents", [])}


def verified(env: dict, monkeypatch) -> object:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return verify_path(Settings.from_env())


def assert_verifies(env: dict, monkeypatch, blobs: int) -> None:
    """`archiver verify` passes, having re-hashed `blobs` objects on S3."""
    report = verified(env, monkeypatch)
    assert report.ok, report.problems
    assert report.checked["blobs"] == blobs


def rows(root, sql: str) -> list[tuple]:
    db = sqlite3.connect(root / "archive.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def by_post(stdout: str) -> dict[str, dict]:
    return {r["url"].rsplit("/", 1)[1]: r for r in map(json.loads, stdout.splitlines())}


def statuses(stdout: str, urls: list[str]) -> list[str]:
    """Each URL's status in `archiver archive --json`'s output, in the order of `urls`."""
    results = by_post(stdout)
    return [results[url.rsplit("/", 1)[1]]["status"] for url in urls]


def test_a_post_archived_to_s3_verifies_and_is_served_from_there(tmp_path, s3, monkeypatch):
    with ReplayServer() as replay:
        [url] = serve_posts(replay, 1)
        env = archive_env(tmp_path, s3, replay)
        done = archiver_run("archive", "--json", url, env=env)
        assert done.returncode == 0, done.stderr
        [sha256] = json.loads(done.stdout)["media_sha256s"]
        assert sha256 == hashlib.sha256(photo(0)).hexdigest()

        blobs, thumbs, warcs = keys(s3, "sha256/"), keys(s3, "thumbs/"), keys(s3, "warcs/")
        assert list(blobs) == [f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"]
        assert list(thumbs) == [f"thumbs/{sha256[:2]}/{sha256}.jpg"]
        [warc] = warcs
        assert rows(tmp_path, "select warc_file from warc_files") == [(warc,)]
        assert rows(tmp_path, "select distinct warc_file from captures") == [(warc,)]
        # Nothing on the archive's disk but the database: no blob store, the WARC file sent.
        assert not (tmp_path / "blobs").exists() and not list((tmp_path / "warcs").iterdir())
        report = verified(env, monkeypatch)
        assert report.ok, report.problems
        assert (report.checked["blobs"], report.checked["thumbnails"]) == (1, 1)

        # Archived again (--refresh): a second capture, and the object already there not sent again.
        time.sleep(1.1)  # S3's Last-Modified is to the second
        again = archiver_run("archive", "--refresh", "--json", url, env=env)
        assert again.returncode == 0, again.stderr
        assert rows(tmp_path, "select count(*) from captures") == [(2,)]
        assert (
            keys(s3, "sha256/")[list(blobs)[0]]["LastModified"]
            == blobs[list(blobs)[0]]["LastModified"]
        )
        assert len(keys(s3, "warcs/")) == 2 and verified(env, monkeypatch).ok

    port = free_port()
    server = archiver_process(
        "serve", "--port", str(port), "--read-only", env=env, log=tmp_path / "serve.log"
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: serving(base), timeout=60)
        with urllib.request.urlopen(f"{base}/-/media/{sha256}", timeout=10) as answer:
            assert answer.headers["content-type"] == "image/jpeg"
            assert answer.read() == photo(0)
    finally:
        server.terminate()
        server.wait(10)

    # export reads the WARC files and the photo from S3 too.
    out = archiver_run(
        "export", "--wacz", str(tmp_path / "out.wacz"), "--html", str(tmp_path / "html"), env=env
    )
    assert out.returncode == 0, out.stderr
    assert "2 capture(s)" in out.stdout and "WARC records" in out.stdout
    exported = [p.read_bytes() for p in (tmp_path / "html").rglob("*") if p.is_file()]
    assert photo(0) in exported

    # A thumbnail changed on S3 is caught, as a blob is.
    thumb = f"{PREFIX}/{list(thumbs)[0]}"
    s3.client().put_object(Bucket=s3.bucket, Key=thumb, Body=photo(5))
    problems = verified(env, monkeypatch).problems
    assert [(p.kind, "changed" in p.detail) for p in problems] == [("blob", True)]


def test_a_photo_that_cannot_go_up_fails_its_post_only_and_a_rerun_resumes(
    tmp_path, s3, monkeypatch
):
    with ReplayServer() as replay:
        urls = serve_posts(replay, 3)
        env = archive_env(tmp_path, s3, replay)
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        # Another object is where the second post's photo goes: it is not overwritten.
        second = hashlib.sha256(photo(1)).hexdigest()
        key = f"{PREFIX}/sha256/{second[:2]}/{second[2:4]}/{second}"
        s3.client().put_object(Bucket=s3.bucket, Key=key, Body=b"not the photo")

        first = archiver_run("archive", "--json", "--input", str(tmp_path / "urls.txt"), env=env)
        assert first.returncode == 1, first.stderr
        results = by_post(first.stdout)
        assert statuses(first.stdout, urls) == ["ok", "error", "ok"], first.stdout
        assert "not overwritten" in results[urls[1].rsplit("/", 1)[1]]["error"]
        assert s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"].read() == b"not the photo"
        # Nothing committed for the post whose photo did not go up.
        posts = {r[0] for r in rows(tmp_path, "select post_db_id from captures")}
        assert posts == {f"x:{urls[0].rsplit('/', 1)[1]}", f"x:{urls[2].rsplit('/', 1)[1]}"}
        assert second not in {r[0] for r in rows(tmp_path, "select sha256 from media")}

        s3.client().delete_object(Bucket=s3.bucket, Key=key)
        rerun = archiver_run("archive", "--json", "--input", str(tmp_path / "urls.txt"), env=env)
        assert rerun.returncode == 0, rerun.stderr
        assert statuses(rerun.stdout, urls) == ["skipped", "ok", "skipped"]
    assert_verifies(env, monkeypatch, blobs=3)


def test_s3_gone_mid_list_leaves_the_archive_whole_and_a_rerun_resumes(tmp_path, s3, monkeypatch):
    with ReplayServer() as replay:
        urls = serve_posts(replay, 3)
        env = archive_env(tmp_path, s3, replay)
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        media = original_photo_url("https://pbs.twimg.com/media/Queue1.jpg")

        stopped = []

        def stop_s3_then_answer(request, http):
            if not stopped:  # the S3 server goes away while the second post is being archived
                stopped.append(s3.stop())
            return ReplayResponse(200, {"Content-Type": "image/jpeg"}, photo(1))

        replay.add(media, handler=stop_s3_then_answer)
        args = ("archive", "--json", "--concurrency", "1", "--input", str(tmp_path / "urls.txt"))
        first = archiver_run(*args, env=env)
        assert first.returncode == 1
        results = by_post(first.stdout)
        assert statuses(first.stdout, urls) == ["ok", "error", "error"], first.stdout
        assert "could not" in results[urls[1].rsplit("/", 1)[1]]["error"]
        # The sealed WARC file could not go up: it stays beside the database, and it is said.
        assert "the next run sends it" in first.stderr
        assert "done 1, failed 2, skipped 0" in first.stderr and "Traceback" not in first.stderr
        [kept] = (tmp_path / "warcs").iterdir()
        assert rows(tmp_path, "select post_db_id from captures") == [
            (f"x:{urls[0].rsplit('/', 1)[1]}",)
        ]
        assert len(rows(tmp_path, "select sha256 from media")) == 1

        s3.start(keep=True)  # the same server, with what it held
        rerun = archiver_run(*args, env=env)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert statuses(rerun.stdout, urls) == ["skipped", "ok", "ok"]
    assert f"warcs/{kept.name}" in keys(s3, "warcs/")
    assert not list((tmp_path / "warcs").iterdir())
    assert_verifies(env, monkeypatch, blobs=3)


def test_one_photo_in_two_posts_archived_at_once_goes_up_once(tmp_path, s3, monkeypatch):
    with ReplayServer() as replay:
        urls = serve_posts(replay, 2)
        same = original_photo_url("https://pbs.twimg.com/media/Queue1.jpg")
        replay.add(same, photo(0), content_type="image/jpeg")  # the first post's photo
        env = archive_env(tmp_path, s3, replay)
        done = archiver_run("archive", "--json", "--concurrency", "2", *urls, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    sha256 = hashlib.sha256(photo(0)).hexdigest()
    assert [r["media_sha256s"] for r in by_post(done.stdout).values()] == [[sha256], [sha256]]
    assert len(keys(s3, "sha256/")) == 1 and len(keys(s3, "thumbs/")) == 1
    report = verified(env, monkeypatch)
    assert report.ok, report.problems


def test_a_warc_directory_elsewhere_is_refused_before_anything_runs(tmp_path, s3):
    env = {
        "ARCHIVER_DB": str(tmp_path / "archive.db"), "ARCHIVER_BLOBS": f"s3://{s3.bucket}/{PREFIX}",
        "ARCHIVER_WARCS": str(tmp_path / "elsewhere"), **s3.env,
    }  # fmt: skip
    refused = archiver_run("archive", "https://x.com/u/status/1900000000000000000", env=env)
    assert refused.returncode == 2
    assert "ARCHIVER_WARCS" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "elsewhere").exists() and not keys(s3, "")


def test_a_killed_run_is_resumed_and_its_warc_file_sent_by_the_next(tmp_path, s3, monkeypatch):
    with ReplayServer() as replay:
        urls = serve_posts(replay, 6, latency=0.3)
        env = archive_env(tmp_path, s3, replay)
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        args = ("archive", "-q", "--concurrency", "1", "--input", str(tmp_path / "urls.txt"))
        run = archiver_process(*args, env=env, log=tmp_path / "killed.log")
        try:
            wait_for(lambda: (tmp_path / "archive.db").exists() and _captures(tmp_path) >= 2)
        finally:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(10)
        [left] = (tmp_path / "warcs").iterdir()  # unsealed, not sent
        assert f"warcs/{left.name}" not in keys(s3, "warcs/")
        before = _captures(tmp_path)

        rerun = archiver_run("archive", "--json", "--input", str(tmp_path / "urls.txt"), env=env)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        done = statuses(rerun.stdout, urls)
        assert (done.count("skipped"), done.count("ok")) == (before, 6 - before)
    assert f"warcs/{left.name}" in keys(s3, "warcs/")
    assert_verifies(env, monkeypatch, blobs=6)


def _captures(root) -> int:
    try:
        return rows(root, "select count(*) from captures")[0][0]
    except sqlite3.OperationalError:  # not made yet
        return 0


def test_a_bucket_that_refuses_the_upload_fails_the_post_with_its_reason(tmp_path, s3):
    with ReplayServer() as replay:
        [url] = serve_posts(replay, 1)
        env = dict(archive_env(tmp_path, s3, replay), ARCHIVER_BLOBS="s3://no-such-bucket/x")
        refused = archiver_run("archive", "--json", url, env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    [result] = by_post(refused.stdout).values()
    assert result["status"] == "error" and "NoSuchBucket" in result["error"]
    assert "could not write sha256/" in result["error"]
    assert rows(tmp_path, "select count(*) from captures") == [(0,)]
