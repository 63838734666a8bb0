"""The HTTP layer: host mapping, redirects, retries, size caps, decoding, and what it records."""

from __future__ import annotations

import gzip
import hashlib
import socket
import time

import pytest
from slow_server import drip

from archiver.errors import FetchError, ResponseTooLarge, UsageError
from archiver.fetch.client import Fetcher
from archiver.fetch.exchange import Recorder
from archiver.settings import Settings, parse_connect_to
from archiver.web.replay import ReplayResponse


class ListRecorder(Recorder):
    def __init__(self):
        self.exchanges = []

    def record(self, exchange):
        self.exchanges.append((exchange.url, exchange.status, exchange.raw_body_path.read_bytes()))
        return "memory"


def test_connect_to_parses_pairs_and_wildcard():
    assert parse_connect_to(["x.com=http://127.0.0.1:9", "*=http://localhost:8/"]) == {
        "x.com": "http://127.0.0.1:9",
        "*": "http://localhost:8",
    }
    with pytest.raises(UsageError):
        parse_connect_to(["x.com"])
    with pytest.raises(UsageError):
        parse_connect_to(["x.com=ftp://mirror"])


def test_environment_mapping_and_flags_combine(tmp_path):
    settings = Settings.from_env(
        {
            "ARCHIVER_CONNECT_TO": "a.com=http://127.0.0.1:1, b.com=http://127.0.0.1:2",
            "ARCHIVER_DB": str(tmp_path / "e.db"),
        },
        connect_to={"b.com": "http://127.0.0.1:3"},
    )
    assert settings.connect_to == {"a.com": "http://127.0.0.1:1", "b.com": "http://127.0.0.1:3"}
    assert settings.db_path == tmp_path / "e.db"


def test_mapped_host_keeps_original_url_and_host_header(replay, settings):
    replay.add(
        "https://cdn.syndication.twimg.com/tweet-result?id=5",
        b'{"ok":1}',
        content_type="application/json",
    )
    recorder = ListRecorder()
    with (
        Fetcher(settings, recorder) as fetcher,
        fetcher.get("https://cdn.syndication.twimg.com/tweet-result?id=5&lang=en") as r,
    ):
        assert r.status == 200 and r.json() == {"ok": 1}
        assert r.final_url == "https://cdn.syndication.twimg.com/tweet-result?id=5&lang=en"
    request = replay.requests[-1]
    assert request.host == "cdn.syndication.twimg.com"
    assert request.headers["user-agent"].startswith("archiver/")
    assert recorder.exchanges == [
        ("https://cdn.syndication.twimg.com/tweet-result?id=5&lang=en", 200, b'{"ok":1}')
    ]


def test_only_the_mapped_host_is_rerouted(replay, tmp_path, monkeypatch):
    replay.add("https://a.example/x", b"from replay")
    settings = Settings(
        blobs_dir=tmp_path,
        connect_to={"a.example": replay.base_url + "/"},
        max_retries=0,
        timeout=2,
    )
    looked_up: list[str] = []

    def getaddrinfo(host, *args, **kwargs):  # an offline resolver: this name does not exist
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with Fetcher(settings) as fetcher:
        with fetcher.get("https://a.example/x") as r:
            assert r.read() == b"from replay"
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        with pytest.raises(FetchError):
            fetcher.get("https://b.invalid/x")
    assert looked_up == ["b.invalid"]  # the unmapped host is looked up itself, not rerouted
    assert replay.requested("b.invalid") == []


def test_redirect_chain_is_followed_and_every_hop_recorded(replay, settings):
    replay.redirect("https://t.co/abc", "https://bit.ly/def")
    replay.redirect("https://bit.ly/def", "https://example.org/final", status=302)
    replay.add("https://example.org/final", "done")
    recorder = ListRecorder()
    with Fetcher(settings, recorder) as fetcher, fetcher.get("https://t.co/abc") as r:
        assert r.text() == "done"
        assert r.url == "https://t.co/abc" and r.final_url == "https://example.org/final"
        assert r.redirects == ["https://bit.ly/def", "https://example.org/final"]
    assert [(u, s) for u, s, _ in recorder.exchanges] == [
        ("https://t.co/abc", 301),
        ("https://bit.ly/def", 302),
        ("https://example.org/final", 200),
    ]


def test_redirect_can_stop_at_a_recognised_url(replay, settings):
    replay.redirect("https://t.co/abc", "https://twitter.com/u/status/1/photo/1")
    with (
        Fetcher(settings) as fetcher,
        fetcher.get("https://t.co/abc", stop_redirect=lambda u: "/status/" in u) as r,
    ):
        assert r.final_url == "https://twitter.com/u/status/1/photo/1"
    assert replay.requested("twitter.com") == []


def test_redirect_loop_is_an_error(replay, settings):
    replay.redirect("https://a.example/1", "https://a.example/2")
    replay.redirect("https://a.example/2", "https://a.example/1")
    with Fetcher(settings) as fetcher, pytest.raises(FetchError, match="redirect loop"):
        fetcher.get("https://a.example/1")


def test_server_errors_are_retried_then_succeed(replay, settings):
    calls = []

    def flaky(request, handler):
        calls.append(time.monotonic())
        return ReplayResponse(503 if len(calls) < 3 else 200, {}, b"finally")

    replay.add("https://flaky.example/", handler=flaky)
    with Fetcher(settings) as fetcher, fetcher.get("https://flaky.example/") as r:
        assert r.status == 200 and r.read() == b"finally"
    assert len(calls) == 3


def test_429_retry_after_is_honoured(replay, settings):
    calls = []

    def limited(request, handler):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return ReplayResponse(429, {"Retry-After": "1"}, b"slow down")
        return ReplayResponse(200, {}, b"ok")

    replay.add("https://limited.example/", handler=limited)
    with Fetcher(settings) as fetcher, fetcher.get("https://limited.example/") as r:
        assert r.read() == b"ok"
    assert calls[1] - calls[0] >= 0.95


def test_429_asking_for_too_long_a_wait_is_returned_not_slept(replay, settings):
    replay.add("https://limited.example/", b"", status=429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with Fetcher(settings) as fetcher, fetcher.get("https://limited.example/") as r:
        assert r.status == 429
    assert len(replay.requests) == 1  # not tried again
    assert time.monotonic() - started < 60  # milliseconds, however busy the machine: not the hour


def test_response_over_the_size_cap_is_refused(replay, settings):
    replay.add("https://big.example/", b"x" * 10_000)
    streamed = b"y" * 10_000
    replay.add("https://big.example/streamed", handler=lambda req, h: _unsized(h, streamed))
    with Fetcher(settings) as fetcher:
        with pytest.raises(ResponseTooLarge):
            fetcher.get("https://big.example/", max_bytes=1000)
        # Without a Content-Length the cap is enforced while streaming, and no partial file stays.
        with pytest.raises(ResponseTooLarge):
            fetcher.get("https://big.example/streamed", max_bytes=1000)
    assert list((settings.blobs_dir / "tmp").iterdir()) == []


def test_a_body_dripping_slower_than_the_minimum_rate_is_cut(replay, settings):
    # One byte every 0.1 s never trips a read timeout; the minimum transfer rate cuts it.
    replay.add("https://drip.example/", handler=drip)
    slow = settings.with_(min_transfer_rate=100, transfer_grace=1.0)
    with Fetcher(slow) as fetcher, pytest.raises(FetchError, match="under the 100 bytes/s minimum"):
        fetcher.get("https://drip.example/")  # else its 200 bytes take 20 s and end short
    assert list((settings.blobs_dir / "tmp").iterdir()) == []


def _unsized(handler, body: bytes):
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)
    handler.close_connection = True


def test_gzip_body_is_decoded_for_us_and_kept_raw_for_the_warc(replay, settings):
    body = b'{"text": "hello"}' * 100
    replay.add(
        "https://gz.example/",
        gzip.compress(body),
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )
    recorder = ListRecorder()
    with Fetcher(settings, recorder) as fetcher, fetcher.get("https://gz.example/") as r:
        assert r.read() == body
        assert r.body_sha256 == hashlib.sha256(body).hexdigest()
    assert gzip.decompress(recorder.exchanges[0][2]) == body


def test_gzip_bomb_stops_at_the_cap(replay, settings):
    bomb = gzip.compress(b"\0" * 50_000_000)
    replay.add("https://bomb.example/", bomb, headers={"Content-Encoding": "gzip"})
    with Fetcher(settings) as fetcher, pytest.raises(ResponseTooLarge):
        fetcher.get("https://bomb.example/", max_bytes=1_000_000)


def test_every_gzip_member_is_decoded_and_padding_after_them_ignored(replay, settings):
    # RFC 1952 lets members follow one another; some servers pad the end with zeros.
    body = gzip.compress(b"first member, ") + gzip.compress(b"second member") + b"\0" * 8
    replay.add("https://gz.example/", body, headers={"Content-Encoding": "gzip"})
    recorder = ListRecorder()
    with Fetcher(settings, recorder) as fetcher, fetcher.get("https://gz.example/") as r:
        assert r.read() == b"first member, second member"
    assert recorder.exchanges[0][2] == body  # the WARC keeps what was served


def test_a_compressed_body_may_not_expand_without_limit_under_the_size_cap(replay, settings):
    # 1 MB of gzip that would be a 1 GiB "photo": the media cap (gigabytes) does not stop it.
    bomb = gzip.compress(b"\0" * 300_000_000, compresslevel=9)
    replay.add("https://bomb.example/photo.jpg", bomb, headers={"Content-Encoding": "gzip"})
    cpu = time.process_time()  # not wall time: a busy machine stretches that, not this
    with Fetcher(settings) as fetcher, pytest.raises(ResponseTooLarge, match="ratio"):
        fetcher.get("https://bomb.example/photo.jpg", max_bytes=4 * 1024**3)
    assert time.process_time() - cpu < 10  # inflating all 300 MB would take longer
    assert (settings.blobs_dir / "tmp").is_dir()
    assert not list((settings.blobs_dir / "tmp").iterdir())  # nothing left half-written


def test_corrupt_gzip_is_a_fetch_error(replay, settings):
    replay.add(
        "https://gz.example/", b"\x1f\x8b\x08\x00garbage" * 10, headers={"Content-Encoding": "gzip"}
    )
    with Fetcher(settings) as fetcher, pytest.raises(FetchError, match="corrupt gzip body"):
        fetcher.get("https://gz.example/")


def test_truncated_gzip_is_an_error(replay, settings):
    replay.add(
        "https://gz.example/",
        gzip.compress(b"a" * 5000)[:-20],
        headers={"Content-Encoding": "gzip"},
    )
    with Fetcher(settings) as fetcher, pytest.raises(FetchError, match="truncated"):
        fetcher.get("https://gz.example/")


def test_timeouts_are_retried_and_reported(replay, tmp_path):
    def stall(request, handler):
        time.sleep(1.5)
        return ReplayResponse(200, {}, b"late")

    replay.add("https://slow.example/", handler=stall)
    settings = Settings(
        blobs_dir=tmp_path,
        connect_to={"*": replay.base_url},
        timeout=0.3,
        max_retries=1,
        backoff_base=0.01,
    )
    with Fetcher(settings) as fetcher, pytest.raises(FetchError, match="timed out"):
        fetcher.get("https://slow.example/")


def test_connection_cut_mid_body_is_an_error(replay, settings):
    def cut(request, handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"partial")
        handler.wfile.flush()
        handler.close_connection = True
        return None

    replay.add("https://cut.example/", handler=cut)
    with Fetcher(settings) as fetcher, pytest.raises(FetchError):
        fetcher.get("https://cut.example/")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "not a url", "https://", "javascript:alert(1)"]
)
def test_non_http_urls_are_usage_errors(settings, url):
    with Fetcher(settings) as fetcher, pytest.raises(UsageError):
        fetcher.get(url)
