"""One replay server for every HTTP test: platform hosts are routed to it by the archiver's own host mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.replay import ReplayServer
from archiver.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(*parts: str) -> Path:
    return FIXTURES.joinpath(*parts)


def fixture_json(*parts: str):
    return json.loads(fixture_path(*parts).read_text("utf-8"))


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
    )


SYNDICATION = "https://cdn.syndication.twimg.com/tweet-result"


def serve_syndication(replay: ReplayServer, post_id: str, fixture: str | Path | bytes, status: int = 200) -> None:
    """Answer the syndication request for `post_id` with a recorded response file."""
    body = fixture if isinstance(fixture, bytes) else Path(fixture) if isinstance(fixture, Path) else fixture_path("x", "syndication", fixture)
    replay.add(f"{SYNDICATION}?id={post_id}", body, status=status, content_type="application/json; charset=utf-8")
