"""What a command-line target is: an http(s) URL, or a local article file (.html, .txt)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import UsageError
from .fetch import check_url


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
        check_url(target)
    elif not path.is_file() or not os.access(path, os.R_OK):
        read_local(path)
        raise UsageError(f"cannot read {path}")


def read_local(path: Path) -> bytes:
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
    return "text/plain" if path.suffix.lower() in (".txt", ".text", ".md") else "text/html"
