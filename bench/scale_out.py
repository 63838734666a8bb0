"""Benchmark: the scale-out's throughput with 1, 2 and 4 workers, and the one writer's own limit.

A replay server process answers X post URLs (each post's syndication JSON, then its
0.5 MB photo), every answer held back 50 ms as a distant server would; a real
redis-server (AOF on) carries the jobs and the bundles, and the blobs go to a shared
directory. For each N, N `archiver worker --concurrency 4` commands are started and
left waiting; the URLs are enqueued, and the clock runs until every job's bundle is
on the stream (the workers' throughput). Then `archiver collect --burst` commits
the backlog alone: the writer's bundles per second, with no worker competing.

It prints URLs/s for each N, the ratio to N x one worker's (target >= 0.8 up to the
writer's limit), the writer's bundles/s, each worker process's peak memory, and the
CPU the workers spent a URL: on one machine, N workers can only go as fast as its
cores allow (cores / CPU a URL), whatever N is.

    python bench/scale_out.py                  # 200 posts, 1, 2 and 4 workers
    python bench/scale_out.py --count 400 --workers 1 2 4 8
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
from archive_throughput import SMALL, make_photos, post_ids, start_server  # noqa: E402
from queue_support import RedisServer  # noqa: E402

from archiver.queue.connection import BUNDLES, connect  # noqa: E402
from archiver.queue.jobs import enqueue_targets  # noqa: E402
from archiver.settings import Settings  # noqa: E402


def worker_pids(pid: int) -> list[int]:
    """The RQ worker processes a `worker` command started (its children)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else None


def run(n: int, args, base_url: str, redis: RedisServer, work: Path) -> dict:
    """N workers' URLs/s (enqueue to last bundle sent), then the writer's bundles/s alone."""
    work.mkdir(parents=True)
    env = {
        **os.environ, "ARCHIVER_QUEUE": redis.url, "ARCHIVER_DB": str(work / "archive.db"),
        "ARCHIVER_BLOBS": str(work / "blobs"), "ARCHIVER_CONNECT_TO": f"*={base_url}",
    }  # fmt: skip
    conn = connect(redis.url)
    conn.flushall()
    command = [sys.executable, "-m", "archiver", "worker", "--concurrency", str(args.concurrency)]
    cpu_before = children_cpu()
    workers = [
        subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(n)
    ]
    deadline = time.monotonic() + 120
    while len(conn.keys("rq:worker:*")) < n * args.concurrency:  # all registered, waiting
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start")
        time.sleep(0.2)
    urls = [f"https://x.com/bench/status/{i}" for i in post_ids(args.count)]
    settings = Settings.from_env(env)
    started = time.perf_counter()
    enqueue_targets(settings, urls)
    while conn.xlen(BUNDLES) < args.count:
        time.sleep(0.05)
    took = time.perf_counter() - started
    peaks = [peak_rss_mb(p) for w in workers for p in worker_pids(w.pid)]
    for worker in workers:
        os.kill(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(60)
    cpu = children_cpu() - cpu_before  # the workers' processes and their horses, start-up included
    collect = subprocess.run(
        [sys.executable, "-m", "archiver", "collect", "--burst", "--quiet"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    rate = re.search(r"at ([\d.]+)/s", collect.stderr)
    return {
        "rate": args.count / took, "seconds": took,
        "writer": float(rate.group(1)) if rate else None,
        "peak_mb": max((p for p in peaks if p), default=None), "cpu_per_url": cpu / args.count,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="post URLs (default 200)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=4, help="per worker (default 4)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    args = parser.parse_args()
    server, base_url = start_server(args, make_photos(sizes=SMALL))
    with tempfile.TemporaryDirectory(prefix="bench-scale-out-") as tmp:
        redis = RedisServer(Path(tmp) / "redis").start()
        try:
            results = {n: run(n, args, base_url, redis, Path(tmp) / f"n{n}") for n in args.workers}
        finally:
            redis.stop()
            server.terminate()
    one = results[args.workers[0]]["rate"] / args.workers[0]
    print(f"{args.count} posts, {args.latency * 1000:.0f} ms a response, workers at"
          f" --concurrency {args.concurrency}; {os.cpu_count()} CPU cores")  # fmt: skip
    for n, r in results.items():
        print(
            f"  {n} worker(s): {r['rate']:6.1f} URLs/s ({r['seconds']:.1f} s),"
            f" {r['rate'] / (n * one):.2f}x {n} x one worker's; writer alone"
            f" {r['writer'] or 0:.1f} bundles/s; peak RSS per worker process"
            f" {r['peak_mb'] or 0:.0f} MB; {r['cpu_per_url'] * 1000:.0f} ms of CPU a URL"
            f" (on {os.cpu_count()} cores at most {os.cpu_count() / r['cpu_per_url']:.1f} URLs/s)"
        )


if __name__ == "__main__":
    main()
