"""The append-only write path: every annotation is a new row plus an event in the hash chain.

Nothing is updated or deleted. An edit is a new row that `supersedes` the old one; a
deletion is a retraction row (same target and kind, `retracts` set). Each row is written
with its event in one transaction, and `check_log` finds any row changed since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotations.model import SINGLE_VALUED, Annotation, Draft, check_author, validate
from archiver.errors import InvalidAnnotation
from archiver.store.eventlog import payload_hash, record_event, utc_now
from archiver.store.targets import Target, target_exists
from archiver.store.transaction import transaction

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

ACTION_ANNOTATE = "annotate"
ACTION_RETRACT = "retract"


def add_annotations(
    db: Database, target: Target, drafts: list[Draft], author: str | None
) -> list[Annotation]:
    """Validate every draft, then write them all in one transaction (all or nothing)."""
    author = check_author(author)
    checked = [validate(draft) | {"kind": draft.kind} for draft in drafts]
    if not checked:
        raise InvalidAnnotation(
            "nothing to annotate: give a note, tag, verification, location or time"
        )
    written = []
    with transaction(db):
        _check_target(db, target)
        for fields in checked:
            written.append(_write(db, target, fields, author, supersedes=None))
    return written


def add_annotation(db: Database, target: Target, draft: Draft, author: str | None) -> Annotation:
    """One new annotation; for a verification, location or time it supersedes the current one."""
    return add_annotations(db, target, [draft], author)[0]


def edit_annotation(
    db: Database, target: Target, annotation_id: int, draft: Draft, author: str | None
) -> Annotation:
    """A new row replacing a current annotation of TARGET (same kind); the old row stays."""
    author = check_author(author)
    fields = validate(draft) | {"kind": draft.kind}
    with transaction(db):
        old = _current(db, target, annotation_id, "edit")
        if old.kind != draft.kind:
            raise InvalidAnnotation(
                f"annotation #{annotation_id} is a {old.kind}, not a {draft.kind}"
            )
        return _write(db, old.target, fields, author, supersedes=old.id)


def retract_annotation(
    db: Database, target: Target, annotation_id: int, author: str | None, reason: str | None = None
) -> Annotation:
    """A retraction row: the annotation of TARGET stops being current, and stays in the history."""
    author = check_author(author)
    reason_fields = validate(Draft(kind="note", body=reason)) if reason else {"body": None}
    with transaction(db):
        old = _current(db, target, annotation_id, "retract")
        row = _row(old.target, {"kind": old.kind, "body": reason_fields["body"]}, author)
        row["retracts"] = old.id
        return _insert(db, row, ACTION_RETRACT)


def _write(db: Database, target: Target, fields: dict, author: str, *, supersedes: int | None):
    kind = fields["kind"]
    if supersedes is None and kind in SINGLE_VALUED:
        supersedes = _current_id(db, target, kind)
    if kind == "tag":
        _check_new_tag(db, target, fields["tag"], replacing=supersedes)
    row = _row(target, fields, author)
    row["supersedes"] = supersedes
    return _insert(db, row, ACTION_ANNOTATE)


def _row(target: Target, fields: dict, author: str) -> dict:
    row = dict.fromkeys(Annotation.__dataclass_fields__)
    return (
        row
        | fields
        | {
            "target_type": target.type,
            "target_id": target.id,
            "author": author,
            "created_at": utc_now(),
        }
    )


def _insert(db: Database, row: dict, action: str) -> Annotation:
    row = {k: v for k, v in row.items() if k != "id"}
    annotation_id = db["annotations"].insert(row).last_pk
    annotation = Annotation(id=annotation_id, **row)
    record_event(db, annotation.author, action, f"annotation:{annotation_id}", annotation.row())
    return annotation


def _check_target(db: Database, target: Target) -> None:
    if not target_exists(db, target):
        raise InvalidAnnotation(f"the archive has no {target.type} {target.id!r} to annotate")


# A row is current when it is not a retraction and nothing supersedes or retracts it.
CURRENT_SQL = """
    a.retracts is null
    and not exists (select 1 from annotations s where s.supersedes = a.id)
    and not exists (select 1 from annotations r where r.retracts = a.id)
"""


def _current(db: Database, target: Target, annotation_id: int, verb: str) -> Annotation:
    rows = dict_rows(
        db,
        f"select a.*, ({CURRENT_SQL}) as is_current from annotations a where a.id = ?",
        [annotation_id],
    )
    if not rows:
        raise InvalidAnnotation(f"there is no annotation #{annotation_id}")
    record = rows[0]
    if (record["target_type"], record["target_id"]) != (target.type, target.id):
        raise InvalidAnnotation(f"annotation #{annotation_id} is not about {target}")
    if not record["is_current"]:
        raise InvalidAnnotation(
            f"annotation #{annotation_id} is not current (it was superseded, retracted, or is a "
            f"retraction): {verb} the current one instead"
        )
    return Annotation.from_row(record)


def _current_id(db: Database, target: Target, kind: str) -> int | None:
    row = db.execute(
        f"select a.id from annotations a where a.target_type = ? and a.target_id = ? "
        f"and a.kind = ? and {CURRENT_SQL} order by a.id desc limit 1",
        [target.type, target.id, kind],
    ).fetchone()
    return row[0] if row else None


def _check_new_tag(db: Database, target: Target, tag: str, replacing: int | None) -> None:
    row = db.execute(
        f"select a.id from annotations a where a.target_type = ? and a.target_id = ? "
        f"and a.kind = 'tag' and lower(a.tag) = lower(?) and a.id is not ? and {CURRENT_SQL}",
        [target.type, target.id, tag, replacing],
    ).fetchone()
    if row:
        raise InvalidAnnotation(f"{target} is already tagged {tag!r} (annotation #{row[0]})")


def check_log(db: Database) -> list[str]:
    """Every annotation row that no longer matches its event, and every event whose row is gone."""
    events = {
        target: digest
        for target, digest in db.execute(
            "select target, payload_sha256 from events where action in (?, ?) "
            "and target like 'annotation:%'",
            [ACTION_ANNOTATE, ACTION_RETRACT],
        )
    }
    problems = []
    for row in dict_rows(db, "select * from annotations order by id"):
        annotation = Annotation.from_row(row)
        digest = events.pop(f"annotation:{annotation.id}", None)
        if digest is None:
            problems.append(f"annotation #{annotation.id} has no event in the log")
        elif payload_hash(annotation.row()) != digest:
            problems.append(f"annotation #{annotation.id} was changed after it was written")
    problems += [f"{target} is in the log but its row is gone" for target in sorted(events)]
    return problems


def dict_rows(db: Database, sql: str, params: list | dict | None = None) -> list[dict]:
    cursor = db.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, values, strict=True)) for values in cursor]
