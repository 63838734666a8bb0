"""The hash-chained `events` table: every write to the archive appends one event.

Each event's hash covers its own fields and the previous event's hash, so
editing, inserting or deleting any event (or the row it describes, whose hash
is in `payload_sha256`) breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from archiver.store.queries_evidence import chain_head
from archiver.store.rows import insert_row

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

GENESIS = "0" * 64


def payload_hash(payload: dict) -> str:
    """SHA-256 of a row's canonical JSON (sorted keys, no whitespace)."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


# What json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
# default=str) returns, without building a new encoder per call: a post's commit encodes
# some 150 values (each column's digest), under the database lock.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
)


def canonical_json(value) -> str:
    return _CANONICAL.encode(value)


def column_digests(payload: dict, prefix: str = "") -> dict[str, str]:
    """Each field's short hash (`post.created_at`, `media[0].sha256`): a locator, not a proof.

    Kept beside the event (`events.columns`) but outside its hash: verify uses it only to
    name which column of a changed row differs. A forged locator can mislead that naming,
    never hide a change, since the row is still checked against `payload_sha256`.
    """
    found: dict[str, str] = {}
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found |= column_digests(value, f"{name}.")
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            for i, item in enumerate(value):
                found |= column_digests(item, f"{name}[{i}].")
            found[f"{name}[]"] = str(len(value))
        else:
            found[name] = hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:16]
    return found


def event_hash(
    seq: int, at: str, actor: str, action: str, target: str, payload_sha256: str, prev_hash: str
) -> str:
    fields = [str(seq), at, actor, action, target, payload_sha256, prev_hash]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def append_event(
    db: Database, *, at: str, actor: str, action: str, target: str, payload: dict
) -> dict:
    """Append one event; call inside the transaction that makes the write it records."""
    last = chain_head(db)
    seq = (last[0] + 1) if last else 1
    prev = last[1] if last else GENESIS
    digest = payload_hash(payload)
    row = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "target": target,
        "payload_sha256": digest,
        "prev_hash": prev,
        "hash": event_hash(seq, at, actor, action, target, digest, prev),
        "columns": canonical_json(column_digests(payload)),
    }
    insert_row(db, "events", row)
    return row


@dataclass
class ChainBreak:
    seq: int
    problem: str


def check_chain(db: Database) -> list[ChainBreak]:
    """Every place the chain does not hold: a changed event, or a missing or inserted one."""
    breaks: list[ChainBreak] = []
    prev_hash, expected_seq = GENESIS, 1
    for seq, at, actor, action, target, digest, prev, stored in db.execute(
        "select seq, at, actor, action, target, payload_sha256, prev_hash, hash from events order by seq"
    ):
        if seq != expected_seq:
            breaks.append(ChainBreak(seq, f"events {expected_seq}..{seq - 1} are missing"))
        if prev != prev_hash:
            breaks.append(ChainBreak(seq, "prev_hash does not match the event before it"))
        if event_hash(seq, at, actor, action, target, digest, prev) != stored:
            breaks.append(ChainBreak(seq, "the event was changed after it was written"))
        prev_hash, expected_seq = stored, seq + 1
    return breaks


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_event(db: Database, actor: str, action: str, target: str, row: dict) -> None:
    append_event(db, at=utc_now(), actor=actor, action=action, target=target, payload=row)
