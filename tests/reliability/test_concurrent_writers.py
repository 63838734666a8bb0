"""Four `archiver archive` processes write to one database while Datasette reads it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time

from factories import jpeg_bytes
from faults import archive_command, assert_consistent, query, serve_photo_post

from archiver.web.serve import make_datasette

WRITERS = 4
OWN = 12  # posts only one process archives
SHARED = 12  # posts every process archives, each in its own order


def test_four_writers_and_a_reader_lose_nothing(replay, settings, tmp_path):
    def post(i: int) -> str:
        return serve_photo_post(
            replay, str(1700000000000000000 + i), jpeg_bytes(seed=i, size=(96, 72))
        )

    shared = [post(i) for i in range(SHARED)]
    lists = []
    for w in range(WRITERS):
        own = [post(1000 * (w + 1) + i) for i in range(OWN)]
        order = shared[w:] + shared[:w]  # the same posts, met at different moments
        listing = tmp_path / f"list{w}.txt"
        listing.write_text("\n".join(own + order[::-1] if w % 2 else order + own))
        lists.append(listing)

    reads = Reader(settings)
    reads.start()
    writers = [
        subprocess.Popen(
            archive_command(
                settings, replay, "--concurrency", "4", "--json", "--input", str(listing)
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for listing in lists
    ]
    outputs = [w.communicate(timeout=120) for w in writers]
    reads.stop()

    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err[-2000:]
        assert "locked" not in err.lower() and "Traceback" not in err
        results = [json.loads(line) for line in out.splitlines()]
        assert len(results) == OWN + SHARED
        assert {r["status"] for r in results} <= {"ok", "skipped"}, results

    expected = WRITERS * OWN + SHARED
    assert query(settings, "select count(*) from posts") == [(expected,)]
    assert query(
        settings, "select count(*) from post_media where sha256 is not null"
    ) == [(expected,)]  # fmt: skip
    assert query(settings, "select count(distinct sha256) from media") == [(expected,)]
    assert_consistent(settings)
    # The hash chain is one chain, whatever order the four processes wrote in.
    seqs = query(settings, "select seq, prev_hash, hash from events order by seq")
    assert all(prev[2] == row[1] for prev, row in zip(seqs, seqs[1:], strict=False))

    assert reads.count >= 5, "Datasette should have been read while the writers ran"
    assert reads.failures == []


class Reader(threading.Thread):
    """Datasette in this process, reading the posts table and a post page until stopped."""

    def __init__(self, settings):
        super().__init__(daemon=True)
        self.settings = settings
        self.count = 0
        self.failures: list[str] = []
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=30)

    def run(self) -> None:
        while not self.settings.db_path.exists() and not self._done.is_set():
            time.sleep(0.02)
        asyncio.run(self._read())

    async def _read(self) -> None:
        ds = None
        while not self._done.is_set():
            try:
                if ds is None:
                    ds = make_datasette(self.settings)
                    await ds.invoke_startup()
                listing = await ds.client.get("/archive/posts.json?_shape=array&_size=5")
                pages = [listing]
                if listing.status_code == 200 and listing.json():
                    post_id = listing.json()[0]["id"]
                    pages.append(await ds.client.get(f"/-/post/{post_id}", follow_redirects=True))
                for page in pages:
                    if page.status_code != 200 or "locked" in page.text.lower():
                        self.failures.append(f"{page.status_code}: {page.text[:300]}")
                self.count += 1
            except Exception as exc:  # a reader that breaks is a failure to report, not to hide
                if "no such table" not in str(exc):  # the schema is being created
                    self.failures.append(repr(exc))
            await asyncio.sleep(0.05)
