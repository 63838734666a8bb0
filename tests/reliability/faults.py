"""Helpers for the fault cases: posts to serve, how a run looks to its user, what the database holds."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result
from factories import jpeg_bytes
from recorded import fixture_json, serve_syndication

import archiver.cli
from archiver.media.blobstore import blob_relpath
from archiver.settings import Settings
from archiver.web.replay import ReplayServer

PHOTO_FIXTURE = ("x", "syndication", "tweet-result_1641086480675225601_photo.json")
EARLIER_ID = "1641086480675225601"


def archive_command(settings: Settings, replay: ReplayServer, *extra: str) -> list[str]:
    """`archiver archive` as a separate process, writing to the test archive through the replay."""
    return [
        sys.executable, "-m", "archiver", "archive", "--db", str(settings.db_path),
        "--blobs", str(settings.blobs_dir), "--connect-to", f"*={replay.base_url}",
        "--delay", "0", *extra,
    ]  # fmt: skip


def post_url(post_id: str) -> str:
    return f"https://x.com/SamuelSusla/status/{post_id}"


def media_url(name: str) -> str:
    """The URL the archiver asks for when a post lists pbs.twimg.com/media/<name>.jpg."""
    return f"https://pbs.twimg.com/media/{name}?format=jpg&name=orig"


def photo_post(post_id: str, media_name: str) -> bytes:
    """The real recorded photo post, re-keyed to `post_id` and pointing at its own media file."""
    recorded = fixture_json(*PHOTO_FIXTURE)
    detail = dict(
        recorded["mediaDetails"][0], media_url_https=f"https://pbs.twimg.com/media/{media_name}.jpg"
    )
    return json.dumps(dict(recorded, id_str=post_id, mediaDetails=[detail])).encode()


def serve_photo_post(
    replay: ReplayServer,
    post_id: str,
    media: bytes | None = None,
    *,
    content_type: str = "image/jpeg",
    **route,
) -> str:
    """Serve a one-photo post (the photo as given, or a generated JPEG); returns the post URL."""
    name = f"R{post_id}"
    serve_syndication(replay, post_id, photo_post(post_id, name))
    if route:
        replay.add(media_url(name), **route)
    else:
        body = media if media is not None else jpeg_bytes(seed=int(post_id) % 1000)
        replay.add(media_url(name), body, content_type=content_type)
    return post_url(post_id)


@dataclass
class Run:
    """One `archiver archive` invocation as a user sees it."""

    result: Result

    @property
    def status(self) -> int:
        return self.result.exit_code

    @property
    def out(self) -> str:
        return self.result.stdout

    @property
    def err(self) -> str:
        return self.result.stderr

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]

    def assert_no_traceback(self) -> None:
        assert "Traceback" not in self.out + self.err
        assert self.result.exception is None or isinstance(self.result.exception, SystemExit)


def query(settings: Settings, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(settings.db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count_posts(settings: Settings) -> int:
    """Posts committed so far (0 before the archive exists), for a test that watches a run."""
    if not settings.db_path.exists():
        return 0
    try:
        return query(settings, "select count(*) from posts")[0][0]
    except Exception:  # the schema may not be there yet
        return 0


def assert_consistent(settings: Settings) -> None:
    """The database opens, passes integrity_check, and no post lacks its media rows."""
    assert query(settings, "pragma integrity_check") == [("ok",)]
    orphans = query(
        settings,
        "select id from posts where status = 'ok' and raw like '%mediaDetails%'"
        " and id not in (select post_id from post_media)",
    )
    assert orphans == [], "a post was committed without its media rows"


@dataclass
class Earlier:
    """A post archived before the fault, and the proof it is still whole afterwards."""

    settings: Settings
    post_id: str
    sha256: str
    blob: bytes

    def assert_intact(self) -> None:
        assert_consistent(self.settings)
        rows = query(
            self.settings,
            "select p.status, pm.sha256, m.bytes from posts p join post_media pm on pm.post_id = p.id"
            " join media m on m.sha256 = pm.sha256 where p.id = ?",
            [self.post_id],
        )
        assert rows == [("ok", self.sha256, len(self.blob))]
        path = self.settings.blobs_dir / blob_relpath(self.sha256)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == self.sha256


def blob_files(blobs_dir: Path) -> list[Path]:
    """Files under final names in the blob store (not its tmp/ directory)."""
    root = blobs_dir / "sha256"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_verifies(settings: Settings) -> None:
    """`archiver verify` finds every blob and the event chain as captured."""
    args = ["verify", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    result = CliRunner().invoke(archiver.cli.main, args)
    assert result.exit_code == 0, result.output
    assert "OK: the archive is as it was captured." in result.output


def serve_posts(replay: ReplayServer, count: int, first_id: int) -> list[str]:
    """`count` one-photo posts with small, distinct photos; their URLs."""
    return [
        serve_photo_post(replay, str(first_id + i), jpeg_bytes(seed=i, size=(64, 48)))
        for i in range(count)
    ]


def failure_of(settings: Settings, url: str) -> tuple[str, str, int]:
    """The one capture of `url`: its status, its error, and how many events of the chain name it."""
    [(capture_id, status, error)] = query(
        settings, "select id, status, error from captures where url = ?", [url]
    )
    events = query(
        settings, "select count(*) from events where target = ?", [f"capture:{capture_id}"]
    )
    return status, error, events[0][0]


def article_html(post_ids: list[str]) -> str:
    """An article embedding each post with X's blockquote markup."""
    quotes = "".join(
        f'<blockquote class="twitter-tweet"><p lang="en">Post {i}</p>&mdash; sammy (@SamuelSusla)'
        f' <a href="{post_url(post_id)}">March 29, 2023</a></blockquote>'
        for i, post_id in enumerate(post_ids, 1)
    )
    return f"<html><head><title>Three posts</title></head><body><p>Intro.</p>{quotes}</body></html>"


def archived_ok(settings: Settings, urls: list[str]) -> set[str]:
    """Those of `urls` archived whole (a capture with status ok)."""
    rows = query(settings, "select url from captures where status = 'ok'")
    return {url for (url,) in rows} & set(urls)


def run_list(archive_cli, tmp_path: Path, urls: list[str], *extra: str) -> Run:
    """`archiver archive --input LIST --concurrency 4`, the list in that order."""
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    return archive_cli("--concurrency", "4", "--input", str(listing), *extra)
