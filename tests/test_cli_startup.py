"""What `archiver` loads at start: every command listed, only the one run imported."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

from click.testing import CliRunner

from archiver.cli.commands import COMMAND_MODULES, main

# Modules that only other commands use (citations, TSA and OpenTimestamps clients, the
# Datasette server, the queue), with the command that does load them.
NOT_FOR_ARCHIVE = {
    "archiver.cli.evidence": "cite",
    "archiver.evidence.citation_styles": "cite",
    "rfc3161_client": "seal",
    "datasette": "serve",
    "rq": "worker",
}


def test_every_command_of_every_module_is_listed_and_runs():
    modules = sorted(set(COMMAND_MODULES.values()))
    defined = {
        command.name: module
        for module in modules
        for command in importlib.import_module(f"archiver.cli.{module}").COMMANDS
    }
    assert defined == COMMAND_MODULES
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0
    for name in COMMAND_MODULES:
        assert f"  {name} " in listed.output
        helped = CliRunner().invoke(main, [name, "--help"])
        assert helped.exit_code == 0, helped.output
        assert f"Usage: main {name}" in helped.output


def test_an_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["archve", "https://x.com/a/status/1"])
    assert result.exit_code == 2
    assert "No such command 'archve'" in result.output


def loaded_after(*args: str) -> set[str]:
    """The modules a fresh interpreter holds after running `archiver ARGS`."""
    code = (
        "import json, sys\n"
        "from archiver.cli.commands import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_archive_does_not_load_what_other_commands_need():
    loaded = loaded_after("archive", "--help")
    assert "archiver.cli.archive" in loaded
    assert not loaded & set(NOT_FOR_ARCHIVE), sorted(loaded & set(NOT_FOR_ARCHIVE))
    # ...and those commands do load them: the check above can fail.
    assert "archiver.evidence.citation_styles" in loaded_after("cite", "--help")
