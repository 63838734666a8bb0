"""Bluesky: post URLs (bsky.app pages, embed iframes, at:// URIs) and the public AppView.

A post's canonical id is `bluesky:<did>/<rkey>`: handles change hands and a post
can be linked by handle or by DID, but the DID is the account's permanent name.
URLs name the actor as they find it, so `parse_url` may give a handle-based id;
`fetch_post` resolves the handle to its DID with
`com.atproto.identity.resolveHandle` on the public AppView (public.api.bsky.app,
which answers for any handle, PDS-hosted or not) and returns the DID-based post.
The thread comes from `app.bsky.feed.getPostThread` on the same AppView.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from bs4 import Tag

from archiver.errors import FetchError, ParseError, UnavailableError
from archiver.models import POST_DELETED, POST_UNAVAILABLE, Embed, MediaRef, Post, post_db_id
from archiver.platforms.base import (
    Answer,
    MarkupCode,
    Platform,
    PostRef,
    StoredAlias,
    UrlCase,
    counts,
    describe_status,
    fetch_answer,
    gone_post,
    iso_utc,
)
from archiver.platforms.embed_copy import embed_of, signed_copy

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "bluesky"

# An actor is a handle (alice.bsky.social) or a DID (did:plc:...); a record key is base32-ish.
_ACTOR = r"(?P<actor>did:[a-z0-9]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
_RKEY = r"(?P<rkey>[A-Za-z0-9._~:-]{1,512})"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?(?:www\.)?bsky\.app/profile/{_ACTOR}/post/{_RKEY}(?:[/?#]|$)", re.I
    ),
    re.compile(
        rf"^(?:https?://)?embed\.bsky\.app/embed/{_ACTOR}/app\.bsky\.feed\.post/{_RKEY}(?:[/?#]|$)",
        re.I,
    ),
    re.compile(rf"^at://{_ACTOR}/app\.bsky\.feed\.post/{_RKEY}$", re.I),
)

APPVIEW = "https://public.api.bsky.app/xrpc"


def _read_match(m: re.Match) -> PostRef:
    """A post's `bluesky:<actor>/<rkey>` identity; the actor stays as the URL names it."""
    actor, rkey = m.group("actor"), m.group("rkey")
    if not actor.startswith("did:"):
        actor = actor.lower()  # handles are case-insensitive, and lower case is their normal form
    # A record key is unique only within its repository, so the id carries the actor.
    post_id = f"{actor}/{rkey}"
    handle = None if actor.startswith("did:") else actor
    return PostRef(platform=NAME, post_id=post_id, url=canonical_url(post_id), handle=handle)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    actor, rkey = post_id.split("/", 1)
    return f"https://bsky.app/profile/{handle or actor}/post/{rkey}"


def at_uri_id(uri: str | None) -> str | None:
    """at://did:plc:x/app.bsky.feed.post/rkey -> 'did:plc:x/rkey' (None for other records)."""
    m = re.match(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/?#]+)$", uri or "")
    return f"{m.group(1)}/{m.group(2)}" if m else None


# -- fetching ----------------------------------------------------------------


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The post from the AppView's getPostThread, under its DID-based id."""
    actor, rkey = ref.post_id.split("/", 1)
    did = actor if actor.startswith("did:") else resolve_handle(actor, fetcher)
    uri = f"at://{did}/app.bsky.feed.post/{rkey}"
    query = urlencode({"uri": uri, "depth": 0, "parentHeight": 0})
    answer = fetch_answer(fetcher, f"{APPVIEW}/app.bsky.feed.getPostThread?{query}")
    data = answer.json()
    canonical = PostRef(
        NAME, f"{did}/{rkey}", canonical_url(f"{did}/{rkey}", ref.handle), ref.handle
    )
    if not answer.ok:
        if isinstance(data, dict) and data.get("error") == "NotFound":
            return _gone(canonical, answer, POST_DELETED, describe_status(answer, "Bluesky"))
        raise FetchError(
            describe_status(answer, "Bluesky's AppView"), url=ref.url, status=answer.status
        )
    thread = data.get("thread") if isinstance(data, dict) else None
    if not isinstance(thread, dict):
        raise ParseError(f"Bluesky's getPostThread answer for {uri} has no thread")
    kind = thread.get("$type", "")
    if kind.endswith("#notFoundPost") or thread.get("notFound"):
        return _gone(
            canonical, answer, POST_DELETED, "Bluesky says the post was not found (deleted)"
        )
    if kind.endswith("#blockedPost") or thread.get("blocked"):
        return _gone(canonical, answer, POST_UNAVAILABLE, "Bluesky shows the post as blocked")
    view = thread.get("post")
    if not isinstance(view, dict) or view.get("uri") != uri:
        raise ParseError(f"Bluesky answered for {view and view.get('uri')} when asked for {uri}")
    post = parse_post_view(view, raw=answer.text)
    post.http_status = answer.status
    return post


def resolve_handle(handle: str, fetcher: Fetcher) -> str:
    """The DID a handle names now; UnavailableError when it names no account."""
    answer = fetch_answer(
        fetcher, f"{APPVIEW}/com.atproto.identity.resolveHandle?handle={quote(handle)}"
    )
    data = answer.json()
    if answer.ok and isinstance(data, dict) and str(data.get("did", "")).startswith("did:"):
        return data["did"]
    if answer.status == 400:
        raise UnavailableError(
            f"{describe_status(answer, 'Bluesky')} (the handle {handle} names no account now:"
            " deleted, or the handle changed)"
        )
    raise FetchError(describe_status(answer, "Bluesky's resolveHandle"), status=answer.status)


def parse_post_view(view: dict, raw: str | None = None) -> Post:
    """An app.bsky.feed.defs#postView (or an embed's #viewRecord) as a Post."""
    record = view.get("record") or view.get("value") or {}
    author = view.get("author") or {}
    post_id = at_uri_id(view.get("uri"))
    if post_id is None:
        raise ParseError(f"not a Bluesky post: {view.get('uri')}")
    handle = author.get("handle")
    details: dict = {"cid": view.get("cid")}
    media, quoted, quote_of = _embed(view.get("embed") or _first(view.get("embeds")), details)
    links = _facet_links(record)
    if links:
        details["links"] = links
    if view.get("labels"):
        details["labels"] = [label.get("val") for label in view["labels"]]
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
    return Post(
        platform=NAME,
        post_id=post_id,
        url=canonical_url(post_id, handle),
        author_handle=handle,
        author_name=author.get("displayName") or None,
        author_id=author.get("did"),
        text=record.get("text"),
        created_at=iso_utc(record.get("createdAt")),
        lang=_first(record.get("langs")),
        reply_to=_db_id(parent),
        quote_of=quote_of,
        raw=raw if raw is not None else json.dumps(view, ensure_ascii=False),
        source="appview",
        media=media,
        quoted=quoted,
        metrics=counts(view, ("likeCount", "repostCount", "replyCount", "quoteCount")),
        details={k: v for k, v in details.items() if v},
    )


def _embed(embed: dict | None, details: dict) -> tuple[list[MediaRef], Post | None, str | None]:
    """The media, quoted post and quoted id an embed view shows; link cards go into details."""
    if not isinstance(embed, dict):
        return [], None, None
    kind = embed.get("$type", "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        media, _, _ = _embed(embed.get("media"), details)
        # Its record is an app.bsky.embed.record#view, which wraps the quoted record.
        quoted, quote_of = _quoted((embed.get("record") or {}).get("record") or {}, details)
        return media, quoted, quote_of
    if kind.startswith("app.bsky.embed.images"):
        return [_image(i) for i in embed.get("images") or [] if i.get("fullsize")], None, None
    if kind.startswith("app.bsky.embed.video"):
        ratio = embed.get("aspectRatio") or {}
        refs = []
        if embed.get("playlist"):
            refs.append(
                MediaRef(url=embed["playlist"], type="playlist", alt_text=embed.get("alt"),
                         width=ratio.get("width"), height=ratio.get("height"))
            )  # fmt: skip
        if embed.get("thumbnail"):
            refs.append(MediaRef(url=embed["thumbnail"], type="poster"))
        return refs, None, None
    if kind.startswith("app.bsky.embed.external"):
        external = embed.get("external") or {}
        details["card"] = {k: external.get(k) for k in ("uri", "title", "description")}
        thumb = external.get("thumb")
        return ([MediaRef(url=thumb, type="card")] if thumb else []), None, None
    if kind.startswith("app.bsky.embed.record"):
        return [], *_quoted(embed.get("record") or {}, details)
    return [], None, None


def _quoted(record: dict, details: dict) -> tuple[Post | None, str | None]:
    kind = record.get("$type", "")
    quote_of = _db_id(record.get("uri"))
    if kind.endswith("#viewRecord") and quote_of:
        quoted = parse_post_view(record)
        quoted.source = "appview (quoted)"
        return quoted, quoted.db_id
    if kind.endswith(("#viewNotFound", "#viewBlocked", "#viewDetached")):
        # The quoted post is gone or hidden; which one it was is still worth keeping.
        details["quote_state"] = kind.rsplit("#view", 1)[-1].lower()
    elif record.get("uri") and not quote_of:
        details["embedded_record"] = record.get("uri")  # a feed, list or starter pack
    return None, quote_of


def _image(image: dict) -> MediaRef:
    ratio = image.get("aspectRatio") or {}
    return MediaRef(
        url=image["fullsize"], type="photo", alt_text=image.get("alt") or None,
        width=ratio.get("width"), height=ratio.get("height"),
    )  # fmt: skip


def _facet_links(record: dict) -> list[str]:
    """The full URLs behind the post's links (its text shows them shortened)."""
    links = []
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if feature.get("$type", "").endswith("#link") and feature.get("uri"):
                links.append(feature["uri"])
    return links


def _gone(ref: PostRef, answer: Answer, status: str, reason: str) -> Post:
    return gone_post(
        ref, status, reason, source="appview", raw=answer.text, http_status=answer.status
    )


def _db_id(uri: str | None) -> str | None:
    post_id = at_uri_id(uri)
    return post_db_id(NAME, post_id) if post_id else None


def _first(items):
    return items[0] if isinstance(items, list) and items else None


def _stored_alias(ref: PostRef) -> StoredAlias | None:
    """A post linked by handle is archived under its author's DID, which only the AppView
    knows: the archived post by that handle with that record key."""
    if not ref.handle:
        return None
    return StoredAlias(NAME, ref.handle.lower(), "/" + ref.post_id.split("/", 1)[1])


def _read_blockquote(tag: Tag, base_url: str | None) -> Embed:
    copy = signed_copy(tag, PLATFORM.parse_url)
    ref = PLATFORM.parse_url(tag.get("data-bluesky-uri") or "") or PLATFORM.parse_url(
        copy.post_url or ""
    )
    return embed_of(ref, "blockquote", copy, platform=NAME)


PLATFORM = Platform(
    name=NAME,
    label="Bluesky",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("bsky.app",),
    media_hosts=("cdn.bsky.app", "video.bsky.app"),
    markup=(MarkupCode("blockquote", "bluesky-embed", _read_blockquote),),
    stored_alias=_stored_alias,
    accepts=(
        UrlCase(
            "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k44deefqdk2g",
            "did:plc:z72i7hdynmk6r22z27h6tvur/3k44deefqdk2g",
            "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3k44deefqdk2g",
        ),
        UrlCase(
            "https://bsky.app/profile/StephenKing.bsky.social/post/3mddvy5bv6k27",
            "stephenking.bsky.social/3mddvy5bv6k27",
            "https://bsky.app/profile/stephenking.bsky.social/post/3mddvy5bv6k27",
        ),
        UrlCase(
            "https://embed.bsky.app/embed/did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k44deefqdk2g",
            "did:plc:z72i7hdynmk6r22z27h6tvur/3k44deefqdk2g",
            "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3k44deefqdk2g",
        ),
    ),
    rejects=(
        "https://bsky.app/profile/stephenking.bsky.social",
        "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.like/3k44deefqdk2g",
    ),
)
