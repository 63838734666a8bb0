"""Scale-out on one machine: enqueue, real worker and writer processes, redis-server, the replay server."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest
from queue_support import (
    RedisServer,
    archiver_process,
    archiver_run,
    queue_status,
    serve_posts,
    wait_for,
)

from archiver.evidence.verify import verify_path
from archiver.settings import Settings


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


def start_run(tmp_path: Path, replay, run_env: dict, count: int, latency: float) -> list[str]:
    urls = serve_posts(replay, count, latency=latency)
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    queued = archiver_run("enqueue", "--input", str(listing), env=run_env)
    assert f"queued {count}," in queued.stdout, queued.stdout + queued.stderr
    return urls


def assert_whole(tmp_path: Path, run_env: dict, count: int) -> None:
    """Every post once, every photo once, the archive verifies, the queue says all done."""
    assert archived(tmp_path / "archive.db") == {
        "captures": count, "posts": count, "distinct": count, "media": count
    }  # fmt: skip
    status = queue_status(run_env)
    assert (status["done"], status["failed"], status["queued"]) == (count, 0, 0), status
    settings = Settings.from_env(run_env)
    report = verify_path(settings)
    assert not report.problems, report.problems


def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(tmp_path, replay, run_env):
    start_run(tmp_path, replay, run_env, 12, latency=0.3)
    collect = archiver_process("collect", "--burst", env=run_env, log=tmp_path / "collect.log")
    doomed = archiver_process(
        "worker", "--concurrency", "2", "--heartbeat", "1", env=run_env, log=tmp_path / "a.log"
    )
    # Killed while it holds jobs, some of them done: its running jobs must come back.
    wait_for(lambda: queue_status(run_env)["done"] >= 2 and queue_status(run_env)["running"] >= 1)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    survivor = archiver_process(
        "worker", "--concurrency", "2", "--heartbeat", "1", "--burst", env=run_env,
        log=tmp_path / "b.log",
    )  # fmt: skip
    assert collect.wait(180) == 0, (tmp_path / "collect.log").read_text()
    survivor.wait(60)
    assert_whole(tmp_path, run_env, 12)


def test_the_writer_killed_mid_run_leaves_its_bundles_waiting(tmp_path, replay, run_env):
    start_run(tmp_path, replay, run_env, 16, latency=0.1)
    worker = archiver_process(
        "worker", "--concurrency", "2", "--burst", env=run_env, log=tmp_path / "w.log"
    )
    writer = archiver_process("collect", env=run_env, log=tmp_path / "c1.log")
    wait_for(lambda: queue_status(run_env)["done"] >= 3)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    assert worker.wait(180) == 0
    waiting = queue_status(run_env)
    assert waiting["committing"] >= 1 and waiting["done"] < 16, waiting
    restarted = archiver_run("collect", "--burst", env=run_env, timeout=180)
    assert restarted.returncode == 0, restarted.stderr
    assert_whole(tmp_path, run_env, 16)


def test_queued_jobs_survive_a_redis_restart(tmp_path, replay, run_env, redis_server):
    start_run(tmp_path, replay, run_env, 4, latency=0)
    redis_server.stop()  # a clean shutdown; the AOF has every write already (appendfsync always)
    redis_server.start()
    assert queue_status(run_env)["queued"] == 4
    worker = archiver_process("worker", "--burst", "--concurrency", "1", env=run_env,
                              log=tmp_path / "w.log")  # fmt: skip
    assert archiver_run("collect", "--burst", env=run_env, timeout=180).returncode == 0
    worker.wait(60)
    assert_whole(tmp_path, run_env, 4)


def test_a_bundle_whose_file_differs_is_refused_and_its_job_failed(tmp_path, replay, run_env):
    start_run(tmp_path, replay, run_env, 2, latency=0)
    worker = archiver_process("worker", "--burst", "--concurrency", "1", env=run_env,
                              log=tmp_path / "w.log")  # fmt: skip
    assert worker.wait(120) == 0
    photo = sorted((tmp_path / "blobs" / "sha256").rglob("*"))
    photo = next(p for p in photo if p.is_file() and p.stat().st_size > 1000)
    photo.write_bytes(photo.read_bytes()[:-10])  # cut after the worker hashed it
    collect = archiver_run("collect", "--burst", env=run_env)
    assert collect.returncode == 0, collect.stderr
    assert "refused" in collect.stderr and photo.name in collect.stderr
    status = queue_status(run_env)
    assert (status["done"], status["failed"]) == (1, 1), status
    assert status["by_platform"]["x"]["failed"] == 1
    assert "hashes to" in status["refused"][0]["reason"]
    shown = archiver_run("queue", "status", env=run_env)
    assert "refused" in shown.stdout and photo.name in shown.stdout
    assert archived(tmp_path / "archive.db")["captures"] == 1


def test_enqueue_refuses_local_files(tmp_path, redis_server):
    from click.testing import CliRunner

    from archiver.cli import main

    runner = CliRunner()
    article = tmp_path / "article.html"
    article.write_text("<p>hello</p>")
    queued = runner.invoke(
        main,
        [
            "enqueue",
            str(article),
            "https://x.com/a/status/1",
            "--queue",
            redis_server.url,
            "--db",
            str(tmp_path / "a.db"),
        ],  # fmt: skip
    )
    assert queued.exit_code == 1
    assert "local file" in queued.output and "queued 1," in queued.output
