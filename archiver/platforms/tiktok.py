"""TikTok: video and photo post URLs (and the embed players' URLs), via oEmbed and the post page.

oEmbed has no date; the page's rehydration state (`__UNIVERSAL_DATA_FOR_REHYDRATION__`,
a JSON script TikTok serves even to plain HTTP clients) has the creation time,
the author's ids and the counts.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import Answer, PostRef, iso_utc, match_url
from archiver.platforms.oembed import oembed_post

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "tiktok"

_HOSTS = r"(?:(?:www|m)\.)?tiktok\.com"
_ID = r"(?P<id>\d{6,20})"
_END = r"(?:[/?#]|$)"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/@(?P<handle>[A-Za-z0-9_.-]+)/(?:video|photo)/{_ID}{_END}", re.I
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?:embed/v2|embed|player/v1|v)/{_ID}(?:\.html)?{_END}", re.I
    ),
]


def parse_url(url: str) -> PostRef | None:
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    handle = m.groupdict().get("handle")
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
    if item is None or str(item.get("id")) != post.post_id:
        return
    author = item.get("author") or {}
    post.created_at = (
        iso_utc(int(item["createTime"]))
        if str(item.get("createTime", "")).isdigit()
        else post.created_at
    )
    post.author_id = author.get("id") or post.author_id
    post.author_handle = author.get("uniqueId") or post.author_handle
    post.author_name = author.get("nickname") or post.author_name
    stats = item.get("stats") or {}
    post.metrics = {k: v for k, v in stats.items() if isinstance(v, int)}
    music = item.get("music") or {}
    if music.get("title"):
        post.details["music"] = f"{music['title']} - {music.get('authorName') or ''}".strip(" -")
    video = item.get("video") or {}
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
    except (ValueError, KeyError, TypeError):
        return None
