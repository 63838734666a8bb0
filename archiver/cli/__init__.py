"""The `archiver` command: click commands that parse, call one API function, and print."""

from archiver.cli.commands import main

__all__ = ["main"]
