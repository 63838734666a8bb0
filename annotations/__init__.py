"""Analyst annotations: notes, tags, verification, geolocation and chronolocation.

Used by both the CLI and the Datasette plugin. Writes are append-only and logged in the
hash-chained `events` table; the current state of a target is derived from the rows.
"""

from annotations.log import (
    add_annotation,
    add_annotations,
    check_log,
    edit_annotation,
    retract_annotation,
)
from annotations.model import KINDS, STATUSES, Annotation, Draft, validate
from annotations.render import render_note
from annotations.state import (
    HistoryEntry,
    TargetState,
    ensure_views,
    geolocated,
    post_targets,
    target_state,
)
from archiver.store.targets import Target, resolve_target

__all__ = [
    "KINDS",
    "STATUSES",
    "Annotation",
    "Draft",
    "HistoryEntry",
    "Target",
    "TargetState",
    "add_annotation",
    "add_annotations",
    "check_log",
    "edit_annotation",
    "ensure_views",
    "geolocated",
    "post_targets",
    "render_note",
    "resolve_target",
    "retract_annotation",
    "target_state",
    "validate",
]
