"""Benchmark: peak memory of `archiver archive` on a post whose video is 200 MB, then 2 GB.

A local replay server (its own process) serves the recorded X video post, its
poster, and an MP4 generated while it is sent (ftyp, a huge mdat, moov at the
end, as phones write them): nothing holds the video in memory, and the only
copies on disk are the archive's own (the blob and the WARC record).

It runs the archiver command once per size and reports each run's peak RSS
(from the kernel, for that process alone), the time taken and the ratio of the
two peaks: flat means about 1.0x. Target: <= 100 MB at 2 GB.

    python bench/memory_video.py                 # 200 MB and 2 GB
    python bench/memory_video.py --sizes 50 500  # other sizes, in MB
    python bench/memory_video.py --dir /big/disk # where the archives go (needs 2x the size)
    python bench/memory_video.py --via page      # an article's <video>, through yt-dlp
    python bench/memory_video.py --s3            # blobs on S3 (moto's server): sent in parts

`--via page` archives an article that plays the video in a `<video>` element instead: the
video is found and downloaded by yt-dlp, every request through the archiver's fetcher
(archiver/media/ytdlp_*.py), and copied once more (yt-dlp's file, then the blob).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from archive_throughput import machine  # noqa: E402

from archiver.web.replay import ReplayServer  # noqa: E402

FIXTURE = ROOT / "tests/fixtures/x/syndication/tweet-result_1684218600456876032_video.json"
POST_ID = "1684218600456876032"
ARTICLE = "https://news.example/2026/footage"
ARTICLE_VIDEO = "https://news.example/media/footage.mp4"
CHUNK = 1024 * 1024


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_parts(size: int, duration_ms: int = 14510) -> tuple[bytes, int, bytes]:
    """(header, media bytes, trailer) of an MP4 of `size` bytes whose moov comes last."""
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, duration_ms) + bytes(80))
    tkhd = box(
        b"tkhd",
        bytes([0, 0, 0, 3]) + struct.pack(">IIIII", 0, 0, 1, 0, duration_ms) + bytes(52)
        + struct.pack(">II", 886 << 16, 546 << 16),
    )  # fmt: skip
    moov = box(b"moov", mvhd + box(b"trak", tkhd))
    media = size - len(ftyp) - 16 - len(moov)
    mdat_header = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", media + 16)  # 64-bit size
    return ftyp + mdat_header, media, moov


def stream_video(size: int):
    """A replay handler that writes the MP4 as it generates it, 1 MB at a time."""
    block = os.urandom(CHUNK)  # incompressible, as encoded video is

    def handler(request, http):
        head, media, tail = mp4_parts(size)
        http.send_response(200)
        http.send_header("Content-Type", "video/mp4")
        http.send_header("Content-Length", str(len(head) + media + len(tail)))
        http.end_headers()
        http.wfile.write(head)
        left = media
        while left > 0:
            http.wfile.write(block[: min(CHUNK, left)])
            left -= CHUNK
        http.wfile.write(tail)
        return None

    return handler


def serve(video_bytes: int, ready) -> None:
    from factories import jpeg_bytes

    recorded = json.loads(FIXTURE.read_text("utf-8"))
    detail = recorded["mediaDetails"][0]
    best = max(
        (v for v in detail["video_info"]["variants"] if v.get("content_type") == "video/mp4"),
        key=lambda v: v.get("bitrate") or 0,
    )
    server = ReplayServer()
    server.add(
        f"https://cdn.syndication.twimg.com/tweet-result?id={POST_ID}",
        json.dumps(recorded).encode(),
        content_type="application/json",
    )
    server.add(best["url"], handler=stream_video(video_bytes))
    poster = jpeg_bytes(seed=3, size=(886, 546))
    server.add(detail["media_url_https"], poster, content_type="image/jpeg")
    for variant in recorded.get("video", {}).get("variants", []):  # the flattened shape too
        if variant.get("src") and variant.get("type") == "video/mp4":
            server.add(variant["src"], handler=stream_video(video_bytes))
    server.add(
        ARTICLE,
        f'<html><body><p>Footage.</p><video controls src="{ARTICLE_VIDEO}"></video></body></html>',
        content_type="text/html",
    )
    server.add(ARTICLE_VIDEO, handler=stream_video(video_bytes))
    server.start()
    ready.put(server.base_url)
    while True:
        time.sleep(3600)


def serve_s3(ready) -> None:
    """moto's S3 server (tests/queue_support.py), in its own process: its memory is not ours."""
    import logging

    from queue_support import LocalS3

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    s3 = LocalS3().start()
    ready.put(s3.env)
    while True:
        time.sleep(3600)


def measure(
    size_mb: int, work: Path, via: str = "x", s3: bool = False
) -> tuple[float, float, dict]:
    """Serve a video of size_mb, archive its post; (peak RSS in MB, seconds, --json result)."""
    ready = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(size_mb * 1024**2, ready), daemon=True)
    server.start()
    base_url = ready.get(timeout=60)
    bucket, env = None, dict(os.environ)
    if s3:
        bucket = multiprocessing.Process(target=serve_s3, args=(ready,), daemon=True)
        bucket.start()
        env.update(ready.get(timeout=60))
    blobs = "s3://archive/bench" if s3 else str(work / "blobs")
    try:
        command = [
            sys.executable, "-m", "archiver", "archive", "--json", "-q",
            "--db", str(work / "archive.db"), "--blobs", blobs,
            "--connect-to", f"*={base_url}", "--delay", "0",
            ARTICLE if via == "page" else f"https://x.com/i/status/{POST_ID}",
        ]  # fmt: skip
        out_path, err_path = work / "stdout", work / "stderr"
        started = time.perf_counter()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)
            # wait4 gives this child's own rusage: its peak RSS, not any other process's.
            _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            sys.exit(
                f"archiver failed:\n{out_path.read_text()[-2000:]}{err_path.read_text()[-2000:]}"
            )
        result = json.loads(out_path.read_text().splitlines()[-1])
    finally:
        for process in (server, bucket):
            if process is not None:
                process.terminate()
                process.join()
    return usage.ru_maxrss / 1024, elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2048], help="MB, ascending")
    parser.add_argument("--dir", type=Path, help="where the archives are written")
    parser.add_argument(
        "--via", choices=["x", "page"], default="x",
        help="x: the X video post (our own download); page: an article's <video>, by yt-dlp",
    )  # fmt: skip
    parser.add_argument(
        "--s3", action="store_true", help="--blobs s3://... on moto's S3 server (its own process)"
    )
    args = parser.parse_args()
    print(f"machine: {machine()}\n")
    print(f"{'video':>8} {'peak RSS':>9} {'time':>7}  status")
    peaks = []
    for size in sorted(args.sizes):
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            work = Path(tmp)
            need = size * 1024**2 * (3.2 if args.via == "page" else 2.2)
            if shutil.disk_usage(work).free < need:
                sys.exit(
                    f"not enough free disk in {work} for a {size} MB video (needs ~{need / 1e9:.1f} GB)"
                )
            rss, elapsed, result = measure(size, work, args.via, args.s3)
            kept = sum(
                p.stat().st_size for p in (work / "blobs" / "sha256").rglob("*") if p.is_file()
            )  # with --s3: 0, the files are on S3 (and staged in a temporary directory till sent)
        peaks.append(rss)
        print(
            f"{size:>5} MB {rss:>6.1f} MB {elapsed:>6.1f}s  {result['status']}, "
            f"{len(result['media_sha256s'])} media files, {kept / 1024**2:,.0f} MB kept"
        )
    if len(peaks) > 1:
        print(
            f"\npeak RSS at {args.sizes[-1]} MB / at {args.sizes[0]} MB: {peaks[-1] / peaks[0]:.2f}x"
        )


if __name__ == "__main__":
    main()
