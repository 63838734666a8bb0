"""Load-proof views of how a run spread its requests: how many were in flight at once, and how late
each started at the earliest. Neither asserts that anything was fast: a loaded machine only makes a
run slower, so a test built on these passes however busy the machine is, and fails when the
behaviour it checks is broken."""

from __future__ import annotations

import threading
import time

# How long a held request waits for the others before it is answered anyway (a run that never
# has that many in flight at once then fails the test, slowly, instead of hanging it). Keep the
# client's read timeout above it: a request given up on and sent again would count twice.
PATIENCE = 15.0


class Gate:
    """Counts a handler's requests in flight, and holds each until `together` of them are in at
    once (or PATIENCE runs out): so "they ran in parallel" is a count, not a stopwatch reading."""

    def __init__(self, together: int):
        self.together = together
        self.in_flight = self.most = self.entered = 0
        self._lock = threading.Lock()
        self._all_in = threading.Event()

    def __enter__(self) -> Gate:
        with self._lock:
            self.entered += 1
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            if self.in_flight >= self.together:
                self._all_in.set()
        self._all_in.wait(PATIENCE)
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.in_flight -= 1


def spaced_from(start: float, arrivals: list[float], delay: float) -> bool:
    """True if the k-th request to arrive (k from 0) came at least k * `delay` after `start`.

    Starts at least `delay` apart guarantee this from any moment before the first start, however
    late any one request reaches the server; the gap between two arrivals guarantees nothing (a
    request held up on its way arrives just before the next one).
    """
    return all(at >= start + k * delay for k, at in enumerate(sorted(arrivals)))


def now() -> float:
    """The clock the replay server stamps arrivals with."""
    return time.monotonic()
