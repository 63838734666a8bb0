"""The records that cross module boundaries: what adapters, discovery and media return."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# Post status values (posts.status, post_versions.status).
POST_OK = "ok"
POST_DELETED = "deleted"
POST_UNAVAILABLE = "unavailable"

# Capture status values (captures.status).
CAPTURE_OK = "ok"
CAPTURE_PARTIAL = "partial"
CAPTURE_UNAVAILABLE = "unavailable"
CAPTURE_DELETED = "deleted"
CAPTURE_ERROR = "error"


# Media types of a page as a browser rendered it (--screenshot): they show the page at capture
# time, not the post's content, so a post's content hash and versions leave them out.
SCREENSHOT, PDF = "screenshot", "pdf"
RENDER_TYPES = (SCREENSHOT, PDF)
# Each rendered file is also a WARC `resource` record of its capture, named `<prefix><page URL>`
# with this Content-Type, as Webrecorder's tools name theirs: Browsertrix's full-page
# screenshot `urn:fullPage:` (its `urn:view:` is a viewport-sized one, not what is kept here),
# ArchiveWeb.page's `urn:pdf:`.
RENDER_RECORDS = {SCREENSHOT: ("urn:fullPage:", "image/png"), PDF: ("urn:pdf:", "application/pdf")}


@dataclass
class MediaRef:
    """One media file a post shows, as the platform names it (not yet downloaded)."""

    url: str
    # photo / video / gif / poster, and: audio, card (a link preview's image),
    # playlist (an HLS playlist, kept as served), file (anything else),
    # screenshot / pdf (the post's page as rendered, RENDER_TYPES)
    type: str
    alt_text: str | None = None
    # Width/height/duration as the platform reports them; the stored media row
    # keeps what the bytes say.
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    # A file made by joining others (an HLS video's segments): the SHA-256 of each part as
    # served, which the WARC holds, where the joined file itself is in no response.
    parts_sha256: list[str] | None = None
    # Kept, but not whole: a live stream, recorded as its playlist stood (its note says so).
    partial: bool = False


@dataclass
class Post:
    """A normalised post as one platform served it."""

    platform: str
    post_id: str
    url: str
    author_handle: str | None = None
    author_name: str | None = None
    author_id: str | None = None
    text: str | None = None
    created_at: str | None = None  # ISO 8601 UTC
    lang: str | None = None
    reply_to: str | None = None  # database id of the parent post, e.g. "x:123"
    quote_of: str | None = None  # database id of the quoted post
    raw: str | None = None  # the platform's JSON, verbatim as served
    status: str = POST_OK
    status_reason: str | None = None
    source: str = ""  # which endpoint gave this: syndication, oembed, article, ...
    media: list[MediaRef] = field(default_factory=list)
    quoted: Post | None = None  # the quoted post, when the response carries it
    metrics: dict = field(default_factory=dict)  # like/repost/reply/view counts
    # What the post shows besides text and media, normalised: link card, poll,
    # forwarded-from, subreddit, video title... (posts.details, JSON).
    details: dict = field(default_factory=dict)
    http_status: int | None = None  # of the response the post came from

    @property
    def db_id(self) -> str:
        return post_db_id(self.platform, self.post_id)


def post_db_id(platform: str, post_id: str) -> str:
    return f"{platform}:{post_id}"


@dataclass
class Embed:
    """One post an article shows, with the article's own copy of it."""

    platform: str
    found_by: str  # blockquote / iframe / widget / wrapper / data-attribute / page-state / script-json / link / text-signature
    post_url: str | None  # canonical post URL; None while unresolved
    post_id: str | None = None
    article_text: str | None = None
    article_author: str | None = None
    article_date: str | None = None
    article_links: list[str] = field(default_factory=list)
    # Short links (t.co, pic.twitter.com) that may lead to the post when
    # post_url is not known from the markup itself.
    short_links: list[str] = field(default_factory=list)
    position: int = 0
    # Why an element that looks like an embed code names no post (kept, never dropped).
    unresolved_reason: str | None = None

    @property
    def resolved(self) -> bool:
        return self.post_url is not None


@dataclass
class StoredMedia:
    """A media file in the blob store, with what its bytes say about it."""

    sha256: str
    bytes: int
    mime: str | None
    blob_path: str  # relative to the blob root: sha256/ab/cd/<sha256>
    first_url: str | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    phash: str | None = None
    dhash: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    exif: dict | None = None
    thumbnail_path: str | None = None
    thumbnail_sha256: str | None = None  # so verify can tell a swapped thumbnail
    error: str | None = None  # why analysis failed, when it did (bytes still kept)


@dataclass
class Capture:
    """One attempt to archive one URL: what was asked, what came back, where the bytes are."""

    id: str
    url: str
    kind: str  # post / page / media
    started_at: str
    platform: str | None = None
    final_url: str | None = None
    finished_at: str | None = None
    status: str = CAPTURE_OK
    error: str | None = None
    http_status: int | None = None
    body_sha256: str | None = None
    warc_file: str | None = None
    source: str | None = None  # the endpoint the content came from
    parent_id: str | None = None  # the page capture an embedded post was found in
    post_db_id: str | None = None  # the post a post capture is of
    operator: str | None = None


# A callback that tells the user what a long step is doing, one line at a time.
Progress = Callable[[str], None]
