"""How hard the run may press each host: requests in flight, and how often a request may start.

Every host has a limit on requests in flight (`per_host_concurrency`). How often a
request may start depends on the mode:

- fixed (`--delay SECONDS`): request starts to one host are at least that far apart,
  across all threads, whatever the host answers;
- adaptive (the default): a host starts unpaced, and its rate follows its answers,
  additive increase and multiplicative decrease (AIMD), as TCP's congestion window
  and crawlers' throttles do. A 429 or 503 cuts the host's rate to a share of what
  it was achieving (once per round: answers to requests started before the cut are
  the same signal); each good answer raises it by a little, so a host that stops
  refusing is soon back at full speed. The refused request itself waits its
  `Retry-After` before trying again (Fetcher). Media CDN hosts (the platform
  registry's `media_hosts`, passed in by the pipeline) are never paced: they exist
  to serve files at volume, and only the in-flight limit applies to them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

# Answers that say "too fast": the host's rate is cut.
SLOW_DOWN_STATUSES = frozenset({429, 503})
# After a refusal the rate is this share of the rate achieved just before it. TCP halves;
# CUBIC keeps 0.7, which averages 85 % of the limit over the sawtooth instead of 75 %.
DECREASE = 0.7
# Additive increase: requests a second gained each second of good answers...
INCREASE_PER_SECOND = 1.0
# ...but never more than this share of the rate on one answer (a slow host must not
# double its rate on its next good answer).
INCREASE_MOST = 0.1
# What "the rate achieved" is measured over, in seconds.
WINDOW = 1.0
# No host is paced slower than this (requests a second), so a refused host is still tried.
SLOWEST = 0.2


@dataclass
class HostPace:
    """One host's pacing: its rate (None: unpaced), and when requests to it last started."""

    unpaced: bool = False  # a media CDN: never paced in the adaptive mode
    rate: float | None = None
    last_start: float = float("-inf")
    cut_at: float = float("-inf")  # when the rate was last cut
    starts: deque[float] = field(default_factory=deque)  # within the last WINDOW

    def achieved(self, now: float) -> float:
        """Requests started a second, over the last WINDOW."""
        while self.starts and self.starts[0] <= now - WINDOW:
            self.starts.popleft()
        return len(self.starts) / WINDOW


class Politeness:
    """Per-host in-flight limits and pacing, shared by the run's threads.

    `fixed_delay`: seconds between request starts to one host (any host), or None for
    the adaptive rate; `unpaced_hosts`: hosts (and their subdomains) never paced in the
    adaptive mode.
    """

    def __init__(
        self,
        per_host: int,
        fixed_delay: float | None = None,
        unpaced_hosts: Iterable[str] = (),
        *,
        clock=time.monotonic,
    ):
        self.per_host = max(1, per_host)
        self.fixed_delay = fixed_delay
        self.unpaced_hosts = frozenset(h.lower() for h in unpaced_hosts)
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._paces: dict[str, HostPace] = {}

    def slot(self, host: str) -> threading.BoundedSemaphore:
        """The host's in-flight limit: hold it while a request to the host is open."""
        with self._lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = self._slots[host] = threading.BoundedSemaphore(self.per_host)
            return slot

    def claim(self, host: str) -> tuple[float, float]:
        """(wait, started): wait > 0, the seconds before a request to `host` may start; else
        the request starts now, at `started` (what `observe` is given with its answer).

        Call again after waiting: the host's pace may have changed meanwhile.
        """
        with self._lock:
            now = self._clock()
            pace = self._pace(host)
            interval = self._interval(pace)
            at = pace.last_start + interval
            if at > now:
                return at - now, 0.0
            pace.last_start = now
            if self.fixed_delay is None and not pace.unpaced:
                pace.achieved(now)  # forgets the starts before the window
                pace.starts.append(now)
            return 0.0, now

    def observe(self, host: str, status: int, started: float) -> None:
        """Adapt the host's rate to an answer to a request started at `started`."""
        if self.fixed_delay is not None:
            return
        with self._lock:
            pace = self._pace(host)
            if pace.unpaced:
                return
            now = self._clock()
            if status in SLOW_DOWN_STATUSES:
                # One cut a round: refusals of requests sent before the cut, or within a
                # WINDOW of it (the server still counts the burst that caused it), are the
                # same signal.
                if started >= pace.cut_at and now >= pace.cut_at + WINDOW:
                    achieved = pace.achieved(now)
                    current = achieved if pace.rate is None else min(pace.rate, achieved)
                    pace.rate = max(SLOWEST, DECREASE * max(current, SLOWEST))
                    pace.cut_at = now
            elif pace.rate is not None:
                pace.rate += min(INCREASE_PER_SECOND / pace.rate, INCREASE_MOST * pace.rate)

    def rate(self, host: str) -> float | None:
        """The host's current rate in requests a second (None: unpaced)."""
        with self._lock:
            pace = self._paces.get(host)
            return pace.rate if pace is not None else None

    def _interval(self, pace: HostPace) -> float:
        if self.fixed_delay is not None:
            return self.fixed_delay
        if pace.rate is None or pace.unpaced:
            return 0.0
        return 1.0 / pace.rate

    def _pace(self, host: str) -> HostPace:
        """The host's pace (made on first use); the caller holds the lock."""
        pace = self._paces.get(host)
        if pace is None:
            name = host.lower()
            unpaced = any(name == own or name.endswith("." + own) for own in self.unpaced_hosts)
            pace = self._paces[host] = HostPace(unpaced=unpaced)
        return pace
