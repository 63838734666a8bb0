"""Scale-out on one machine: enqueue, real worker and writer processes, redis-server, the replay server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.queue_support import (
    RedisServer,
    archiver_process,
    archiver_run,
    queue_status,
    serve_posts,
)


@pytest.fixture
def redis_server(tmp_path: Path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def run_env(tmp_path: Path, replay, redis_server) -> dict:
    """What every process of the run is told: the queue, the archive, the shared blobs, the replay."""
    return {
        "ARCHIVER_QUEUE": redis_server.url,
        "ARCHIVER_DB": str(tmp_path / "archive.db"),
        "ARCHIVER_BLOBS": str(tmp_path / "blobs"),
        "ARCHIVER_CONNECT_TO": f"*={replay.base_url}",
    }


def archived(db_path: Path) -> dict:
    db = sqlite3.connect(db_path)
    try:
        return {
            "captures": db.execute("select count(*) from captures").fetchone()[0],
            "posts": db.execute("select count(*) from posts").fetchone()[0],
            "distinct": db.execute("select count(distinct post_db_id) from captures").fetchone()[0],
            "media": db.execute("select count(*) from media").fetchone()[0],
        }
    finally:
        db.close()


def test_two_workers_and_the_writer_archive_a_list(tmp_path, replay, run_env):
    urls = serve_posts(replay, 12)
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    queued = archiver_run("enqueue", "--input", str(listing), env=run_env)
    assert queued.returncode == 0, queued.stderr
    assert "queued 12" in queued.stdout
    workers = [
        archiver_process(
            "worker", "--concurrency", "2", "--burst", env=run_env, log=tmp_path / f"worker{i}.log"
        )  # fmt: skip
        for i in range(2)
    ]
    collect = archiver_run("collect", "--burst", env=run_env, timeout=180)
    for w in workers:
        w.wait(60)
    assert collect.returncode == 0, collect.stderr
    assert "committed 12 bundle(s)" in collect.stderr, collect.stderr
    assert archived(tmp_path / "archive.db") == {
        "captures": 12,
        "posts": 12,
        "distinct": 12,
        "media": 12,
    }
    status = queue_status(run_env)
    assert status["done"] == 12 and status["queued"] == 0 and status["failed"] == 0
    assert status["by_platform"]["x"]["done"] == 12
    verify = archiver_run("verify", env=run_env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    again = archiver_run("enqueue", *urls[:3], env=run_env)
    assert "queued 0, skipped 3" in again.stdout
