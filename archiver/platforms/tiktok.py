"""TikTok: video and photo post URLs (and the embed players' URLs), via oEmbed and the post page.

oEmbed has no date; the page's rehydration state (`__UNIVERSAL_DATA_FOR_REHYDRATION__`,
a JSON script TikTok serves even to plain HTTP clients) has the creation time,
the author's ids and the counts.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from bs4 import Tag

from archiver.models import Embed, Post
from archiver.platforms.base import (
    Answer,
    MarkupCode,
    Platform,
    PostRef,
    UrlCase,
    WidgetCode,
    iso_utc,
    video_when_served,
)
from archiver.platforms.embed_copy import ArticleCopy, embed_of, links_of, visible_text
from archiver.platforms.oembed import oembed_post
from archiver.platforms.shapes import ident, obj, short_text

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "tiktok"

_HOSTS = r"(?:(?:www|m)\.)?tiktok\.com"
_ID = r"(?P<id>\d{6,20})"
_END = r"(?:[/?#]|$)"
URL_PATTERNS = (
    re.compile(
        # An empty handle is TikTok's own URL for a post whose author is not named.
        rf"^(?:https?://)?{_HOSTS}/@(?P<handle>[A-Za-z0-9_.-]*)/(?:video|photo)/{_ID}{_END}",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?:embed/v2|embed|player/v1|v)/{_ID}(?:\.html)?{_END}",
        re.I | re.ASCII,
    ),
)


def _read_match(m: re.Match) -> PostRef:
    handle = m.groupdict().get("handle") or None
    video_id = m.group("id")
    return PostRef(
        platform=NAME, post_id=video_id, url=canonical_url(video_id, handle), handle=handle
    )


def canonical_url(post_id: str, handle: str | None = None) -> str:
    # TikTok serves /@/video/<id> (no user) too and redirects it to the post.
    return f"https://www.tiktok.com/@{handle or ''}/video/{post_id}"


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """Caption, author and thumbnail from oEmbed; creation time and counts from the page."""
    return oembed_post(
        ref, fetcher, name=NAME, label="TikTok", endpoint="https://www.tiktok.com/oembed",
        read_page=_read_page,
    )  # fmt: skip


def _read_page(answer: Answer, card: dict, post: Post) -> None:
    item = page_item(answer.text)
    if item is None or ident(item.get("id")) != post.post_id:
        return
    author = obj(item.get("author"))
    created = ident(item.get("createTime"))
    post.created_at = (
        iso_utc(int(created))
        if created and created.isascii() and created.isdigit()
        else post.created_at
    )
    post.author_id = ident(author.get("id")) or post.author_id
    post.author_handle = short_text(author.get("uniqueId")) or post.author_handle
    post.author_name = short_text(author.get("nickname")) or post.author_name
    stats = obj(item.get("stats"))
    post.metrics = {k: v for k, v in stats.items() if isinstance(v, int)}
    music = obj(item.get("music"))
    if short_text(music.get("title")):
        post.details["music"] = (
            f"{music['title']} - {short_text(music.get('authorName')) or ''}".strip(" -")
        )
    video = obj(item.get("video"))
    if isinstance(video.get("duration"), int):
        post.details["duration"] = video["duration"]


def page_item(document: str) -> dict | None:
    """The post's itemStruct from the page's rehydration JSON, or None."""
    m = re.search(
        r'<script[^>]+id="__UNIVERSAL_DATA_FOR_REHYDRATION__"[^>]*>(.*?)</script>', document, re.S
    )
    try:
        data = json.loads(m.group(1)) if m else None
        return data["__DEFAULT_SCOPE__"]["webapp.video-detail"]["itemInfo"]["itemStruct"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


def _read_blockquote(tag: Tag, base_url: str | None) -> Embed:
    anchors = tag.find_all("a", href=True)
    video_id = tag.get("data-video-id")
    ref = PLATFORM.parse_url(tag.get("cite") or "") or (
        PLATFORM.parse_url(f"https://www.tiktok.com/embed/v2/{video_id}") if video_id else None
    )
    caption = tag.find("p")
    author = next((a for a in anchors if (a.get("title") or "").startswith("@")), None)
    copy = ArticleCopy(
        text=visible_text(caption) if caption else None,
        author_handle=author["title"][1:] if author else None,
        links=links_of(anchors),
    )
    return embed_of(ref, "blockquote", copy, platform=NAME)


PLATFORM = Platform(
    name=NAME,
    label="TikTok",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("tiktok.com",),
    media_hosts=("tiktokcdn.com", "tiktokcdn-us.com"),
    genre="Video",
    video_by_ytdlp=video_when_served,
    markup=(MarkupCode("blockquote", "tiktok-embed", _read_blockquote),),
    # <amp-tiktok data-src="..."> takes the post's URL or its bare id.
    widgets=(
        WidgetCode(
            "amp-tiktok", "data-src", lambda value: value if "/" in value else canonical_url(value)
        ),
    ),
    accepts=(
        UrlCase(
            "https://www.tiktok.com/embed/v2/7362946149227056416",
            "7362946149227056416",
            "https://www.tiktok.com/@/video/7362946149227056416",
        ),
        UrlCase(
            "https://m.tiktok.com/@a3noticias/video/6806030056956251397?lang=es",
            "6806030056956251397",
            "https://www.tiktok.com/@a3noticias/video/6806030056956251397",
        ),
    ),
    rejects=(
        "https://www.tiktok.com/@a3noticias",
        "https://www.tiktok.com/@a3noticias/video/١٨١٩٦٧٥٨٩٩",  # only ASCII digits make an id
    ),
)
