"""Video and audio platforms with oEmbed (YouTube, TikTok, Vimeo, SoundCloud): oEmbed JSON, then the page.

oEmbed gives title, author and thumbnail; the post's own page adds what link
previews read (description, publication date) and, per platform, more (TikTok's
page state has the creation time). The thumbnail is kept as a photo; the video
or audio itself is out of scope (no public direct file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from archiver.errors import ArchiveError, FetchError, ParseError, UnavailableError
from archiver.models import POST_DELETED, MediaRef, Post
from archiver.platforms.base import Answer, PostRef, describe_status, fetch_answer, gone_post
from archiver.platforms.opengraph import fetch_page
from archiver.platforms.shapes import short_text, split_url

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

# A platform's reading of its own page, adding to the Post: (page answer, card, post) -> None.
PageReader = Callable[[Answer, dict, Post], None]


def oembed_post(
    ref: PostRef,
    fetcher: Fetcher,
    *,
    name: str,
    label: str,
    endpoint: str,
    page_url: str | None = None,
    read_page: PageReader | None = None,
) -> Post:
    """The post from `endpoint`'s oEmbed answer, enriched from its page when the page answers."""
    answer = fetch_answer(fetcher, f"{endpoint}?{urlencode({'url': ref.url, 'format': 'json'})}")
    data = answer.json()
    if answer.status in (404, 410):
        reason = f"{describe_status(answer, label + ' oEmbed')} (removed, or never public)"
        return gone_post(
            ref, POST_DELETED, reason, source="oembed", raw=answer.text, http_status=answer.status
        )
    if answer.status in (401, 403):
        raise UnavailableError(
            f"{describe_status(answer, label + ' oEmbed')} (private, or embedding is disabled)"
        )
    if not answer.ok:
        raise FetchError(
            describe_status(answer, label + " oEmbed"), url=ref.url, status=answer.status
        )
    if not isinstance(data, dict):
        raise ParseError(f"{label} oEmbed did not answer with a JSON object for {ref.url}")
    post = parse_oembed(data, ref, name=name, raw=answer.text)
    post.http_status = answer.status
    try:
        page_answer, card = fetch_page(page_url or ref.url, fetcher)
    except ArchiveError as exc:  # the page only adds to what oEmbed gave
        post.details["page"] = {"error": str(exc)}
        return post
    if card is None:
        # Worth knowing: a video page that answers 404 while oEmbed still answers.
        post.details["page"] = {"http_status": page_answer.status}
    else:
        post.source = "oembed+page"
        post.created_at = post.created_at or card["published_at"]
        post.details["page"] = {
            k: card[k] for k in ("title", "description", "image", "published_at") if card[k]
        }
        if read_page is not None:
            read_page(page_answer, card, post)
    return post


def parse_oembed(data: dict, ref: PostRef, *, name: str, raw: str) -> Post:
    """An oEmbed answer as a Post: title (and description) as text, the thumbnail as a photo."""
    title, description = data.get("title"), data.get("description")
    text = "\n\n".join(t for t in (title, description) if isinstance(t, str) and t) or None
    thumbnail = data.get("thumbnail_url")
    upload = data.get("upload_date")  # Vimeo: local time without a zone, so the date only
    return Post(
        platform=name,
        post_id=ref.post_id,
        url=ref.url,
        author_handle=short_text(data.get("author_unique_id"))
        or author_handle(short_text(data.get("author_url")))
        or ref.handle,
        author_name=short_text(data.get("author_name")),
        author_id=short_text(data.get("author_url")),
        text=text,
        created_at=upload[:10] if isinstance(upload, str) and _DATE.match(upload) else None,
        raw=raw,
        source="oembed",
        media=[
            MediaRef(
                url=thumbnail,
                type="photo",
                alt_text="thumbnail",
                width=_int(data.get("thumbnail_width")),
                height=_int(data.get("thumbnail_height")),
            )
        ]
        if isinstance(thumbnail, str) and thumbnail.startswith("http")
        else [],  # fmt: skip
        details={
            k: data[k]
            for k in ("title", "type", "provider_name", "duration", "video_id", "embed_product_id")
            if data.get(k) not in (None, "")
        },
    )


def author_handle(author_url: str | None) -> str | None:
    """The account name in an author URL: youtube.com/@name, tiktok.com/@name, vimeo.com/name."""
    if not author_url:
        return None
    parts = split_url(author_url)
    path = parts.path.rstrip("/") if parts else ""
    last = path.rsplit("/", 1)[-1] if path else ""
    return last.removeprefix("@") or None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: float("inf")
        return None
