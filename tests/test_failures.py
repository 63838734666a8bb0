"""The reason a failed capture records, and the log an unexpected error's traceback goes to."""

from __future__ import annotations

from archiver.cli.archive import unexpected_errors_note
from archiver.errors import FetchError
from archiver.pipeline.failures import MAX_ENTRY_CHARS, MAX_REASON_CHARS, ErrorLog, one_line


def test_an_archive_error_is_its_own_reason_and_is_not_logged(tmp_path):
    log = ErrorLog(tmp_path / "archiver-errors.log")
    assert log.reason("https://a.example/", FetchError("HTTP 500 from https://a.example/")) == (
        "HTTP 500 from https://a.example/"
    )
    assert log.count == 0 and not log.path.exists()


def test_a_bug_is_one_line_and_its_traceback_is_appended(tmp_path):
    log = ErrorLog(tmp_path / "archiver-errors.log")
    for url in ("https://a.example/1", "https://a.example/2"):
        try:
            {}["user"]
        except KeyError as exc:
            assert log.reason(url, exc) == "unexpected error: KeyError: 'user'"
    text = log.path.read_text("utf-8")
    assert log.count == 2 and text.count("Traceback (most recent call last):") == 2
    assert " https://a.example/1\n" in text and " https://a.example/2\n" in text
    assert unexpected_errors_note(log) == f"details of 2 unexpected errors in {log.path}"


def test_a_hostile_message_is_cut_to_a_line_and_its_log_entry_bounded(tmp_path):
    log = ErrorLog(tmp_path / "archiver-errors.log")
    huge = ValueError("line\u2028" + "x" * 1_000_000)
    reason = log.reason("https://a.example/", huge)
    assert len(reason) == MAX_REASON_CHARS and reason.endswith("…") and "\u2028" not in reason
    assert len(log.path.read_text("utf-8")) < MAX_ENTRY_CHARS + 1000
    assert one_line(" a\r\nb\x00c\t") == "a b c"


def test_a_log_that_cannot_be_written_is_said_so(tmp_path):
    log = ErrorLog(tmp_path / "missing" / "archiver-errors.log")
    assert log.reason("https://a.example/", RuntimeError("bug")) == (
        "unexpected error: RuntimeError: bug"
    )
    note = unexpected_errors_note(log)
    assert note.startswith(f"1 unexpected error; its details could not be written to {log.path}")
