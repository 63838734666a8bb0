"""Budgets per URL, hit in a list: the URL is recorded with the reason, the rest is archived.

A page dripping a byte at a time and a photo that stalls are cut at the URL's deadline;
an article embedding 150 posts stops at the URL's request budget and says how
many of its embeds it left out. Small budgets, set as a user would (the environment).
"""

from __future__ import annotations

import re

from faults import (
    archived_ok,
    article_html,
    assert_verifies,
    failure_of,
    query,
    run_list,
    serve_photo_post,
    serve_posts,
)
from slow_server import drip, stall

DRIP = "https://news.example/drip"
MANY = "https://news.example/live-blog"


def test_a_dripping_page_is_cut_at_the_url_deadline(
    replay, settings, archive_cli, earlier, tmp_path, monkeypatch
):
    monkeypatch.setenv("ARCHIVER_URL_DEADLINE", "1")
    good = serve_posts(replay, 4, 1850000000000000000)
    replay.add(DRIP, handler=drip)

    run = run_list(archive_cli, tmp_path, [good[0], DRIP, *good[1:]])

    # Cut by the deadline (this reason), not 15 s in by the minimum transfer rate (another).
    assert run.status == 1
    reason = (
        f"the 1 s allowed for one URL ran out while fetching {DRIP}"
        " (set ARCHIVER_URL_DEADLINE to allow more)"
    )
    assert [line for line in run.out.splitlines() if line.startswith("FAILED")] == [
        f"FAILED {DRIP}: {reason}"
    ]
    assert "unexpected" not in run.err  # a budget is no bug
    assert failure_of(settings, DRIP)[:2] == ("error", reason)
    assert archived_ok(settings, good) == set(good)
    assert_verifies(settings)
    earlier.assert_intact()


def test_a_stalled_photo_is_cut_at_the_deadline_and_its_post_kept_partial(
    replay, settings, archive_cli, earlier, monkeypatch
):
    monkeypatch.setenv("ARCHIVER_URL_DEADLINE", "1")
    url = serve_photo_post(replay, "1860000000000000001", handler=stall)

    run = archive_cli(url)

    # (That the deadline cuts a request in flight, before the read timeout: tests/test_budget.py.)
    assert run.status == 0, run.out
    assert run.out.startswith(f"partial  {url}")
    photo = "https://pbs.twimg.com/media/R1860000000000000001?format=jpg&name=orig"
    note = f"photo {photo}: the 1 s allowed for one URL ran out while fetching {photo}"
    assert f"note: {note} (set ARCHIVER_URL_DEADLINE to allow more)" in run.out
    assert query(settings, "select status from posts where id = 'x:1860000000000000001'") == [
        ("ok",)
    ]
    status, error, _ = failure_of(settings, url)
    assert status == "partial" and error.startswith(note)
    assert_verifies(settings)
    earlier.assert_intact()


def test_an_article_with_150_embeds_stops_at_the_request_budget(
    replay, settings, archive_cli, earlier, tmp_path, monkeypatch
):
    monkeypatch.setenv("ARCHIVER_MAX_REQUESTS", "25")
    first = 1870000000000000000
    embedded = serve_posts(replay, 150, first)
    ids = [str(first + i) for i in range(150)]
    replay.add(MANY, article_html(ids), content_type="text/html")
    good = serve_posts(replay, 3, 1880000000000000000)
    before = len(replay.requests)

    run = run_list(archive_cli, tmp_path, [MANY, *good], "-q")

    assert run.status == 0, run.out  # the article is kept, with what it could archive
    spent = (
        "the 25 requests allowed for one URL were spent (set ARCHIVER_MAX_REQUESTS to allow more)"
    )
    note = re.search(
        rf"note: (\d+) of 150 embedded posts not archived: {re.escape(spent)}", run.out
    )
    assert note, run.out
    left_out = int(note.group(1))
    status, error, _ = failure_of(settings, MANY)
    assert (status, error) == ("partial", note.group(0).removeprefix("note: "))
    # Each embed is recorded: those archived, and those left out with the reason.
    rows = query(settings, "select status, error from embeds order by position")
    assert len(rows) == 150
    assert rows[-left_out:] == [("failed", f"not archived: {spent}")] * left_out
    assert query(settings, "select count(*) from captures where parent_id is not null")[0][0] == (
        150 - left_out
    )
    # The article's requests stayed within its budget; each other URL had its own.
    article_requests = [
        r for r in replay.requests[before:]
        if r.host == "news.example" or r.query.get("id") in ids
        or r.path.removeprefix("/media/R") in ids
    ]  # fmt: skip
    assert len(article_requests) <= 25
    assert archived_ok(settings, good) == set(good)
    assert archived_ok(settings, embedded[:5]) == set(embedded[:5])
    assert_verifies(settings)
    earlier.assert_intact()
