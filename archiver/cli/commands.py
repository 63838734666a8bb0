"""The `archiver` command: parses arguments, calls the Python API, prints.

Exit status: 0 all archived, 1 some URLs failed (each reported, the rest
archived), 2 usage error. A traceback reaching the user is a bug.

The commands live in modules by concept (cli_archive, cli_annotate, cli_evidence,
cli_serve) and are added to the group here, so every entry point gets all of them:
the installed `archiver` script, `python -m archiver` and `python -m archiver.cli`.
"""

from __future__ import annotations

import click

from archiver import __version__
from archiver.cli import annotate as cli_annotate
from archiver.cli import archive as cli_archive
from archiver.cli import evidence as cli_evidence
from archiver.cli import serve as cli_serve
from archiver.errors import ArchiveError, UsageError


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


for _module in (cli_archive, cli_annotate, cli_evidence, cli_serve):
    for _command in _module.COMMANDS:
        main.add_command(_command)

if __name__ == "__main__":
    main()
