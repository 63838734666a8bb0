"""What archiving one URL did: the CaptureResult the CLI prints (`--json` gives exactly this)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from archiver.models import CAPTURE_ERROR

SKIPPED = "skipped"  # a result status only: already archived, nothing fetched


@dataclass
class CaptureResult:
    """What archiving one URL did, as the CLI prints it (`--json` gives exactly this)."""

    url: str
    status: str
    kind: str = "post"
    capture_id: str | None = None
    post_ids: list[str] = field(default_factory=list)
    media_sha256s: list[str] = field(default_factory=list)
    embeds: list[dict] = field(default_factory=list)
    error: str | None = None
    warc_file: str | None = None
    # Posts seen before whose content or status differs now (new post_versions rows).
    changed: list[str] = field(default_factory=list)
    # What differs, per changed post: "text", "media", "status ok -> deleted", ... (changes.py).
    changes: dict[str, list[str]] = field(default_factory=dict)
    # One entry per Time Stamp Authority asked: tsa, status (stamped/failed), gen_time, error.
    timestamps: list[dict] = field(default_factory=list)
    # With --wayback: the Save Page Now submission (a wayback_copies row): status, wayback_url...
    wayback: dict | None = None

    @property
    def failed(self) -> bool:
        return self.status == CAPTURE_ERROR

    def to_json(self) -> dict:
        return asdict(self)
