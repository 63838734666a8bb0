"""A run's scratch directory: its own while it lives, removed when it ends or by the next run."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time

from archiver.fetch.client import Fetcher
from archiver.fetch.scratch import LOCK_NAME, STALE_SECONDS, ScratchDir


def test_a_run_writes_in_its_own_directory_and_removes_it_when_done(settings):
    tmp = settings.blobs_dir / "tmp"
    with Fetcher(settings) as fetcher:
        (fetcher.tmp_dir / "raw-1").write_bytes(b"in flight")
        assert fetcher.tmp_dir.parent == tmp and fetcher.tmp_dir.name.startswith("run-")
    assert list(tmp.iterdir()) == []


def test_a_killed_runs_directory_is_removed_by_the_next_run_but_a_live_ones_is_kept(tmp_path):
    tmp = tmp_path / "tmp"
    code = (
        "import sys, time; from pathlib import Path; from archiver.fetch.scratch import ScratchDir;"
        "s = ScratchDir(Path(sys.argv[1])); (s.claim() / 'raw-x').write_bytes(b'half');"
        "print(s.claim().name, flush=True); time.sleep(60)"
    )
    killed = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp)], stdout=subprocess.PIPE, text=True
    )
    live = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp)], stdout=subprocess.PIPE, text=True
    )
    try:
        killed_dir, live_dir = killed.stdout.readline().strip(), live.stdout.readline().strip()
        killed.kill()
        killed.wait(10)
        assert (tmp / killed_dir / "raw-x").exists()  # what a kill leaves

        mine = ScratchDir(tmp)
        mine.claim()  # the next run starts
        assert not (tmp / killed_dir).exists()
        assert (tmp / live_dir / "raw-x").exists()  # another process's run is still going
        mine.close()
    finally:
        live.kill()
        live.wait(10)


def test_loose_files_are_removed_only_once_stale(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    old, fresh = tmp / "partial-old", tmp / "partial-fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    long_ago = time.time() - STALE_SECONDS - 5
    os.utime(old, (long_ago, long_ago))
    scratch = ScratchDir(tmp)
    scratch.claim()
    assert not old.exists() and fresh.exists()
    scratch.close()


def test_the_lock_is_held_while_the_run_lives(tmp_path):
    scratch = ScratchDir(tmp_path)
    with open(scratch.claim() / LOCK_NAME) as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            raise AssertionError("the lock was free")
        except BlockingIOError:
            pass
    scratch.close()
