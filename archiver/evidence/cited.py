"""What a citation says (`CitedPost`, gathered by evidence.cite from one capture) and what each
style makes of it (`Citation`, written by evidence.citation_styles)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CitedPost:
    """What a citation says, taken from one capture (no database needed to format it)."""

    author_name: str | None
    author_handle: str | None
    created_at: str | None  # ISO 8601 UTC
    text: str | None
    platform: str  # display name: X, Bluesky, ...
    platform_id: str  # x, bluesky, ...
    url: str
    post_db_id: str
    media_types: list[str]
    capture_id: str
    captured_at: str  # ISO 8601 UTC
    hash_label: str  # photo / video / post JSON / ...
    sha256: str | None
    archive_url: str | None = None
    gone_status: str | None = None  # deleted / unavailable: the original is no longer there
    gone_since: str | None = None
    timestamps: list[tuple[str, str]] = field(default_factory=list)  # (authority, time)
    # The newest second copy at the Wayback Machine: (its URL, when it was saved), if any.
    wayback: tuple[str, str] | None = None


@dataclass
class Citation:
    style: str
    text: str  # plain text (BibTeX and CSL-JSON are their own syntax)
    html: str  # the same with the style's italics, for pages
