"""What the `archiver` commands share: their common options, the Settings they build, the archive.

The command modules (archive, annotate, evidence, serve) import from here, never from
archiver.cli.commands, which adds their commands to the group.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from archiver.errors import UsageError
from archiver.settings import Settings, parse_connect_to


def settings_from_params(ctx_params: dict) -> Settings:
    """The run's Settings: the command's options over the environment over the defaults."""
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
        ots_calendars=tuple(ctx_params.get("ots") or ()) or None,
        cookies_file=ctx_params.get("cookies"),
        wayback=ctx_params.get("wayback") or None,  # unset: ARCHIVER_WAYBACK decides
        screenshot=ctx_params.get("screenshot") or None,
    )


class Seconds(click.FloatRange):
    """A number of seconds in a range; unlike FloatRange, nan is refused (it compares false)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if number != number:
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return number


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Archive database [ARCHIVER_DB, default archive.db]",
)
blobs_option = click.option(
    "--blobs",
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Blob store: a directory, or S3-compatible storage (AWS_ENDPOINT_URL and the usual"
    " AWS_* credentials) [ARCHIVER_BLOBS, default blobs/ beside the database]",
)
connect_option = click.option(
    "--connect-to",
    multiple=True,
    metavar="HOST=BASE_URL",
    help="Send requests for HOST to BASE_URL instead ('*' for every host) [ARCHIVER_CONNECT_TO]",
)


def json_flag(help: str):
    """--json, saying what this command prints as JSON."""
    return click.option("--json", "as_json", is_flag=True, help=help)


json_option = json_flag("Print one JSON object per URL, as each is done")
tsa_roots_option = click.option(
    "--tsa-roots",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="PEM root certificates to trust for TSA signatures [ARCHIVER_TSA_ROOTS]",
)


def tsa_options(command):
    """--tsa (repeatable) and --tsa-roots: RFC 3161 timestamps of each capture's manifest."""
    return click.option(
        "--tsa",
        multiple=True,
        metavar="URL",
        help="RFC 3161 Time Stamp Authority to stamp each capture (repeatable) [ARCHIVER_TSA]",
    )(tsa_roots_option(command))


@contextlib.contextmanager
def archive_db(settings: Settings) -> Iterator:
    """The existing archive database (a usage error if there is none)."""
    import annotations  # noqa: F401  (registers its views: part of every archive)
    from archiver.store.connection import open_db

    if not settings.db_path.exists():
        raise UsageError(f"no archive at {settings.db_path} (give --db PATH or set ARCHIVER_DB)")
    db = open_db(settings.db_path)
    try:
        yield db
    finally:
        db.close()
