"""Recorded fixtures and how to serve them: the paths under tests/fixtures and the syndication route."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from archiver.web.replay import ReplayServer

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(*parts: str) -> Path:
    return FIXTURES.joinpath(*parts)


def fixture_json(*parts: str):
    return json.loads(fixture_path(*parts).read_text("utf-8"))


SYNDICATION = "https://cdn.syndication.twimg.com/tweet-result"


def serve_syndication(
    replay: ReplayServer, post_id: str, fixture: str | Path | bytes, status: int = 200
) -> None:
    """Answer the syndication request for `post_id` with a recorded response file."""
    body = (
        fixture
        if isinstance(fixture, bytes)
        else Path(fixture)
        if isinstance(fixture, Path)
        else fixture_path("x", "syndication", fixture)
    )
    replay.add(
        f"{SYNDICATION}?id={post_id}",
        body,
        status=status,
        content_type="application/json; charset=utf-8",
    )


def serve_fixture(
    replay: ReplayServer,
    url: str,
    *parts: str,
    status: int = 200,
    content_type: str | None = None,
) -> Path:
    """Answer GET `url` with the recorded file tests/fixtures/<parts>; the type from its suffix."""
    path = fixture_path(*parts)
    guessed = {".json": "application/json; charset=utf-8", ".html": "text/html; charset=utf-8",
               ".m3u8": "application/vnd.apple.mpegurl"}  # fmt: skip
    replay.add(url, path, status=status, content_type=content_type or guessed.get(path.suffix))
    return path


def serve_oembed(
    replay: ReplayServer, endpoint: str, url: str, *parts: str, status: int = 200
) -> Path:
    """Answer `endpoint`'s oEmbed request for `url` with the recorded file tests/fixtures/<parts>."""
    return serve_fixture(replay, f"{endpoint}?url={quote(url, safe='')}", *parts, status=status)
