"""ARCHIVER_* on/off variables: one reading for all of them, and a typo is an error, not a guess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from recorded import serve_syndication

from archiver.cli.commands import main
from archiver.settings import BOOLEAN_SETTINGS, Settings

POST_ID = "2023357708301455483"
POST_URL = f"https://x.com/jarredsumner/status/{POST_ID}"
NO_CHROMIUM = "no screenshots in this run: Chromium was not found"
ACCEPTED = "must be 1/true/yes/on or 0/false/no/off"


def serve_post(replay) -> None:
    serve_syndication(replay, POST_ID, "tweet-result_2023357708301455483_text_only.json")


def archive(settings, replay, env: dict[str, str]):
    args = ["archive", "--db", str(settings.db_path), "--blobs", str(settings.blobs_dir)]
    args += ["--connect-to", f"*={replay.base_url}", "--delay", "0", POST_URL]
    return CliRunner().invoke(main, args, env=env)


@pytest.mark.parametrize(
    "value, shoots",
    [("1", True), ("TRUE", True), (" yes ", True), ("On", True)]
    + [("0", False), ("false", False), ("NO", False), (" off", False)],
)
def test_screenshot_is_turned_on_and_off_by_any_accepted_word(
    replay, settings, tmp_path, value, shoots
):
    # With no Chromium at the given path, a run that would shoot says so: that is how a user
    # sees ARCHIVER_SCREENSHOT was read as on.
    serve_post(replay)
    env = {"ARCHIVER_SCREENSHOT": value, "ARCHIVER_CHROMIUM": str(tmp_path / "no-chromium")}
    result = archive(settings, replay, env)
    assert result.exit_code == 0, result.output
    assert (NO_CHROMIUM in result.stderr) is shoots


@pytest.mark.parametrize("name", sorted(BOOLEAN_SETTINGS))
@pytest.mark.parametrize("value", ["ture", "2", "y", "enabled", "-1"])
def test_an_on_off_variable_set_to_anything_else_is_a_usage_error(replay, settings, name, value):
    serve_post(replay)
    result = archive(settings, replay, {name: value})
    assert result.exit_code == 2
    assert f"{name} {ACCEPTED}, got {value!r}" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not settings.db_path.exists()  # nothing was started
    assert replay.requests == []


def test_the_error_is_one_line_from_the_installed_command(settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVER_")}
    env["ARCHIVER_VIDEO"] = "ture"
    done = subprocess.run(
        [sys.executable, "-m", "archiver", "archive", "--db", str(settings.db_path), POST_URL],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"ARCHIVER_VIDEO {ACCEPTED}, got 'ture'" in lines[0]
    assert not settings.db_path.exists()


@pytest.mark.parametrize("name, field", sorted(BOOLEAN_SETTINGS.items()))
def test_every_on_off_variable_reads_the_same_words(name, field):
    for word in ("1", "true", "YES", " on "):
        assert getattr(Settings.from_env({name: word}), field) is True
    for word in ("0", "False", "no", "OFF\n"):
        assert getattr(Settings.from_env({name: word}), field) is False
    # Unset or empty: the default (video on; screenshots and Save Page Now off).
    assert getattr(Settings.from_env({name: ""}), field) == getattr(Settings(), field)
    assert getattr(Settings.from_env({}), field) == getattr(Settings(), field)
