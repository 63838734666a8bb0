"""X / Twitter: the public syndication endpoint, then oEmbed.

The syndication `tweet-result` endpoint is what the public embed widget uses;
it needs a token derived from the post id (see `syndication_token`). The embed
codes are the `blockquote.twitter-tweet` that widgets.js renders, the elements
AMP and widgets.js render a post into, and a tweet pasted into plain text.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from bs4 import Tag

from archiver.errors import FetchError, ParseError, UnavailableError
from archiver.models import POST_DELETED, POST_UNAVAILABLE, Embed, Post
from archiver.platforms.base import (
    MarkupCode,
    Platform,
    PostRef,
    TextSignature,
    UrlCase,
    WidgetCode,
    counts,
    gone_post,
    iso_utc,
    parse_display_date,
    unescape_text,
)
from archiver.platforms.embed_copy import ArticleCopy, embed_of, signed_copy
from archiver.platforms.shapes import (
    host_of,
    ident,
    obj,
    short_text,
    text,
)
from archiver.platforms.soup import parse_html
from archiver.platforms.x_cards import card_details
from archiver.platforms.x_media import media_refs
from archiver.platforms.x_token import syndication_token

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher
    from archiver.fetch.exchange import Fetched

NAME = "x"

_HOSTS = (
    r"(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com"
    r"|(?:[a-z]\.)?(?:fxtwitter|vxtwitter|fixupx|fixvx|twittpr)\.com"
    r"|nitter\.net"
)
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?(?:{_HOSTS})/(?:#!/)?(?P<handle>[A-Za-z0-9_]{{1,15}})/status(?:es)?/(?P<id>\d{{1,20}})(?:[/?#]|$)",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?(?:{_HOSTS})/i/(?:web/status|status|videos/tweet|videos)/(?P<id>\d{{1,20}})(?:[/?#]|$)",
        re.I | re.ASCII,
    ),
    re.compile(
        r"^(?:https?://)?platform\.twitter\.com/embed/(?:Tweet|index)\.html\?(?:.*&)?id=(?P<id>\d{1,20})(?:[&#]|$)",
        re.I | re.ASCII,
    ),
)

# Handles that sit where a user name would but are routes, not accounts.
_NOT_HANDLES = {"i", "home", "search", "intent", "share", "hashtag", "explore", "settings"}


def _read_match(m: re.Match) -> PostRef:
    post_id = m.group("id")
    handle = m.groupdict().get("handle")
    if handle and handle.lower() in _NOT_HANDLES:
        handle = None
    return PostRef(
        platform=NAME, post_id=post_id, url=canonical_url(post_id, handle), handle=handle
    )


def canonical_url(post_id: str, handle: str | None = None) -> str:
    return f"https://x.com/{handle or 'i'}/status/{post_id}"


def short_links(links: list[str]) -> list[str]:
    """The t.co links among these, pic.twitter.com display links turned into the t.co they stand for."""
    found = [short_link_target(link) for link in links if is_short_link(link)]
    return list(dict.fromkeys(found))


def is_short_link(url: str) -> bool:
    """t.co links and pic.twitter.com display links: redirects that may lead to a post."""
    return host_of(url) in {"t.co", "pic.twitter.com", "pic.x.com"}


def short_link_target(url: str) -> str:
    """The t.co URL that a pic.twitter.com/XXXX display link stands for."""
    parts = urlsplit(url if "://" in url else "https://" + url)
    return f"https://t.co{parts.path}"


# -- fetching ----------------------------------------------------------------

SYNDICATION_URL = "https://cdn.syndication.twimg.com/tweet-result"
OEMBED_URL = "https://publish.twitter.com/oembed"


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The post from the syndication endpoint, else from oEmbed (text only), else an error."""
    query = urlencode({"id": ref.post_id, "lang": "en", "token": syndication_token(ref.post_id)})
    with fetcher.get(f"{SYNDICATION_URL}?{query}") as response:
        data = _json_object(response) if response.ok else None
        raw = response.text() if data is not None else None
        syndication_status = response.status
    if data is not None:
        if data.get("__typename") == "TweetTombstone" or "tombstone" in data:
            return _tombstone(ref, data, raw)
        answered = ident(data.get("id_str"))
        if answered == ref.post_id:
            post = parse_syndication(data, raw=raw)
            post.http_status = syndication_status
            return post
        if answered:
            raise ParseError(f"X answered for post {answered[:40]} when asked for {ref.post_id}")
    return _from_oembed(ref, fetcher, syndication_status)


def _json_object(response: Fetched) -> dict | None:
    try:
        data = response.json()
    except ParseError:
        return None
    return data if isinstance(data, dict) and data else None


def parse_syndication(data: dict, raw: str | None = None) -> Post:
    """A syndication tweet-result object (or its quoted_tweet) as a Post."""
    user = obj(data.get("user"))
    post_id = ident(data.get("id_str"))
    if post_id is None:
        raise ParseError("X's syndication answer names no post (id_str)")
    handle = short_text(user.get("screen_name"))
    quoted_data = obj(data.get("quoted_tweet"))
    quoted = parse_syndication(quoted_data) if ident(quoted_data.get("id_str")) else None
    if quoted is not None:
        quoted.source = f"syndication (quoted by x:{post_id})"
    reply_id = ident(data.get("in_reply_to_status_id_str"))
    details, card_media = card_details(data)
    return Post(
        platform=NAME,
        post_id=post_id,
        url=canonical_url(post_id, handle),
        author_handle=handle,
        author_name=short_text(user.get("name")),
        author_id=ident(user.get("id_str")),
        text=unescape_text(text(data.get("text")) or text(data.get("full_text"))),
        created_at=iso_utc(data.get("created_at")),
        lang=short_text(data.get("lang")),
        reply_to=f"{NAME}:{reply_id}" if reply_id else None,
        quote_of=quoted.db_id if quoted else None,
        raw=raw if raw is not None else json.dumps(data, ensure_ascii=False),
        source="syndication",
        media=media_refs(data) + card_media,
        quoted=quoted,
        metrics=counts(
            data,
            ("favorite_count", "retweet_count", "reply_count", "quote_count", "conversation_count"),
        ),
        details=details,
    )


def _tombstone(ref: PostRef, data: dict, raw: str) -> Post:
    said = short_text(obj(obj(data.get("tombstone")).get("text")).get("text"))
    said = (said or "This post is unavailable").removesuffix(" Learn more")
    status = POST_DELETED if "deleted" in said.lower() else POST_UNAVAILABLE
    return gone_post(ref, status, f"X says: {said}", source="syndication", raw=raw)


def _from_oembed(ref: PostRef, fetcher: Fetcher, syndication_status: int) -> Post:
    query = urlencode(
        {
            "url": f"https://twitter.com/{ref.handle or 'i'}/status/{ref.post_id}",
            "omit_script": "true",
            "dnt": "true",
        }
    )
    with fetcher.get(f"{OEMBED_URL}?{query}") as response:
        data = _json_object(response) if response.ok else None
        raw = response.text() if data is not None else None
        oembed_status = response.status
    markup = text(data.get("html")) if data is not None else None
    if not markup:
        # 404 Not Found and 410 Gone from both endpoints: X has no such post (any more).
        if syndication_status in (404, 410) and oembed_status in (404, 410):
            reason = (
                f"X answered {syndication_status} and {oembed_status} (not found)"
                " to the syndication and oEmbed requests"
            )
            return gone_post(ref, POST_DELETED, reason, source="syndication+oembed")
        if oembed_status in (401, 403):
            raise UnavailableError(
                f"X refuses to show post {ref.post_id} (HTTP {oembed_status}: protected or suspended account)"
            )
        raise FetchError(
            f"X gave no usable answer for post {ref.post_id} (syndication HTTP {syndication_status}, oEmbed HTTP {oembed_status})",
            url=ref.url,
        )
    copy = parse_blockquote(markup)
    author_url = short_text(data.get("author_url")) or ""
    handle = author_url.rstrip("/").rsplit("/", 1)[-1] or copy.author_handle or ref.handle
    return Post(
        platform=NAME,
        post_id=ref.post_id,
        url=canonical_url(ref.post_id, handle),
        author_handle=handle,
        author_name=short_text(data.get("author_name")) or copy.author_name,
        text=copy.text,
        created_at=parse_display_date(copy.date),
        raw=raw,
        source="oembed",
    )


# -- the embed codes -----------------------------------------------------------


def parse_blockquote(tag_or_html: Tag | str) -> ArticleCopy:
    """The article's copy of a post from a `<blockquote class="twitter-tweet">` (or its HTML)."""
    if isinstance(tag_or_html, str):
        soup = parse_html(tag_or_html)
        tag_or_html = soup.find("blockquote") or soup
    return signed_copy(tag_or_html, PLATFORM.parse_url)


def _read_blockquote(tag: Tag, base_url: str | None) -> Embed:
    copy = parse_blockquote(tag)
    ref = PLATFORM.parse_url(copy.post_url) if copy.post_url else None
    embed = embed_of(ref, "blockquote", copy, platform=NAME)
    if embed.post_url is None:
        # Some pages strip the status link: the copy's t.co links may still lead to the post.
        shown = re.findall(r"pic\.(?:twitter|x)\.com/\w+", copy.text or "")
        embed.short_links = short_links(copy.links + shown)
    return embed


# Photo links as a post's text shows them, without a scheme; t.co stands behind each.
_DISPLAY_LINK = r"(?<![\w/.])pic\.(?:twitter|x)\.com/\w+"

PLATFORM = Platform(
    name=NAME,
    label="X",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=(
        "twitter.com", "x.com", "t.co", "fxtwitter.com", "vxtwitter.com", "fixupx.com",
        "fixvx.com", "twittpr.com", "nitter.net",
    ),
    media_hosts=("pbs.twimg.com", "video.twimg.com"),
    markup=(
        MarkupCode("blockquote", "twitter-tweet", _read_blockquote),
        MarkupCode("blockquote", "twitter-video", _read_blockquote),
    ),
    widgets=(
        WidgetCode("amp-twitter", "data-tweetid", canonical_url),
        WidgetCode("twitter-widget", "data-tweet-id", canonical_url),
        # widgets.js marks the iframe (and, before 2017, the div) it renders a post into.
        WidgetCode("*", "data-tweet-id", canonical_url),
    ),
    embed_words=("twitter", "tweet"),
    text_signature=TextSignature(
        handle=r"[A-Za-z0-9_]{1,15}", display_link=_DISPLAY_LINK, short_links=short_links
    ),
    accepts=(
        # The iframe widgets.js renders today, its video player of 2015-2019, a hashbang URL of 2010.
        UrlCase(
            "https://platform.twitter.com/embed/index.html?dnt=false&embedId=twitter-widget-0&id=1819675899329130543",
            "1819675899329130543",
            "https://x.com/i/status/1819675899329130543",
        ),
        UrlCase(
            "https://twitter.com/i/videos/tweet/1819675899329130543",
            "1819675899329130543",
            "https://x.com/i/status/1819675899329130543",
        ),
        UrlCase(
            "http://twitter.com/#!/jack/status/20", "20", "https://x.com/jack/status/20"
        ),
        UrlCase(
            "https://twitter.com/ThomasVLinge/status/1819675899329130543?s=20",
            "1819675899329130543",
            "https://x.com/ThomasVLinge/status/1819675899329130543",
        ),
        UrlCase(
            "https://x.com/i/web/status/1819675899329130543",
            "1819675899329130543",
            "https://x.com/i/status/1819675899329130543",
        ),
        UrlCase(
            "https://platform.twitter.com/embed/Tweet.html?dnt=true&id=1819675899329130543",
            "1819675899329130543",
            "https://x.com/i/status/1819675899329130543",
        ),
        UrlCase(
            "https://x.com/search/status/1819675899329130543",  # a route, not a handle
            "1819675899329130543",
            "https://x.com/i/status/1819675899329130543",
        ),
    ),
    rejects=(
        "https://x.com/@someone/1234567890",  # the shape of a Mastodon status, on X
        "https://x.com/ThomasVLinge",
        "https://t.co/ZY8SlS26sJ",  # a short link: where it leads is found by following it
        # Only ASCII digits make an id: fullwidth and Arabic-Indic digits would name a second post.
        "https://x.com/ThomasVLinge/status/１８１９６７５８９９",
        "https://x.com/i/web/status/١٨١٩٦٧٥٨٩٩",
    ),
)  # fmt: skip
