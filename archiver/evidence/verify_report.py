"""What `archiver verify` found: each mismatch (a Problem), what it checked, and its notes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# What each table's row is, in a reader's words.
TABLE_WORDS = {
    "posts": "the post",
    "post_versions": "an archived version of a post",
    "post_media": "a post's media list",
    "captures": "the capture",
    "media": "the media file record",
    "pages": "the article page",
    "page_media": "an article page's media list",
    "embeds": "the embed found in an article",
    "manifests": "the collection record of capture",
    "warc_files": "the sealed WARC file",
    "media_matches": "the near-duplicate pair",
    "anchors": "the OpenTimestamps proof",
    "exports": "the export",
    "wayback_copies": "the Wayback Machine copy record",
    "annotations": "an analyst's annotation",
}


@dataclass
class Problem:
    kind: str  # blob / event / row / warc / manifest / timestamp / checkpoint
    where: str  # the row or file
    detail: str
    # Where exactly, when known: a row (table, key, column) and the event that wrote it,
    # or a file (file, offset).
    table: str | None = None
    key: str | None = None
    column: str | None = None
    event: int | None = None
    file: str | None = None
    offset: int | None = None

    def in_words(self) -> str:
        """One line a journalist can read: what, which field, what is wrong, which event."""
        what = self.where
        if self.table in TABLE_WORDS and self.key:
            what = f"{TABLE_WORDS[self.table]} {self.key}"
        if self.column:
            what += f", field {self.column}"
        said = f"{self.kind}: {what}: {self.detail}"
        return said + (f" [event {self.event}]" if self.event is not None else "")


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str, **located) -> None:
        """A mismatch; `located` names it: table, key, column, event, or file, offset."""
        self.problems.append(Problem(kind, where, detail, **located))

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "problems": [asdict(p) for p in self.problems],
            "checked": self.checked,
            "notes": self.notes,
        }
