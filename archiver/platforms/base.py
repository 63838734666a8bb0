"""What every platform module shares: the Platform it declares, the PostRef it recognises,
and small parsing helpers.

Each `archiver/platforms/<name>.py` exports `PLATFORM = Platform(...)`; the registry
(`archiver.platforms`) finds them, picks the platform for a URL, and hands discovery,
citations and the pipeline what each one declares. Nothing outside a platform's
module names it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from archiver.models import POST_OK, Embed, Post
from archiver.platforms.shapes import guarded, host_of, number

if TYPE_CHECKING:
    from bs4 import Tag

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


@dataclass(frozen=True)
class UrlCase:
    """A URL as met in the wild, and the post id and canonical URL it must give."""

    url: str
    post_id: str
    canonical: str


@dataclass(frozen=True)
class MarkupCode:
    """An embed code that is markup: a `tag` with class `css_class` (blockquote.twitter-tweet).

    `read(element, page_url)` gives the embedded post and the article's copy of it."""

    tag: str
    css_class: str
    read: Callable[[Tag, str | None], Embed | None]


@dataclass(frozen=True)
class WidgetCode:
    """An element that renders a post from one attribute (<amp-twitter data-tweetid="...">).

    `to_url` turns the attribute's value into a post URL; None when the value is one."""

    element: str
    attribute: str
    to_url: Callable[[str], str] | None = None


@dataclass(frozen=True)
class TextSignature:
    """How a post pasted into a plain-text article is signed: "— Name (@handle) Month D, YYYY"."""

    handle: str  # a regular expression for the platform's handles
    display_link: str  # a regular expression for links shown without a scheme (pic.x.com/...)
    short_links: Callable[[list[str]], list[str]]  # those of these links that redirect to a post


@dataclass(frozen=True)
class StoredAlias:
    """Another id a post may be archived under: the post on `platform` by `handle` whose
    id ends with `id_suffix` (a Bluesky post linked by handle is archived under its DID)."""

    platform: str
    handle: str
    id_suffix: str


# fetch_post(ref, fetcher) -> the post as the platform serves it (or an ArchiveError).
FetchPost = Callable[[PostRef, "Fetcher"], Post]


@dataclass(frozen=True)
class Platform:
    """Everything the archive knows about one platform, declared once in its module."""

    name: str  # the short name: posts.id prefix, posts.platform
    label: str  # as citations and the archived copy name it: "X", "SoundCloud"
    url_patterns: tuple[re.Pattern[str], ...]  # post URLs, embed player URLs included
    # canonical_url(post_id, handle=None, ...) -> the URL the platform shows the post at
    canonical_url: Callable[..., str]
    fetch_post: FetchPost | None = None
    # The PostRef a URL pattern's match names; by default its "id" and "handle" groups.
    read_match: Callable[[re.Match[str]], PostRef | None] | None = None
    hosts: tuple[str, ...] = ()  # the sites it owns (subdomains included); () = any host
    media_hosts: tuple[str, ...] = ()  # where its media files are served from (subdomains too)
    genre: str = "Post"  # the word citations use for one of its posts ("Video")
    markup: tuple[MarkupCode, ...] = ()
    widgets: tuple[WidgetCode, ...] = ()
    text_signature: TextSignature | None = None
    # Other words than its name and label that name it in pages' embed data ("tweet").
    embed_words: tuple[str, ...] = ()
    stored_alias: Callable[[PostRef], StoredAlias | None] | None = None
    # Whether yt-dlp should look for the post's video at its URL (the platform's adapter
    # keeps no video file of its own for such a post); None: never.
    video_by_ytdlp: Callable[[Post], bool] | None = None
    accepts: tuple[UrlCase, ...] = ()  # URLs it must recognise, and what they name
    rejects: tuple[str, ...] = ()  # URLs that look like its posts but name none

    def __post_init__(self) -> None:
        # Whatever an adapter returns passes the same checks, and a malformed answer it
        # did not foresee is a ParseError (see archiver.platforms.shapes).
        if self.fetch_post is not None and not getattr(self.fetch_post, "checks_posts", False):
            object.__setattr__(self, "fetch_post", guarded(self.label, self.fetch_post))

    def parse_url(self, url: str) -> PostRef | None:
        """The post one of this platform's URLs names, or None."""
        m = match_url(self.url_patterns, url)
        if m is None:
            return None
        if self.read_match is not None:
            return self.read_match(m)
        post_id, handle = m.group("id"), m.groupdict().get("handle")
        return PostRef(self.name, post_id, self.canonical_url(post_id, handle), handle)

    def owns(self, url: str) -> bool:
        """The URL is on one of this platform's own hosts."""
        host = host_of(url.strip())
        return any(host == own or host.endswith("." + own) for own in self.hosts)


def match_url(patterns: tuple[re.Pattern, ...] | list[re.Pattern], url: str) -> re.Match | None:
    """The first pattern matching the URL, or None."""
    url = url.strip()
    for pattern in patterns:
        m = pattern.match(url)
        if m:
            return m
    return None


def video_when_served(post: Post) -> bool:
    """For Platform.video_by_ytdlp: a video platform's post it served has its video at its URL."""
    return post.status == POST_OK


def gone_post(
    ref: PostRef,
    status: str,
    reason: str,
    *,
    source: str,
    raw: str | None = None,
    http_status: int | None = None,
) -> Post:
    """A post the platform no longer shows (deleted) or will not show (unavailable): what the
    URL tells of it, the platform's answer as served, and the reason."""
    return Post(
        platform=ref.platform, post_id=ref.post_id, url=ref.url, author_handle=ref.handle,
        raw=raw or None, status=status, status_reason=reason, source=source,
        http_status=http_status,
    )  # fmt: skip


def iso_utc(value: str | int | float | None) -> str | None:
    """An ISO 8601 UTC timestamp ('2024-08-03T10:15:00Z') from the shapes platforms use;
    None for anything else, a number past the calendar (1e20) or a string of another shape."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(value, tz=UTC)
        elif isinstance(value, str) and len(value) <= 100:
            moment = _parse_moment(value.strip())
        else:
            return None
        moment = moment.astimezone(UTC) if moment is not None else None
    except (ValueError, OverflowError, OSError):
        return None
    if moment is None:
        return None
    if moment.microsecond:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                moment = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
            except ValueError:
                return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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
    from archiver.platforms.soup import parse_html

    soup = parse_html(markup, "html.parser")
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
        except (ValueError, RecursionError):  # RecursionError: nested past the interpreter's stack
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
                detail = data[key][:1000]  # an error message, not a document
                break
    return f"{what} answered HTTP {answer.status}" + (f": {detail}" if detail else "")


def counts(data: dict, keys: tuple[str, ...]) -> dict:
    """The named counters a platform reports (likes, reposts...), those that are numbers."""
    return {k: data[k] for k in keys if number(data.get(k)) is not None}
