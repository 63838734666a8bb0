"""Threads: post URLs on threads.net and threads.com, read from the public page's card.

Threads pages carry og:title 'Name (@handle) on Threads', the post's text as
og:description and its first image as og:image; a login wall or a page with no
card is an UnavailableError naming it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bs4 import Tag

from archiver.models import Embed, Post
from archiver.platforms.base import MarkupCode, Platform, PostRef, UrlCase
from archiver.platforms.embed_copy import linked_post
from archiver.platforms.opengraph import post_from_page

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "threads"

_HOSTS = r"(?:www\.)?threads\.(?:net|com)"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/@(?P<handle>[A-Za-z0-9_.]{{1,30}})/post/(?P<id>[A-Za-z0-9_-]{{5,40}})(?:[/?#]|$)",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/t/(?P<id>[A-Za-z0-9_-]{{5,40}})(?:[/?#]|$)", re.I | re.ASCII
    ),
)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    if handle:
        return f"https://www.threads.com/@{handle}/post/{post_id}"
    return f"https://www.threads.com/t/{post_id}"


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The text, author and image the public page's card shows; else UnavailableError."""
    return post_from_page(ref, fetcher, name=NAME, label="Threads", interpret=read_card)


_TITLE = re.compile(r"^(?P<name>.*?)\s*\(@(?P<handle>[\w.]+)\) on Threads\s*$", re.S)


def read_card(card: dict) -> dict:
    meta = card["meta"]
    title = _TITLE.match(meta.get("og:title") or "")
    fields = {"text": meta.get("og:description") or meta.get("description")}
    if title:
        fields["author_name"] = title.group("name") or None
        fields["author_handle"] = title.group("handle")
    return fields


def _read_blockquote(tag: Tag, base_url: str | None) -> Embed:
    # Its embed code shows little but a link to the post.
    return linked_post(
        tag, base_url, parse=PLATFORM.parse_url, platform=NAME, attribute="data-text-post-permalink"
    )


PLATFORM = Platform(
    name=NAME,
    label="Threads",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    hosts=("threads.net", "threads.com"),
    media_hosts=("cdninstagram.com", "fbcdn.net"),
    markup=(MarkupCode("blockquote", "text-post-media", _read_blockquote),),
    accepts=(
        UrlCase(
            "https://www.threads.net/@zuck/post/C8Y0K8UJbGx",
            "C8Y0K8UJbGx",
            "https://www.threads.com/@zuck/post/C8Y0K8UJbGx",
        ),
        UrlCase("https://threads.com/t/C8Y0K8UJbGx", "C8Y0K8UJbGx", "https://www.threads.com/t/C8Y0K8UJbGx"),
    ),
    rejects=("https://www.threads.net/@zuck",),
)  # fmt: skip
