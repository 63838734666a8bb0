"""A POST with a raw body (an extractor's JSON API): sent as given, recorded with its body,
checked and retried as a POST may be (only when the server said when to come back)."""

from __future__ import annotations

import json
import socket

import pytest

from archiver.errors import BudgetExceeded, FetchError
from archiver.fetch.client import Fetcher
from archiver.fetch.cookies import REDACTED
from archiver.fetch.exchange import Recorder
from archiver.web.replay import ReplayResponse

API = "https://api.example/graphql"
QUERY = json.dumps({"query": "query { video(id: 7) { url } }"}).encode()


class RequestRecorder(Recorder):
    """Keeps what the WARC writer is handed of each request."""

    def __init__(self):
        self.requests = []

    def record(self, exchange):
        self.requests.append(
            (exchange.method, exchange.url, dict(exchange.request_headers), exchange.request_body)
        )
        return "memory"


def answers(*responses: ReplayResponse):
    """A replay handler giving these responses in turn (the last one from then on)."""
    given = list(responses)

    def handler(request, _socket):
        return given.pop(0) if len(given) > 1 else given[0]

    return handler


def ok() -> ReplayResponse:
    return ReplayResponse(200, {"Content-Type": "application/json"}, b'{"data": {"url": "x"}}')


def test_a_raw_body_is_sent_with_its_content_type_and_recorded_with_it(replay, settings, tmp_path):
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n.api.example\tTRUE\t/\tTRUE\t2145916800\tsid\tS3CRET\n"
    )
    replay.add(API, {"data": {"url": "x"}}, method="POST")
    recorder = RequestRecorder()

    with (
        Fetcher(settings.with_(cookies_file=cookies), recorder) as fetcher,
        fetcher.post(
            API, content=QUERY, content_type="application/json",
            headers={"Authorization": "Bearer T0KEN", "content-type": "text/plain"},
        ) as answer,
    ):  # fmt: skip
        assert answer.json() == {"data": {"url": "x"}}

    [sent] = replay.requests
    assert (sent.method, sent.body, sent.headers["content-type"]) == (
        "POST", QUERY, "application/json"
    )  # fmt: skip
    assert sent.headers["cookie"] == "sid=S3CRET"
    [(method, url, headers, body)] = recorder.requests
    assert (method, url, body) == ("POST", API, QUERY)
    assert headers["Content-Type"] == "application/json"
    assert headers["Cookie"] == headers["Authorization"] == REDACTED


@pytest.mark.parametrize(
    ("first", "sent"),
    [
        (ReplayResponse(503, {"Retry-After": "0"}), 2),  # said when: sent again
        (ReplayResponse(429, {"Retry-After": "1"}), 2),
        (ReplayResponse(503), 1),  # no Retry-After: it may have done its work
        (ReplayResponse(500), 1),
        (ReplayResponse(502, {"Retry-After": "0"}), 1),
        (ReplayResponse(503, {"Retry-After": "3600"}), 1),  # past max_retry_after: said, not waited
    ],
)
def test_a_post_is_sent_again_only_when_the_server_said_when(replay, settings, first, sent):
    replay.add(API, handler=answers(first, ok()), method="POST")

    with Fetcher(settings) as fetcher, fetcher.post(API, content=QUERY) as answer:
        status = answer.status

    assert len(replay.requests) == sent
    assert status == (200 if sent == 2 else first.status)
    assert all(r.body == QUERY for r in replay.requests)


def test_a_post_whose_connection_breaks_is_not_sent_again(replay, settings):
    def reset(request, handler):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        handler.connection.close()

    replay.add(API, handler=reset, method="POST")

    with Fetcher(settings) as fetcher, pytest.raises(FetchError, match="posting to"):
        fetcher.post(API, content=QUERY)

    assert len(replay.requests) == 1


def test_a_post_a_public_page_led_to_may_not_reach_a_private_address(replay, settings):
    with (
        Fetcher(settings) as fetcher,
        fetcher.found_on("https://news.example/story"),
        pytest.raises(FetchError, match="10.0.0.5 is a private address"),
    ):
        fetcher.post("http://10.0.0.5/api", content=QUERY)

    assert replay.requests == []


def test_a_post_is_charged_to_the_urls_request_budget(replay, settings):
    replay.add(API, handler=answers(ok()), method="POST")

    with (
        Fetcher(settings.with_(max_requests_per_capture=1)) as fetcher,
        fetcher.budget("https://news.example/story"),
    ):
        fetcher.post(API, content=QUERY).close()
        with pytest.raises(BudgetExceeded):
            fetcher.post(API, content=QUERY)

    assert len(replay.requests) == 1


def test_a_redirected_post_names_where_it_was_sent(replay, settings):
    replay.add(API, status=303, headers={"Location": "/answer/7"}, method="POST")

    with Fetcher(settings) as fetcher, fetcher.post(API, content=QUERY) as answer:
        assert (answer.status, answer.final_url) == (303, "https://api.example/answer/7")
        assert answer.redirects == ["https://api.example/answer/7"]

    assert [r.path for r in replay.requests] == ["/graphql"]
