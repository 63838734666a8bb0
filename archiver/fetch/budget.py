"""What one URL asked for may cost: a deadline for its whole capture, and a number of requests.

The pipeline opens one Budget per URL (Fetcher.budget). Every request made for that URL is
charged to it: its page, the posts it embeds, their media, an HLS playlist's segments, each
redirect hop and retry; a helper thread (yt-dlp, a browser) shares it with
Fetcher.charging. Once the deadline passes, a body being read is cut and no request starts;
once the requests are spent, none starts either; and so when the run halts (Fetcher.halt).
Each says so in a BudgetExceeded.
"""

from __future__ import annotations

import threading
import time

from archiver.errors import BudgetExceeded
from archiver.settings import DEADLINE_SETTING, REQUESTS_SETTING


class Budget:
    """One URL's deadline (seconds from its start) and its request allowance, shared by threads."""

    def __init__(self, url: str, seconds: float, max_requests: int):
        self.url = url
        self.seconds = seconds
        self.max_requests = max_requests
        self.deadline = time.monotonic() + seconds
        self.requests = 0
        self.halted: str | None = None  # why the run stopped this URL's work, if it did
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds left before the deadline (0 once it has passed)."""
        return max(0.0, self.deadline - time.monotonic())

    def charge(self, url: str) -> None:
        """Count one request for `url`; BudgetExceeded if the deadline passed or none are left."""
        self.check_time(url)
        with self._lock:
            if self.requests >= self.max_requests:
                raise BudgetExceeded(self._requests_spent(f"; not fetched: {url}"), url=url)
            self.requests += 1

    def halt(self, reason: str) -> None:
        """Stop this URL's work: its next request, or the next read of a body, fails with `reason`."""
        self.halted = reason

    def check_time(self, url: str) -> None:
        """BudgetExceeded if the deadline has passed or the run halted (`url`: what was being fetched)."""
        if self.halted is not None:
            raise BudgetExceeded(self.halted, url=url)
        if time.monotonic() >= self.deadline:
            raise BudgetExceeded(self._time_spent(f" while fetching {url}"), url=url)

    def spent(self) -> str | None:
        """Why no further request can be made for this URL; None while some can."""
        if self.halted is not None:
            return self.halted
        if time.monotonic() >= self.deadline:
            return self._time_spent()
        if self.requests >= self.max_requests:
            return self._requests_spent()
        return None

    def _time_spent(self, where: str = "") -> str:
        return (
            f"the {self.seconds:g} s allowed for one URL ran out{where}"
            f" (set {DEADLINE_SETTING} to allow more)"
        )

    def _requests_spent(self, what: str = "") -> str:
        return (
            f"the {self.max_requests:,} requests allowed for one URL were spent{what}"
            f" (set {REQUESTS_SETTING} to allow more)"
        )
