"""The Wayback Machine's copies: submitting a capture's URL (archive --wayback), listing the
earlier copies of a URL (archiver wayback).

A submission is the capture's companion, not part of it: it runs after the commit, on a
budget of its own (a slow capture does not leave it no time), and whatever comes of it (a
copy, or a failure and its reason) is a wayback_copies row logged in the event chain.
Archiving one of the earlier copies is Archiver.archive_wayback_copy.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from archiver import platforms
from archiver.errors import UsageError
from archiver.evidence.wayback import submit
from archiver.evidence.wayback_cdx import WaybackCapture, list_copies
from archiver.fetch.client import Fetcher
from archiver.models import Progress
from archiver.pipeline.database import SessionDatabase
from archiver.settings import Settings
from archiver.store.connection import open_reader
from archiver.store.targets import Target, resolve_target, target_url
from archiver.store.writes import save_wayback_copy


@dataclass(frozen=True, kw_only=True)
class WaybackSubmitter:
    """Submits a committed capture's URL to the Wayback Machine and keeps what came of it."""

    fetcher: Fetcher
    database: SessionDatabase
    settings: Settings
    progress: Progress

    def submit(self, capture_id: str) -> dict | None:
        """The submission's row (as the CLI prints it); None for a capture with no web URL."""
        url = target_url(self.database.reader(), Target("capture", capture_id))
        if not url or not url.startswith(("http://", "https://")):
            return None  # a local file has no copy to ask for
        self.progress(f"asking the Wayback Machine to save {url}")
        with self.fetcher.budget(f"wayback:{url}"):
            copy = submit(self.fetcher, url, self.settings)
        row = {"capture_id": capture_id, **copy.to_json()}
        with self.database.writing() as db:
            row["id"] = save_wayback_copy(db, dict(row))
        return row


def wayback_copies_of(settings: Settings, target: str) -> tuple[str, list[WaybackCapture]]:
    """The URL TARGET stands for (a URL as given, or a post, page or capture in the archive)
    and the copies of it the Wayback Machine lists, oldest first."""
    url = looked_up_url(settings, target)
    with (
        tempfile.TemporaryDirectory(prefix="archiver-wayback-") as scratch,
        Fetcher(settings, tmp_dir=Path(scratch)) as fetcher,
    ):
        return url, list_copies(fetcher, url)


def looked_up_url(settings: Settings, target: str) -> str:
    if target.strip().lower().startswith(("http://", "https://")):
        return target.strip()
    if not settings.db_path.exists():
        raise UsageError(
            f"{target!r} is no URL, and there is no archive at {settings.db_path} to look it up in"
        )
    db = open_reader(settings.db_path)
    try:
        url = target_url(db, resolve_target(db, target, platforms.db_id_of))
    finally:
        db.close()
    if not url or not url.startswith(("http://", "https://")):
        raise UsageError(f"{target!r} has no web address to look up at the Wayback Machine")
    return url
