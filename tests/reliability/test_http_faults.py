"""Servers that fail: gone posts, errors, rate limits, timeouts, broken bodies, redirect trouble."""

from __future__ import annotations

import gzip
import time

import pytest
from faults import photo_post, post_url, query, serve_photo_post
from recorded import SYNDICATION, fixture_path, serve_syndication
from warcio.archiveiterator import ArchiveIterator

from archiver.web.replay import ReplayResponse

OEMBED = "https://publish.twitter.com/oembed"


@pytest.mark.parametrize("status", [404, 410])
def test_a_post_gone_from_both_endpoints_is_recorded_as_deleted(
    replay, settings, archive_cli, earlier, status
):
    serve_syndication(replay, "1500000000000000001", b"", status=status)
    replay.add(OEMBED, b"", status=status)

    run = archive_cli(post_url("1500000000000000001"))

    assert run.status == 0, run.err  # archived: the fact that it is gone is the evidence
    assert run.out.startswith("deleted  https://x.com/SamuelSusla/status/1500000000000000001")
    assert f"X answered {status} and {status}" in run.out
    assert query(settings, "select status from posts where id = 'x:1500000000000000001'") == [
        ("deleted",)
    ]
    assert query(
        settings, "select status from captures where post_db_id = 'x:1500000000000000001'"
    ) == [("deleted",)]
    earlier.assert_intact()


def test_a_tombstone_is_recorded_with_what_x_says(replay, settings, archive_cli, earlier):
    serve_syndication(replay, "1500000000000000002", "tweet-result_tombstone_deleted.json")

    run = archive_cli(post_url("1500000000000000002"))

    assert run.status == 0
    assert "X says: This Post was deleted by the Post author." in run.out
    rows = query(settings, "select status, raw from posts where id = 'x:1500000000000000002'")
    assert rows[0][0] == "deleted" and "TweetTombstone" in rows[0][1]  # the answer, verbatim
    earlier.assert_intact()


def serve_after_failures(replay, post_id: str, *failures: ReplayResponse) -> list[float]:
    """Serve a photo post whose JSON comes only after `failures`; returns when each request came."""
    calls: list[float] = []
    body = photo_post(post_id, f"R{post_id}")
    answers = [*failures, ReplayResponse(200, {"Content-Type": "application/json"}, body)]

    def handler(request, http):
        calls.append(time.monotonic())
        return answers[min(len(calls), len(answers)) - 1]

    serve_photo_post(replay, post_id)
    replay.add(f"{SYNDICATION}?id={post_id}", handler=handler)
    return calls


def test_server_errors_are_retried_until_the_post_comes(replay, settings, archive_cli, earlier):
    busy = ReplayResponse(503, {"Content-Type": "text/plain"}, b"busy")
    calls = serve_after_failures(replay, "1500000000000000003", busy, busy)

    run = archive_cli(post_url("1500000000000000003"))

    assert run.status == 0, run.out
    assert run.out.startswith("ok ")
    assert len(calls) == 3
    # The failed attempts are evidence too: every exchange is in the WARC.
    [warc] = query(
        settings, "select warc_file from captures where post_db_id = 'x:1500000000000000003'"
    )
    with open(settings.db_path.parent / warc[0], "rb") as f:
        statuses = [
            r.http_headers.get_statuscode()
            for r in ArchiveIterator(f)
            if r.rec_type == "response"
            and "id=1500000000000000003" in r.rec_headers.get_header("WARC-Target-URI")
        ]
    assert statuses == ["503", "503", "200"]
    earlier.assert_intact()


def test_429_retry_after_is_honoured(replay, settings, archive_cli):
    limited = ReplayResponse(429, {"Retry-After": "1"}, b"slow down")
    calls = serve_after_failures(replay, "1500000000000000004", limited)

    run = archive_cli(post_url("1500000000000000004"))

    assert run.status == 0, run.out
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95


def test_429_asking_for_a_longer_wait_than_allowed_fails_that_url_at_once(
    replay, settings, archive_cli, earlier
):
    # The test settings honour Retry-After up to 2 s (the default is 60 s).
    serve_syndication(replay, "1500000000000000005", b"", status=429)
    replay.add(
        f"{SYNDICATION}?id=1500000000000000005",
        b"rate limited",
        status=429,
        headers={"Retry-After": "3600"},
    )
    started = time.monotonic()

    run = archive_cli(post_url("1500000000000000005"))

    assert time.monotonic() - started < 60  # seconds at most, however busy: not the hour
    assert run.status == 1
    assert "FAILED https://x.com/SamuelSusla/status/1500000000000000005" in run.out
    assert "syndication HTTP 429" in run.out
    assert query(
        settings, "select status, error like '%HTTP 429%' from captures where post_db_id = ?",
        ["x:1500000000000000005"],
    ) == [("error", 1)]  # fmt: skip
    earlier.assert_intact()


def test_a_stalled_server_times_out_and_is_reported(replay, settings, archive_cli, earlier):
    def stall(request, handler):
        time.sleep(settings.timeout + 1)
        return ReplayResponse(200, {}, b"{}")

    replay.add(f"{SYNDICATION}?id=1500000000000000006", handler=stall)

    run = archive_cli("--retries", "0", post_url("1500000000000000006"))

    assert run.status == 1
    assert "timed out fetching https://cdn.syndication.twimg.com/tweet-result" in run.out
    assert query(
        settings, "select status from captures where post_db_id = 'x:1500000000000000006'"
    ) == [("error",)]
    earlier.assert_intact()


def test_a_photo_cut_off_mid_body_leaves_a_partial_post_that_a_rerun_completes(
    replay, settings, archive_cli, earlier, tmp_path
):
    def cut(request, handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "image/jpeg")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"\xff\xd8\xff\xe0 only the start")
        handler.wfile.flush()
        handler.close_connection = True

    url = serve_photo_post(replay, "1500000000000000007", handler=cut)
    urls = tmp_path / "urls.txt"
    urls.write_text(url + "\n")

    run = archive_cli("--input", str(urls))

    assert run.status == 0  # the post is archived; the note says what is missing
    assert "partial  " + url in run.out
    assert "connection broke mid-response" in run.out
    assert query(
        settings, "select sha256, error is not null from post_media where post_id = ?",
        ["x:1500000000000000007"],
    ) == [(None, 1)]  # fmt: skip
    assert query(settings, "select count(*) from media where bytes < 100") == [
        (0,)
    ]  # nothing half-downloaded kept as a file

    # The server recovers: a re-run of the list fetches the incomplete post again.
    serve_photo_post(replay, "1500000000000000007")
    rerun = archive_cli("--input", str(urls), "--json")
    assert rerun.status == 0
    assert [r["status"] for r in rerun.json_lines()] == ["ok"]
    assert query(
        settings,
        "select sha256 is not null from post_media where post_id = 'x:1500000000000000007'",
    ) == [(1,)]
    earlier.assert_intact()


def test_truncated_gzip_is_an_error_not_a_parse_of_half_a_document(
    replay, settings, archive_cli, earlier
):
    recorded = fixture_path("x", "syndication", "tweet-result_2023357708301455483_text_only.json")
    replay.add(
        f"{SYNDICATION}?id=2023357708301455483",
        gzip.compress(recorded.read_bytes())[:-40],
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )

    run = archive_cli("https://x.com/jarredsumner/status/2023357708301455483")

    assert run.status == 1
    assert "truncated gzip body from https://cdn.syndication.twimg.com/tweet-result" in run.out
    assert query(settings, "select count(*) from posts where id = 'x:2023357708301455483'") == [
        (0,)
    ]
    earlier.assert_intact()


@pytest.mark.parametrize("status", [404, 410, 500])
def test_an_article_that_answers_an_error_is_a_failed_capture(
    replay, settings, archive_cli, earlier, status
):
    replay.add("https://news.example/gone", b"no", status=status)

    run = archive_cli("--retries", "0", "https://news.example/gone")

    assert run.status == 1
    assert f"FAILED https://news.example/gone: HTTP {status} from https://news.example/gone" in (
        run.out
    )
    assert query(
        settings, "select kind, status, http_status from captures where url = ?",
        ["https://news.example/gone"],
    ) == [("page", "error", status)]  # fmt: skip
    assert query(settings, "select count(*) from pages") == [(0,)]
    earlier.assert_intact()


def test_a_redirect_loop_is_reported(replay, settings, archive_cli, earlier):
    replay.redirect("https://news.example/a", "https://news.example/b")
    replay.redirect("https://news.example/b", "https://news.example/a")

    run = archive_cli("https://news.example/a")

    assert run.status == 1
    assert "FAILED https://news.example/a: redirect loop at https://news.example/a" in run.out
    assert query(settings, "select status from captures where url = 'https://news.example/a'") == [
        ("error",)
    ]
    earlier.assert_intact()


def test_too_many_redirects_are_reported(replay, settings, archive_cli):
    for i in range(settings.max_redirects + 2):
        replay.redirect(f"https://news.example/hop{i}", f"https://news.example/hop{i + 1}")

    run = archive_cli("https://news.example/hop0")

    assert run.status == 1
    assert f"more than {settings.max_redirects} redirects" in run.out


def test_a_redirect_chain_across_hosts_is_followed_and_recorded(replay, settings, archive_cli):
    replay.redirect("https://news.example/story", "https://amp.news-cdn.example/story", 301)
    replay.redirect("https://amp.news-cdn.example/story", "https://www.othersite.example/s", 302)
    replay.add(
        "https://www.othersite.example/s",
        "<html><head><title>The story</title></head><body><p>Text.</p></body></html>",
        content_type="text/html",
    )

    run = archive_cli("--json", "https://news.example/story")

    assert run.status == 0, run.out
    [line] = run.json_lines()
    assert line["status"] == "ok" and line["kind"] == "page"
    assert query(
        settings, "select url, final_url from captures where id = ?", [line["capture_id"]]
    ) == [("https://news.example/story", "https://www.othersite.example/s")]
    assert [r.host for r in replay.requests] [-3:] == [
        "news.example", "amp.news-cdn.example", "www.othersite.example",
    ]  # fmt: skip
