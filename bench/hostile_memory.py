"""Benchmark: peak memory and time of `archiver archive` on each hostile case of issue 14.

A local replay server (its own process) serves every case: malformed X answers, JSON
nested 10^6 deep, an article of 100,000 embeds, a 16 MB deeply nested page, an embed
inside 1,000 nested spans, a page just under the element bound, an HLS playlist of
5,000 segments and a malformed #EXTINF, a 169-megapixel PNG, a gzip bomb as a photo,
an IRI, `--input /dev/zero`, and, as the baseline, one ordinary photo post.
Each case is one run of the real command in a subprocess, against a fresh archive;
its peak RSS comes from the kernel (wait4) for that process alone. Target: one worker
under about 500 MB whatever arrives.

    python bench/hostile_memory.py                # every case
    python bench/hostile_memory.py --cases baseline deep_page
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from archive_throughput import machine  # noqa: E402

from archiver.web.replay import ReplayServer  # noqa: E402

PHOTO = ROOT / "tests/fixtures/x/syndication/tweet-result_1641086480675225601_photo.json"
VIDEO_THREAD = ROOT / "tests/fixtures/bluesky/getPostThread_video_constructed.json"
SYNDICATION = "https://cdn.syndication.twimg.com/tweet-result"
DID = "did:plc:kvwvcn5iqfooopmyzvb4qzba"
TARGET_MB = 500


def post(post_id: str) -> str:
    return f"https://x.com/a/status/{post_id}"


def serve_post(server: ReplayServer, post_id: str, change=lambda answer: answer) -> str:
    """The recorded photo post re-keyed to `post_id`, its photo, then `change`d."""
    from factories import jpeg_bytes

    answer = json.loads(PHOTO.read_text("utf-8"))
    name = f"https://pbs.twimg.com/media/R{post_id}.jpg"
    answer = dict(
        answer, id_str=post_id, mediaDetails=[dict(answer["mediaDetails"][0], media_url_https=name)]
    )
    server.add(f"https://pbs.twimg.com/media/R{post_id}?format=jpg&name=orig", jpeg_bytes(seed=3),
               content_type="image/jpeg")  # fmt: skip
    body = json.dumps(change(answer)).encode()
    server.add(f"{SYNDICATION}?id={post_id}", body, content_type="application/json")
    return post(post_id)


def photo_url(url: str):
    return lambda a: dict(a, mediaDetails=[dict(a["mediaDetails"][0], media_url_https=url)])


def embed_code(post_id: str) -> str:
    return (
        '<blockquote class="twitter-tweet"><p>Post</p>&mdash; A (@a) '
        f'<a href="https://twitter.com/a/status/{post_id}">August 3, 2024</a></blockquote>'
    )


def page(server: ReplayServer, path: str, body: bytes) -> str:
    server.add(f"https://news.example/{path}", body, content_type="text/html")
    return f"https://news.example/{path}"


def video_post(server: ReplayServer, playlist: str, segments: int) -> str:
    """The constructed Bluesky video post whose one variant is `playlist`."""
    from factories import jpeg_bytes, ts_bytes

    view = json.loads(VIDEO_THREAD.read_text("utf-8"))["thread"]["post"]
    base = view["embed"]["playlist"].rsplit("/", 1)[0]
    uri = quote(f"at://{DID}/app.bsky.feed.post/3lvideoconstr2", safe="")
    server.add(f"https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri={uri}",
               VIDEO_THREAD.read_bytes(), content_type="application/json")  # fmt: skip
    master = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n720p/video.m3u8\n"
    server.add(f"{base}/playlist.m3u8", master, content_type="application/vnd.apple.mpegurl")
    server.add(
        f"{base}/720p/video.m3u8", playlist.encode(), content_type="application/vnd.apple.mpegurl"
    )
    for i in range(segments):
        server.add(f"{base}/720p/seg{i}.ts", ts_bytes(10, seed=i), content_type="video/mp2t")
    server.add(f"{base}/thumbnail.jpg", jpeg_bytes(seed=13), content_type="image/jpeg")
    return f"https://bsky.app/profile/{DID}/post/3lvideoconstr2"


def photo_post(server: ReplayServer, post_id: str, body: bytes, headers=None) -> str:
    """A post whose photo is `body`, served with `headers`."""
    serve_post(server, post_id)
    server.add(f"https://pbs.twimg.com/media/R{post_id}?format=jpg&name=orig", body,
               content_type="image/png", headers=headers or {})  # fmt: skip
    return post(post_id)


def huge_png(server: ReplayServer) -> str:
    """A 169-megapixel PNG (under Pillow's bomb limit), as the post's photo."""
    from test_media import bomb_png

    return photo_post(server, "1500000000000000401", bomb_png(side=13_000))


def gzip_photo(server: ReplayServer) -> str:
    """A photo response of 1 MB of gzip that decodes to 1 GiB of zeros."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    body = b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()
    return photo_post(server, "1500000000000000402", body, {"Content-Encoding": "gzip"})


def iri_page(server: ReplayServer) -> str:
    server.add("https://xn--bcher-kva.example/%C3%A4rticle", b"<html><body>B\xc3\xbccher</body></html>",
               content_type="text/html")  # fmt: skip
    return "https://bücher.example/ärticle"


def deep_json(server: ReplayServer) -> str:
    body = b'{"a":' * 1_000_000 + b"1" + b"}" * 1_000_000
    server.add(f"{SYNDICATION}?id=1500000000000000008", body, content_type="application/json")
    return post("1500000000000000008")


def spans(server: ReplayServer) -> str:
    serve_post(server, "1500000000000000301")
    nested = "<span>" * 1000 + "Deep text" + "</span>" * 1000
    code = embed_code("1500000000000000301").replace("<p>Post</p>", f"<p>{nested}</p>")
    return page(server, "spans", code.encode())


# name -> what it is, and how to serve it (in the server's process); returns the URL to archive.
CASES = {
    "baseline": ("one ordinary photo post", lambda s: serve_post(s, "1500000000000000001")),
    "user_string": ('"user": "x"', lambda s: serve_post(s, "1500000000000000002", lambda a: dict(a, user="x"))),
    "media_details_1": ('"mediaDetails": [1]', lambda s: serve_post(s, "1500000000000000003", lambda a: dict(a, mediaDetails=[1]))),
    "no_media_url": ("a missing media_url_https", lambda s: serve_post(s, "1500000000000000004", photo_url(None))),
    "created_1e20": ('"created_at": 1e20', lambda s: serve_post(s, "1500000000000000005", lambda a: dict(a, created_at=1e20))),
    "media_url_tab": ("a media URL with a tab", lambda s: serve_post(s, "1500000000000000006", photo_url("https://pbs.twimg.com/a\tb.jpg"))),
    "media_url_nul": ("a media URL with a NUL", lambda s: serve_post(s, "1500000000000000007", photo_url("https://pbs.twimg.com/a\x00b.jpg"))),
    "media_url_65536": ("a media URL of 65,536 characters", lambda s: serve_post(s, "1500000000000000009", photo_url("https://pbs.twimg.com/" + "a" * 65_536))),
    "deep_json": ("JSON nested 10^6 deep", deep_json),
    "embeds_100000": ("an article of 100,000 embeds", lambda s: page(s, "flood", "".join(embed_code(f"1{i:018d}") for i in range(100_000)).encode())),
    "embeds_1000": ("an article of 1,000 embeds (200 kept)", lambda s: page(s, "many", "".join(embed_code(f"2{i:018d}") for i in range(1000)).encode())),
    "deep_page": ("a 16 MB page of nested spans", lambda s: page(s, "deep", b"<html><body>" + b"<span>" * 2_700_000)),
    "elements_199000": ("a page of 199,000 elements (under the bound)", lambda s: page(s, "big", b"<p>Text <b>bold</b></p>\n" * 99_500)),
    "spans_in_embed": ("an embed inside 1,000 nested spans", spans),
    "hls_5000": ("an HLS playlist of 5,000 segments", lambda s: video_post(s, "#EXTM3U\n" + "".join(f"#EXTINF:0.1,\nseg{i}.ts\n" for i in range(5000)), 0)),
    "extinf": ("#EXTINF:1.2.3", lambda s: video_post(s, "#EXTM3U\n#EXTINF:1.2.3,\nseg0.ts\n#EXTINF:2,\nseg1.ts\n", 2)),
    "png_169mp": ("a 495 KB PNG of 169 megapixels as a photo", huge_png),
    "gzip_1gib": ("1 MB of gzip decoding to 1 GiB, as a photo", gzip_photo),
    "iri": ("an IRI: https://bücher.example/ärticle", iri_page),
    "input_dev_zero": ("--input /dev/zero", lambda s: "--input=/dev/zero"),
}  # fmt: skip


def serve(name: str, ready) -> None:
    server = ReplayServer()
    url = CASES[name][1](server)
    server.start()
    ready.put((server.base_url, url))
    while True:
        time.sleep(3600)


def run_case(name: str) -> tuple[float, float, int, str]:
    """Serve one case (its own server: cases share some URLs) and archive it."""
    ready = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(name, ready), daemon=True)
    server.start()
    try:
        base_url, url = ready.get(timeout=300)
        with tempfile.TemporaryDirectory() as tmp:
            return measure(url, base_url, Path(tmp))
    finally:
        server.terminate()
        server.join()


def measure(url: str, base_url: str, work: Path) -> tuple[float, float, int, str]:
    """Archive `url` into a fresh archive; (peak RSS in MB, seconds, exit status, its line)."""
    command = [
        sys.executable,
        "-m",
        "archiver",
        "archive",
        "--json",
        "-q",
        "--db",
        str(work / "archive.db"),
        "--blobs",
        str(work / "blobs"),
        "--connect-to",
        f"*={base_url}",
        url,
    ]  # fmt: skip  (url may be an option: --input=/dev/zero)
    started = time.perf_counter()
    with open(work / "stdout", "wb") as out, open(work / "stderr", "wb") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT)
        # wait4 gives this child's own rusage: its peak RSS, not any other process's.
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    lines = [line for line in (work / "stdout").read_text().splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    said = f"{result.get('status', '?')}: {(result.get('error') or '')[:70]}"
    if not lines:  # a usage error: what the command said
        said = "usage error: " + (work / "stderr").read_text().strip().splitlines()[-1][:70]
    if "Traceback" in (work / "stderr").read_text():
        said = "TRACEBACK " + said
    return usage.ru_maxrss / 1024, elapsed, os.waitstatus_to_exitcode(status), said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    args = parser.parse_args()
    print(f"machine: {machine()}\n")
    print(f"{'case':<16} {'peak RSS':>9} {'time':>7} exit  status: reason")
    peaks = {}
    for name in args.cases:
        rss, elapsed, status, said = run_case(name)
        peaks[name] = rss
        print(f"{name:<16} {rss:>6.1f} MB {elapsed:>6.1f}s {status:>4}  {said}", flush=True)
    worst = max(peaks, key=peaks.get)
    print(f"\nhighest: {worst} at {peaks[worst]:.0f} MB (target: under {TARGET_MB} MB)"
          + (f"; baseline {peaks['baseline']:.0f} MB" if "baseline" in peaks else ""))  # fmt: skip


if __name__ == "__main__":
    main()
