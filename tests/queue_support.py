"""What the scale-out tests start for real: redis-server, a replay of many posts, and the archiver's
own processes (workers, the writer) as a user starts them."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from recorded import SYNDICATION, fixture_json

from archiver.platforms.x_media import original_photo_url
from archiver.web.replay import ReplayResponse, ReplayServer

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
FIRST_ID = 1900000000000000000
# A recorded syndication answer (tests/fixtures/SOURCES): each post of the list is this post with
# its own id and its own photo, so that a list of any length is served as X serves one post.
TEMPLATE = ("x", "syndication", "tweet-result_1641086480675225601_photo.json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """Debian's redis-server on a loopback port, persisting every write (AOF) in `directory`."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if not Path(REDIS_SERVER).exists():
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.directory), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--protected-mode", "yes"],  # fmt: skip
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(10)


def photo(index: int, side: int = 64) -> bytes:
    """A small JPEG of noise seeded by `index`: every post its own picture."""
    pixels = np.random.default_rng(index).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


def serve_posts(replay: ReplayServer, count: int, latency: float = 0.0) -> list[str]:
    """`count` X posts, each with one photo, on the replay server; their URLs."""
    recorded = fixture_json(*TEMPLATE)

    def answer(body: bytes, content_type: str):
        def handler(request, http):
            if latency:
                time.sleep(latency)
            return ReplayResponse(200, {"Content-Type": content_type}, body)

        return handler

    urls = []
    for i in range(count):
        post_id = str(FIRST_ID + i)
        media = f"https://pbs.twimg.com/media/Queue{i}.jpg"
        detail = dict(recorded["mediaDetails"][0], media_url_https=media)
        body = json.dumps(dict(recorded, id_str=post_id, mediaDetails=[detail])).encode()
        replay.add(f"{SYNDICATION}?id={post_id}", handler=answer(body, "application/json"))
        replay.add(original_photo_url(media), handler=answer(photo(i), "image/jpeg"))
        urls.append(f"https://x.com/{recorded['user']['screen_name']}/status/{post_id}")
    return urls


def archiver_process(*args: str, env: dict, log: Path) -> subprocess.Popen:
    """`archiver ARGS...` as its own process (and process group), its output in `log`."""
    out = open(log, "ab")  # noqa: SIM115 -- the child keeps it
    return subprocess.Popen(
        [sys.executable, "-m", "archiver", *args], env={**os.environ, **env},
        stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def archiver_run(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archiver", *args], env={**os.environ, **env},
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def enqueue_workers_collect(urls: list[str], env: dict, root: Path, timeout: float = 600) -> str:
    """`archiver enqueue --input`, two `archiver worker --concurrency 2 --burst` and
    `archiver collect --burst`, as a user runs them; what collect said."""
    (root / "urls.txt").write_text("\n".join(urls) + "\n")
    queued = archiver_run("enqueue", "--input", str(root / "urls.txt"), env=env)
    assert f"queued {len(urls)}," in queued.stdout, queued.stdout + queued.stderr
    workers = [
        archiver_process(
            "worker", "--concurrency", "2", "--burst", env=env, log=root / f"worker{i}.log"
        )  # fmt: skip
        for i in range(2)
    ]
    collected = archiver_run("collect", "--burst", env=env, timeout=timeout)
    for worker in workers:
        assert worker.wait(120) == 0, (root / "worker0.log").read_text()[-2000:]
    assert collected.returncode == 0, collected.stderr[-2000:]
    return collected.stderr


def queue_status(env: dict) -> dict:
    """What `archiver queue status --json` prints (read in this process: tests poll it)."""
    from archiver.queue.connection import connect
    from archiver.queue.status import queue_status as status

    conn = connect(env["ARCHIVER_QUEUE"])
    try:
        return status(conn)
    finally:
        conn.close()


def serving(base: str) -> bool:
    """`archiver serve` at `base` answers."""
    import urllib.request

    try:
        with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
            return True
    except OSError:
        return False


def wait_for(check, timeout: float = 120, every: float = 0.2):
    """Poll `check()` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s")


class LocalS3:
    """moto's S3 server (its HTTP server mode) on a loopback port, with one bucket."""

    def __init__(self, bucket: str = "archive"):
        self.bucket = bucket
        self.port = free_port()
        self.server = None

    @property
    def env(self) -> dict:
        """The standard variables boto3 reads: where the server is, and (fake) credentials."""
        return {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.port}",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }  # fmt: skip

    def start(self, keep: bool = False) -> LocalS3:
        """Start the server; `keep`: again after a stop, with the objects it held (moto keeps
        them in this process)."""
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        if not keep:
            self.client().create_bucket(Bucket=self.bucket)
        self.client().head_bucket(Bucket=self.bucket)  # answering (botocore retries till it does)
        return self

    def client(self):
        import boto3

        env = self.env
        return boto3.client(
            "s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )  # fmt: skip

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
