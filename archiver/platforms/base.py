"""What every platform module shares: the PostRef it recognises and small parsing helpers.

A platform module declares:
    NAME: str                         the platform's short name (posts.id prefix)
    URL_PATTERNS: list[re.Pattern]    the post URLs it accepts
    parse_url(url) -> PostRef | None  recognise one of its post URLs
    fetch_post(ref, fetcher) -> Post  (optional) fetch and normalise the post
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PostRef:
    """A recognised post URL: which platform, which post, and its canonical URL."""

    platform: str
    post_id: str
    url: str
    handle: str | None = None

    @property
    def db_id(self) -> str:
        return f"{self.platform}:{self.post_id}"


def match_url(patterns: list[re.Pattern], url: str) -> re.Match | None:
    """The first pattern matching the URL without its scheme, or None."""
    url = url.strip()
    for pattern in patterns:
        m = pattern.match(url)
        if m:
            return m
    return None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def iso_utc(value: str | int | float | None) -> str | None:
    """An ISO 8601 UTC timestamp ('2024-08-03T10:15:00Z') from the shapes platforms use."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, tz=UTC)
    else:
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                try:
                    moment = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
                except ValueError:
                    return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def unescape_text(value: str | None) -> str | None:
    """Platform JSON often carries HTML entities in text ('&amp;'); show the characters."""
    return html.unescape(value) if value is not None else None


def parse_display_date(value: str | None) -> str | None:
    """'August 3, 2024' (as embeds show dates) -> '2024-08-03'; None when unreadable."""
    if not value:
        return None
    text = " ".join(value.replace(",", " ").split())
    for fmt in ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return iso_utc(value)
