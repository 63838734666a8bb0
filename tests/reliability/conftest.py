"""Fixtures for the fault cases: the real command, run in-process, and a post archived beforehand.

Every case in this directory checks three things: what the user sees (the
message and the exit status DESIGN.md documents: 0 all archived, 1 some URLs
failed, 2 usage error), what the database holds afterwards, and that a post
archived before the fault is still whole.
"""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from factories import jpeg_bytes
from faults import EARLIER_ID, Earlier, Run, serve_photo_post

import archiver.cli
import archiver.cli.archive
from archiver.settings import Settings
from archiver.web.replay import ReplayServer


@pytest.fixture
def archive_cli(settings: Settings, monkeypatch):
    """Run `archiver archive --db --blobs --connect-to '*=replay' --delay 0 ...` in-process.

    Only the timings a user cannot set from the command line (timeout,
    backoff, the longest Retry-After honoured) come from the test settings,
    so retries and timeouts take milliseconds instead of seconds.
    """
    original = archiver.cli.archive.settings_from_params

    def fast(params: dict) -> Settings:
        return original(params).with_(
            timeout=settings.timeout,
            backoff_base=settings.backoff_base,
            max_retry_after=settings.max_retry_after,
        )

    monkeypatch.setattr(archiver.cli.archive, "settings_from_params", fast)

    def run(*args: str, input: str | None = None, mapping: list[str] | None = None) -> Run:
        base = ["archive", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
        for item in mapping if mapping is not None else [f"*={settings.connect_to['*']}"]:
            base += ["--connect-to", item]
        result = CliRunner().invoke(archiver.cli.main, [*base, "--delay", "0", *args], input=input)
        outcome = Run(result)
        outcome.assert_no_traceback()
        return outcome

    return run


@pytest.fixture
def earlier(replay: ReplayServer, settings: Settings, archive_cli) -> Earlier:
    """Archive one photo post first, so each fault can be shown to lose nothing."""
    photo = jpeg_bytes(seed=7)
    url = serve_photo_post(replay, EARLIER_ID, photo)
    run = archive_cli("-q", url)
    assert run.status == 0, run.out + run.err
    return Earlier(settings, f"x:{EARLIER_ID}", hashlib.sha256(photo).hexdigest(), photo)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings with a one-second timeout, so a stalled server costs little."""
    return settings.with_(timeout=1.0)
