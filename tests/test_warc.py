"""Every exchange lands in a WARC 1.1 file that warcio accepts and can replay."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest
from factories import jpeg_bytes
from warcio.archiveiterator import ArchiveIterator

from archiver.fetch import warc
from archiver.fetch.client import Fetcher
from archiver.fetch.warc import WarcRecorder


def test_exchanges_are_written_as_valid_warc_1_1(replay, settings, tmp_path):
    replay.redirect("https://t.co/abc", "https://example.org/page")
    replay.add(
        "https://example.org/page",
        gzip.compress(b"<p>hello</p>"),
        headers={"Content-Encoding": "gzip"},
        content_type="text/html",
    )
    replay.add("https://example.org/chunked", handler=_chunked)
    recorder = WarcRecorder(tmp_path / "warcs", operator="tester")
    with Fetcher(settings, recorder) as fetcher:
        with fetcher.get("https://t.co/abc") as page:
            assert page.read() == b"<p>hello</p>"
            assert page.warc_file == str(recorder.path)
        with fetcher.get("https://example.org/chunked") as chunked:
            assert chunked.read() == b"hello world"
    recorder.close()

    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "from warcio.cli import main; main()",
            "check",
            "-v",
            str(recorder.path),
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    with open(recorder.path, "rb") as f:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.protocol)
            for r in ArchiveIterator(f)
        ]
    types = [(t, u) for t, u, _ in records]
    assert types == [
        ("warcinfo", None),
        ("response", "https://t.co/abc"),
        ("request", "https://t.co/abc"),
        ("response", "https://example.org/page"),
        ("request", "https://example.org/page"),
        ("response", "https://example.org/chunked"),
        ("request", "https://example.org/chunked"),
    ]
    assert all(protocol == "WARC/1.1" for _, _, protocol in records)


def test_replayed_response_body_is_the_page(replay, settings, tmp_path):
    replay.add(
        "https://example.org/page",
        gzip.compress(b"<p>hello</p>"),
        headers={"Content-Encoding": "gzip"},
    )
    recorder = WarcRecorder(tmp_path / "warcs")
    with Fetcher(settings, recorder) as fetcher, fetcher.get("https://example.org/page"):
        pass
    recorder.close()
    with open(recorder.path, "rb") as f:
        # Records stream: each body is read while the iterator stands on it.
        bodies = [
            (r.http_headers.get_statuscode(), r.content_stream().read())
            for r in ArchiveIterator(f)
            if r.rec_type == "response"
        ]
    assert bodies == [("200", b"<p>hello</p>")]


def _chunked(request, handler):
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for part in (b"hello ", b"world"):
        handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
    handler.wfile.write(b"0\r\n\r\n")
    return None


def test_media_records_are_stored_not_deflated_and_text_records_shrink(replay, settings, tmp_path):
    """JPEG bytes do not compress, so their record is stored (fast); JSON still shrinks."""
    import os

    photo = os.urandom(300_000)  # as incompressible as a JPEG's entropy-coded data
    document = b'{"text": "the same words again and again"}' * 5000
    replay.add("https://pbs.example/photo.jpg", photo, content_type="image/jpeg")
    replay.add("https://api.example/post.json", document, content_type="application/json")
    recorder = WarcRecorder(tmp_path / "warcs")
    with Fetcher(settings, recorder) as fetcher:
        for url in ("https://pbs.example/photo.jpg", "https://api.example/post.json"):
            fetcher.get(url).close()
    recorder.close()

    data = recorder.path.read_bytes()
    with open(recorder.path, "rb") as f:
        records, iterator = [], ArchiveIterator(f)
        for record in iterator:
            if record.rec_type == "response":
                # Byte 8 of a gzip member says how hard it was deflated (zlib: 4 for
                # levels 0-1, 0 for the default levels, 2 for level 9).
                uri, body = (
                    record.rec_headers.get_header("WARC-Target-URI"),
                    record.content_stream().read(),
                )
                records.append((uri, body, data[iterator.get_record_offset() + 8]))
    assert records == [
        ("https://pbs.example/photo.jpg", photo, 4),
        ("https://api.example/post.json", document, 0),
    ]
    # The JSON record deflated to a small fraction of its 210 kB.
    assert recorder.path.stat().st_size < len(photo) + 20_000


@pytest.mark.parametrize("render_first", [warc.RENDER_FIRST, 0], ids=["rendered", "streamed"])
def test_the_index_made_while_writing_matches_the_records_read_back(
    replay, settings, tmp_path, monkeypatch, render_first
):
    """Offsets, lengths and hashes are taken as records are written; reading them back agrees.

    Both ways a record is written: built in memory before the file is locked (bodies up
    to RENDER_FIRST), or streamed into the file under the lock (larger bodies).
    """
    from archiver.fetch.warc_index import read_record

    monkeypatch.setattr(warc, "RENDER_FIRST", render_first)
    replay.add("https://example.org/photo.jpg", jpeg_bytes(seed=5), content_type="image/jpeg")
    replay.add(
        "https://example.org/page",
        gzip.compress(b"<p>hello</p>" * 50),
        headers={"Content-Encoding": "gzip"},
        content_type="text/html",
    )
    recorder = WarcRecorder(tmp_path / "warcs")
    records = recorder.collector.begin()
    with Fetcher(settings, recorder) as fetcher:
        for url in ("https://example.org/photo.jpg", "https://example.org/page"):
            with fetcher.get(url):
                pass
    recorder.collector.end(records)
    recorder.close()
    assert [r.record_type for r in records] == ["response", "request"] * 2
    for ref in records:
        assert read_record(recorder.path, ref.offset, ref.length) == ref


def test_records_written_from_many_threads_are_whole_and_indexed(replay, settings, tmp_path):
    """Threads build their records at once and append them one at a time: none interleave."""
    from concurrent.futures import ThreadPoolExecutor

    from archiver.fetch.warc_index import read_record

    urls = [f"https://example.org/photo{i}.jpg" for i in range(12)]
    for i, url in enumerate(urls):
        replay.add(url, jpeg_bytes(seed=i), content_type="image/jpeg")
    recorder = WarcRecorder(tmp_path / "warcs")
    with Fetcher(settings, recorder) as fetcher, ThreadPoolExecutor(6) as pool:

        def fetch(url: str) -> tuple[bytes, list]:
            records = recorder.collector.begin()  # each thread collects its own records
            with fetcher.get(url) as fetched:
                body = fetched.body_path.read_bytes()
            recorder.collector.end(records)
            return body, records

        fetched = dict(zip(urls, pool.map(fetch, urls), strict=True))
    recorder.close()
    refs = [ref for _, records in fetched.values() for ref in records]
    assert len(refs) == 2 * len(urls)
    assert len({ref.offset for ref in refs}) == len(refs)
    for ref in refs:
        assert read_record(recorder.path, ref.offset, ref.length) == ref
    with open(recorder.path, "rb") as f:
        kept = {
            r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
            for r in ArchiveIterator(f)
            if r.rec_type == "response"
        }
    assert kept == {url: body for url, (body, _) in fetched.items()}
    # Sealed from the bytes as they were appended: the same as reading the file back.
    assert recorder.sealed == [warc.seal_warc(recorder.path)]
