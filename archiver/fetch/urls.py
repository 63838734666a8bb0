"""What a URL must be before anything is fetched, and the form it is fetched and recorded in.

An absolute http(s) URL or IRI, with no control character; fetched (and written to the
WARC) as its URI: IDNA host, UTF-8 percent-encoding (RFC 3987 3.1).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from archiver.errors import UsageError

# Letters (any script: IDNA encodes them), digits, dots, hyphens, underscores; colons for IPv6.
_HOST = re.compile(r"[\w.:-]+")
MAX_URL_CHARS = 65_536  # httpx's own limit: a longer URL cannot be requested


def check_url(url: str) -> None:
    """Refuse what is not an absolute http(s) URL (or IRI), before any request is made."""
    refuse_control_characters(url)
    if len(url) > MAX_URL_CHARS:
        raise UsageError(
            f"a URL of {len(url):,} characters, over the {MAX_URL_CHARS:,} a request may have:"
            f" {url[:100]}…"
        )
    try:
        parts = urlsplit(uri_form(url))
        hostname = parts.hostname
    except ValueError as exc:  # https://[::1/ and the like
        raise UsageError(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise UsageError(f"not an http(s) URL: {url!r}")
    if not _HOST.fullmatch(hostname):
        raise UsageError(f"not a host name: {hostname!r} in {url!r}")


def refuse_control_characters(url: str) -> None:
    """UsageError for a URL holding a control character (a tab, a NUL, a line break): urlsplit
    silently drops some of them, so the URL fetched would not be the one given."""
    bad = next((c for c in url if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0), None)
    if bad is not None:
        raise UsageError(f"a control character ({bad!r}) in the URL {url!r}")


def uri_form(url: str) -> str:
    """The URI an IRI stands for (RFC 3987 3.1): an IDNA host, every other non-ASCII character
    percent-encoded as UTF-8. What goes on the wire and into the WARC; ASCII URLs are unchanged."""
    if url.isascii():
        return url
    try:
        return str(httpx.URL(url))
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise UsageError(f"not a valid URL: {url!r} ({exc})") from None


def location_text(location: str) -> str:
    """A Location header's URL: servers send UTF-8 bytes there, which arrive decoded as Latin-1."""
    location = location.strip()
    try:
        return location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return location
