"""Politeness: per-host in-flight limits, a fixed delay, or a rate that adapts (AIMD)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from request_gate import PATIENCE, Gate, spaced_from

from archiver.fetch.client import Fetcher
from archiver.fetch.politeness import DECREASE, Politeness
from archiver.settings import Settings
from archiver.web.replay import RateLimit, ReplayResponse


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def start(politeness: Politeness, host: str, clock: Clock) -> float:
    """Claim a start, advancing the fake clock by whatever wait the host asks for."""
    while True:
        wait, started = politeness.claim(host)
        if not wait:
            return started
        clock.now += wait


# -- the arithmetic, on a fake clock ----------------------------------------------


def test_a_host_starts_unpaced():
    clock = Clock()
    politeness = Politeness(4, clock=clock)
    assert [politeness.claim("api.example")[0] for _ in range(50)] == [0.0] * 50
    assert politeness.rate("api.example") is None


def test_a_429_cuts_the_rate_once_a_round_and_good_answers_raise_it_again():
    clock = Clock()
    politeness = Politeness(4, clock=clock)
    round_ = []
    for _ in range(20):  # 20 requests in the last second
        round_.append(start(politeness, "api.example", clock))
        clock.now += 0.05
    politeness.observe("api.example", 429, round_[-1])
    cut = politeness.rate("api.example")
    assert cut == pytest.approx(DECREASE * 20)
    # Answers to requests sent before the cut say nothing new.
    for started in round_[:-1]:
        politeness.observe("api.example", 429, started)
    assert politeness.rate("api.example") == cut
    # Paced now: starts are 1/rate apart.
    first = start(politeness, "api.example", clock)
    second = start(politeness, "api.example", clock)
    assert second - first == pytest.approx(1 / cut)
    # Additive increase: about one request a second more for each second of good answers.
    for _ in range(int(3 * cut)):
        politeness.observe("api.example", 200, start(politeness, "api.example", clock))
    assert cut + 2.5 < politeness.rate("api.example") < cut + 3.5
    # A refusal of a request sent after the cut cuts again.
    politeness.observe("api.example", 503, start(politeness, "api.example", clock))
    assert politeness.rate("api.example") < cut


def test_a_slow_host_gains_at_most_a_tenth_a_good_answer():
    clock = Clock()
    politeness = Politeness(4, clock=clock)
    politeness.observe("api.example", 429, start(politeness, "api.example", clock))
    low = politeness.rate("api.example")
    assert low < 1
    politeness.observe("api.example", 200, start(politeness, "api.example", clock))
    assert politeness.rate("api.example") == pytest.approx(low * 1.1)


def test_media_cdn_hosts_and_their_subdomains_are_never_paced():
    clock = Clock()
    politeness = Politeness(4, unpaced_hosts=["pbs.twimg.com", "fbcdn.net"], clock=clock)
    for host in ("pbs.twimg.com", "scontent-a.xx.fbcdn.net"):
        for _ in range(10):
            politeness.observe(host, 429, politeness.claim(host)[1])
        assert politeness.rate(host) is None
        assert politeness.claim(host)[0] == 0.0
    assert Politeness(4, unpaced_hosts=["fbcdn.net"])._pace("notfbcdn.net").unpaced is False


def test_a_fixed_delay_spaces_every_host_and_ignores_answers():
    clock = Clock()
    politeness = Politeness(4, fixed_delay=0.5, unpaced_hosts=["pbs.twimg.com"], clock=clock)
    for host in ("api.example", "pbs.twimg.com"):
        first = start(politeness, host, clock)
        politeness.observe(host, 429, first)
        assert start(politeness, host, clock) - first == pytest.approx(0.5)
        assert politeness.rate(host) is None


def test_the_default_is_adaptive_and_the_delay_setting_fixes_it():
    assert Settings().host_delay is None
    assert Settings.from_env({"ARCHIVER_DELAY": "0.5"}).host_delay == 0.5
    assert Settings.from_env({}).host_delay is None


# -- against the replay server ------------------------------------------------------


def _slow_ok(latency: float, log: list, in_flight: list):
    """A handler answering 200 after `latency`, noting arrivals and requests in flight."""
    lock = threading.Lock()

    def handler(request, http):
        with lock:
            log.append(time.monotonic())
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        time.sleep(latency)
        with lock:
            in_flight[0] -= 1
        return ReplayResponse(200, {}, b"ok")

    return handler


def _get_all(fetcher: Fetcher, urls: list[str], threads: int) -> list[int]:
    def one(url: str) -> int:
        with fetcher.get(url) as fetched:
            fetched.read()
            return fetched.status

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, urls))


@pytest.mark.parametrize("per_host", [4, 2])
def test_requests_to_one_host_run_in_parallel_up_to_its_limit(replay, settings, per_host):
    gate = Gate(together=per_host)  # each request is held until `per_host` are in at once

    def handler(request, http):
        with gate:
            time.sleep(0.4)
        return ReplayResponse(200, {}, b"ok")

    replay.add("https://api.example/", handler=handler)
    adaptive = settings.with_(
        host_delay=None, per_host_concurrency=per_host, concurrency=8, timeout=2 * PATIENCE
    )
    started = time.monotonic()
    with Fetcher(adaptive) as fetcher:
        statuses = _get_all(fetcher, ["https://api.example/"] * 4, threads=4)
    elapsed = time.monotonic() - started
    assert statuses == [200] * 4
    assert gate.entered == 4  # none given up on and sent again
    assert gate.most == per_host  # that many at once, and never more
    # Past the limit a request waits for a slot: four 0.4 s answers, `per_host` at a time, take
    # at least this long however idle the machine (a busy one only adds to it).
    assert elapsed >= 0.4 * (4 // per_host) - 0.05


def _limited(limit: RateLimit, log: list):
    """429 past the limit; each arrival noted (time, admitted)."""

    def handler(request, http):
        ok = limit.admit()
        log.append((time.monotonic(), ok))
        if not ok:
            return ReplayResponse(429, {"Retry-After": "1"}, b"slow down")
        time.sleep(0.02)
        return ReplayResponse(200, {}, b"ok")

    return handler


def test_a_429_slows_the_host_down_and_good_answers_bring_it_back(replay, settings):
    log: list[tuple[float, bool]] = []
    replay.add("https://api.example/limited", handler=_limited(RateLimit(10), log))
    ok_log, in_flight = [], [0, 0]
    replay.add("https://api.example/free", handler=_slow_ok(0.0, ok_log, in_flight))
    adaptive = settings.with_(host_delay=None, max_retries=4)
    with Fetcher(adaptive) as fetcher:
        started = time.monotonic()
        statuses = _get_all(fetcher, ["https://api.example/limited"] * 30, threads=4)
        elapsed = time.monotonic() - started
        assert statuses == [200] * 30  # refused requests waited their Retry-After and got in
        # That it is not slowed too far is the arithmetic's to show, on a fake clock above: here
        # a busy machine may take any time, never less than the server's 10 a second allow.
        slowed = fetcher.politeness.rate("api.example")
        assert slowed is not None and slowed < 15
        refused = [at for at, ok in log if not ok]
        # After the first round of refusals the host is paced: few more are refused.
        assert len(refused) < 20
        assert elapsed >= 2.0
        # Paced: starts after the cut are about 1/rate apart.
        after = [at for at, _ in log if at > refused[0] + 1.5]
        gaps = [b - a for a, b in zip(after, after[1:], strict=False)]
        assert sorted(gaps)[len(gaps) // 2] >= 0.5 / slowed
        # Good answers raise the rate again, a little each.
        _get_all(fetcher, ["https://api.example/free"] * 15, threads=4)
        assert fetcher.politeness.rate("api.example") > slowed + 0.8


def test_a_media_cdn_is_not_slowed_by_its_429s(replay, settings):
    refused: set[str] = set()
    gates = [Gate(together=4)]  # the answers are held until four are asked for at once

    def refuse_first(request, http):
        if request.query["n"] not in refused:  # each photo's first request, whoever comes first
            refused.add(request.query["n"])
            return ReplayResponse(429, {"Retry-After": "0"}, b"slow down")
        with gates[-1]:
            time.sleep(0.3)
        return ReplayResponse(200, {}, b"ok")

    replay.add("https://img.cdn.example/photo.jpg", handler=refuse_first)
    photos = [f"https://img.cdn.example/photo.jpg?n={n}" for n in range(4)]
    adaptive = settings.with_(host_delay=None, timeout=2 * PATIENCE)
    with Fetcher(adaptive, media_hosts=["cdn.example"]) as fetcher:
        assert _get_all(fetcher, photos, threads=4) == [200] * 4
        assert fetcher.politeness.rate("img.cdn.example") is None
        gates.append(Gate(together=4))
        assert _get_all(fetcher, photos, threads=4) == [200] * 4
    assert len(replay.requests) == 12  # four refused, once each
    assert gates[-1].most == 4  # four answers at once after the 429s, not one by one


def test_a_fixed_delay_spaces_requests_to_one_host(replay, settings):
    log, in_flight = [], [0, 0]
    replay.add("https://api.example/", handler=_slow_ok(0.0, log, in_flight))
    with Fetcher(settings.with_(host_delay=0.5), media_hosts=["api.example"]) as fetcher:
        started = time.monotonic()
        assert _get_all(fetcher, ["https://api.example/"] * 4, threads=4) == [200] * 4
    # Starts 0.5 s apart: the k-th request cannot arrive before k half-seconds have passed.
    assert len(log) == 4 and spaced_from(started, log, 0.5)
