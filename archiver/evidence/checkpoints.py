"""Checkpoints: the event chain's head at a moment, anchored outside the database.

The hash chain shows that no event was changed, inserted or removed *relative to the
rest of the chain*; someone able to write the database could still rewrite every event
after the one they changed and recompute the hashes. A checkpoint fixes the head: the
sequence number and hash of the last event, in a statement that each configured RFC 3161
Time Stamp Authority signs, kept in the `checkpoints` table and appended to a small file
beside the archive (`<archive>.checkpoints.jsonl`) that can be copied, published or
e-mailed. `archiver verify` then checks that each checkpoint's head is still in the chain
at its sequence number, so a rewrite of anything at or before a checkpoint is caught.

What an anchor proves: the chain up to that event existed, exactly, no later than the
TSA's time. What it does not: that what was captured was true, or anything about events
after the last checkpoint (seal again after archiving), or, when the only copy of the
checkpoint is inside the archive and no TSA signed it, anything at all against someone
who can rewrite the whole file: keep the file, or the printed head, elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlite_utils import Database

from archiver.errors import UsageError
from archiver.evidence import ots
from archiver.evidence.tsa import STAMPED, Stamp, check_stamp, load_roots, stamp_all
from archiver.evidence.verify_report import Report
from archiver.settings import Settings
from archiver.store.eventlog import utc_now
from archiver.store.queries_evidence import (
    all_anchors,
    all_checkpoints,
    chain_head,
    event_hash_at,
)
from archiver.store.transaction import transaction
from archiver.store.writes import save_anchor, save_checkpoint

FILE_SUFFIX = ".checkpoints.jsonl"


@dataclass
class Checkpoint:
    """The chain's head (`seq`, `head`) when sealed, and each TSA's signature over it."""

    seq: int
    head: str
    sealed_at: str
    stamps: list[Stamp] = field(default_factory=list)
    anchors: list[ots.Anchor] = field(default_factory=list)  # OpenTimestamps proofs

    @property
    def statement(self) -> bytes:
        return head_statement(self.seq, self.head)

    def to_json(self) -> dict:
        return {
            "seq": self.seq,
            "head": self.head,
            "sealed_at": self.sealed_at,
            "statement_sha256": hashlib.sha256(self.statement).hexdigest(),
            "stamps": [asdict(stamp) for stamp in self.stamps],
            "anchors": [anchor.to_json() for anchor in self.anchors],
        }


def head_statement(seq: int, head: str) -> bytes:
    """What a TSA signs for a checkpoint: the chain's head, in words a reader can recompute."""
    return f"archiver event chain\nseq {seq}\nhead {head}\n".encode("ascii")


def checkpoint_file(db_path: Path) -> Path:
    """The file beside the archive that keeps every checkpoint, one JSON object a line."""
    return db_path.with_name(db_path.stem + FILE_SUFFIX)


def seal(db: Database, settings: Settings) -> Checkpoint:
    """Checkpoint the chain's current head, stamped by every configured TSA; UsageError if the
    archive has no events yet. A TSA that fails is recorded as failed, the others still sign."""
    head = chain_head(db)
    if head is None:
        raise UsageError(f"nothing to seal: {settings.db_path} has no events yet")
    checkpoint = Checkpoint(seq=head[0], head=head[1], sealed_at=utc_now())
    roots = load_roots(settings.tsa_roots)
    checkpoint.stamps = stamp_all(
        settings.tsa_urls, checkpoint.statement, timeout=settings.tsa_timeout, roots=roots
    )
    if settings.ots_calendars:
        checkpoint.anchors = ots.submit(
            checkpoint.statement, settings.ots_calendars, timeout=settings.tsa_timeout
        )
    record = checkpoint.to_json()
    row = {k: v for k, v in record.items() if k != "anchors"}
    with transaction(db):
        checkpoint_id = save_checkpoint(
            db, row | {"stamps": json.dumps(row["stamps"], sort_keys=True)}
        )
        for anchor in checkpoint.anchors:
            _save_anchor(db, checkpoint_id, anchor)
    path = checkpoint_file(settings.db_path)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
    return checkpoint


def seal_if_stamping(db: Database, settings: Settings) -> Checkpoint | None:
    """Seal when TSAs are configured (after an archiving run or an annotation batch); None if not."""
    if not settings.tsa_urls or chain_head(db) is None:
        return None
    return seal(db, settings)


def describe(checkpoint: Checkpoint) -> list[str]:
    """The checkpoint in lines for people: the head, and each TSA's answer."""
    lines = [f"sealed the event chain at event {checkpoint.seq}: {checkpoint.head}"]
    for stamp in checkpoint.stamps:
        if stamp.status == STAMPED:
            lines.append(f"  stamped by {stamp.tsa_url} at {stamp.gen_time} ({stamp.tsa_name})")
        else:
            lines.append(f"  NOT stamped by {stamp.tsa_url}: {stamp.error}")
    if not checkpoint.stamps:
        lines.append("  not stamped: no TSA configured (--tsa URL or ARCHIVER_TSA)")
    for anchor in checkpoint.anchors:
        lines.append(_anchor_line(anchor))
    return lines


def _anchor_line(anchor: ots.Anchor) -> str:
    if anchor.status == ots.PENDING:
        return f"  OpenTimestamps proof from {anchor.calendar}: pending (archiver seal --upgrade later)"
    if anchor.status == ots.ATTESTED:
        return f"  OpenTimestamps proof from {anchor.calendar}: in Bitcoin block {anchor.bitcoin_height}"
    return f"  NO OpenTimestamps proof from {anchor.calendar}: {anchor.error}"


def _save_anchor(db: Database, checkpoint_id: int, anchor: ots.Anchor) -> None:
    fields = ("kind", "calendar", "status", "proof_b64", "bitcoin_height", "error")
    row = {k: getattr(anchor, k) for k in fields}
    save_anchor(db, {"checkpoint_id": checkpoint_id, **row, "recorded_at": utc_now()})


def upgrade_anchors(db: Database, settings: Settings) -> list[str]:
    """Ask each calendar for the completed proof of every still-pending one; each completed
    proof is kept as a new `attested` row. Lines for people, one per proof asked about."""
    rows = all_anchors(db)
    done = {(r["checkpoint_id"], r["calendar"]) for r in rows if r["status"] == ots.ATTESTED}
    lines = []
    for row in rows:
        key = (row["checkpoint_id"], row["calendar"])
        if row["status"] != ots.PENDING or key in done:
            continue
        pending = ots.Anchor(row["calendar"], row["status"], row["proof_b64"])
        try:
            attested = ots.upgrade(pending, timeout=settings.tsa_timeout)
        except (OSError, ValueError) as exc:
            lines.append(f"  {row['calendar']}: not upgraded: {exc}")
            continue
        if attested is None:
            lines.append(f"  {row['calendar']}: still pending")
            continue
        with transaction(db):
            _save_anchor(db, row["checkpoint_id"], attested)
        done.add(key)
        lines.append(_anchor_line(attested))
    return lines or ["  no pending OpenTimestamps proofs"]


def check_anchors(db: Database, report: Report) -> None:
    """Each OpenTimestamps proof starts from its checkpoint's statement; say how far each got."""
    checkpoints = {row["id"]: row for row in all_checkpoints(db)}
    for row in all_anchors(db):
        if row["status"] == ots.FAILED:
            continue
        where = f"OpenTimestamps proof {row['id']} (from {row['calendar']})"
        checkpoint = checkpoints.get(row["checkpoint_id"])
        if checkpoint is None:
            report.add("checkpoint", where, "its checkpoint is gone",
                       table="anchors", key=str(row["id"]))  # fmt: skip
            continue
        report.count("OpenTimestamps proofs")
        try:
            ok, said = ots.check(
                row["proof_b64"], head_statement(checkpoint["seq"], checkpoint["head"])
            )
        except UsageError as exc:  # the library is an optional extra
            report.notes.append(f"{where}: not checked: {exc}")
            continue
        if ok:
            report.notes.append(f"{where}: {said}")
        else:
            report.add("checkpoint", where, said, table="anchors", key=str(row["id"]),
                       column="proof_b64")  # fmt: skip


def check_checkpoints(
    db: Database,
    settings: Settings,
    report: Report,
    expect_head: tuple[int, str] | None = None,
) -> None:
    """Every checkpoint (the table's and the file's) and `expect_head` are still in the chain,
    and every TSA signature over a checkpoint checks out."""
    kept = {(row["seq"], row["head"]): _from_row(row) for row in all_checkpoints(db)}
    filed = _read_file(checkpoint_file(settings.db_path), report)
    for key in filed.keys() - kept.keys():
        report.add("checkpoint", f"checkpoint at event {key[0]}",
                   "in the checkpoint file but missing from the database",
                   table="checkpoints", event=key[0])  # fmt: skip
    roots = load_roots(settings.tsa_roots)
    for checkpoint in {**kept, **filed}.values():
        report.count("checkpoints")
        _check_one(db, checkpoint, roots, report)
    check_anchors(db, report)
    if expect_head is not None:
        seq, head = expect_head
        found = event_hash_at(db, seq)
        if found != head:
            report.add("checkpoint", f"expected head at event {seq}",
                       f"the chain has {found or 'no event'} there, not {head}",
                       table="events", key=str(seq), event=seq)  # fmt: skip


def _check_one(db: Database, checkpoint: Checkpoint, roots, report: Report) -> None:
    where = f"checkpoint at event {checkpoint.seq} (sealed {checkpoint.sealed_at})"
    found = event_hash_at(db, checkpoint.seq)
    if found != checkpoint.head:
        report.add("checkpoint", where, "the chain was rewritten at or before this checkpoint:"
                   f" event {checkpoint.seq} is now {found or 'missing'}, sealed as {checkpoint.head}",
                   table="events", key=str(checkpoint.seq), event=checkpoint.seq)  # fmt: skip
    digest = hashlib.sha256(checkpoint.statement).hexdigest()
    for stamp in checkpoint.stamps:
        if stamp.status != STAMPED:
            report.notes.append(f"{where}: not stamped by {stamp.tsa_url}: {stamp.error}")
            continue
        check = check_stamp(stamp, digest, roots=roots)
        if not check.ok:
            report.add("checkpoint", f"{where}, {stamp.tsa_url}", check.detail,
                       table="checkpoints", event=checkpoint.seq)  # fmt: skip
        elif not check.trusted:
            report.notes.append(f"{where}, {stamp.tsa_url}: {check.detail}")


def _from_row(row: dict) -> Checkpoint:
    stamps = [Stamp(**s) for s in json.loads(row["stamps"] or "[]")]
    return Checkpoint(row["seq"], row["head"], row["sealed_at"], stamps)


def _read_file(path: Path, report: Report) -> dict[tuple[int, str], Checkpoint]:
    found: dict[tuple[int, str], Checkpoint] = {}
    if not path.exists():
        return found
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        try:
            data = json.loads(line)
            stamps = [Stamp(**s) for s in data.get("stamps", [])]
            checkpoint = Checkpoint(int(data["seq"]), data["head"], data["sealed_at"], stamps)
        except (ValueError, KeyError, TypeError) as exc:
            report.add("checkpoint", f"{path.name} line {number}", f"not a checkpoint ({exc})",
                       file=str(path))  # fmt: skip
            continue
        found[(checkpoint.seq, checkpoint.head)] = checkpoint
    return found
