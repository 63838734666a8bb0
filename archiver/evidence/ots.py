"""OpenTimestamps: a second kind of anchor for a checkpoint, in Bitcoin instead of a TSA.

`archiver seal --ots URL` submits the checkpoint statement's SHA-256 (salted with a nonce, as
the `ots` client does, so the calendar learns nothing about the archive) to each calendar and
keeps the proof it answers (a `.ots` detached timestamp, base64) in `anchors`, status
`pending`: the calendar has promised to put it in a Bitcoin transaction. Some hours later,
`archiver seal --upgrade` asks each calendar for the completed proof and keeps it as a new
`anchors` row, status `attested`, with the Bitcoin block height (the pending row stays: rows
are added, never rewritten). `verify` checks that each proof starts from its checkpoint's
statement and says which are pending and which are attested at which block. What it cannot
check offline is the last step, that the block's merkle root is the proof's result: that
needs a Bitcoin node or a block explorer (`ots verify` with the proof file does it).

Calendars are asked directly (not through --connect-to), like TSAs; an upgrade only asks the
calendars the proof was submitted to, never a URL the proof itself names.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import asdict, dataclass

from archiver.errors import UsageError

KIND = "opentimestamps"
PENDING, ATTESTED, FAILED = "pending", "attested", "failed"


@dataclass
class Anchor:
    calendar: str
    status: str  # pending / attested / failed
    proof_b64: str | None = None  # the .ots detached timestamp file
    bitcoin_height: int | None = None
    error: str | None = None
    kind: str = KIND

    def to_json(self) -> dict:
        return asdict(self)


def _library():
    try:
        from opentimestamps.core import notary, op, serialize, timestamp
    except ImportError as exc:  # an optional extra
        raise UsageError(
            f"OpenTimestamps needs its extra: pip install 'archiver[ots]' ({exc})"
        ) from exc
    return notary, op, serialize, timestamp


def submit(statement: bytes, calendars: tuple[str, ...], timeout: float) -> list[Anchor]:
    """Each calendar's pending proof for the statement; a calendar that fails is recorded."""
    notary, op, serialize, timestamp = _library()
    from opentimestamps.calendar import RemoteCalendar

    anchors = []
    for url in calendars:
        stamp = timestamp.DetachedTimestampFile(
            op.OpSHA256(), timestamp.Timestamp(hashlib.sha256(statement).digest())
        )
        nonced = stamp.timestamp.ops.add(op.OpAppend(os.urandom(16)))
        commitment = nonced.ops.add(op.OpSHA256())
        try:
            commitment.merge(RemoteCalendar(url).submit(commitment.msg, timeout=timeout))
        except Exception as exc:  # noqa: BLE001  (any calendar failure is recorded, not raised)
            anchors.append(Anchor(url, FAILED, error=_reason(exc)))
            continue
        anchors.append(Anchor(url, PENDING, proof_b64=_encode(stamp, serialize)))
    return anchors


def upgrade(anchor: Anchor, timeout: float) -> Anchor | None:
    """The completed proof from the calendar it was submitted to; None while still pending."""
    notary, op, serialize, timestamp = _library()
    from opentimestamps.calendar import CommitmentNotFoundError, RemoteCalendar

    stamp = decode(anchor.proof_b64)
    changed = False
    for sub in list(_walk(stamp.timestamp)):
        for attestation in list(sub.attestations):
            if not isinstance(attestation, notary.PendingAttestation):
                continue
            try:
                sub.merge(RemoteCalendar(anchor.calendar).get_timestamp(sub.msg, timeout=timeout))
                changed = True
            except CommitmentNotFoundError:
                continue
    height = bitcoin_height(stamp)
    if not changed or height is None:
        return None
    return Anchor(anchor.calendar, ATTESTED, _encode(stamp, serialize), bitcoin_height=height)


def decode(proof_b64: str | None):
    """The proof as a DetachedTimestampFile; ValueError when it is not one."""
    notary, op, serialize, timestamp = _library()
    try:
        data = base64.b64decode(proof_b64 or "", validate=True)
        return timestamp.DetachedTimestampFile.deserialize(
            serialize.BytesDeserializationContext(data)
        )
    except Exception as exc:  # noqa: BLE001  (the library raises many kinds on bad input)
        raise ValueError(f"not an OpenTimestamps proof ({_reason(exc)})") from exc


def bitcoin_height(stamp) -> int | None:
    """The lowest Bitcoin block the proof is attested in, if any."""
    notary = _library()[0]
    heights = [
        attestation.height
        for _msg, attestation in stamp.timestamp.all_attestations()
        if isinstance(attestation, notary.BitcoinBlockHeaderAttestation)
    ]
    return min(heights, default=None)


def check(proof_b64: str | None, statement: bytes) -> tuple[bool, str]:
    """(the proof starts from this statement's SHA-256, what it says) for verify."""
    try:
        stamp = decode(proof_b64)
    except ValueError as exc:
        return False, str(exc)
    if stamp.file_digest != hashlib.sha256(statement).digest():
        return False, "the proof is for another statement than its checkpoint's"
    height = bitcoin_height(stamp)
    if height is not None:
        return True, (
            f"attested in Bitcoin block {height} (check the block's merkle root with a Bitcoin"
            " node: `ots verify`; not checked offline)"
        )
    return True, "pending: the calendar has not yet put it in Bitcoin (archiver seal --upgrade)"


def _walk(node):
    """Every timestamp in the proof's tree (the library has no public walk)."""
    yield node
    for child in list(node.ops.values()):
        yield from _walk(child)


def _encode(stamp, serialize) -> str:
    ctx = serialize.BytesSerializationContext()
    stamp.serialize(ctx)
    return base64.b64encode(ctx.getbytes()).decode("ascii")


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
