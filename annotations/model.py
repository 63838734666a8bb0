"""What an annotation is, and the rules a new one must pass before anything is written.

`validate(draft)` returns the row fields or raises InvalidAnnotation naming every problem,
so a bad value is one clear message and nothing reaches the database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time

from archiver.errors import InvalidAnnotation
from archiver.store.targets import Target

KINDS = ("note", "tag", "verification", "geolocation", "chronolocation")
STATUSES = ("unverified", "verified", "disputed", "false")
# A target has one current value of these; a new one supersedes the old (kept in the history).
SINGLE_VALUED = ("verification", "geolocation", "chronolocation")

MAX_TEXT = 20_000  # a note, a rationale or a source note, in characters
MAX_TAG = 100
MAX_AUTHOR = 200
MAX_PRECISION_M = 20_040_000.0  # half the Earth's circumference

# The columns an annotation row has; the event log hashes exactly these, so a column added
# to the table later does not change the hash of rows written before.
ROW_FIELDS = (
    "id", "target_type", "target_id", "kind", "body", "tag", "verification", "latitude",
    "longitude", "precision_m", "event_time", "event_time_end", "author", "created_at",
    "supersedes", "retracts",
)  # fmt: skip

# Which optional fields each kind takes (body is the note, the rationale or the source note).
KIND_FIELDS = {
    "note": {"body"},
    "tag": {"tag", "body"},
    "verification": {"verification", "body"},
    "geolocation": {"latitude", "longitude", "precision_m", "body"},
    "chronolocation": {"event_time", "event_time_end", "body"},
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Draft:
    """An annotation as asked for, before validation."""

    kind: str
    body: str | None = None
    tag: str | None = None
    verification: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    precision_m: float | None = None
    event_time: str | None = None
    event_time_end: str | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Draft:
        """A draft from text fields (a web form): blanks are absent, numbers are parsed."""
        values = {f.name: (form.get(f.name) or "").strip() or None for f in fields(cls)}
        problems = []
        for name in ("latitude", "longitude", "precision_m"):
            if values[name] is not None:
                try:
                    values[name] = float(values[name].replace(",", "."))
                except ValueError:
                    problems.append(
                        f"{name.replace('_m', '')} must be a number, got {values[name]!r}"
                    )
        if problems:
            raise InvalidAnnotation("; ".join(problems))
        values["kind"] = values["kind"] or ""
        return cls(**values)


@dataclass(frozen=True)
class Annotation:
    """One row of the annotations table."""

    id: int
    target_type: str
    target_id: str
    kind: str
    author: str
    created_at: str
    body: str | None = None
    tag: str | None = None
    verification: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    precision_m: float | None = None
    event_time: str | None = None
    event_time_end: str | None = None
    supersedes: int | None = None
    retracts: int | None = None

    @property
    def target(self) -> Target:
        return Target(self.target_type, self.target_id)

    @property
    def is_retraction(self) -> bool:
        return self.retracts is not None

    def row(self) -> dict:
        return {name: getattr(self, name) for name in ROW_FIELDS}

    @classmethod
    def from_row(cls, row: Mapping) -> Annotation:
        return cls(**{name: row[name] for name in ROW_FIELDS})

    def summary(self) -> str:
        """One line saying what the annotation states."""
        if self.is_retraction:
            return f"retracted #{self.retracts}"
        if self.kind == "tag":
            return f"tag {self.tag}"
        if self.kind == "verification":
            return f"verification: {self.verification}"
        if self.kind == "geolocation":
            where = f"{self.latitude:.6f}, {self.longitude:.6f}"
            return f"geolocation {where}" + (
                f" (±{self.precision_m:g} m)" if self.precision_m is not None else ""
            )
        if self.kind == "chronolocation":
            return f"event time {self.event_time}" + (
                f" to {self.event_time_end}" if self.event_time_end else ""
            )
        return "note"


def validate(draft: Draft) -> dict:
    """The row fields for a valid draft; InvalidAnnotation listing every problem otherwise."""
    if draft.kind not in KINDS:
        raise InvalidAnnotation(
            f"unknown annotation kind {draft.kind!r} (one of {', '.join(KINDS)})"
        )
    allowed = KIND_FIELDS[draft.kind]
    given = {
        f.name for f in fields(draft) if f.name != "kind" and getattr(draft, f.name) is not None
    }
    problems = [f"{name} does not belong in a {draft.kind}" for name in sorted(given - allowed)]
    row = {name: None for name in ("body", "tag", "verification", "latitude", "longitude",
                                   "precision_m", "event_time", "event_time_end")}  # fmt: skip
    body = (draft.body or "").strip()
    if _CONTROL.search(body):
        problems.append("the text holds control characters")
    if len(body) > MAX_TEXT:
        problems.append(f"the text is {len(body):,} characters; the limit is {MAX_TEXT:,}")
    row["body"] = body or None

    if draft.kind == "note" and not body:
        problems.append("a note needs text")
    elif draft.kind == "tag":
        tag = " ".join((draft.tag or "").split())
        if not tag:
            problems.append("a tag needs a name")
        elif len(tag) > MAX_TAG or _CONTROL.search(tag):
            problems.append(f"a tag is at most {MAX_TAG} printable characters")
        row["tag"] = tag
    elif draft.kind == "verification":
        if draft.verification not in STATUSES:
            problems.append(
                f"verification status must be one of {', '.join(STATUSES)}, got {draft.verification!r}"
            )
        if not body:
            problems.append("a verification status needs a rationale")
        row["verification"] = draft.verification
    elif draft.kind == "geolocation":
        row |= _check_place(draft, problems)
    elif draft.kind == "chronolocation":
        row |= _check_time(draft, problems)
    if problems:
        raise InvalidAnnotation("; ".join(problems))
    return row


def _check_place(draft: Draft, problems: list[str]) -> dict:
    lat, lon, precision = draft.latitude, draft.longitude, draft.precision_m
    if lat is None or lon is None:
        problems.append("a geolocation needs both latitude and longitude")
    if lat is not None and not (_finite(lat) and -90 <= lat <= 90):
        problems.append(f"latitude must be between -90 and 90, got {lat}")
    if lon is not None and not (_finite(lon) and -180 <= lon <= 180):
        problems.append(f"longitude must be between -180 and 180, got {lon}")
    if precision is not None and not (_finite(precision) and 0 <= precision <= MAX_PRECISION_M):
        problems.append(f"precision must be a distance in metres from 0 to {MAX_PRECISION_M:,.0f}")
    # Stored as REAL: floats here, so the logged hash matches the row read back.
    return {
        "latitude": float(lat) if _finite(lat) else lat,
        "longitude": float(lon) if _finite(lon) else lon,
        "precision_m": float(precision) if _finite(precision) else precision,
    }


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_time(draft: Draft, problems: list[str]) -> dict:
    if not draft.event_time:
        problems.append("a chronolocation needs an event time")
        return {}
    start = parse_event_time(draft.event_time, problems, "event time")
    end = (
        parse_event_time(draft.event_time_end, problems, "end time")
        if draft.event_time_end
        else None
    )
    if start and end and _moment(end, end_of_day=True) < _moment(start, end_of_day=False):
        problems.append("the end time is before the event time")
    return {"event_time": start, "event_time_end": end}


def parse_event_time(text: str, problems: list[str], label: str) -> str | None:
    """A date (2024-08-03) stays a date; a date and time becomes ISO 8601 UTC (no zone = UTC)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    else:
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1).replace("z", "Z"))
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            stamp = moment.astimezone(UTC).isoformat(timespec="seconds")
            return stamp.replace("+00:00", "Z")
    problems.append(f"{label} must be a date (2024-08-03) or an ISO 8601 time, got {text!r}")
    return None


def _moment(value: str, *, end_of_day: bool) -> datetime:
    if len(value) == 10:
        return datetime.combine(
            date.fromisoformat(value), time.max if end_of_day else time.min, UTC
        )
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_author(author: str | None) -> str:
    """Who is annotating: a name, required."""
    name = " ".join((author or "").split())
    if not name:
        raise InvalidAnnotation(
            "say who is annotating: give --author NAME (or set ARCHIVER_AUTHOR)"
        )
    if len(name) > MAX_AUTHOR or _CONTROL.search(name):
        raise InvalidAnnotation(f"an author name is at most {MAX_AUTHOR} printable characters")
    return name
