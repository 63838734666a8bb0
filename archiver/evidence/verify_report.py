"""What `archiver verify` found: each mismatch (a Problem), what it checked, and its notes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Problem:
    kind: str  # blob / event / row / warc / manifest / timestamp
    where: str  # the row or file
    detail: str


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str) -> None:
        self.problems.append(Problem(kind, where, detail))

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "problems": [asdict(p) for p in self.problems],
            "checked": self.checked,
            "notes": self.notes,
        }
