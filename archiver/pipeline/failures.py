"""What went wrong archiving one URL: the one line its capture records, and a bug's traceback.

An ArchiveError is the archiver's own account of a failure: its message is the reason.
Anything else is a bug, or an answer no code path expected (JSON nested a million deep,
a string where an object should be): its type and message become the reason, and its
traceback goes to the error log beside the archive, never to the terminal.
"""

from __future__ import annotations

import re
import threading
import traceback
from pathlib import Path

from archiver.errors import ArchiveError
from archiver.store.eventlog import utc_now

MAX_REASON_CHARS = 500  # a captures.error a person reads in one line
MAX_ENTRY_CHARS = 100_000  # an exception's message may quote a whole hostile answer

_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class ErrorLog:
    """The log of unexpected errors beside the archive, appended to by every thread of a run."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0  # unexpected errors this run
        self.write_error: str | None = None  # why the log could not be written, if it could not
        self._lock = threading.Lock()

    def reason(self, url: str, exc: Exception) -> str:
        """The one-line reason a failed capture records; an unexpected error is logged first."""
        if isinstance(exc, ArchiveError):
            return one_line(str(exc))
        self._log(url, exc)
        return one_line(f"unexpected error: {type(exc).__name__}: {exc}")

    def _log(self, url: str, exc: Exception) -> None:
        entry = f"{utc_now()} {url}\n{''.join(traceback.format_exception(exc))}"
        if len(entry) > MAX_ENTRY_CHARS:
            half = MAX_ENTRY_CHARS // 2
            entry = (
                f"{entry[:half]}\n[... {len(entry) - 2 * half:,} characters ...]\n{entry[-half:]}"
            )
        with self._lock:
            self.count += 1
            try:
                with open(self.path, "a", encoding="utf-8", errors="backslashreplace") as log:
                    log.write(entry + "\n")
            except OSError as exc:  # the capture's row still says what happened
                self.write_error = str(exc)


def one_line(text: str) -> str:
    """Text as one line of at most MAX_REASON_CHARS: line breaks and control characters as spaces."""
    text = _LINE_BREAKS.sub(" ", text).strip()
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 1] + "…"
    return text
