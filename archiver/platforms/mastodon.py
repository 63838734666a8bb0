"""Mastodon: status URLs on any instance, fetched from that instance's public API.

Mastodon runs on any host, so these patterns accept any host name; the registry
refuses them for the hosts another platform owns (so that, say, x.com/@a/1 is not
taken for a Mastodon post), and this module for sites that are no platform of
ours. The status comes from `/api/v1/statuses/<id>` on the instance the URL names
(status ids are that instance's own). Platforms built on Mastodon's API (forks)
reuse `fetch_status` and `parse_status` with their own `StatusNaming`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bs4 import Tag

from archiver.errors import FetchError, ParseError, UnavailableError
from archiver.models import POST_DELETED, Embed, MediaRef, Post
from archiver.platforms.base import (
    MarkupCode,
    Platform,
    PostRef,
    UrlCase,
    counts,
    describe_status,
    fetch_answer,
    gone_post,
    html_to_text,
    iso_utc,
)
from archiver.platforms.embed_copy import linked_post
from archiver.platforms.shapes import ident, integer, items, number, obj, short_text, text

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "mastodon"

_HOST = r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
# A local account (@alice) or a remote one seen through this instance (@alice@example.org).
_USER = r"(?P<user>[A-Za-z0-9_.]+(?:@[A-Za-z0-9.-]+)?)"
_END = r"/?(?:[?#]|$)"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?{_HOST}/(?:web/)?@{_USER}/(?P<id>\d{{1,20}})(?:/embed)?{_END}",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOST}/users/{_USER}/statuses/(?P<id>\d{{1,20}}){_END}", re.I | re.ASCII
    ),
    re.compile(rf"^(?:https?://)?{_HOST}/web/statuses/(?P<id>\d{{1,20}}){_END}", re.I | re.ASCII),
)

# Sites that use /@name/<number> shapes of their own, are not Mastodon, and are no
# platform of ours (the registry keeps Mastodon off the hosts of those that are).
_NOT_INSTANCES = ("medium.com",)


def _read_match(m: re.Match) -> PostRef | None:
    """A status's `mastodon:<host>/<id>` identity: ids are unique only within one instance."""
    host = m.group("host").lower()
    if any(host == other or host.endswith("." + other) for other in _NOT_INSTANCES):
        return None
    user = m.groupdict().get("user")
    post_id = f"{host}/{m.group('id')}"
    return PostRef(platform=NAME, post_id=post_id, url=canonical_url(post_id, user), handle=user)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    host, status_id = post_id.split("/", 1)
    if handle:
        return f"https://{host}/@{handle}/{status_id}"
    return f"https://{host}/web/statuses/{status_id}"


@dataclass(frozen=True)
class StatusNaming:
    """How a platform that serves Mastodon's status API names a status."""

    platform: str
    post_id: Callable[[str, str], str]  # (instance host, status id) -> posts.post_id
    url: Callable[[str, str | None], str]  # (post_id, acct) -> the status's canonical URL
    # (post_id, acct) -> the `url` the API gives a status of its own instance
    served_url: Callable[[str, str | None], str]

    def db_id(self, host: str, status_id: str) -> str:
        return f"{self.platform}:{self.post_id(host, status_id)}"


MASTODON = StatusNaming(
    platform=NAME,
    post_id=lambda host, status_id: f"{host}/{status_id}",
    url=canonical_url,
    served_url=canonical_url,
)


# -- fetching ----------------------------------------------------------------


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The status from its instance's API; a 404 or 410 is recorded as deleted."""
    host, status_id = ref.post_id.split("/", 1)
    return fetch_status(ref, fetcher, host=host, status_id=status_id, naming=MASTODON)


def fetch_status(
    ref: PostRef, fetcher: Fetcher, *, host: str, status_id: str, naming: StatusNaming
) -> Post:
    """Status `status_id` from `host`'s `/api/v1/statuses/`; a 404 or 410 is recorded as deleted."""
    answer = fetch_answer(fetcher, f"https://{host}/api/v1/statuses/{status_id}")
    data = answer.json()
    if answer.status in (404, 410):
        reason = f"{describe_status(answer, host)} (the status was deleted, or is not public)"
        return gone_post(
            ref, POST_DELETED, reason, source="api", raw=answer.text, http_status=answer.status
        )
    if answer.status in (401, 403):
        # Instances in limited-federation mode answer only signed-in users.
        raise UnavailableError(f"{describe_status(answer, host)} (the instance requires login)")
    if not answer.ok:
        raise FetchError(describe_status(answer, host), url=ref.url, status=answer.status)
    if ident(obj(data).get("id")) != status_id:
        raise ParseError(f"{host} did not answer with status {status_id}")
    post = parse_status(data, host, raw=answer.text, naming=naming)
    post.http_status = answer.status
    return post


def parse_status(
    data: dict, host: str, raw: str | None = None, *, naming: StatusNaming = MASTODON
) -> Post:
    """A Mastodon Status entity (as served by `host`) as a Post."""
    account = obj(data.get("account"))
    status_id = ident(data.get("id"))
    if status_id is None:
        raise ParseError(f"{host} answered with a status without an id")
    post_id = naming.post_id(host, status_id)
    acct = short_text(account.get("acct"))
    details: dict = {}
    if text(data.get("spoiler_text")):
        details["content_warning"] = data["spoiler_text"]
    if data.get("edited_at"):
        details["edited_at"] = iso_utc(data["edited_at"])
    if text(data.get("url")) and data["url"] != naming.served_url(post_id, acct):
        details["original_url"] = data["url"]  # a remote status, seen through this instance
    media = [ref for item in items(data.get("media_attachments")) for ref in _attachment(item)]
    card = obj(data.get("card"))
    if card.get("url"):
        details["card"] = {
            k: card.get(k) for k in ("url", "title", "description", "type") if card.get(k)
        }
        if card.get("image"):
            media.append(MediaRef(url=card["image"], type="card"))
    poll = data.get("poll")
    if isinstance(poll, dict):
        details["poll"] = {
            "options": [{"title": o.get("title"), "votes": o.get("votes_count")} for o in items(poll.get("options"))],
            "votes": poll.get("votes_count"), "expires_at": iso_utc(poll.get("expires_at")),
            "multiple": poll.get("multiple"),
        }  # fmt: skip
    quoted, quote_of = _quote(data, host, details, naming)
    reply = ident(data.get("in_reply_to_id"))
    return Post(
        platform=naming.platform,
        post_id=post_id,
        url=naming.url(post_id, acct),
        author_handle=acct,
        author_name=short_text(account.get("display_name")) or None,
        # Account ids are the instance's own; its ActivityPub URI names it everywhere.
        author_id=short_text(account.get("uri")) or short_text(account.get("url")),
        text=_text(text(data.get("content"))),
        created_at=iso_utc(data.get("created_at")),
        lang=short_text(data.get("language")),
        reply_to=naming.db_id(host, reply) if reply else None,
        quote_of=quote_of,
        raw=raw if raw is not None else json.dumps(data, ensure_ascii=False),
        source="api",
        media=media,
        quoted=quoted,
        metrics=counts(
            data, ("replies_count", "reblogs_count", "favourites_count", "quotes_count")
        ),
        details=details,
    )


def _attachment(item: dict) -> list[MediaRef]:
    """One media attachment: the original file, and for video its preview as poster."""
    url = item.get("url") or item.get("remote_url")
    if not url:
        return []
    meta = obj(item.get("meta"))
    original = obj(meta.get("original"))
    duration = number(original.get("duration") or meta.get("duration"))
    kind = {"image": "photo", "video": "video", "gifv": "gif", "audio": "audio"}.get(
        short_text(item.get("type")), "file"
    )
    refs = [
        MediaRef(
            url=url, type=kind, alt_text=text(item.get("description")) or None,
            width=integer(original.get("width")), height=integer(original.get("height")),
            duration_ms=round(duration * 1000) if duration is not None and duration < 1e12 else None,
        )
    ]  # fmt: skip
    if kind in ("video", "gif") and item.get("preview_url"):
        refs.append(MediaRef(url=item["preview_url"], type="poster"))
    return refs


def _quote(
    data: dict, host: str, details: dict, naming: StatusNaming
) -> tuple[Post | None, str | None]:
    """Mastodon 4.5 quotes ({state, quoted_status}) and boosts (reblog) name another status."""
    quote = data.get("quote")
    if isinstance(quote, dict):
        if quote.get("state") and quote["state"] != "accepted":
            details["quote_state"] = quote["state"]
        inner = obj(quote.get("quoted_status"))
        if ident(inner.get("id")):
            quoted = parse_status(inner, host, naming=naming)
            quoted.source = "api (quoted)"
            return quoted, quoted.db_id
        if quoted_id := ident(quote.get("quoted_status_id")):
            return None, naming.db_id(host, quoted_id)
    reblog = obj(data.get("reblog"))
    if ident(reblog.get("id")):
        details["boost"] = True
        boosted = parse_status(reblog, host, naming=naming)
        boosted.source = "api (boosted)"
        return boosted, boosted.db_id
    return None, None


def _text(content: str | None) -> str | None:
    """The status text; the "RE: <link>" paragraph kept for old clients is dropped (the quote is kept)."""
    if content is None:
        return None
    content = re.sub(r'<p class="quote-inline">.*?</p>', "", content, flags=re.S)
    return html_to_text(content)


def _read_blockquote(tag: Tag, base_url: str | None) -> Embed:
    # Its embed code shows little but a link to the post.
    return linked_post(
        tag, base_url, parse=PLATFORM.parse_url, platform=NAME, attribute="data-embed-url"
    )


PLATFORM = Platform(
    name=NAME,
    label="Mastodon",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    markup=(MarkupCode("blockquote", "mastodon-embed", _read_blockquote),),
    accepts=(
        UrlCase(
            "https://mastodon.social/@Gargron/113497187538011744/embed",
            "mastodon.social/113497187538011744",
            "https://mastodon.social/@Gargron/113497187538011744",
        ),
        UrlCase(
            "https://mastodon.social/users/Gargron/statuses/103270115826048975",
            "mastodon.social/103270115826048975",
            "https://mastodon.social/@Gargron/103270115826048975",
        ),
        UrlCase(
            "https://chaos.social/web/statuses/110000000000000000",
            "chaos.social/110000000000000000",
            "https://chaos.social/web/statuses/110000000000000000",
        ),
    ),
    rejects=(
        "https://mastodon.social/@Gargron",  # a profile, not a status
        "https://medium.com/@writer/12345",  # not an instance
        "https://mastodon.social/@Gargron/１８１９６７５８９９",  # only ASCII digits make an id
        "https://mastodon.social/web/statuses/١٨١٩٦٧٥٨٩٩",
    ),
)  # fmt: skip
