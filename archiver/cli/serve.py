"""The commands that open an archive for people: serve (Datasette) and demo."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli.options import blobs_option, db_option, settings_from_params, tsa_options
from archiver.errors import UsageError


@click.command()
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
@tsa_options
@click.pass_context
def serve(ctx, host, port, analysts, read_only, **_):
    """Open the archive in Datasette with the project's configuration.

    With a TSA (--tsa, ARCHIVER_TSA), each annotation saved in the browser is followed by a
    checkpoint of the event chain's head, as `archiver annotate` batches are.
    """
    from archiver.web.serve import run_server, sign_in_tokens

    settings = settings_from_params(ctx.params)
    if not settings.db_path.exists():
        raise UsageError(
            f"no archive at {settings.db_path}: run `archiver archive URL` first (or --db PATH)"
        )
    names = [] if read_only else list(analysts) or [settings.author or "analyst"]
    run_server(settings, host=host, port=port, sign_in=sign_in_tokens(names))


@click.command()
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
    from archiver.web.demo import run_demo

    run_demo(
        directory, host=host, port=port, serve=not no_serve, echo=lambda m: click.echo(m, err=True)
    )


COMMANDS = [serve, demo]
