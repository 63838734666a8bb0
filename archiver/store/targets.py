"""Something already in the archive that a command names: a post, a media file, a page or a capture."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.errors import UsageError

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

TARGET_TYPES = ("post", "media", "page", "capture")


@dataclass(frozen=True)
class Target:
    """Something in the archive that can be annotated or cited: `type` is one of TARGET_TYPES."""

    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


def resolve_target(
    db: Database, text: str, db_id_of: Callable[[str], str | None] | None = None
) -> Target:
    """The archived thing TEXT names: a post id (x:1819...), a post URL, a capture id, a media
    SHA-256, a page URL, or an explicit post:/media:/page:/capture: prefix. UsageError if none.

    `db_id_of` names the post a URL points to in any of its forms (the platform registry's
    `db_id_of`); without it a post URL is found only as archived."""
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
        candidates = [
            ("post", "select id from posts where id = ?", db_id_of(text) if db_id_of else None),
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


def target_url(db: Database, target: Target) -> str | None:
    """The web address a target stands for: a post's canonical URL, a page's, a capture's."""
    sql = {
        "post": "select url from posts where id = ?",
        "page": "select url from pages where cast(id as text) = ?",
        "capture": "select coalesce(p.url, c.final_url, c.url) from captures c"
        " left join posts p on p.id = c.post_db_id where c.id = ?",
        "media": "select first_url from media where sha256 = ?",
    }[target.type]
    return _one(db, sql, target.id)


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
