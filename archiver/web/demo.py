"""`archiver demo`: archive the bundled Lashio article from a local replay, then serve it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archiver.pipeline.archive import Archiver, CaptureResult
from archiver.settings import Settings
from archiver.web.replay import ReplayServer

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
DEMO_ARTICLE_URL = "https://news.example/2024/08/lashio-command-captured.txt"
DEMO_ANALYST = "demo analyst"


def demo_replay() -> ReplayServer:
    """A replay server answering for the article, t.co, the syndication API and pbs.twimg.com."""
    server = ReplayServer()
    server.load_manifest(DEMO_DATA / "routes.json")
    return server


def archive_demo(
    directory: Path, replay: ReplayServer, progress: Callable[[str], None] | None = None
) -> tuple[Settings, CaptureResult]:
    directory.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        db_path=directory / "archive.db",
        blobs_dir=directory / "blobs",
        connect_to={"*": replay.base_url},
        author="archiver demo",
    )
    with Archiver(settings, progress=progress) as archiver:
        result = archiver.archive(DEMO_ARTICLE_URL)
    return settings, result


def run_demo(
    directory: Path, *, host: str, port: int, serve: bool, echo: Callable[[str], None]
) -> CaptureResult:
    with demo_replay() as replay:
        echo(f"replaying the demo article and the post it embeds from {replay.base_url}")
        settings, result = archive_demo(directory, replay, progress=lambda m: echo(f"  {m}"))
    echo(f"archived {result.url}: {result.status}; posts: {', '.join(result.post_ids) or 'none'}")
    if result.error:
        echo(f"  {result.error}")
    echo(f"archive: {settings.db_path}  blobs: {settings.blobs_dir}")
    if serve:
        from datasette.utils import tilde_encode

        from archiver.web.serve import run_server, sign_in_path, sign_in_tokens

        post = result.post_ids[0] if result.post_ids else None
        path = f"archive/posts/{tilde_encode(post)}" if post else ""
        sign_in = sign_in_tokens([DEMO_ANALYST])

        def ready(base: str) -> None:
            link = base.rstrip("/") + sign_in_path(sign_in[DEMO_ANALYST])
            echo(f"Sign in as {DEMO_ANALYST!r} to annotate (verify, geolocate, tag): {link}")
            echo(
                f"Open {base}{path} to see the post, its photo, hashes and the article's copy (Ctrl-C to stop)"
            )

        run_server(settings, host=host, port=port, on_ready=ready, sign_in=sign_in)
    return result
