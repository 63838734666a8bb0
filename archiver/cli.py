"""The `archiver` command: parses arguments, calls the Python API, prints.

Exit status: 0 all archived, 1 some URLs failed (each reported, the rest
archived), 2 usage error. A traceback reaching the user is a bug.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import ArchiveError, UsageError
from .settings import Settings, parse_connect_to


def _settings(ctx_params: dict) -> Settings:
    return Settings.from_env(
        db_path=ctx_params.get("db"),
        blobs_dir=ctx_params.get("blobs"),
        connect_to=parse_connect_to(ctx_params.get("connect_to") or ()),
        author=ctx_params.get("author"),
        concurrency=ctx_params.get("concurrency"),
        max_retries=ctx_params.get("retries"),
        host_delay=ctx_params.get("delay"),
    )


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Archive database [ARCHIVER_DB, default archive.db]",
)
blobs_option = click.option(
    "--blobs",
    type=click.Path(file_okay=False, path_type=Path),
    help="Blob store directory [ARCHIVER_BLOBS, default blobs/]",
)
connect_option = click.option(
    "--connect-to",
    multiple=True,
    metavar="HOST=BASE_URL",
    help="Send requests for HOST to BASE_URL instead ('*' for every host) [ARCHIVER_CONNECT_TO]",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object per URL")


class ArchiverGroup(click.Group):
    """Turns our errors into one clear line and the documented exit status."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)
        except ArchiveError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=ArchiverGroup)
@click.version_option(__version__, prog_name="archiver")
def main() -> None:
    """Archive social-media posts, and the articles that embed them, as evidence."""


@main.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--input",
    "input_file",
    type=click.File("r"),
    help="Read URLs from a file, one a line ('-' for stdin); # comments and blank lines skipped",
)
@db_option
@blobs_option
@connect_option
@click.option("--concurrency", type=click.IntRange(1, 64), help="URLs archived at once [default 4]")
@click.option(
    "--delay",
    type=click.FloatRange(0, 60),
    help="Seconds between requests to one host [ARCHIVER_DELAY, default 0.25]",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    help="Retries after a timeout, 5xx or 429 [ARCHIVER_RETRIES, default 3]",
)
@click.option("--author", help="Who is archiving (recorded with each capture) [ARCHIVER_AUTHOR]")
@json_option
@click.option(
    "--refresh",
    is_flag=True,
    help="Fetch again posts already archived; with no URL, re-check every post in the archive",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress messages")
@click.pass_context
def archive(ctx, targets, input_file, as_json, refresh, quiet, **_):
    """Archive post URLs, article URLs, or local article files (.html, .txt)."""
    from .archive import Archiver
    from .targets import validate_target

    targets = list(targets) + (read_targets(input_file) if input_file else [])
    settings = _settings(ctx.params)
    if not targets and refresh:
        targets = archived_post_urls(settings)
        if not targets:
            raise UsageError(f"nothing to refresh: {settings.db_path} has no posts")
    if not targets:
        raise UsageError("give at least one URL or file (or --input FILE)")
    for target in targets:
        validate_target(target)
    single = len(targets) == 1
    progress = None if quiet or not single else (lambda m: click.echo(f"  {m}", err=True))
    tally = {"ok": 0, "failed": 0, "skipped": 0}
    # A list is resumable: what an earlier run archived is skipped, unless --refresh.
    skip_archived = bool(input_file) and not refresh
    with Archiver(settings, progress=progress) as archiver:
        if single and not quiet:
            click.echo(f"archiving {targets[0]}", err=True)
        with click.progressbar(
            length=len(targets),
            label="archiving",
            file=sys.stderr if not (quiet or single) else _Silent(),
            item_show_func=lambda _: "done {ok}, failed {failed}, skipped {skipped}".format(
                **tally
            ),
        ) as bar:
            for result in archiver.archive_many(targets, skip_archived=skip_archived):
                key = (
                    "failed" if result.failed else "skipped" if result.status == "skipped" else "ok"
                )
                tally[key] += 1
                if as_json:
                    click.echo(json.dumps(result.to_json(), ensure_ascii=False))
                    sys.stdout.flush()
                elif not (quiet and result.status == "skipped"):
                    click.echo(describe(result))
                bar.update(1, result)
    if not (quiet or single):
        click.echo("done {ok}, failed {failed}, skipped {skipped}".format(**tally), err=True)
    ctx.exit(1 if tally["failed"] else 0)


class _Silent:
    """A file that swallows the progress bar when there is nothing to show."""

    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def archived_post_urls(settings: Settings) -> list[str]:
    """Every post the archive holds, by its canonical URL, for --refresh."""
    from .store import open_db

    if not settings.db_path.exists():
        raise UsageError(f"no archive at {settings.db_path}")
    db = open_db(settings.db_path)
    try:
        return [row[0] for row in db.execute("select url from posts order by first_capture_id")]
    finally:
        db.close()


def read_targets(stream) -> list[str]:
    lines = (line.strip() for line in stream)
    return [line for line in lines if line and not line.startswith("#")]


def describe(result) -> str:
    """One line per URL (and one per embedded post) for people."""
    if result.failed:
        return f"FAILED {result.url}: {result.error}"
    if result.status == "skipped":
        return f"skipped  {result.url}  already archived as {', '.join(result.post_ids)}"
    head = f"{result.status:<8} {result.url}  capture {result.capture_id}"
    lines = [head]
    if result.changed and result.kind == "post":
        lines.append(f"         changed since the last capture: {', '.join(result.changed)}")
    if result.kind == "post":
        lines.append(
            f"         posts: {', '.join(result.post_ids)}; media files: {len(result.media_sha256s)}"
        )
        if result.error:
            lines.append(f"         note: {result.error}")
    for embed in result.embeds:
        where = embed["post_id"] or embed["post_url"] or "(no link to the post)"
        note = f" ({embed['error']})" if embed.get("error") else ""
        lines.append(
            f"         embed {embed['position']}: {embed['platform']} {where} via {embed['found_by']}: {embed['status']}{note}"
        )
    return "\n".join(lines)


@main.command()
@click.argument("target")
@connect_option
@click.option(
    "--no-resolve", is_flag=True, help="Do not follow t.co / pic.twitter.com links to find post ids"
)
@json_option
@click.pass_context
def embeds(ctx, target, no_resolve, as_json, **_):
    """List the posts an article embeds, archiving nothing."""
    from .resolve import list_embeds

    settings = _settings(ctx.params)
    found = list_embeds(target, settings, resolve=not no_resolve)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no embedded posts found")
    for item in found:
        click.echo(
            f"{item['position']}: {item['platform']} {item['post_url'] or '(unresolved)'}  [{item['found_by']}]"
        )
        if item["article_author"] or item["article_date"]:
            click.echo(f"   {item['article_author'] or ''} {item['article_date'] or ''}".rstrip())
        if item["article_text"]:
            click.echo(f"   {shorten(item['article_text'], 140)}")


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
@db_option
@blobs_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.pass_context
def serve(ctx, host, port, **_):
    """Open the archive in Datasette with the project's configuration."""
    from .serve import run_server

    settings = _settings(ctx.params)
    if not settings.db_path.exists():
        raise UsageError(
            f"no archive at {settings.db_path}: run `archiver archive URL` first (or --db PATH)"
        )
    run_server(settings, host=host, port=port)


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("archiver-demo"),
    show_default=True,
    help="Where the demo archive is written",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Archive only; do not start Datasette")
def demo(directory, host, port, no_serve):
    """Archive the bundled demo article from a local replay, then serve it."""
    from .demo import run_demo

    run_demo(
        directory, host=host, port=port, serve=not no_serve, echo=lambda m: click.echo(m, err=True)
    )


if __name__ == "__main__":
    main()
