"""What a command-line target is: an http(s) URL or a local article file to archive, or
something already in the archive (`resolve_target`: a post, media file, page or capture)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

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
        from .platforms import identify

        if identify(target) is None:  # a post URI (at://...) is a target too
            check_url(target)
    elif not path.is_file() or not os.access(path, os.R_OK):
        if not path.exists():
            raise UsageError(f"no such file: {target}{_url_hint(target)}")
        read_local(path)
        raise UsageError(f"cannot read {path}")


def _url_hint(target: str) -> str:
    """For a target that is no file: what it looks like it was meant to be."""
    if re.match(r"^[a-z][a-z0-9+.-]*(:/|//)", target, re.I):  # htps//x.com, https:/x.com
        return " (a URL starts with https:// or http://)"
    if re.match(r"^[\w-]+(\.[\w-]+)*\.[a-z]{2,}(/|$)", target, re.I):  # x.com/someone/status/1
        return f" (if it is a URL, give its scheme: https://{target})"
    return ""


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


# -- things already archived ---------------------------------------------------

TARGET_TYPES = ("post", "media", "page", "capture")


@dataclass(frozen=True)
class Target:
    """Something in the archive that can be annotated or cited: `type` is one of TARGET_TYPES."""

    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


def resolve_target(db: Database, text: str) -> Target:
    """The archived thing TEXT names: a post id (x:1819...), a post URL, a capture id, a media
    SHA-256, a page URL, or an explicit post:/media:/page:/capture: prefix. UsageError if none."""
    from .platforms import identify

    text = text.strip()
    if not text:
        raise UsageError("give a target: a post id, a post URL, a capture id or a media SHA-256")
    kind, sep, rest = text.partition(":")
    if sep and kind.lower() in TARGET_TYPES and rest:
        target = Target(kind.lower(), rest.lower() if kind.lower() == "media" else rest)
        if not target_exists(db, target):
            raise UsageError(f"the archive has no {target.type} {target.id!r}")
        return target
    if re.fullmatch(r"[0-9a-fA-F]{64}", text) and _one(
        db, "select sha256 from media where sha256 = ?", text.lower()
    ):
        return Target("media", text.lower())
    if re.match(r"^https?://", text, re.I):
        ref = identify(text)
        candidates = [
            ("post", "select id from posts where id = ?", ref.db_id if ref else None),
            ("post", "select id from posts where url = ?", text),
            ("page", "select id from pages where url = ? order by id desc", text),
            ("post", "select post_db_id from captures where (url = ? or final_url = ?1)"
             " and post_db_id is not null order by started_at desc", text),
        ]  # fmt: skip
    else:
        candidates = [
            ("post", "select id from posts where id = ?", text),
            ("capture", "select id from captures where id = ?", text),
        ]
    for target_type, sql, value in candidates:
        found = _one(db, sql, value) if value else None
        if found is not None:
            return Target(target_type, str(found))
    raise UsageError(
        f"nothing in the archive matches {text!r} (give a post id like x:1819..., a post URL, "
        "a capture id, a media SHA-256, or page:ID)"
    )


def target_exists(db: Database, target: Target) -> bool:
    sql = {
        "post": "select 1 from posts where id = ?",
        "media": "select 1 from media where sha256 = ?",
        "page": "select 1 from pages where cast(id as text) = ?",
        "capture": "select 1 from captures where id = ?",
    }.get(target.type)
    return sql is not None and _one(db, sql, target.id) is not None


def _one(db: Database, sql: str, value: str):
    row = db.execute(sql, [value]).fetchone()
    return row[0] if row else None
