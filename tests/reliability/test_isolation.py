"""A bug, or an answer no code path expected, fails its own URL: the run goes on with the rest.

Each failure is a capture with status error and a one-line reason (its event in the hash
chain), the traceback goes to archiver-errors.log beside the archive (named once at the
end of the run), the exit status is 1, and every other URL of the list is archived.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from factories import jpeg_bytes
from faults import (
    archived_ok,
    article_html,
    assert_verifies,
    failure_of,
    photo_post,
    post_url,
    query,
    run_list,
    serve_photo_post,
    serve_posts,
)
from recorded import serve_syndication
from slow_server import drip

import archiver.media.download
from archiver import platforms
from archiver.pipeline.archive import Archiver

ARTICLE = "https://news.example/2024/08/three-posts"


def break_adapter(monkeypatch, post_id: str, error) -> None:
    """X's adapter fetches `post_id` for real, then fails with `error()`: a bug in the real pipeline."""
    named = platforms.platform_named

    def platform_named(name: str):
        platform = named(name)
        if name != "x":
            return platform

        def fetch_post(ref, fetcher):
            post = platform.fetch_post(ref, fetcher)
            if ref.post_id == post_id:
                raise error()
            return post

        return dataclasses.replace(platform, fetch_post=fetch_post)

    monkeypatch.setattr(platforms, "platform_named", platform_named)


def break_analysis(monkeypatch, post_id: str, error) -> None:
    """Analysing the photo of `post_id` (downloaded and kept) fails with `error()`: a bug in media."""
    analyse = archiver.media.download.analyse_media

    def analyse_media(path, sha256, root, *, first_url, **options):
        if f"/R{post_id}?" in first_url:
            raise error()
        return analyse(path, sha256, root, first_url=first_url, **options)

    monkeypatch.setattr(archiver.media.download, "analyse_media", analyse_media)


def recurse(depth: int = 0) -> int:
    return recurse(depth + 1) + 1


def deep_recursion() -> RecursionError:
    try:
        recurse()
    except RecursionError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "breaks, error, reason",
    [
        (break_adapter, lambda: RuntimeError("adapter bug"), "RuntimeError: adapter bug"),
        (break_analysis, lambda: KeyError("legacy"), "KeyError: 'legacy'"),
        (
            break_analysis,
            lambda: ValueError("two\nlines\r\n\tand a tab"),
            "ValueError: two lines and a tab",
        ),
        (break_analysis, deep_recursion, "RecursionError: maximum recursion depth exceeded"),
    ],
)
def test_a_bug_fails_only_its_post(
    replay, settings, archive_cli, earlier, tmp_path, monkeypatch, breaks, error, reason
):
    good = serve_posts(replay, 10, 1800000000000000000)
    bad_id = "1800000000000000100"
    bad = serve_photo_post(replay, bad_id, jpeg_bytes(seed=99, size=(64, 48)))  # a photo of its own
    breaks(monkeypatch, bad_id, error)

    run = run_list(archive_cli, tmp_path, [*good[:5], bad, *good[5:]])

    log = settings.db_path.parent / "archiver-errors.log"
    assert run.status == 1
    failed = [line for line in run.out.splitlines() if line.startswith("FAILED")]
    assert failed == [f"FAILED {bad}: unexpected error: {reason}"]
    assert run.err.count("details of 1 unexpected error in") == 1
    assert f"details of 1 unexpected error in {log}\n" in run.err
    assert "done 10, failed 1, skipped 0" in run.err
    status, error_text, events = failure_of(settings, bad)
    assert (status, error_text) == ("error", f"unexpected error: {reason}") and events >= 1
    assert archived_ok(settings, good) == set(good)
    logged = log.read_text("utf-8")
    assert logged.count("Traceback (most recent call last):") == 1
    assert f" {bad}\n" in logged and f", in {breaks.__name__}" not in logged  # the bug's own frame
    assert ", in fetch_post\n" in logged or ", in analyse_media\n" in logged
    assert_verifies(settings)
    earlier.assert_intact()


def test_malformed_platform_answers_stop_nothing_but_their_posts(
    replay, settings, archive_cli, earlier, tmp_path
):
    """Answers of shapes an adapter may not expect: whatever it makes of them (a bug, a parse
    error, the post without the odd field), each is one capture and the list goes on."""
    good = serve_posts(replay, 10, 1810000000000000000)
    bad = []
    for post_id, change in [
        ("1810000000000000100", {"user": "x"}),
        ("1810000000000000101", {"mediaDetails": [1]}),
    ]:
        answer = dict(json.loads(photo_post(post_id, f"R{post_id}")), **change)
        serve_syndication(replay, post_id, json.dumps(answer).encode())
        bad.append(post_url(post_id))

    run = run_list(archive_cli, tmp_path, [*good[:5], *bad, *good[5:]], "--json")

    results = {line["url"]: line for line in run.json_lines()}
    assert set(results) == set(good) | set(bad)
    failed = [url for url in bad if results[url]["status"] == "error"]
    assert run.status == (1 if failed else 0)
    for url in bad:
        status, reason, events = failure_of(settings, url)
        assert status == results[url]["status"] and events >= 1
        assert url not in failed or (reason and "\n" not in reason and "Traceback" not in reason)
    unexpected = [url for url in failed if results[url]["error"].startswith("unexpected error: ")]
    if unexpected:  # a bug (today): said once, its details in the log
        assert f"details of {len(unexpected)} unexpected error" in run.err
    assert archived_ok(settings, good) == set(good)
    assert_verifies(settings)
    earlier.assert_intact()


def test_an_embedded_post_that_fails_unexpectedly_keeps_its_article(
    replay, settings, archive_cli, earlier, monkeypatch
):
    ids = ["1820000000000000001", "1820000000000000002", "1820000000000000003"]
    urls = serve_posts(replay, 3, int(ids[0]))
    replay.add(ARTICLE, article_html(ids), content_type="text/html")
    break_adapter(monkeypatch, ids[1], lambda: RuntimeError("string indices must be integers"))

    run = archive_cli("--json", ARTICLE)

    [result] = run.json_lines()
    assert run.status == 0  # the article is kept; one post it shows is not
    assert result["status"] == "partial" and result["capture_id"]
    reason = "unexpected error: RuntimeError: string indices must be integers"
    assert [(e["status"], e["error"]) for e in result["embeds"]] == [
        ("archived", None), ("failed", reason), ("archived", None),
    ]  # fmt: skip
    assert query(settings, "select status from captures where id = ?", [result["capture_id"]]) == [
        ("ok",)
    ]
    status, error, _ = failure_of(settings, urls[1])
    assert (status, error) == ("error", reason)
    assert query(settings, "select parent_id from captures where url = ?", [urls[1]]) == [
        (result["capture_id"],)
    ]
    assert "details of 1 unexpected error in" in run.err
    assert_verifies(settings)
    earlier.assert_intact()


def test_a_bug_in_the_page_path_fails_only_its_page(
    replay, settings, archive_cli, earlier, tmp_path, monkeypatch
):
    import archiver.pipeline.page

    good = serve_posts(replay, 3, 1830000000000000000)
    replay.add(
        "https://news.example/odd", "<html><title>odd</title></html>", content_type="text/html"
    )

    def broken_metadata(*args, **kwargs):
        raise UnicodeError("label too long")

    monkeypatch.setattr(archiver.pipeline.page, "page_metadata", broken_metadata)

    run = run_list(archive_cli, tmp_path, [*good, "https://news.example/odd"])

    assert run.status == 1
    assert "FAILED https://news.example/odd: unexpected error: UnicodeError: label too long" in (
        run.out
    )
    assert failure_of(settings, "https://news.example/odd")[0] == "error"
    assert query(settings, "select kind from captures where url = 'https://news.example/odd'") == [
        ("page",)
    ]
    assert archived_ok(settings, good) == set(good)
    assert_verifies(settings)
    earlier.assert_intact()


def test_a_bug_before_a_url_is_taken_up_is_still_a_capture(
    replay, settings, archive_cli, tmp_path, monkeypatch
):
    import archiver.pipeline.archive

    good = serve_posts(replay, 2, 1835000000000000000)
    odd = "https://news.example/odd"
    check_url = archiver.pipeline.archive.check_url

    def broken_check(url: str) -> None:
        if url == odd:
            raise IndexError("list index out of range")
        check_url(url)

    monkeypatch.setattr(archiver.pipeline.archive, "check_url", broken_check)

    run = run_list(archive_cli, tmp_path, [odd, *good])

    assert run.status == 1
    assert f"FAILED {odd}: unexpected error: IndexError: list index out of range" in run.out
    assert failure_of(settings, odd)[0] == "error"
    assert query(settings, "select kind from captures where url = ?", [odd]) == [("page",)]
    assert archived_ok(settings, good) == set(good)
    assert_verifies(settings)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_an_interrupt_still_stops_the_run(replay, settings, monkeypatch, concurrency):
    urls = serve_posts(replay, 8, 1840000000000000000)
    break_adapter(monkeypatch, "1840000000000000000", KeyboardInterrupt)

    with (
        Archiver(settings.with_(concurrency=concurrency)) as archiver,
        pytest.raises(KeyboardInterrupt),
    ):
        list(archiver.archive_many(urls))

    assert query(settings, "select count(*) from captures where url = ?", [urls[0]]) == [(0,)]
    assert not (settings.db_path.parent / "archiver-errors.log").exists()


def test_an_interrupt_ends_the_urls_in_progress_at_once(replay, settings, monkeypatch):
    """Not at their deadlines: a dripping page would hold the interrupted run for minutes."""
    drip_url = "https://news.example/drip"
    replay.add(drip_url, handler=drip)
    [url] = serve_posts(replay, 1, 1845000000000000000)

    def interrupt_while_dripping() -> KeyboardInterrupt:
        waited = time.monotonic() + 30  # a wait until (a busy machine may be slow to send it)
        while not replay.requested("news.example") and time.monotonic() < waited:
            time.sleep(0.01)
        return KeyboardInterrupt()

    break_adapter(monkeypatch, "1845000000000000000", interrupt_while_dripping)
    started = time.monotonic()

    with Archiver(settings.with_(concurrency=2)) as archiver, pytest.raises(KeyboardInterrupt):
        list(archiver.archive_many([drip_url, url]))

    # At once: the dripping page would hold the run 15 s (its minimum transfer rate's grace).
    assert time.monotonic() - started < 10
    assert failure_of(settings, drip_url)[:2] == ("error", "stopped: the run was interrupted")
    assert query(settings, "select count(*) from captures where url = ?", [url]) == [(0,)]
