"""What changed between two versions of a post, and which count changes are worth a version.

Like and view counts move every minute; a new version for each tick would bury
the edits and deletions that matter. A count makes a new version when it moved
by at least COUNT_MIN_CHANGE and by at least COUNT_MIN_RATIO of its last
recorded value: a post going from 40 reposts to 4,000 is part of the record,
4,127 likes becoming 4,130 is not.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

COUNT_MIN_CHANGE = 100
COUNT_MIN_RATIO = 0.10


def _counts(value: str | dict | None) -> dict[str, int]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)}


def moved_counts(before: str | dict | None, after: str | dict | None) -> list[str]:
    """The counts that moved enough to matter, as 'name old -> new'."""
    old, new = _counts(before), _counts(after)
    moved = []
    for name in sorted(old.keys() & new.keys()):
        delta = abs(new[name] - old[name])
        if delta >= COUNT_MIN_CHANGE and delta >= COUNT_MIN_RATIO * old[name]:
            moved.append(f"{name} {old[name]:,} -> {new[name]:,}")
    return moved


def counts_moved(before: str | dict | None, after: str | dict | None) -> bool:
    """True when a count moved enough to make a new version (see the module docstring)."""
    return bool(moved_counts(before, after))


def describe_change(previous: dict | None, current: dict) -> list[str]:
    """What differs between two post_versions rows, in words for the person running --refresh."""
    if previous is None:
        return ["first capture"]
    changes = []
    if previous["status"] != current["status"]:
        changes.append(f"status {previous['status']} -> {current['status']}")
    if (previous["text"] or "") != (current["text"] or ""):
        changes.append("text edited (both texts kept)")
    if json.loads(previous["media_sha256s"] or "[]") != json.loads(
        current["media_sha256s"] or "[]"
    ):
        changes.append("media changed")
    for column in ("author_name", "author_handle"):
        if previous.get(column) != current.get(column) and previous.get(column) is not None:
            changes.append(f"{column.replace('_', ' ')} {previous[column]} -> {current[column]}")
    changes += moved_counts(previous.get("metrics"), current.get("metrics"))
    if not changes and previous["content_sha256"] != current["content_sha256"]:
        changes.append("content changed (reply, quote or date)")
    return changes


def what_changed(db: Database, post_db_id: str) -> list[str]:
    """How the post's newest version differs from the one before it."""
    rows = list(
        db.query(
            "select * from post_versions where post_id = ? order by id desc limit 2", [post_db_id]
        )
    )
    if not rows:
        return []
    return describe_change(rows[1] if len(rows) > 1 else None, rows[0])
