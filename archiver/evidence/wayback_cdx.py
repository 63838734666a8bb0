"""Earlier Wayback Machine copies of a URL, from its CDX API: how to find a deleted post's copies.

GET https://web.archive.org/cdx/search/cdx?url=URL&output=json answers a JSON array whose
first row names the fields (urlkey, timestamp, original, mimetype, statuscode, digest,
length) and whose other rows are the copies, oldest first. `closest` picks the copy to
archive; its original bytes are at /web/TIMESTAMPid_/URL (evidence.wayback.copy_url).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from archiver.errors import ArchiveError, UsageError
from archiver.evidence.wayback import WAYBACK, copy_url, timestamp_time
from archiver.fetch.client import Fetcher

# Copies listed at most: a popular URL has hundreds of thousands (the newest are kept).
MAX_COPIES = 10_000


@dataclass(frozen=True)
class WaybackCapture:
    """One copy the Wayback Machine holds of a URL."""

    timestamp: str  # 14 digits, UTC
    captured_at: str  # ISO 8601 UTC
    original: str  # the URL as it was captured
    mimetype: str | None
    statuscode: str | None  # "200", "301", "-" (a revisit), as the CDX gives it
    digest: str | None  # SHA-1 of the payload, base32
    length: str | None
    wayback_url: str  # the copy as the Wayback Machine shows it
    original_bytes_url: str  # the bytes as captured (id_)

    def to_json(self) -> dict:
        return asdict(self)


def list_copies(fetcher: Fetcher, url: str) -> list[WaybackCapture]:
    """Every copy of `url` the CDX API lists, oldest first; ArchiveError if it cannot say."""
    query = f"{WAYBACK}/cdx/search/cdx?url={quote(url, safe='')}&output=json&limit=-{MAX_COPIES}"
    with fetcher.get(query, headers={"Accept": "application/json"}) as fetched:
        if fetched.status == 429:
            raise ArchiveError("the Wayback Machine is rate limiting (HTTP 429); try again later")
        if not fetched.ok:
            raise ArchiveError(f"the Wayback Machine's CDX API answered HTTP {fetched.status}")
        if not fetched.read().strip():
            return []  # no copy: the CDX API answers an empty body
        rows = fetched.json()
    return parse_cdx(rows)


def parse_cdx(rows) -> list[WaybackCapture]:
    """The CDX JSON (a header row, then one row a copy) as WaybackCaptures, oldest first."""
    if not isinstance(rows, list) or not rows:
        return []
    header, *entries = rows
    if not isinstance(header, list) or "timestamp" not in header or "original" not in header:
        raise ArchiveError("the CDX API's answer has no header row naming timestamp and original")
    found = []
    for entry in entries:
        if not isinstance(entry, list) or len(entry) != len(header):
            continue
        row = {k: (str(v) if v is not None else None) for k, v in zip(header, entry, strict=True)}
        timestamp, original = row["timestamp"] or "", row["original"] or ""
        captured_at = timestamp_time(timestamp)
        if captured_at is None or not original.startswith(("http://", "https://")):
            continue
        found.append(
            WaybackCapture(
                timestamp=timestamp[:14], captured_at=captured_at, original=original,
                mimetype=row.get("mimetype"), statuscode=row.get("statuscode"),
                digest=row.get("digest"), length=row.get("length"),
                wayback_url=copy_url(timestamp[:14], original),
                original_bytes_url=copy_url(timestamp[:14], original, original=True),
            )
        )  # fmt: skip
    return sorted(found, key=lambda c: c.timestamp)


def closest(copies: list[WaybackCapture], to: datetime | None = None) -> WaybackCapture | None:
    """The copy nearest `to` (default: the newest), preferring ones served with HTTP 200."""
    served = [c for c in copies if c.statuscode == "200"] or copies
    if not served:
        return None
    if to is None:
        return served[-1]
    when = to if to.tzinfo else to.replace(tzinfo=UTC)

    def distance(copy: WaybackCapture) -> float:
        moment = datetime.strptime(copy.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        return abs((moment - when).total_seconds())

    return min(served, key=distance)


def parse_when(value: str) -> datetime:
    """--to: an ISO 8601 date or time (UTC unless it says), or a 14-digit Wayback timestamp."""
    text = value.strip()
    try:
        if text.isdigit() and 4 <= len(text) <= 14:
            text = text.ljust(14, "0")
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--to expects a date (2024-05-01), a time (2024-05-01T12:00:00Z) or a"
            f" Wayback timestamp (20240501120000), got {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
