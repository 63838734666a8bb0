"""Posts read from their public page's link card (OpenGraph, Twitter card, JSON-LD).

Instagram, Facebook and Threads have no public API; what their post pages show
without login is the card they give link previews. A login wall, or a page with
no card for the post, is an UnavailableError naming it, never a silent drop
(the pipeline then keeps the article's copy when it has one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archiver.errors import FetchError, UnavailableError
from archiver.models import POST_DELETED, MediaRef, Post
from archiver.platforms import pages
from archiver.platforms.base import Answer, PostRef, describe_status, fetch_answer, gone_post
from archiver.platforms.soup import parse_html

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

# What a platform's card says, in Post fields: author_name, author_handle, text, created_at.
Interpret = Callable[[dict], dict]

_LOGIN_PATHS = ("/login", "/accounts/login", "/checkpoint", "/unsupportedbrowser", "/signup")


def fetch_page(url: str, fetcher: Fetcher) -> tuple[Answer, dict | None]:
    """The page and its card; the card is None unless it answered 2xx with HTML."""
    answer = fetch_answer(fetcher, url)
    if not answer.ok or not pages.looks_like_html(answer.text):
        return answer, None
    return answer, pages.page_card(answer.text, answer.final_url)


def post_from_page(
    ref: PostRef, fetcher: Fetcher, *, name: str, label: str, interpret: Interpret
) -> Post:
    """The post as its public page's card shows it; UnavailableError behind a login wall."""
    answer = fetch_answer(fetcher, ref.url)
    if answer.status in (404, 410):
        reason = (
            f"{describe_status(answer, label)} (the post was deleted, or its account"
            " made private or removed)"
        )
        return gone_post(ref, POST_DELETED, reason, source="page", http_status=answer.status)
    login = login_wall(answer.final_url)
    if login or answer.status in (401, 403):
        where = f" (sent to {answer.final_url})" if login else ""
        raise UnavailableError(
            f"{label} requires login to show this post: {describe_status(answer, label)}{where}"
        )
    if not answer.ok:
        raise FetchError(describe_status(answer, label), url=ref.url, status=answer.status)
    card = pages.page_card(answer.text, answer.final_url)
    og = card["meta"]
    if not (og.get("og:description") or (og.get("og:title") and card["image"])):
        title = card["title"] or _html_title(answer.text)
        raise UnavailableError(
            f"{label} shows no post without login: its page has no OpenGraph card for it"
            + (f" (the page is titled {title!r})" if title else "")
        )
    fields = interpret(card)
    media = [MediaRef(url=card["image"], type="photo")] if card["image"] else []
    video = og.get("og:video:secure_url") or og.get("og:video:url") or og.get("og:video")
    if video and video.startswith("http") and "video/" in og.get("og:video:type", "video/"):
        media.insert(0, MediaRef(url=video, type="video"))
    return Post(
        platform=name,
        post_id=ref.post_id,
        url=ref.url,
        author_handle=fields.get("author_handle") or ref.handle,
        author_name=fields.get("author_name"),
        text=fields.get("text"),
        created_at=fields.get("created_at") or card["published_at"],
        raw=answer.text,
        source="page",
        media=media,
        metrics=fields.get("metrics") or {},
        details={
            k: v
            for k, v in {
                "og_title": card["title"],
                "og_description": card["description"],
                "og_url": card["url"],
                "note": "from the public page's link card (no login)",
            }.items()
            if v
        },  # fmt: skip
        http_status=answer.status,
    )


def login_wall(url: str) -> bool:
    """Did the platform send us to a login (or 'update your browser') page?"""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return host.startswith("login.") or parts.path.lower().startswith(_LOGIN_PATHS)


def _html_title(document: str) -> str | None:
    title = parse_html(document[:200_000]).title
    return title.get_text(" ", strip=True) if title else None
