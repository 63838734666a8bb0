"""Platform answers read as untrusted shapes: typed accessors, and the check every post passes.

A platform's JSON (or markup) may hold anything where an adapter expects an object, a
list of objects, a string or a URL: `"user": "x"`, `"mediaDetails": [1]`, a number
past the calendar, a media URL with a tab in it. Adapters read fields through these
accessors, so a wrong-shaped field is dropped and the rest of the post is kept.
`checked_post` is the last word on what an adapter returns (every Platform's
fetch_post passes through it): fields of the wrong type are dropped, media URLs that
are not a plain http(s) URL are refused, each with a note in the post's details.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import SplitResult, urlsplit

from archiver.errors import ArchiveError, ParseError
from archiver.models import MediaRef, Post

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

# A media URL longer than this is refused (CDN URLs, signatures included, stay under 2,000).
MAX_MEDIA_URL_CHARS = 8192
# Names, handles, ids and dates longer than this are not what they claim to be.
MAX_NAME_CHARS = 2048
# What an adapter keeps of an answer as is (details) is never nested deeper than this.
MAX_KEPT_DEPTH = 32
# Exceptions that a malformed answer raises in code that reads it.
_MALFORMED = (
    TypeError, KeyError, IndexError, AttributeError, ValueError, RecursionError, OverflowError,
)  # fmt: skip
# C0 and C1 control characters and whitespace: never part of a URL as served.
_NOT_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\s]")


def obj(value: Any) -> dict:
    """The value when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[dict]:
    """The objects in a JSON list (anything else in it skipped); [] when it is no list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: Any, max_len: int | None = None) -> str | None:
    """The value when it is a string (no longer than `max_len`; "" too, as served), else None."""
    if not isinstance(value, str) or (max_len is not None and len(value) > max_len):
        return None
    return value


def short_text(value: Any) -> str | None:
    """A short string: a handle, a display name, a language, a date as given."""
    return text(value, MAX_NAME_CHARS)


def ident(value: Any) -> str | None:
    """An id as a string: a short string, or an integer (never a boolean)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return short_text(value)


def number(value: Any) -> int | float | None:
    """A finite number (never a boolean) that SQLite can hold (|n| < 2**63), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) and abs(value) < 2**63 else None


def integer(value: Any) -> int | None:
    """A whole number (a float with no fraction counts), else None."""
    value = number(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest past `limit` levels in `value` (walked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            stack.extend(
                (inner, depth + 1) for inner in (item.values() if isinstance(item, dict) else item)
            )
    return False


def split_url(url: str) -> SplitResult | None:
    """The URL's parts, or None when it cannot be split (an unclosed [IPv6 literal, a bad port)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it is what raises for a port that is no number
    except ValueError:
        return None
    return parts


def host_of(url: str) -> str:
    """The URL's host name in lower case ("x.com" for "x.com/a" too); "" when it has none."""
    parts = split_url(url if "://" in url else "https://" + url)
    return (parts.hostname or "").lower() if parts else ""


def media_url(value: Any) -> str | None:
    """An absolute http(s) URL with a host, without whitespace or control characters, and
    not over MAX_MEDIA_URL_CHARS; else None."""
    url = text(value, MAX_MEDIA_URL_CHARS)
    if url is None or _NOT_IN_URL.search(url):
        return None
    parts = split_url(url)
    return url if parts and parts.scheme.lower() in ("http", "https") and parts.hostname else None


def refused_media_url(value: Any) -> str:
    """Why media_url refuses a value, in words for the post's details."""
    if not isinstance(value, str):
        return f"a {type(value).__name__}, not a URL"
    if len(value) > MAX_MEDIA_URL_CHARS:
        return f"a URL of {len(value):,} characters (at most {MAX_MEDIA_URL_CHARS:,})"
    if _NOT_IN_URL.search(value):
        return "a URL with whitespace or control characters"
    return f"not an http(s) URL: {value[:100]!r}"


_STRING_FIELDS = [f.name for f in fields(Post) if f.type == "str | None"]


def checked_post(post: Post) -> Post:
    """The post with every field of the type it must have: wrong-typed fields dropped, media
    refs without a usable URL dropped; what was dropped is noted in `details["dropped"]`."""
    if not isinstance(post.post_id, str) or not post.post_id:
        raise ParseError(f"the answer for {post.url} names no post id")
    dropped: list[str] = []
    for field_name in _STRING_FIELDS:
        if getattr(post, field_name) is not None and not isinstance(getattr(post, field_name), str):
            dropped.append(f"{field_name}: not a string")
            setattr(post, field_name, None)
    # A count is a number, or a figure as shown ("1.2K") when the platform gives no other.
    post.metrics = {
        k: v for k, v in obj(post.metrics).items() if number(v) is not None or short_text(v)
    }
    post.details = obj(post.details)
    for key in [k for k, v in post.details.items() if nested_deeper_than(v, MAX_KEPT_DEPTH)]:
        dropped.append(f"details.{key}: nested deeper than {MAX_KEPT_DEPTH} levels")
        del post.details[key]
    post.media = _checked_media(post.media, dropped)
    if dropped:
        post.details["dropped"] = post.details.get("dropped", []) + dropped
    if post.quoted is not None:
        post.quoted = checked_post(post.quoted) if isinstance(post.quoted, Post) else None
    return post


def _checked_media(refs: list, dropped: list[str]) -> list[MediaRef]:
    kept = []
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, MediaRef):
            continue
        if media_url(ref.url) is None:
            dropped.append(f"{ref.type} media: {refused_media_url(ref.url)}")
            continue
        ref.alt_text = text(ref.alt_text)
        ref.width, ref.height = integer(ref.width), integer(ref.height)
        ref.duration_ms = integer(ref.duration_ms)
        kept.append(ref)
    return kept


class _Asked(Protocol):
    """What guarded() needs of a PostRef (base.py imports this module, not the reverse)."""

    url: str


FetchPost = Callable[[Any, "Fetcher"], Post]


def guarded(label: str, fetch_post: FetchPost) -> FetchPost:
    """`fetch_post` whose answer always passes `checked_post`, and where a malformed answer
    the adapter's accessors did not foresee is a ParseError naming what was wrong (so the
    pipeline can still keep the article's copy), never another exception."""

    def fetch_checked(ref: _Asked, fetcher: Fetcher) -> Post:
        try:
            return checked_post(fetch_post(ref, fetcher))
        except ArchiveError:
            raise
        except _MALFORMED as exc:
            what = _NOT_IN_URL.sub(" ", str(exc))[:200]
            raise ParseError(
                f"{label}'s answer for {ref.url} is not in a shape the archiver reads"
                f" ({type(exc).__name__}: {what})"
            ) from exc

    fetch_checked.checks_posts = True  # type: ignore[attr-defined]
    return fetch_checked
