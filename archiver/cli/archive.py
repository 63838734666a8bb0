"""The capturing commands of `archiver`: archive (posts, articles, lists of them) and embeds.

Exit status of `archive`: 0 all archived, 1 some URLs failed (each reported, the rest
archived), 2 usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from archiver.cli.options import (
    Seconds,
    blobs_option,
    connect_option,
    db_option,
    json_flag,
    json_option,
    settings_from_params,
    tsa_options,
)
from archiver.errors import StorageError, UsageError
from archiver.pipeline.results import SKIPPED
from archiver.settings import Settings

if TYPE_CHECKING:
    from archiver.pipeline.archive import Archiver
    from archiver.pipeline.failures import ErrorLog


@click.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--input",
    "input_file",
    type=click.File("rb"),
    help="Read URLs from a file, one a line ('-' for stdin); # comments and blank lines skipped",
)
@db_option
@blobs_option
@connect_option
@click.option("--concurrency", type=click.IntRange(1, 64), help="URLs archived at once [default 4]")
@click.option(
    "--delay",
    type=Seconds(0, 60),
    help="A fixed delay between requests to one host, in seconds [ARCHIVER_DELAY; default:"
    " adaptive, slowing a host down when it answers 429 or 503]",
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
@click.option(
    "--screenshot",
    is_flag=True,
    help="Also keep each post's page (or the article) as Chromium renders it: a full-page PNG"
    " and a PDF [ARCHIVER_SCREENSHOT=1; needs Chromium, ARCHIVER_CHROMIUM]",
)
@tsa_options
@click.option(
    "--cookies",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A Netscape cookies.txt of a logged-in browser, for posts behind a login (Instagram,"
    " Facebook, Threads); sent only to its own hosts, redacted in the WARC [ARCHIVER_COOKIES]",
)
@click.option(
    "--wayback",
    is_flag=True,
    default=None,
    help="Also submit each URL to the Wayback Machine's Save Page Now and record the copy"
    " [ARCHIVER_WAYBACK=1; ARCHIVER_WAYBACK_KEYS=ACCESS:SECRET for the authenticated API]",
)
@click.pass_context
def archive(ctx, targets, input_file, as_json, refresh, quiet, **_):
    """Archive post URLs, article URLs, or local article files (.html, .txt)."""
    from archiver.pipeline.archive import Archiver
    from archiver.pipeline.inputs import validate_target

    targets = checked_targets(targets, input_file)
    settings = settings_from_params(ctx.params)
    if not targets and refresh:
        targets = archived_post_urls(settings)
        if not targets:
            raise UsageError(f"nothing to refresh: {settings.db_path} has no posts")
        for target in targets:
            validate_target(target)
    if not targets:
        raise UsageError("give at least one URL or file (or --input FILE)")
    if settings.tsa_urls:
        from archiver.evidence.tsa import check_tsa_urls

        check_tsa_urls(settings.tsa_urls)
    if settings.cookies_file is not None:  # a malformed file is one line before anything runs
        from archiver.fetch.cookies import SessionCookies

        SessionCookies.load(settings.cookies_file)
    single = len(targets) == 1
    progress = None if quiet or not single else (lambda m: click.echo(f"  {m}", err=True))
    tally = {"ok": 0, "failed": 0, "skipped": 0}
    # A list is resumable: what an earlier run archived is skipped, unless --refresh.
    skip_archived = bool(input_file) and not refresh
    notice = lambda message: click.echo(f"note: {message}", err=True)  # noqa: E731
    archiver, unsent = Archiver(settings, progress=progress, notice=notice), None
    try:
        with archiver:
            archive_all(archiver, targets, tally, quiet=quiet, as_json=as_json,
                        skip_archived=skip_archived)  # fmt: skip
    except StorageError as exc:  # at the close: a WARC file not sent to S3 (kept for the next run)
        unsent = str(exc)
    if not (quiet or single):
        click.echo("done {ok}, failed {failed}, skipped {skipped}".format(**tally), err=True)
    if archiver.errors.count:
        click.echo(unexpected_errors_note(archiver.errors), err=True)
    if unsent:
        click.echo(f"Error: {unsent}", err=True)
    seal_run(settings, quiet)
    ctx.exit(1 if tally["failed"] or unsent else 0)


def archive_all(
    archiver: Archiver, targets: list[str], tally: dict, *, quiet: bool, as_json: bool,
    skip_archived: bool,
) -> None:  # fmt: skip
    """Archive every target, printing each result as it comes and counting it in `tally`."""
    single = len(targets) == 1
    if single and not quiet:
        click.echo(f"archiving {targets[0]}", err=True)
    with click.progressbar(
        length=len(targets),
        label="archiving",
        file=sys.stderr if not (quiet or single) else _Silent(),
        item_show_func=lambda _: "done {ok}, failed {failed}, skipped {skipped}".format(**tally),
    ) as bar:
        for result in archiver.archive_many(targets, skip_archived=skip_archived):
            key = "failed" if result.failed else "skipped" if result.status == SKIPPED else "ok"
            tally[key] += 1
            if as_json:
                click.echo(json.dumps(result.to_json(), ensure_ascii=False))
                sys.stdout.flush()
            elif not (quiet and result.status == SKIPPED):
                click.echo(describe(result))
            bar.update(1, result)


def seal_run(settings: Settings, quiet: bool) -> None:
    """With a TSA configured, anchor the chain's head at the end of every run (archiver seal)."""
    if not settings.tsa_urls:
        return  # before the imports: the TSA client costs a run without one 40 ms
    from archiver.evidence.checkpoints import describe, seal_if_stamping
    from archiver.store.connection import open_db

    db = open_db(settings.db_path)
    try:
        checkpoint = seal_if_stamping(db, settings)
    finally:
        db.close()
    if checkpoint is not None and not quiet:
        click.echo("\n".join(describe(checkpoint)), err=True)


def unexpected_errors_note(errors: ErrorLog) -> str:
    """Said once at the end of a run: where the tracebacks of its unexpected errors are."""
    many = errors.count != 1
    count = f"{errors.count} unexpected error{'s' if many else ''}"
    if errors.write_error:
        their = "their" if many else "its"
        return (
            f"{count}; {their} details could not be written to {errors.path}: {errors.write_error}"
        )
    return f"details of {count} in {errors.path}"


def checked_targets(targets: tuple[str, ...], input_file: BinaryIO | None) -> list[str]:
    """The targets given and those listed in --input, each once; a UsageError names every bad one."""
    from archiver.pipeline.inputs import validate_target

    listed, problems = read_targets(input_file) if input_file else ({}, [])
    source = getattr(input_file, "name", "<stdin>")
    problems = [f"{source}, {problem}" for problem in problems]
    for target in targets:
        validate_target(target)
    for target, line in listed.items():
        try:
            validate_target(target)
        except UsageError as exc:
            problems.append(f"{source}, line {line}: {exc}")
    if problems:  # all of them at once: a long list is mended in one pass
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise UsageError("\n".join(problems[:20]) + more)
    return list(dict.fromkeys([*targets, *listed]))


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
    from archiver.store.connection import open_db
    from archiver.store.queries import archived_post_urls as post_urls

    if not settings.db_path.exists():
        raise UsageError(f"no archive at {settings.db_path}")
    db = open_db(settings.db_path)
    try:
        return post_urls(db)
    finally:
        db.close()


# What one --input list may hold: a line longer than a URL ever is, or a list past these
# sizes, is a mistake (or /dev/zero), not a list to hold in memory.
MAX_LINE_BYTES = 16 * 1024
MAX_TARGETS = 200_000


def read_targets(stream: BinaryIO) -> tuple[dict[str, int], list[str]]:
    """One target a line, with its line number, and the lines that are no target ("line 3: ...").

    Blank lines, # comments, a byte-order mark and repeats are skipped (a URL listed twice
    would be fetched twice at once by the workers). A line is read at most MAX_LINE_BYTES
    at a time, so no input, however long its lines, is held whole in memory.
    """
    listed: dict[str, int] = {}
    problems: list[str] = []
    number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            problems.append(f"line {number}: longer than {MAX_LINE_BYTES:,} bytes")
            if not _skip_rest_of_line(stream):
                problems.append(f"no line break for 1 MiB after line {number}: not a list of URLs")
                break
            continue
        try:
            target = line.decode("utf-8").strip().lstrip("\ufeff").strip()
        except UnicodeDecodeError:
            problems.append(f"line {number}: not UTF-8 text")
            continue
        if target and not target.startswith("#"):
            listed.setdefault(target, number)
        if len(listed) > MAX_TARGETS:
            problems.append(f"more than {MAX_TARGETS:,} targets: split the list")
            break
    return listed, problems


def _skip_rest_of_line(stream: BinaryIO, most: int = 1024 * 1024) -> bool:
    """Read past the end of an over-long line; False if there was none within `most` bytes."""
    skipped = 0
    while skipped < most:
        chunk = stream.readline(MAX_LINE_BYTES)
        if not chunk or chunk.endswith(b"\n"):
            return True
        skipped += len(chunk)
    return False


def describe(result) -> str:
    """One line per URL (and one per embedded post) for people."""
    if result.failed:
        return f"FAILED {result.url}: {result.error}"
    if result.status == SKIPPED:
        return f"skipped  {result.url}  already archived as {', '.join(result.post_ids)}"
    head = f"{result.status:<8} {result.url}  capture {result.capture_id}"
    lines = [head]
    if result.changed and result.kind == "post":
        lines.append(f"         changed since the last capture: {', '.join(result.changed)}")
        for post_id, what in result.changes.items():
            lines.append(f"           {post_id}: {'; '.join(what)}")
    if result.kind == "post":
        lines.append(
            f"         posts: {', '.join(result.post_ids)}; media files: {len(result.media_sha256s)}"
        )
    if result.error:
        lines.append(f"         note: {result.error}")
    for stamp in result.timestamps:
        if stamp["status"] == "stamped":
            lines.append(f"         timestamp: {stamp['tsa']} at {stamp['gen_time']}")
        else:
            lines.append(
                f"         timestamp FAILED from {stamp['tsa']}: {stamp['error']} (the capture is archived)"
            )
    if result.wayback is not None:
        lines.append(wayback_line(result.wayback))
    for embed in result.embeds:
        where = embed["post_id"] or embed["post_url"] or "(no link to the post)"
        note = f" ({embed['error']})" if embed.get("error") else ""
        lines.append(
            f"         embed {embed['position']}: {embed['platform']} {where} via {embed['found_by']}: {embed['status']}{note}"
        )
    return "\n".join(lines)


def wayback_line(copy: dict) -> str:
    """What came of the Save Page Now submission (--wayback): the copy, or why there is none."""
    if copy.get("status") == "saved":
        return f"         Wayback Machine copy: {copy['wayback_url']} ({copy['archived_at']})"
    return (
        f"         Wayback Machine submission FAILED: {copy.get('error')} (the capture is archived)"
    )


@click.command()
@click.argument("target")
@connect_option
@click.option(
    "--no-resolve", is_flag=True, help="Do not follow t.co / pic.twitter.com links to find post ids"
)
@json_flag("Print the embeds found as JSON")
@click.pass_context
def embeds(ctx, target, no_resolve, as_json, **_):
    """List the posts an article embeds, archiving nothing."""
    from archiver.pipeline.resolve import list_embeds

    settings = settings_from_params(ctx.params)
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
        if item.get("unresolved_reason"):
            click.echo(f"   unresolved: {item['unresolved_reason']}")
        if item["article_author"] or item["article_date"]:
            click.echo(f"   {item['article_author'] or ''} {item['article_date'] or ''}".rstrip())
        if item["article_text"]:
            click.echo(f"   {shorten(item['article_text'], 140)}")


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


COMMANDS = [archive, embeds]
