"""A run's scratch directory for bodies in flight, under the blob store's tmp/.

Each run (one Fetcher) writes its temporary files into its own `run-*` directory,
holding an exclusive lock on it while it lives, and removes it when it closes. A run
that was killed leaves its directory unlocked: the next run to start removes it, so
partial downloads never pile up. Directories of live runs, in this process or another
sharing the store, stay locked and untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import tempfile
import time
from pathlib import Path

LOCK_NAME = ".lock"
# Loose files and unfinished `new-*` directories in tmp/ (single writes, an older version's
# downloads, a run killed between making its directory and locking it) this long untouched
# belong to no live write.
STALE_SECONDS = 600.0


class ScratchDir:
    """This run's own directory under `parent`, made on first use and removed by close()."""

    def __init__(self, parent: Path) -> None:
        self.parent = Path(parent)
        self._path: Path | None = None
        self._lock_file = None

    def claim(self) -> Path:
        """The directory, made and locked on the first call (sweeping dead runs' first)."""
        if self._path is None:
            self.parent.mkdir(parents=True, exist_ok=True)
            sweep_abandoned(self.parent)
            # Named run-* only once locked, so a sweep never takes a live run's for a dead one's.
            new = Path(tempfile.mkdtemp(prefix="new-", dir=self.parent))
            self._lock_file = open(new / LOCK_NAME, "w")  # noqa: SIM115 - held until close()
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._path = new.with_name("run-" + new.name.removeprefix("new-"))
            new.rename(self._path)
        return self._path

    def close(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._lock_file.close()
            self._path = self._lock_file = None


def sweep_abandoned(parent: Path) -> list[Path]:
    """Remove the run directories under `parent` whose run is gone, and stale loose files."""
    removed = []
    now = time.time()
    for entry in parent.iterdir():
        with contextlib.suppress(OSError):
            stale = now - entry.stat().st_mtime > STALE_SECONDS
            if entry.is_dir() and entry.name.startswith("run-"):
                if not _locked(entry / LOCK_NAME):
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry)
            elif entry.is_dir() and entry.name.startswith("new-") and stale:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            elif entry.is_file() and stale:
                entry.unlink()
                removed.append(entry)
    return removed


def _locked(lock_path: Path) -> bool:
    """True while a live run holds the lock on the file."""
    try:
        with open(lock_path) as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    except FileNotFoundError:
        return False
