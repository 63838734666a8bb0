"""`archiver wayback`: the Wayback Machine's earlier copies of a post's URL, and archiving one.

Exit status: 0 listed (or archived), 1 the Wayback Machine could not say or the copy failed,
2 usage error.
"""

from __future__ import annotations

import json

import click

from archiver.cli.options import (
    blobs_option,
    connect_option,
    db_option,
    json_flag,
    settings_from_params,
)
from archiver.errors import ArchiveError, UsageError


@click.command()
@click.argument("target")
@db_option
@blobs_option
@connect_option
@click.option(
    "--archive-closest",
    is_flag=True,
    help="Archive the copy closest to --to (default: the newest) as a page capture, source wayback",
)
@click.option(
    "--to",
    "to",
    metavar="DATE",
    help="With --archive-closest: the date or time to come closest to (2024-05-01, 20240501120000)",
)
@json_flag("Print the URL, its copies and what was archived as one JSON object")
@click.pass_context
def wayback(ctx, target, archive_closest, to, as_json, **_):
    """List the Wayback Machine's copies of a post's URL (a post id, post URL, capture id or any URL)."""
    from archiver.evidence.wayback_cdx import closest, parse_when
    from archiver.pipeline.wayback import wayback_copies_of

    if to and not archive_closest:
        raise UsageError("--to chooses the copy --archive-closest archives: give both")
    when = parse_when(to) if to else None
    settings = settings_from_params(ctx.params)
    url, copies = wayback_copies_of(settings, target)
    chosen = closest(copies, when) if archive_closest else None
    result = None
    if chosen is not None:
        from archiver.pipeline.archive import Archiver

        with Archiver(settings) as archiver:
            result = archiver.archive_wayback_copy(chosen.original_bytes_url)
    if as_json:
        out = {
            "url": url,
            "copies": [c.to_json() for c in copies],
            "archived": (result.to_json() | {"wayback_timestamp": chosen.timestamp})
            if result
            else None,
        }
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(f"{len(copies)} Wayback Machine copies of {url}")
        for copy in copies:
            click.echo(
                f"  {copy.captured_at}  {copy.statuscode or '-':>3}  {copy.mimetype or '-':<24}"
                f"  {copy.wayback_url}"
            )
        if result is not None:
            click.echo(
                f"archived the copy of {chosen.captured_at} as capture {result.capture_id}:"
                f" {result.status}" + (f" ({result.error})" if result.error else "")
            )
    if archive_closest and chosen is None:
        raise ArchiveError(f"the Wayback Machine has no copy of {url} to archive")
    if result is not None and result.failed:
        ctx.exit(1)


COMMANDS = [wayback]
