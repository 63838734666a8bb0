"""A URL's budget in the fetch layer: its deadline cuts a body in flight, its requests run out."""

from __future__ import annotations

import threading
import time

import pytest
from factories import ts_bytes
from slow_server import Hold, drip

from archiver.errors import BudgetExceeded, UsageError
from archiver.fetch.client import Fetcher
from archiver.media.hls import join_video
from archiver.settings import Settings


@pytest.mark.parametrize("slow", ["drip", "hold"])
def test_the_deadline_cuts_a_body_in_flight(replay, settings, slow):
    # Nothing else ends these requests for 15 s (the dripping body's minimum rate, past its grace)
    # or 30 s (the read timeout): only the 1 s deadline can end them before that.
    with Hold() as hold:
        replay.add("https://slow.example/", handler=drip if slow == "drip" else hold)
        started = time.monotonic()
        with (
            Fetcher(settings.with_(url_deadline=1.0, timeout=30.0)) as fetcher,
            fetcher.budget("https://news.example/article"),
            pytest.raises(BudgetExceeded) as raised,
        ):
            fetcher.get("https://slow.example/")
        elapsed = time.monotonic() - started
    # Cut at the deadline: a busy machine may add a few seconds to it, not the 14 to the next end.
    assert 1.0 <= elapsed < 10.0
    assert str(raised.value) == (
        "the 1 s allowed for one URL ran out while fetching https://slow.example/"
        " (set ARCHIVER_URL_DEADLINE to allow more)"
    )
    assert len(replay.requests) == 1
    assert list((settings.blobs_dir / "tmp").iterdir()) == []


def test_requests_past_the_budget_are_refused_before_they_are_sent(replay, settings):
    replay.add("https://a.example/", b"ok")
    replay.redirect("https://a.example/moved", "https://a.example/")
    with Fetcher(settings.with_(max_requests_per_capture=3)) as fetcher:
        with fetcher.budget("https://a.example/moved") as budget:
            fetcher.get("https://a.example/moved").close()  # two requests: the hop counts
            with fetcher.budget("https://other.example/") as inner:  # an embed: the same budget
                assert inner is budget
                fetcher.get("https://a.example/").close()
            with pytest.raises(BudgetExceeded, match="the 3 requests allowed for one URL"):
                fetcher.get("https://a.example/")
            assert budget.spent() is not None
        fetcher.get("https://a.example/").close()  # outside any URL's budget
    assert len(replay.requests) == 4


def test_a_helper_thread_spends_the_same_budget(replay, settings):
    replay.add("https://a.example/", b"ok")
    errors: list[Exception] = []
    with Fetcher(settings.with_(max_requests_per_capture=1)) as fetcher:

        def helper(budget):
            with fetcher.charging(budget):
                try:
                    fetcher.get("https://a.example/")
                except BudgetExceeded as exc:
                    errors.append(exc)

        with fetcher.budget("https://a.example/") as budget:
            fetcher.get("https://a.example/").close()
            thread = threading.Thread(target=helper, args=(budget,))
            thread.start()
            thread.join()
    assert len(errors) == 1 and len(replay.requests) == 1


def test_a_playlist_of_500_segments_stops_at_the_request_budget(replay, settings, tmp_path):
    for i in range(30):
        replay.add(f"https://video.example/v/s{i}.ts", ts_bytes(2, seed=i))
    playlist = "#EXTM3U\n" + "".join(f"#EXTINF:1,\ns{i}.ts\n" for i in range(500))
    with (
        Fetcher(settings.with_(max_requests_per_capture=20), tmp_dir=tmp_path) as fetcher,
        fetcher.budget("https://video.example/post"),
        pytest.raises(BudgetExceeded, match="the 20 requests allowed for one URL were spent"),
    ):
        join_video(fetcher, "https://video.example/v/p.m3u8", playlist, 10_000_000)
    assert len(replay.requests) == 20  # not one segment past the budget


@pytest.mark.parametrize(
    "name, value",
    [
        ("ARCHIVER_URL_DEADLINE", "inf"),
        ("ARCHIVER_URL_DEADLINE", "nan"),
        ("ARCHIVER_URL_DEADLINE", "0"),
        ("ARCHIVER_MAX_REQUESTS", "0"),
        ("ARCHIVER_MAX_REQUESTS", "\u0661\u0662"),  # Arabic-Indic digits are no number here
        ("ARCHIVER_MAX_REQUESTS", "ten"),
    ],
)
def test_a_budget_that_is_no_budget_is_a_usage_error(name, value):
    with pytest.raises(UsageError, match=name):
        Settings.from_env({name: value})


def test_budgets_come_from_the_environment():
    settings = Settings.from_env({"ARCHIVER_URL_DEADLINE": "90", "ARCHIVER_MAX_REQUESTS": "40"})
    assert (settings.url_deadline, settings.max_requests_per_capture) == (90.0, 40)
    assert (Settings().url_deadline, Settings().max_requests_per_capture) == (300.0, 2000)
