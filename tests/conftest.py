"""One replay server for every HTTP test: platform hosts are routed to it by the archiver's own host mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.replay import ReplayServer
from archiver.settings import Settings


@pytest.fixture
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, replay: ReplayServer) -> Settings:
    """An archive in tmp_path whose every request goes to the replay server."""
    return Settings(
        db_path=tmp_path / "archive.db",
        blobs_dir=tmp_path / "blobs",
        connect_to={"*": replay.base_url},
        timeout=5.0,
        max_retries=2,
        backoff_base=0.01,
        max_retry_after=2.0,
        host_delay=0.0,
    )
