"""The scale-out as the issue's "done" says: enqueue + two workers + the writer, Redis and an S3
server, 120 posts with their photos on S3; verify passes; `archiver serve` shows them with their
photos (streamed from S3), in Debian's Chromium."""

from __future__ import annotations

import hashlib
import sqlite3
import urllib.request

import pytest
from queue_support import (
    LocalS3,
    RedisServer,
    archiver_process,
    archiver_run,
    enqueue_workers_collect,
    free_port,
    queue_status,
    serve_posts,
    serving,
    wait_for,
)

from archiver.evidence.verify import verify_path
from archiver.settings import Settings
from archiver.web.replay import ReplayServer

pytestmark = pytest.mark.browser
COUNT = 120


@pytest.fixture(scope="module")
def scaled_out(tmp_path_factory):
    """The 120 posts archived through the queue, the archive served by `archiver serve`."""
    root = tmp_path_factory.mktemp("scale-out")
    redis, s3 = RedisServer(root / "redis").start(), LocalS3().start()
    with ReplayServer() as replay:
        urls = serve_posts(replay, COUNT)
        env = {
            "ARCHIVER_QUEUE": redis.url, "ARCHIVER_DB": str(root / "archive.db"),
            "ARCHIVER_BLOBS": f"s3://{s3.bucket}/evidence", "ARCHIVER_CONNECT_TO": f"*={replay.base_url}",
            **s3.env,
        }  # fmt: skip
        (root / "urls.txt").write_text("\n".join(urls) + "\n")
        enqueue_workers_collect(urls, env, root)
    port = free_port()
    server = archiver_process("serve", "--port", str(port), "--read-only", env=env,
                              log=root / "serve.log")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: serving(base), timeout=60)
    yield root, env, s3, base
    server.terminate()
    server.wait(10)
    s3.stop()
    redis.stop()


def test_every_post_is_archived_once_with_its_photo_on_s3(scaled_out, monkeypatch):
    root, env, s3, _ = scaled_out
    db = sqlite3.connect(root / "archive.db")
    counts = db.execute(
        "select count(*), count(distinct post_db_id), (select count(*) from media),"
        " (select count(*) from posts) from captures"
    ).fetchone()
    assert counts == (COUNT, COUNT, COUNT, COUNT)
    photos = [row[0] for row in db.execute("select sha256 from media")]
    db.close()
    assert not (root / "blobs").exists()  # nothing on the writer's disk but the database
    listed = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix="evidence/sha256/")
    assert {item["Key"].rsplit("/", 1)[1] for item in listed["Contents"]} == set(photos)
    status = queue_status(env)
    assert (status["done"], status["failed"], status["by_platform"]["x"]["done"]) == (
        COUNT,
        0,
        COUNT,
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    report = verify_path(Settings.from_env())
    assert report.ok, report.problems
    assert report.checked["blobs"] == COUNT and report.checked["captures"] == COUNT


def test_verify_finds_a_photo_changed_on_s3(scaled_out, monkeypatch):
    root, env, s3, _ = scaled_out
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = s3.client()
    key = client.list_objects_v2(Bucket=s3.bucket, Prefix="evidence/sha256/")["Contents"][0]["Key"]
    original = client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()
    client.put_object(Bucket=s3.bucket, Key=key, Body=original + b"tampered")
    try:
        problems = verify_path(Settings.from_env()).problems
    finally:
        client.put_object(Bucket=s3.bucket, Key=key, Body=original)
    assert [p.kind for p in problems] == ["blob"]
    assert "hash to" in problems[0].detail and key.rsplit("/", 1)[1] in problems[0].where


def test_the_served_post_page_shows_its_photo_from_s3(scaled_out, page):
    root, env, s3, base = scaled_out
    db = sqlite3.connect(root / "archive.db")
    post_id, sha256 = db.execute(
        "select post_id, sha256 from post_media order by post_id desc limit 1"
    ).fetchone()
    db.close()
    page.goto(f"{base}/-/post/{post_id}", wait_until="load")
    photo = page.locator(f'img[src="/-/media/{sha256}"]')
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 64
    page.screenshot(path=str(root / "post-page.png"), full_page=True)
    with urllib.request.urlopen(f"{base}/-/media/{sha256}") as answer:
        assert answer.headers["content-type"] == "image/jpeg"
        assert answer.headers["x-content-type-options"] == "nosniff"
        body = answer.read()
    assert hashlib.sha256(body).hexdigest() == sha256
    ranged = urllib.request.Request(f"{base}/-/media/{sha256}", headers={"Range": "bytes=0-9"})
    with urllib.request.urlopen(ranged) as answer:
        assert answer.status == 206 and answer.read() == body[:10]


def test_export_reads_the_warcs_and_photos_from_s3(scaled_out, tmp_path):
    root, env, s3, _ = scaled_out
    db = sqlite3.connect(root / "archive.db")
    post_id, sha256 = db.execute("select post_id, sha256 from post_media limit 1").fetchone()
    db.close()
    out = archiver_run(
        "export", post_id, "--wacz", str(tmp_path / "post.wacz"), "--html", str(tmp_path / "html"),
        env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "1 capture(s)" in out.stdout and (tmp_path / "post.wacz").stat().st_size > 0
    photos = list((tmp_path / "html" / "media").iterdir())
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in photos] == [sha256]
