"""Benchmark: `archiver archive --input` against a plain httpx script fetching the same URLs.

A local replay server (in its own process) answers X post URLs: each post's
syndication JSON, then its photo (200 kB to 5 MB JPEGs, or all 0.5 MB with
`--photos small`), every response held back by an injected latency (50 ms by
default), as a distant server would.

- baseline: a plain httpx script with the same concurrency: GET the JSON,
  parse it, GET the photo and stream it to a file;
- baseline + media analysis: the same script, which also hashes each photo and
  analyses it as the archiver does (pHash, dHash, PDQ, EXIF, thumbnail) in its
  threads: a bound on what any capture that hashes its media can reach;
- archiver: `archiver archive --input urls.txt --concurrency N` as a user runs
  it (process start-up included), at the default settings (adaptive politeness)
  and with `--delay 0` (none), which also writes every exchange to a WARC, hashes
  and analyses each photo (pHash, dHash, PDQ, EXIF, thumbnail) and commits each
  post to SQLite;
- rate-limited: the default settings against a second replay server whose API
  host (the syndication JSON) answers 429 with `Retry-After: 1` to a request past
  R a second (any 1 s window); the photos' CDN host is not limited.

It prints URLs/s and the ratios: default / baseline (target >= 0.9x), and on the
rate-limited replay the failed URLs (target 0) and the achieved rate / R (>= 0.8).

    python bench/archive_throughput.py --count 120 --concurrency 8   # the issue's run
    python bench/archive_throughput.py --count 100      # quicker
    python bench/archive_throughput.py --rate 0         # no rate-limited run
    python bench/archive_throughput.py --profile OUT    # cProfile the archiver run (in-process)
    python bench/archive_throughput.py --src /old/tree   # and time another version too
    python bench/archive_throughput.py --repeat 3       # three rounds, order alternating; medians
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import io
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from archiver.platforms.x_media import original_photo_url  # noqa: E402
from archiver.web.replay import RateLimit, ReplayResponse, ReplayServer  # noqa: E402

FIXTURE = ROOT / "tests/fixtures/x/syndication/tweet-result_1641086480675225601_photo.json"
SYNDICATION = "https://cdn.syndication.twimg.com/tweet-result"
FIRST_ID = 1800000000000000000
# Photo sizes from 200 kB to 5 MB, log-spaced: (width, height) of noisy JPEGs at quality 92.
SIZES = [(900, 675), (1024, 768), (1600, 1200), (2048, 1536), (3000, 2250), (4000, 3000)]
SMALL = [(1400, 1050)]  # about 0.5 MB, as the issue measured
STATS_HOST = "bench.stats"  # the limited server's own counts, as JSON
LIMITED_HOST = "cdn.syndication.twimg.com"


def make_photos(seed: int = 1, sizes: list[tuple[int, int]] = SIZES) -> list[bytes]:
    """JPEGs with a camera file's texture (gradients, shapes, sensor noise) at each size."""
    rng = np.random.default_rng(seed)
    photos = []
    for w, h in sizes:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([x / w * 255, y / h * 255, (x + y) / (w + h) * 255], axis=-1)
        noisy = base + rng.normal(0, 12 if w >= 3000 else 9, base.shape).astype(np.float32)
        out = io.BytesIO()
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=92)
        photos.append(out.getvalue())
    return photos


def variant(photo: bytes, index: int) -> bytes:
    """The same picture with its own bytes (a JPEG comment after SOI): a distinct SHA-256."""
    comment = f"bench photo {index}".encode()
    return photo[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + photo[2:]


def random_photo(index: int, side: int = 96) -> bytes:
    """A small JPEG of noise seeded by `index`: every one a different picture."""
    pixels = np.random.default_rng(index).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


def post_ids(count: int) -> list[str]:
    return [str(FIRST_ID + i) for i in range(count)]


def serve(
    count: int, latency: float, photos: list[bytes], ready, per_second: int = 0,
    distinct: bool = False,
) -> None:  # fmt: skip
    """The replay server process: every post's JSON and photo, each answer after `latency`.

    With `per_second`, the JSON's host answers 429 past that many requests a second. With
    `distinct`, each photo is its own small random picture instead of a variant of one of
    `photos` (which all look alike: near duplicates of one another).
    """
    recorded = json.loads(FIXTURE.read_text("utf-8"))
    server = ReplayServer()
    server._httpd.request_queue_size = 256
    limit = RateLimit(per_second) if per_second else None

    def delayed(body: bytes, content_type: str):
        def handler(request, http):
            if limit is not None and not limit.admit():
                return ReplayResponse(429, {"Retry-After": "1"}, b"rate limited")
            time.sleep(latency)
            return ReplayResponse(200, {"Content-Type": content_type}, body)

        return handler

    def photo_handler(index: int):
        def handler(request, http):
            time.sleep(latency)
            body = random_photo(index) if distinct else variant(photos[index % len(photos)], index)
            return ReplayResponse(200, {"Content-Type": "image/jpeg"}, body)

        return handler

    for i, post_id in enumerate(post_ids(count)):
        media = f"https://pbs.twimg.com/media/Bench{i}.jpg"
        detail = dict(recorded["mediaDetails"][0], media_url_https=media)
        body = json.dumps(dict(recorded, id_str=post_id, mediaDetails=[detail])).encode()
        server.add(f"{SYNDICATION}?id={post_id}", handler=delayed(body, "application/json"))
        server.add(original_photo_url(media), handler=photo_handler(i))
    if limit is not None:
        server.add(f"http://{STATS_HOST}/", handler=lambda r, h: ReplayResponse(
            200, {"Content-Type": "application/json"}, json.dumps(limit.stats()).encode()
        ))  # fmt: skip
    server.start()
    ready.put(server.base_url)
    while True:
        time.sleep(3600)


def start_server(args, photos: list[bytes], per_second: int = 0):
    """A replay server process and its base URL."""
    ready = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(args.count, args.latency, photos, ready, per_second), daemon=True
    )
    server.start()
    return server, ready.get(timeout=60)


def via(base_url: str, url: str) -> tuple[str, dict[str, str]]:
    """The replay server's URL for `url`, and the Host header that names the original site."""
    parts = httpx.URL(url)
    return f"{base_url}{parts.raw_path.decode()}", {"Host": parts.host}


def run_baseline(
    base_url: str, ids: list[str], concurrency: int, out_dir: Path, analyse: bool = False
) -> float:
    """The plain script: JSON, then the photo streamed to a file; seconds taken.

    With `analyse`, each photo is also hashed (SHA-256 as it streams) and analysed as the
    archiver analyses a new file (`analyse_media`: pHash, dHash, PDQ, EXIF, thumbnail), in
    the same threads: the least any tool that hashes what it captures must do. Its imports
    are made before the clock starts (the archiver's count: they are its process start).
    """
    from archiver.media.analyse import analyse_media

    if analyse:  # what the first pHash would import
        import scipy.fftpack  # noqa: F401
    out_dir.mkdir(parents=True, exist_ok=True)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(limits=limits, timeout=60) as client:

        def one(post_id: str) -> None:
            url, headers = via(base_url, f"{SYNDICATION}?id={post_id}&lang=en")
            data = client.get(url, headers=headers).raise_for_status().json()
            for item in data.get("mediaDetails", []):
                url, headers = via(base_url, original_photo_url(item["media_url_https"]))
                path, sha256 = out_dir / f"{post_id}.jpg", hashlib.sha256()
                with client.stream("GET", url, headers=headers) as response:
                    response.raise_for_status()
                    with open(path, "wb") as f:
                        for chunk in response.iter_bytes(256 * 1024):
                            f.write(chunk)
                            if analyse:
                                sha256.update(chunk)
                if analyse:
                    analyse_media(path, sha256.hexdigest(), out_dir / "blobs")

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, ids))
        return time.perf_counter() - started


def archive_command(
    base_url: str, work: Path, concurrency: int, listing: Path, extra: tuple[str, ...] = ()
) -> list[str]:
    return [
        sys.executable, "-m", "archiver", "archive", "--input", str(listing),
        "--db", str(work / "archive.db"), "--blobs", str(work / "blobs"),
        "--connect-to", f"*={base_url}", "--concurrency", str(concurrency), *extra,
    ]  # fmt: skip


def run_archiver(
    base_url: str,
    ids: list[str],
    concurrency: int,
    work: Path,
    src: Path = ROOT,
    extra: tuple[str, ...] = ("-q",),
    check: bool = True,
) -> tuple[float, str]:
    """The archiver command over the same posts; seconds taken (start-up included), its stdout."""
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "urls.txt"
    listing.write_text("\n".join(f"https://x.com/SamuelSusla/status/{i}" for i in ids) + "\n")
    started = time.perf_counter()
    done = subprocess.run(
        archive_command(base_url, work, concurrency, listing, extra),
        capture_output=True, text=True, cwd=src,  # `-m archiver` imports from src
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if check and done.returncode != 0:
        sys.exit(
            f"archiver failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return elapsed, done.stdout


def run_rate_limited(args, photos: list[bytes], ids: list[str], work: Path) -> None:
    """The default settings against a replay whose API host allows `args.rate` requests a second."""
    server, base_url = start_server(args, photos, per_second=args.rate)
    try:
        settle()
        counters = cpu_counters()
        elapsed, out = run_archiver(
            base_url, ids, args.concurrency, work, extra=("--json",), check=False
        )
        steal = steal_since(counters)
        url, headers = via(base_url, f"http://{STATS_HOST}/")
        stats = httpx.get(url, headers=headers).json()  # RateLimit.stats()
    finally:
        server.terminate()
    statuses = [json.loads(line)["status"] for line in out.splitlines() if line.startswith("{")]
    failed = sum(1 for status in statuses if status == "error") + len(ids) - len(statuses)
    partial = sum(1 for status in statuses if status == "partial")
    achieved = (stats["accepted"] - 1) / stats["span"] if stats["span"] else 0.0
    print(
        f"rate-limited replay ({LIMITED_HOST} at most {args.rate} requests/s, 429 + Retry-After: 1"
        f" past it):\n  archiver archive (default):  {elapsed:6.1f} s  {len(ids) / elapsed:6.1f}"
        f" URLs/s{steal}\n  {stats['accepted']} answered, {stats['refused']} refused (429);"
        f" achieved {achieved:.1f} requests/s over {stats['span']:.1f} s\n"
        f"ratio, failed URLs: {failed} (target 0; partial: {partial})\n"
        f"ratio, achieved rate / R: {achieved / args.rate:.2f} (target >= 0.8)"
    )


def profile_archiver(base_url: str, ids: list[str], concurrency: int, work: Path, out: Path):
    """The same run in this process under cProfile (threads' time shows in their callers)."""
    import cProfile

    from archiver.pipeline.archive import Archiver
    from archiver.settings import Settings

    settings = Settings(
        db_path=work / "archive.db", blobs_dir=work / "blobs",
        connect_to={"*": base_url}, concurrency=concurrency,
    )  # fmt: skip
    urls = [f"https://x.com/SamuelSusla/status/{i}" for i in ids]
    profiler = cProfile.Profile()
    with Archiver(settings) as archiver:
        profiler.enable()
        list(archiver.archive_many(urls, skip_archived=True))
        profiler.disable()
    profiler.dump_stats(out)
    print(f"profile written to {out} (python -m pstats {out})")


def settle() -> None:
    """Write out what earlier runs left dirty in the page cache, so no run pays for another's.

    Each run writes 0.8-1.6 GB; without this, whichever runs later is slowed by the
    kernel's writeback of the earlier ones (0.1x of the ratio on this machine).
    """
    os.sync()
    time.sleep(1)


def cpu_counters() -> tuple[int, int] | None:
    """(all CPU time, time stolen by the hypervisor for other guests), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields[:8]]  # user nice system idle iowait irq softirq steal
    return sum(ticks), ticks[7] if len(ticks) > 7 else 0


def steal_since(before: tuple[int, int] | None) -> str:
    """'  steal N %': the share of the machine's CPU time other guests took since `before`.

    On a shared VM this moves the archiver's time (CPU-bound) far more than the
    baseline's (waiting on the network): a run at 25 % steal measured 0.59x where a
    quiet one measured 0.82x. Read a ratio with its steal.
    """
    after = cpu_counters()
    if before is None or after is None or after[0] == before[0]:
        return ""
    return f"  steal {100 * (after[1] - before[1]) / (after[0] - before[0]):.0f} %"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="post URLs (default 500)")
    parser.add_argument("--concurrency", type=int, default=4, help="for both (default 4)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument(
        "--photos", choices=["mixed", "small"], default="mixed",
        help="0.2-4.9 MB photos (default), or all 0.5 MB",
    )  # fmt: skip
    parser.add_argument(
        "--rate", type=int, default=10,
        help="R: requests a second the rate-limited replay allows (default 10; 0: no such run)",
    )  # fmt: skip
    parser.add_argument("--profile", type=Path, help="profile the archiver in-process instead")
    parser.add_argument(
        "--src", type=Path, action="append", default=[],
        help="also time the archiver of this source tree (default settings)",
    )  # fmt: skip
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds, alternating the order; prints the median"
    )
    return parser.parse_args()


FLOOR = "baseline + media analysis"


def compiled(*trees: Path) -> None:
    """Byte-compile the trees timed, as a user's first run leaves them: a shell with
    PYTHONDONTWRITEBYTECODE set would otherwise have every run compile them again."""
    for tree in trees:
        for package in ("archiver", "annotations"):
            compileall.compile_dir(tree / package, quiet=1)


def run_rounds(args, base_url: str, ids: list[str], tmp: Path) -> None:
    """Baseline, then the archiver at its defaults, with --delay 0 and of other trees; ratios."""
    runs = [("archiver archive (default)", ROOT, ()), ("archiver archive --delay 0", ROOT,
            ("--delay", "0"))] + [(f"archiver of {t}", t, ()) for t in args.src]  # fmt: skip
    ratios: dict[str, list[float]] = {}
    compiled(ROOT, *args.src)
    for round_ in range(1, args.repeat + 1):
        if args.repeat > 1:
            print(f"round {round_} of {args.repeat}")
        work = tmp / f"round{round_}"
        settle()
        counters = cpu_counters()
        baseline = run_baseline(base_url, ids, args.concurrency, work / "baseline")
        print(f"baseline (httpx):  {baseline:6.1f} s  {args.count / baseline:6.1f} URLs/s"
              f"{steal_since(counters)}")  # fmt: skip
        settle()
        counters = cpu_counters()
        floor = run_baseline(base_url, ids, args.concurrency, work / "floor", analyse=True)
        ratios.setdefault(FLOOR, []).append(baseline / floor)
        print(f"{FLOOR}:  {floor:6.1f} s  {args.count / floor:6.1f} URLs/s"
              f"  ratio {baseline / floor:.2f}x{steal_since(counters)}")  # fmt: skip
        # Reversed in even rounds: no run always comes in the same place.
        order = list(enumerate(runs))
        if round_ % 2 == 0:
            order.reverse()
        for n, (name, src, extra) in order:
            settle()
            counters = cpu_counters()
            ours, _ = run_archiver(
                base_url, ids, args.concurrency, work / f"run{n}", src, ("-q", *extra)
            )
            ratios.setdefault(name, []).append(baseline / ours)
            print(f"{name}:  {ours:6.1f} s  {args.count / ours:6.1f} URLs/s"
                  f"  ratio {baseline / ours:.2f}x{steal_since(counters)}")  # fmt: skip
        shutil.rmtree(work)
    for name, values in ratios.items():
        spread = f" (rounds: {', '.join(f'{v:.2f}' for v in values)})" if len(values) > 1 else ""
        target = " (target >= 0.9x)" if name.endswith("(default)") else ""
        if name == FLOOR:
            target = " (a bound: no capture that hashes its media does less)"
        print(f"ratio, {name}: {statistics.median(values):.2f}x the baseline's URLs/s"
              f"{target}{spread}")  # fmt: skip


def main() -> None:
    args = parse_args()
    photos = make_photos(sizes=SMALL if args.photos == "small" else SIZES)
    sizes = [len(variant(photos[i % len(photos)], i)) for i in range(args.count)]
    server, base_url = start_server(args, photos)
    ids = post_ids(args.count)
    print(
        f"{args.count} posts, one photo each: {min(sizes) / 1e6:.1f}-{max(sizes) / 1e6:.1f} MB "
        f"(total {sum(sizes) / 1e9:.2f} GB), {args.latency * 1000:.0f} ms per response, "
        f"concurrency {args.concurrency}\nmachine: {machine()}\n"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.profile:
                profile_archiver(base_url, ids, args.concurrency, Path(tmp) / "p", args.profile)
                return
            run_rounds(args, base_url, ids, Path(tmp))
            server.terminate()
            if args.rate:
                print()
                run_rate_limited(args, photos, ids, Path(tmp) / "limited")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
