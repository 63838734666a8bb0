"""A 500-URL list: a progress bar with counts, SIGKILL in the middle, a consistent database, a re-run that completes it."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import threading
import time

from click.testing import CliRunner
from factories import jpeg_bytes
from faults import (
    archive_command,
    assert_consistent,
    count_posts,
    post_url,
    query,
    serve_photo_post,
)

from archiver.cli.commands import main

COUNT = 500


def serve_list(replay, count: int) -> list[str]:
    """`count` one-photo posts with small, distinct photos."""
    return [
        serve_photo_post(replay, str(1600000000000000000 + i), jpeg_bytes(seed=i, size=(64, 48)))
        for i in range(count)
    ]


class Terminal:
    """A pseudo-terminal for a child's stderr, so the progress bar is drawn as a user sees it."""

    def __init__(self):
        self.master, self.slave = pty.openpty()
        self.chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")

    def close(self) -> None:
        os.close(self.slave)
        self._reader.join(timeout=5)
        os.close(self.master)


def test_a_killed_500_url_run_resumes_and_completes(replay, settings, tmp_path):
    urls = serve_list(replay, COUNT)
    listing = tmp_path / "urls.txt"
    listing.write_text("# posts after the event\n\n" + "\n".join(urls) + "\n")
    command = archive_command(settings, replay, "--concurrency", "8", "--input", str(listing))

    terminal = Terminal()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=terminal.slave)
    deadline = time.monotonic() + 300  # a wait until: a busy machine takes longer to get there
    while time.monotonic() < deadline and count_posts(settings) < 100:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.2)
    terminal.close()
    done = count_posts(settings)
    assert 100 <= done < COUNT, "the kill should land mid-run"

    # What the user watched: a bar with counts, redrawn as URLs finished.
    shown = terminal.text()
    assert "archiving  [" in shown and "#" in shown
    counts = [int(n) for n in re.findall(r"done (\d+), failed 0, skipped 0", shown)]
    assert len(set(counts)) > 10 and max(counts) >= 50, shown[-500:]

    # What the kill left: a database that opens, checks, and holds whole posts only.
    assert_consistent(settings)
    media_less = query(
        settings,
        "select count(*) from posts p where not exists"
        " (select 1 from post_media pm join media m on m.sha256 = pm.sha256 where pm.post_id = p.id)",
    )
    assert media_less == [(0,)]
    verified = CliRunner().invoke(
        main, ["verify", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    )
    assert verified.exit_code == 0, verified.output

    # The same command again: what was archived is skipped, the rest is archived.
    rerun = subprocess.run(
        archive_command(settings, replay, "--concurrency", "8", "--input", str(listing), "--json"),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    statuses = [json.loads(line)["status"] for line in rerun.stdout.splitlines()]
    assert len(statuses) == COUNT
    assert statuses.count("skipped") == done and statuses.count("ok") == COUNT - done
    assert f"done {COUNT - done}, failed 0, skipped {done}" in rerun.stderr
    assert count_posts(settings) == COUNT
    assert_consistent(settings)


def test_urls_from_stdin_skip_comments_blank_lines_and_duplicates(replay, settings):
    first, second = serve_list(replay, 2)
    listing = f"\ufeff# a list saved on Windows\r\n\r\n  {first}  \r\n# {second} (not yet)\r\n\t\r\n{second}\r\n{first}\r\n"

    result = CliRunner().invoke(
        main,
        [
            "archive", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir),
            "--connect-to", f"*={settings.connect_to['*']}", "--delay", "0",
            "--input", "-", "--json",
        ],
        input=listing,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    archived = sorted(json.loads(line)["url"] for line in result.stdout.splitlines())
    assert archived == sorted([first, second])
    assert "done 2, failed 0, skipped 0" in result.stderr


def test_a_list_with_a_bad_line_is_a_usage_error_before_anything_starts(settings):
    result = CliRunner().invoke(
        main,
        ["archive", "--db", str(settings.db_path), "--input", "-"],
        input=f"{post_url('1600000000000000001')}\nnot a url\n",
    )
    assert result.exit_code == 2
    assert "not a url" in result.stderr
    assert not settings.db_path.exists()
