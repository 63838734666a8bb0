"""What a thread's requests belong to: the URL's budget, the document that led to them, the
capture whose records they are; and how a helper thread (yt-dlp's, the browser's) takes them on.

The Fetcher's thread-scoped context managers, kept apart from how it sends a request. They
work on the Fetcher's own state: `_budgets` and `_led_by` (thread-locals), `_open_budgets`
(every thread's, under `_lock`), `settings` and `recorder`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING

from archiver.fetch.budget import Budget

if TYPE_CHECKING:
    from archiver.fetch.exchange import Recorder
    from archiver.settings import Settings


class RequestScopes:
    """Mixed into Fetcher: budgets, provenance and their hand-over to helper threads."""

    settings: Settings
    recorder: Recorder
    _budgets: threading.local
    _led_by: threading.local
    _open_budgets: set[Budget]
    _lock: threading.Lock

    @contextmanager
    def found_on(self, url: str) -> Iterator[None]:
        """Within, every request of this thread is one that `url` led to, as if it named it.

        For an article's embed, archived through its platform's API: the article named the
        post, but the requests that fetch it go to hosts it only implied (a Mastodon
        instance's /api/v1/statuses). Each is checked and pinned to public addresses as
        `get(found_at=url)` is, and so are the media the post's JSON names: however that
        JSON's host resolves, the user asked for the article, not for it.
        """
        previous = getattr(self._led_by, "url", None)
        self._led_by.url = url
        try:
            yield
        finally:
            self._led_by.url = previous

    @contextmanager
    def budget(self, url: str) -> Iterator[Budget]:
        """Within, this thread's requests are charged to `url`'s deadline and request budget.

        A budget open on the thread already holds: an article's embedded posts and their
        media are part of the article's URL.
        """
        current = self.current_budget()
        if current is not None:
            yield current
            return
        s = self.settings
        opened = Budget(url, s.url_deadline, s.max_requests_per_capture)
        with self._lock:
            self._open_budgets.add(opened)
        try:
            with self.charging(opened):
                yield opened
        finally:
            with self._lock:
                self._open_budgets.discard(opened)

    def halt(self, reason: str) -> None:
        """End the work of every URL in progress soon: its next request or body read fails with `reason`."""
        with self._lock:
            budgets = list(self._open_budgets)
        for budget in budgets:
            budget.halt(reason)

    @contextmanager
    def charging(self, budget: Budget | None) -> Iterator[Budget | None]:
        """Within, this thread's requests are charged to `budget` (None: to no budget).

        How a helper thread working for a URL (yt-dlp, a browser) shares that URL's budget.
        """
        previous = self.current_budget()
        self._budgets.current = budget
        try:
            yield budget
        finally:
            self._budgets.current = previous

    def handover(self) -> Callable[[], AbstractContextManager[None]]:
        """What this thread's requests belong to, to carry into a helper thread (the browser's).

        Call on the thread doing the work; the helper thread enters what it returns, and
        within, its requests are charged to the same budget, led by the same document, and
        recorded as records of the same capture.
        """
        budget, led_by = self.current_budget(), getattr(self._led_by, "url", None)
        collector = getattr(self.recorder, "collector", None)
        records = collector.current() if collector is not None else None

        @contextmanager
        def carried() -> Iterator[None]:
            with contextlib.ExitStack() as stack:
                stack.enter_context(self.charging(budget))
                if led_by is not None:
                    stack.enter_context(self.found_on(led_by))
                if records is not None:
                    stack.enter_context(collector.joining(records))
                yield

        return carried

    def current_budget(self) -> Budget | None:
        """The budget this thread's requests are charged to, if any."""
        return getattr(self._budgets, "current", None)
