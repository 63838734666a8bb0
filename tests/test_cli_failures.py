"""What the command shows when a target is too long for the system, or when it meets a bug."""

from __future__ import annotations

import tempfile

import pytest
from test_cli import archive_args, run


@pytest.mark.parametrize(
    "target, message",
    [
        (
            "a" * 5000,
            "Error: no such file: " + "a" * 199 + "… (5,000 characters) (File name too long)",
        ),
        ("https://x.com/" + "a" * 70_000, "Error: a URL of 70,014 characters, over the 65,536"),
    ],
)
def test_a_target_too_long_for_the_system_is_a_usage_error(settings, target, message):
    result = run(archive_args(settings, target))
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert not settings.db_path.exists()


def test_a_bug_in_a_command_is_one_line_and_a_file(settings, monkeypatch, tmp_path):
    import archiver.cli.archive

    def broken(*args):
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(archiver.cli.archive, "checked_targets", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again

    result = run(archive_args(settings, "https://x.com/u/status/1"))

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    [log] = tmp_path.glob("archiver-error-*.log")
    assert line == (
        "Error: unexpected error: TypeError: 'NoneType' object is not subscriptable"
        f" (details in {log})"
    )
    assert "Traceback" in log.read_text() and "in broken" in log.read_text()
