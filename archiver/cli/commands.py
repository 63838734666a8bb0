"""The `archiver` command: parses arguments, calls the Python API, prints.

Exit status: 0 all archived, 1 some URLs failed (each reported, the rest
archived), 2 usage error. A traceback reaching the user is a bug: should one happen
all the same, it goes to a file and the user reads one line naming it.

The commands live in modules by concept (cli/archive.py, annotate.py, evidence.py,
queue.py, serve.py, wayback.py) and are named in the group here, so every entry point
gets all of them: the installed `archiver` script, `python -m archiver` and `python -m
archiver.cli`. A command's module is imported when that command runs (or `--help`
lists them all): `archiver archive` need not load what `cite` or `serve` use (citation
styles, TSA clients, Datasette), a tenth of a second at every start.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

import click

from archiver import __version__
from archiver.errors import ArchiveError, UsageError

# Each command's module (its COMMANDS list holds it), in the order `--help` lists them.
COMMAND_MODULES = {
    "archive": "archive", "embeds": "archive",
    "annotate": "annotate", "annotations": "annotate",
    "cite": "evidence", "export": "evidence", "verify": "evidence", "seal": "evidence",
    "enqueue": "queue", "worker": "queue", "collect": "queue", "queue": "queue",
    "serve": "serve", "demo": "serve",
    "wayback": "wayback",
}  # fmt: skip


class ArchiverGroup(click.Group):
    """Turns our errors into one clear line and the documented exit status; loads a
    command's module only when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(name)
        if module is None:
            return None
        commands = importlib.import_module(f"archiver.cli.{module}").COMMANDS
        return next(c for c in commands if c.name == name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)
        except ArchiveError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own way out (an exit status, a usage message)
        except Exception as exc:  # a bug: one line here, the traceback in a file
            click.echo(f"Error: {report_bug(exc)}", err=True)
            ctx.exit(1)


def report_bug(exc: Exception) -> str:
    """The one line a bug shows; its traceback goes to a new file in the temporary directory."""
    from archiver.pipeline.failures import ErrorLog

    try:
        handle, name = tempfile.mkstemp(prefix="archiver-error-", suffix=".log")
        os.close(handle)
    except OSError:
        return f"unexpected {type(exc).__name__} (its details could not be written)"
    log = ErrorLog(Path(name))
    reason = log.reason(" ".join(["archiver", *sys.argv[1:]]), exc)
    return f"{reason} (details in {name})" if log.write_error is None else reason


@click.group(cls=ArchiverGroup)
@click.version_option(__version__, prog_name="archiver")
def main() -> None:
    """Archive social-media posts, and the articles that embed them, as evidence."""


if __name__ == "__main__":
    main()
