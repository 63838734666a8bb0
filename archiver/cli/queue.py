"""The scale-out commands: enqueue, worker, collect, and `queue status` (Redis; archiver/queue/).

archiver enqueue URL... [--input FILE] [--queue redis://HOST:PORT/DB] [--refresh]
archiver worker [--queue ...] [--concurrency N] [--blobs DIR]      # any number, any machine
archiver collect [--queue ...] --db archive.db                      # the one writer
archiver queue status [--json]
"""

from __future__ import annotations

import json
import sys

import click

from archiver.cli.archive import checked_targets
from archiver.cli.options import (
    blobs_option,
    connect_option,
    db_option,
    json_flag,
    settings_from_params,
)

queue_option = click.option(
    "--queue", "queue_url", metavar="redis://HOST:PORT/DB", help="The job queue [ARCHIVER_QUEUE]"
)


def _settings(params: dict):
    settings = settings_from_params(params)
    if params.get("queue_url"):
        settings = settings.with_(queue_url=params["queue_url"])
    return settings


@click.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--input", "input_file", type=click.File("rb"), help="Read URLs from a file, one a line"
)
@queue_option
@db_option
@click.option("--refresh", is_flag=True, help="Queue posts already archived too")
@json_flag("Print what was queued as one JSON object")
@click.pass_context
def enqueue(ctx, targets, input_file, refresh, as_json, **_):
    """Add one job per URL to the queue, skipping posts archived already (unless --refresh)."""
    from archiver.errors import UsageError
    from archiver.queue.jobs import enqueue_targets

    targets = checked_targets(targets, input_file)
    if not targets:
        raise UsageError("give at least one URL (or --input FILE)")
    done = enqueue_targets(_settings(ctx.params), targets, refresh=refresh)
    if as_json:
        click.echo(json.dumps(done.to_json()))
    else:
        for url, why in done.refused:
            click.echo(f"not queued: {url}: {why}", err=True)
        click.echo(f"queued {done.queued}, skipped {len(done.skipped)} archived already"
                   + (f", refused {len(done.refused)}" if done.refused else ""))  # fmt: skip
    ctx.exit(1 if done.refused else 0)


@click.command()
@queue_option
@blobs_option
@connect_option
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Jobs taken at once (one process each)")  # fmt: skip
@click.option("--burst", is_flag=True, help="Stop when the queue is empty")
@click.option("--heartbeat", type=click.IntRange(1, 600), default=30, show_default=True,
              help="Seconds between signs of life; a job whose worker is silent twice as long"
              " is delivered again")  # fmt: skip
@click.option("--author", help="Who is archiving (recorded with each capture) [ARCHIVER_AUTHOR]")
@click.pass_context
def worker(ctx, concurrency, burst, heartbeat, **_):
    """Take jobs from the queue: fetch, read, download, hash; send each capture to the writer."""
    from archiver.queue.worker import run_workers

    settings = _settings(ctx.params)
    ctx.exit(run_workers(settings, concurrency=concurrency, burst=burst, heartbeat=heartbeat))


@click.command()
@queue_option
@db_option
@blobs_option
@click.option("--burst", is_flag=True, help="Stop when no job is queued, running or waiting")
@click.option("--quiet", "-q", is_flag=True, help="No progress line, only the summary")
@click.pass_context
def collect(ctx, burst, quiet, **_):
    """The one writer: commit the workers' captures to the archive, one transaction each."""
    from archiver.queue.collector import collect as run_collect

    settings = _settings(ctx.params)
    tty = sys.stderr.isatty()

    def report(done, line: str) -> None:
        if quiet:
            return
        counts = f"{done.committed} committed, {done.refused} refused, {done.rate():.1f}/s"
        if tty:
            click.echo(f"\r\033[K{counts}  {line[:80]}", nl=False, err=True)
        else:
            click.echo(f"{counts}: {line}", err=True)

    done = run_collect(settings, burst=burst, report=report)
    click.echo(("\n" if tty and not quiet else "") + f"committed {done.committed} bundle(s)"
               f" ({done.captures} new capture(s)), refused {done.refused},"
               f" at {done.rate():.1f}/s", err=True)  # fmt: skip


@click.group()
def queue():
    """The scale-out queue."""


@queue.command()
@queue_option
@json_flag("Print the counts as one JSON object")
@click.pass_context
def status(ctx, as_json, **_):
    """Jobs queued, running, waiting for the writer, done and failed, by platform."""
    from archiver.queue.connection import connect
    from archiver.queue.status import queue_status

    counts = queue_status(connect(_settings(ctx.params).queue_url))
    if as_json:
        click.echo(json.dumps(counts))
        return
    click.echo(" ".join(f"{state} {counts[state]}" for state in
                        ("queued", "running", "committing", "done", "failed")))  # fmt: skip
    for platform, row in counts["by_platform"].items():
        click.echo(f"  {platform:<12} " + " ".join(f"{k} {v}" for k, v in row.items()))
    for item in counts["refused"]:
        click.echo(f"  refused {item['job']} ({item['platform']}): {item['reason']}")


COMMANDS = [enqueue, worker, collect, queue]
