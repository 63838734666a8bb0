"""The `archiver` command: parses arguments, calls the Python API, prints.

Exit status: 0 all archived, 1 some URLs failed (each reported, the rest
archived), 2 usage error. A traceback reaching the user is a bug.
"""

from __future__ import annotations

import contextlib
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
        tsa_urls=tuple(ctx_params.get("tsa") or ()) or None,
        tsa_roots=ctx_params.get("tsa_roots"),
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


def tsa_options(command):
    """--tsa (repeatable) and --tsa-roots: RFC 3161 timestamps of each capture's manifest."""
    command = click.option(
        "--tsa-roots",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="PEM root certificates to trust for TSA signatures [ARCHIVER_TSA_ROOTS]",
    )(command)
    return click.option(
        "--tsa",
        multiple=True,
        metavar="URL",
        help="RFC 3161 Time Stamp Authority to stamp each capture (repeatable) [ARCHIVER_TSA]",
    )(command)


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
@tsa_options
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
    if settings.tsa_urls:
        from .tsa import check_tsa_urls

        check_tsa_urls(settings.tsa_urls)
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
    """One target a line; blank lines, # comments, a byte-order mark and repeats are skipped."""
    lines = (line.strip().lstrip("\ufeff").strip() for line in stream)
    # A URL listed twice would be fetched twice at once by concurrent workers.
    return list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


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
@click.argument("target")
@click.option("--note", help="A note, in Markdown")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable)")
@click.option(
    "--verification",
    type=click.Choice(["unverified", "verified", "disputed", "false"]),
    help="Verification status (needs --rationale)",
)
@click.option("--rationale", help="Why: required with --verification")
@click.option("--lat", type=float, help="Latitude, -90 to 90 (with --lon)")
@click.option("--lon", type=float, help="Longitude, -180 to 180 (with --lat)")
@click.option("--precision", type=float, help="How precise the location is, in metres")
@click.option("--event-time", help="When the event happened: a date or ISO 8601 time (UTC)")
@click.option("--event-end", help="The end of the event's time window")
@click.option("--source", help="How the location or time was established")
@click.option("--edit", "edit_id", type=int, metavar="ID", help="Replace annotation ID")
@click.option("--retract", "retract_id", type=int, metavar="ID", help="Retract annotation ID")
@click.option("--reason", help="Why, with --retract")
@click.option("--author", help="Who is annotating [ARCHIVER_AUTHOR]")
@db_option
@json_option
@click.pass_context
def annotate(ctx, target, edit_id, retract_id, reason, as_json, **options):
    """Annotate a post id, post URL, capture id or media SHA-256 (append-only, logged)."""
    from annotations import add_annotations, edit_annotation, retract_annotation
    from annotations.report import annotation_dict

    from .targets import resolve_target

    settings = _settings(ctx.params)
    drafts = annotation_drafts(options)
    if options["rationale"] and not options["verification"]:
        raise UsageError("--rationale goes with --verification")
    if retract_id is not None and drafts:
        raise UsageError("--retract takes no new values (only --reason)")
    if edit_id is not None and len(drafts) != 1:
        raise UsageError("--edit takes exactly one new value (a note, tag, status, place or time)")
    with archive_db(settings) as db:
        found = resolve_target(db, target)
        if retract_id is not None:
            written = [retract_annotation(db, found, retract_id, settings.author, reason)]
        elif edit_id is not None:
            written = [edit_annotation(db, found, edit_id, drafts[0], settings.author)]
        else:
            written = add_annotations(db, found, drafts, settings.author)
    for annotation in written:
        if as_json:
            click.echo(json.dumps(annotation_dict(annotation), ensure_ascii=False))
        else:
            click.echo(f"#{annotation.id} {annotation.summary()} on {found} by {annotation.author}")


def annotation_drafts(options: dict) -> list:
    """One draft per kind the options give; validation happens in `annotations`."""
    from annotations import Draft

    drafts = [Draft("note", body=options["note"])] if options["note"] is not None else []
    drafts += [Draft("tag", tag=tag) for tag in options["tags"]]
    if options["verification"]:
        drafts.append(
            Draft("verification", verification=options["verification"], body=options["rationale"])
        )
    if any(options[k] is not None for k in ("lat", "lon", "precision")):
        drafts.append(
            Draft("geolocation", latitude=options["lat"], longitude=options["lon"],
                  precision_m=options["precision"], body=options["source"])
        )  # fmt: skip
    if options["event_time"] or options["event_end"]:
        drafts.append(
            Draft("chronolocation", event_time=options["event_time"],
                  event_time_end=options["event_end"], body=options["source"])
        )  # fmt: skip
    return drafts


@main.command("annotations")
@click.argument("target")
@db_option
@json_option
@click.pass_context
def list_annotations(ctx, target, as_json, **_):
    """Show what analysts say about a target now, and the history; a post includes its media."""
    from annotations import post_targets, target_state
    from annotations.report import state_dict, state_lines

    from .targets import resolve_target

    with archive_db(_settings(ctx.params)) as db:
        found = resolve_target(db, target)
        targets = post_targets(db, found.id) if found.type == "post" else [found]
        states = [target_state(db, t) for t in targets]
    if as_json:
        click.echo(json.dumps({"targets": [state_dict(s) for s in states]}, ensure_ascii=False))
        return
    click.echo("\n".join(line for state in states for line in state_lines(state)))


@contextlib.contextmanager
def archive_db(settings: Settings):
    """The existing archive database (a usage error if there is none)."""
    from .store import open_db

    if not settings.db_path.exists():
        raise UsageError(f"no archive at {settings.db_path} (give --db PATH or set ARCHIVER_DB)")
    db = open_db(settings.db_path)
    try:
        yield db
    finally:
        db.close()


@main.command()
@db_option
@blobs_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--sign-in",
    "analysts",
    multiple=True,
    metavar="NAME",
    help="Print a sign-in link for analyst NAME (repeatable) [default: ARCHIVER_AUTHOR or 'analyst']",
)
@click.option("--read-only", is_flag=True, help="No sign-in links: nobody can annotate")
@click.pass_context
def serve(ctx, host, port, analysts, read_only, **_):
    """Open the archive in Datasette with the project's configuration."""
    from .serve import run_server, sign_in_tokens

    settings = _settings(ctx.params)
    if not settings.db_path.exists():
        raise UsageError(
            f"no archive at {settings.db_path}: run `archiver archive URL` first (or --db PATH)"
        )
    names = [] if read_only else list(analysts) or [settings.author or "analyst"]
    run_server(settings, host=host, port=port, sign_in=sign_in_tokens(names))


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


# Citing, exporting and verifying live in their own module; importing it registers them.
from . import cli_evidence  # noqa: E402, F401

if __name__ == "__main__":
    main()
