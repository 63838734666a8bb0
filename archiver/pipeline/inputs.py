"""What a command-line target is: an http(s) URL or a local article file to archive."""

from __future__ import annotations

import os
import re
from pathlib import Path

from archiver.errors import UsageError
from archiver.fetch.urls import check_url, refuse_control_characters
from archiver.platforms import identify


def local_path(target: str) -> Path | None:
    """A local file named on the command line (anything that is not an http(s) URL)."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", target, re.I):
        if target.lower().startswith("file://"):
            return Path(target[7:])
        return None
    return Path(target)


def validate_target(target: str) -> None:
    """Raise UsageError for what can never be archived: a malformed URL or an unreadable file."""
    path = local_path(target)
    if path is None:
        refuse_control_characters(target)
        if identify(target) is None:  # a post URI (at://...) is a target too
            check_url(target)
        return
    try:
        readable = path.is_file() and os.access(path, os.R_OK)
        exists = readable or path.exists()
    except OSError as exc:  # a name too long for the system, say
        raise UsageError(f"no such file: {_shortened(target)} ({exc.strerror})") from None
    if not exists:
        raise UsageError(f"no such file: {_shortened(target)}{_url_hint(target)}")
    if not readable:
        read_local(path)
        raise UsageError(f"cannot read {path}")


def _shortened(target: str, most: int = 200) -> str:
    return target if len(target) <= most else f"{target[: most - 1]}… ({len(target):,} characters)"


def _url_hint(target: str) -> str:
    """For a target that is no file: what it looks like it was meant to be."""
    if re.match(r"^[a-z][a-z0-9+.-]*(:/|//)", target, re.I):  # htps//x.com, https:/x.com
        return " (a URL starts with https:// or http://)"
    if re.match(r"^[\w-]+(\.[\w-]+)*\.[a-z]{2,}(/|$)", target, re.I):  # x.com/someone/status/1
        return f" (if it is a URL, give its scheme: https://{target})"
    return ""


def read_local(path: Path) -> bytes:
    """The file's bytes; UsageError that says why when it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not an article file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return data


def content_type_for(path: Path) -> str:
    """An article file's type by its name: plain text (.txt, .md) or HTML (anything else)."""
    return "text/plain" if path.suffix.lower() in (".txt", ".text", ".md") else "text/html"
