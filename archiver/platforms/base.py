"""What every platform module shares: the PostRef it recognises and small parsing helpers.

A platform module declares:
    NAME: str                         the platform's short name (posts.id prefix)
    URL_PATTERNS: list[re.Pattern]    the post URLs it accepts
    parse_url(url) -> PostRef | None  recognise one of its post URLs
    fetch_post(ref, fetcher) -> Post  (optional) fetch and normalise the post
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher


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


def html_to_text(markup: str | None) -> str | None:
    """The text an HTML post body shows: whitespace as a browser collapses it, <br> and <p> as line breaks."""
    if markup is None:
        return None
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(_BR)
    for block in soup.find_all(["p", "div", "li", "blockquote"]):
        block.insert_after(_PARAGRAPH)
    text = re.sub(r"\s+", " ", soup.get_text())
    text = text.replace(_BR, "\n").replace(_PARAGRAPH, "\n\n")
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Stand-ins that survive whitespace collapsing, for the line breaks markup makes.
_BR, _PARAGRAPH = "\x00br\x00", "\x00p\x00"


@dataclass
class Answer:
    """A platform's answer, read whole: status, where it ended up, and the body as served."""

    status: int
    final_url: str
    content_type: str
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self):
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None


def fetch_answer(fetcher: Fetcher, url: str, *, headers: dict[str, str] | None = None) -> Answer:
    """GET a document (JSON or HTML) and read it whole; any status is returned, not raised."""
    with fetcher.get(url, headers=headers) as response:
        return Answer(response.status, response.final_url, response.content_type, response.text())


def describe_status(answer: Answer, what: str) -> str:
    """'<what> answered HTTP 404: <the error message the body gives>' for error reasons."""
    data = answer.json()
    detail = ""
    if isinstance(data, dict):
        for key in ("message", "error_description", "error", "status_msg", "reason"):
            if isinstance(data.get(key), str) and data[key]:
                detail = data[key]
                break
    return f"{what} answered HTTP {answer.status}" + (f": {detail}" if detail else "")


def counts(data: dict, keys: tuple[str, ...]) -> dict:
    """The named counters a platform reports (likes, reposts...), those that are numbers."""
    return {
        k: data[k] for k in keys if isinstance(data.get(k), int | float) and data[k] is not True
    }
