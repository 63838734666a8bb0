"""X / Twitter: the public syndication endpoint, then oEmbed.

The syndication `tweet-result` endpoint is what the public embed widget uses;
it needs a token derived from the post id (see `syndication_token`).
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from archiver.errors import FetchError, ParseError, UnavailableError
from archiver.models import POST_DELETED, POST_UNAVAILABLE, MediaRef, Post
from archiver.platforms.base import PostRef, iso_utc, match_url, parse_display_date, unescape_text

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher
    from archiver.fetch.exchange import Fetched

NAME = "x"

_HOSTS = (
    r"(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com"
    r"|(?:[a-z]\.)?(?:fxtwitter|vxtwitter|fixupx|fixvx|twittpr)\.com"
    r"|nitter\.net"
)
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?(?:{_HOSTS})/(?P<handle>[A-Za-z0-9_]{{1,15}})/status(?:es)?/(?P<id>\d{{1,20}})(?:[/?#]|$)",
        re.I,
    ),
    re.compile(
        rf"^(?:https?://)?(?:{_HOSTS})/i/(?:web/)?status/(?P<id>\d{{1,20}})(?:[/?#]|$)", re.I
    ),
    re.compile(
        r"^(?:https?://)?platform\.twitter\.com/embed/Tweet\.html\?(?:.*&)?id=(?P<id>\d{1,20})(?:[&#]|$)",
        re.I,
    ),
]

# Handles that sit where a user name would but are routes, not accounts.
_NOT_HANDLES = {"i", "home", "search", "intent", "share", "hashtag", "explore", "settings"}


def parse_url(url: str) -> PostRef | None:
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    post_id = m.group("id")
    handle = m.groupdict().get("handle")
    if handle and handle.lower() in _NOT_HANDLES:
        handle = None
    return PostRef(
        platform=NAME, post_id=post_id, url=canonical_url(post_id, handle), handle=handle
    )


def canonical_url(post_id: str, handle: str | None = None) -> str:
    return f"https://x.com/{handle or 'i'}/status/{post_id}"


def is_short_link(url: str) -> bool:
    """t.co links and pic.twitter.com display links: redirects that may lead to a post."""
    host = (urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
    return host in {"t.co", "pic.twitter.com", "pic.x.com"}


def short_link_target(url: str) -> str:
    """The t.co URL that a pic.twitter.com/XXXX display link stands for."""
    parts = urlsplit(url if "://" in url else "https://" + url)
    return f"https://t.co{parts.path}"


def syndication_token(post_id: str) -> str:
    """The token the embed widget sends: ((id / 1e15) * pi) in base 36, zeros and dot removed."""
    return re.sub(r"0+|\.", "", _js_radix_string((int(post_id) / 1e15) * math.pi, 36))


def _js_radix_string(value: float, radix: int) -> str:
    """Number.prototype.toString(radix) for a non-negative double, as V8 computes it."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    integer = math.floor(value)
    fraction = value - integer
    # Fraction digits only up to the double's own precision.
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), math.nextafter(0.0, 1.0))
    out_fraction: list[str] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            out_fraction.append(digits[digit])
            fraction -= digit
            if (fraction > 0.5 or (fraction == 0.5 and digit & 1)) and fraction + delta > 1:
                # Round up, carrying into earlier digits as needed.
                while True:
                    if not out_fraction:
                        integer += 1
                        break
                    last = digits.index(out_fraction.pop())
                    if last + 1 < radix:
                        out_fraction.append(digits[last + 1])
                        break
                break
            if fraction < delta:
                break
    out_integer = ""
    integer = int(integer)
    while True:
        integer, remainder = divmod(integer, radix)
        out_integer = digits[remainder] + out_integer
        if integer == 0:
            break
    return out_integer + ("." + "".join(out_fraction) if out_fraction else "")


def embed_iframe_id(url: str) -> str | None:
    """The post id in a platform.twitter.com/embed/Tweet.html?id=... iframe URL."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != "platform.twitter.com" or "/embed/" not in parts.path:
        return None
    ids = parse_qs(parts.query).get("id")
    return ids[0] if ids and ids[0].isdigit() else None


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
        if data.get("id_str") == ref.post_id:
            post = parse_syndication(data, raw=raw)
            post.http_status = syndication_status
            return post
        if data.get("id_str"):
            raise ParseError(f"X answered for post {data['id_str']} when asked for {ref.post_id}")
    return _from_oembed(ref, fetcher, syndication_status)


def _json_object(response: Fetched) -> dict | None:
    try:
        data = response.json()
    except ParseError:
        return None
    return data if isinstance(data, dict) and data else None


def parse_syndication(data: dict, raw: str | None = None) -> Post:
    """A syndication tweet-result object (or its quoted_tweet) as a Post."""
    user = data.get("user") or {}
    post_id = data["id_str"]
    handle = user.get("screen_name")
    quoted = (
        parse_syndication(data["quoted_tweet"])
        if isinstance(data.get("quoted_tweet"), dict)
        else None
    )
    if quoted is not None:
        quoted.source = f"syndication (quoted by x:{post_id})"
    reply_id = data.get("in_reply_to_status_id_str")
    return Post(
        platform=NAME,
        post_id=post_id,
        url=canonical_url(post_id, handle),
        author_handle=handle,
        author_name=user.get("name"),
        author_id=user.get("id_str"),
        text=unescape_text(data.get("text") or data.get("full_text")),
        created_at=iso_utc(data.get("created_at")),
        lang=data.get("lang"),
        reply_to=f"{NAME}:{reply_id}" if reply_id else None,
        quote_of=quoted.db_id if quoted else None,
        raw=raw if raw is not None else json.dumps(data, ensure_ascii=False),
        source="syndication",
        media=_media_refs(data),
        quoted=quoted,
        metrics={
            k: data[k]
            for k in (
                "favorite_count",
                "retweet_count",
                "reply_count",
                "quote_count",
                "conversation_count",
            )
            if isinstance(data.get(k), int)
        },
    )


def _media_refs(data: dict) -> list[MediaRef]:
    refs: list[MediaRef] = []
    details = data.get("mediaDetails") or []
    for item in details:
        kind = item.get("type")
        info = item.get("original_info") or {}
        if kind == "photo":
            refs.append(
                MediaRef(
                    url=original_photo_url(item["media_url_https"]),
                    type="photo",
                    alt_text=item.get("ext_alt_text"),
                    width=info.get("width"),
                    height=info.get("height"),
                )
            )
        elif kind in ("video", "animated_gif"):
            video = item.get("video_info") or {}
            best = best_mp4(video.get("variants") or [], "url", "content_type", "bitrate")
            if best:
                refs.append(
                    MediaRef(
                        url=best,
                        type="video" if kind == "video" else "gif",
                        width=info.get("width"),
                        height=info.get("height"),
                        duration_ms=video.get("duration_millis"),
                    )
                )
            if item.get("media_url_https"):
                refs.append(MediaRef(url=item["media_url_https"], type="poster"))
    if details:
        return refs
    # Older responses carry only the flattened photos[] / video{} shapes.
    for photo in data.get("photos") or []:
        refs.append(
            MediaRef(
                url=original_photo_url(photo["url"]),
                type="photo",
                width=photo.get("width"),
                height=photo.get("height"),
            )
        )
    video = data.get("video")
    if isinstance(video, dict):
        best = best_mp4(video.get("variants") or [], "src", "type", None)
        if best:
            refs.append(MediaRef(url=best, type="video", duration_ms=video.get("durationMs")))
        if video.get("poster"):
            refs.append(MediaRef(url=video["poster"], type="poster"))
    return refs


def best_mp4(
    variants: list[dict], url_key: str, type_key: str, bitrate_key: str | None
) -> str | None:
    """The highest-bitrate MP4 variant (HLS playlists are not a file we can hash as one)."""
    mp4s = [v for v in variants if v.get(type_key) == "video/mp4" and v.get(url_key)]
    if not mp4s:
        return None
    if bitrate_key:
        return max(mp4s, key=lambda v: v.get(bitrate_key) or 0)[url_key]
    # Without bitrates, the resolution in the path (/vid/886x546/) tells.
    return max(mp4s, key=lambda v: _pixels(v[url_key]))[url_key]


def _pixels(url: str) -> int:
    m = re.search(r"/(\d+)x(\d+)/", url)
    return int(m.group(1)) * int(m.group(2)) if m else 0


def original_photo_url(url: str) -> str:
    """pbs.twimg.com/media/ABC.jpg -> pbs.twimg.com/media/ABC?format=jpg&name=orig (full size)."""
    parts = urlsplit(url)
    if not (parts.hostname or "").endswith("twimg.com"):
        return url
    query = dict(parse_qsl(parts.query))
    path = parts.path
    m = re.match(r"^(.*)\.(jpe?g|png|webp|gif)$", path)
    if m:
        path = m.group(1)
        query.setdefault("format", m.group(2))
    query["name"] = "orig"
    return f"{parts.scheme}://{parts.netloc}{path}?{urlencode(query)}"


def _tombstone(ref: PostRef, data: dict, raw: str) -> Post:
    text = ((data.get("tombstone") or {}).get("text") or {}).get(
        "text"
    ) or "This post is unavailable"
    text = text.removesuffix(" Learn more")
    deleted = "deleted" in text.lower()
    return Post(
        platform=NAME,
        post_id=ref.post_id,
        url=ref.url,
        author_handle=ref.handle,
        raw=raw,
        status=POST_DELETED if deleted else POST_UNAVAILABLE,
        status_reason=f"X says: {text}",
        source="syndication",
    )


def _from_oembed(ref: PostRef, fetcher: Fetcher, syndication_status: int) -> Post:
    from archiver.discovery.embeds import parse_twitter_blockquote

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
    if data is None or not data.get("html"):
        # 404 Not Found and 410 Gone from both endpoints: X has no such post (any more).
        if syndication_status in (404, 410) and oembed_status in (404, 410):
            return Post(
                platform=NAME,
                post_id=ref.post_id,
                url=ref.url,
                author_handle=ref.handle,
                status=POST_DELETED,
                status_reason=f"X answered {syndication_status} and {oembed_status} (not found) to the syndication and oEmbed requests",
                source="syndication+oembed",
            )
        if oembed_status in (401, 403):
            raise UnavailableError(
                f"X refuses to show post {ref.post_id} (HTTP {oembed_status}: protected or suspended account)"
            )
        raise FetchError(
            f"X gave no usable answer for post {ref.post_id} (syndication HTTP {syndication_status}, oEmbed HTTP {oembed_status})",
            url=ref.url,
        )
    copy = parse_twitter_blockquote(data["html"])
    author_url = data.get("author_url") or ""
    handle = author_url.rstrip("/").rsplit("/", 1)[-1] or copy.author_handle or ref.handle
    return Post(
        platform=NAME,
        post_id=ref.post_id,
        url=canonical_url(ref.post_id, handle),
        author_handle=handle,
        author_name=data.get("author_name") or copy.author_name,
        text=copy.text,
        created_at=parse_display_date(copy.date),
        raw=raw,
        source="oembed",
    )
