"""A target's annotations shaped for output: plain dicts (JSON, templates) and lines for people."""

from __future__ import annotations

from annotations.model import Annotation
from annotations.render import render_note
from annotations.state import HistoryEntry, TargetState


def annotation_dict(annotation: Annotation, *, html: bool = False) -> dict:
    """The row, its target and a summary; with `html`, the body rendered as safe HTML too."""
    shaped = {**annotation.row(), "target": str(annotation.target), "summary": annotation.summary()}
    if html:
        shaped["body_html"] = render_note(annotation.body) if annotation.body else None
    return shaped


def entry_status(entry: HistoryEntry) -> str:
    """current, superseded by #N, retracted by #N, or retraction (of #N)."""
    if entry.annotation.is_retraction:
        return f"retraction of #{entry.annotation.retracts}"
    if entry.retracted_by is not None:
        return f"retracted by #{entry.retracted_by}"
    if entry.superseded_by is not None:
        return f"superseded by #{entry.superseded_by}"
    return "current"


def state_dict(state: TargetState, *, html: bool = False) -> dict:
    """The current state by kind, and the history with each row's fate (`html`: bodies rendered)."""

    def one(a: Annotation | None) -> dict | None:
        return annotation_dict(a, html=html) if a else None

    return {
        "target": str(state.target),
        "target_type": state.target.type,
        "target_id": state.target.id,
        "verification": one(state.verification),
        "geolocation": one(state.geolocation),
        "chronolocation": one(state.chronolocation),
        "tags": [annotation_dict(a, html=html) for a in state.tags],
        "notes": [annotation_dict(a, html=html) for a in state.notes],
        "history": [
            {
                **annotation_dict(e.annotation, html=html),
                "status": entry_status(e),
                "current": e.current,
            }
            for e in state.history
        ],
    }


def state_lines(state: TargetState) -> list[str]:
    """What `archiver annotations` prints for one target."""
    lines = [str(state.target)]
    if not state.history:
        return lines + ["  no annotations"]
    for a in state.current:
        by = f"({a.author}, {a.created_at}, #{a.id})"
        text = f": {_one_line(a.body)}" if a.body else ""
        lines.append(f"  {a.summary()}{text} {by}")
    if not state.current:
        lines.append("  nothing current (everything was retracted)")
    lines.append("  history:")
    for e in state.history:
        a = e.annotation
        lines.append(f"    #{a.id} {a.created_at} {a.author}: {a.summary()} [{entry_status(e)}]")
    return lines


def _one_line(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
