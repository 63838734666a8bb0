"""Benchmark: `archiver verify` stays proportional to the archive.

Two archives are made the way a user makes them (`archiver archive --input`, every
post an X post with its own photo, from a local replay server): a baseline of
--small posts and one of --large posts. `archiver verify` is then timed on each, as a
user runs it (process start-up included). It prints seconds and milliseconds per post
for both, and the ratio of the per-post times (target: <= 1.2, i.e. verify grows with
the archive, not faster).

    python bench/verify_scale.py                     # 1,000 and 10,000 posts
    python bench/verify_scale.py --small 200 --large 2000
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from archive_throughput import machine, make_photos, post_ids, run_archiver, serve  # noqa: E402


def build(base_url: str, ids: list[str], work: Path, concurrency: int) -> float:
    return run_archiver(base_url, ids, concurrency, work)[0]


def time_verify(work: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "archiver", "verify", "--db", str(work / "archive.db"),
         "--blobs", str(work / "blobs")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"verify failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="posts in the baseline archive")
    parser.add_argument("--large", type=int, default=10000, help="posts in the large archive")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    photos = make_photos()[:1]  # 900 x 675: what is timed is verify, not the archiving
    ready = multiprocessing.Queue()
    # Distinct pictures: copies of one photo are all near duplicates, each file keeping 50
    # of them in media_matches (a case of its own: bench/media_matches.py --copies).
    server = multiprocessing.Process(
        target=serve, args=(args.large, 0.0, photos, ready, 0, True), daemon=True
    )
    server.start()
    base_url = ready.get(timeout=300)
    ids = post_ids(args.large)
    print(machine())
    times = {}
    with tempfile.TemporaryDirectory(prefix="verify-scale-") as tmp:
        for label, count in (("small", args.small), ("large", args.large)):
            work = Path(tmp) / label
            built = build(base_url, ids[:count], work, args.concurrency)
            times[label] = time_verify(work)
            print(f"{count:>7,} posts: archived in {built:6.1f} s; verify {times[label]:6.2f} s,"
                  f" {times[label] / count * 1000:.2f} ms a post")  # fmt: skip
    server.terminate()
    ratio = (times["large"] / args.large) / (times["small"] / args.small)
    print(f"per-post verify time, large / small: {ratio:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
