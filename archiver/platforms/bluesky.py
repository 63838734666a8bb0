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
    WidgetCode,
    counts,
    describe_status,
    fetch_answer,
    gone_post,
    iso_utc,
)
from archiver.platforms.embed_copy import embed_of, signed_copy
from archiver.platforms.shapes import integer, items, obj, short_text, text

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "bluesky"

# An actor is a handle (alice.bsky.social) or a DID (did:plc:...); a record key is base32-ish.
_ACTOR = r"(?P<actor>did:[a-z0-9]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
_RKEY = r"(?P<rkey>[A-Za-z0-9._~:-]{1,512})"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?(?:www\.)?bsky\.app/profile/{_ACTOR}/post/{_RKEY}(?:[/?#]|$)",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?embed\.bsky\.app/embed/{_ACTOR}/app\.bsky\.feed\.post/{_RKEY}(?:[/?#]|$)",
        re.I | re.ASCII,
    ),
    re.compile(rf"^at://{_ACTOR}/app\.bsky\.feed\.post/{_RKEY}$", re.I | re.ASCII),
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
    m = re.match(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/?#]+)$", short_text(uri) or "")
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
        if obj(data).get("error") == "NotFound":
            return _gone(canonical, answer, POST_DELETED, describe_status(answer, "Bluesky"))
        raise FetchError(
            describe_status(answer, "Bluesky's AppView"), url=ref.url, status=answer.status
        )
    thread = obj(data).get("thread")
    if not isinstance(thread, dict):
        raise ParseError(f"Bluesky's getPostThread answer for {uri} has no thread")
    kind = short_text(thread.get("$type")) or ""
    if kind.endswith("#notFoundPost") or thread.get("notFound"):
        return _gone(
            canonical, answer, POST_DELETED, "Bluesky says the post was not found (deleted)"
        )
    if kind.endswith("#blockedPost") or thread.get("blocked"):
        return _gone(canonical, answer, POST_UNAVAILABLE, "Bluesky shows the post as blocked")
    view = obj(thread.get("post"))
    if view.get("uri") != uri:
        raise ParseError(f"Bluesky answered for {short_text(view.get('uri'))} when asked for {uri}")
    post = parse_post_view(view, raw=answer.text)
    post.http_status = answer.status
    return post


def resolve_handle(handle: str, fetcher: Fetcher) -> str:
    """The DID a handle names now; UnavailableError when it names no account."""
    answer = fetch_answer(
        fetcher, f"{APPVIEW}/com.atproto.identity.resolveHandle?handle={quote(handle)}"
    )
    data = answer.json()
    if answer.ok and (short_text(obj(data).get("did")) or "").startswith("did:"):
        return data["did"]
    if answer.status == 400:
        raise UnavailableError(
            f"{describe_status(answer, 'Bluesky')} (the handle {handle} names no account now:"
            " deleted, or the handle changed)"
        )
    raise FetchError(describe_status(answer, "Bluesky's resolveHandle"), status=answer.status)


def parse_post_view(view: dict, raw: str | None = None) -> Post:
    """An app.bsky.feed.defs#postView (or an embed's #viewRecord) as a Post."""
    record = obj(view.get("record") or view.get("value"))
    author = obj(view.get("author"))
    post_id = at_uri_id(view.get("uri"))
    if post_id is None:
        raise ParseError(f"not a Bluesky post: {short_text(view.get('uri'))}")
    handle = short_text(author.get("handle"))
    details: dict = {"cid": short_text(view.get("cid"))}
    media, quoted, quote_of = _embed(view.get("embed") or _first(view.get("embeds")), details)
    links = _facet_links(record)
    if links:
        details["links"] = links
    _labels(view, author, details)
    parent = obj(obj(record.get("reply")).get("parent")).get("uri")
    return Post(
        platform=NAME,
        post_id=post_id,
        url=canonical_url(post_id, handle),
        author_handle=handle,
        author_name=short_text(author.get("displayName")) or None,
        author_id=short_text(author.get("did")),
        text=text(record.get("text")),
        created_at=iso_utc(record.get("createdAt")),
        lang=short_text(_first(record.get("langs"))),
        reply_to=_db_id(parent),
        quote_of=quote_of,
        raw=raw if raw is not None else json.dumps(view, ensure_ascii=False),
        source="appview",
        media=media,
        quoted=quoted,
        metrics=counts(view, ("likeCount", "repostCount", "replyCount", "quoteCount")),
        details={k: v for k, v in details.items() if v},
    )


# The self-label an author sets to ask Bluesky's apps and site not to show them to
# logged-out readers (the AppView still serves their posts to anyone who asks).
NO_UNAUTHENTICATED = "!no-unauthenticated"


def _labels(view: dict, author: dict, details: dict) -> None:
    """The post's labels and its author's account labels; the author's own request not to be
    shown logged out becomes a notice the post page shows."""
    if labels := [
        val for label in items(view.get("labels")) if (val := short_text(label.get("val")))
    ]:
        details["labels"] = labels
    did = short_text(author.get("did"))
    own = [
        val
        for label in items(author.get("labels"))
        if label.get("src") in (None, did) and (val := short_text(label.get("val")))
    ]
    if own:
        details["author_labels"] = own
    if NO_UNAUTHENTICATED in own or NO_UNAUTHENTICATED in details.get("labels", []):
        details["notices"] = [
            f"The author asked Bluesky not to show their posts to logged-out readers"
            f" (self-label {NO_UNAUTHENTICATED}). The archive keeps the post as served;"
            " mind who you show it to."
        ]


def _embed(embed: dict | None, details: dict) -> tuple[list[MediaRef], Post | None, str | None]:
    """The media, quoted post and quoted id an embed view shows; link cards go into details."""
    if not isinstance(embed, dict):
        return [], None, None
    kind = short_text(embed.get("$type")) or ""
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        media, _, _ = _embed(embed.get("media"), details)
        # Its record is an app.bsky.embed.record#view, which wraps the quoted record.
        quoted, quote_of = _quoted(obj(obj(embed.get("record")).get("record")), details)
        return media, quoted, quote_of
    if kind.startswith("app.bsky.embed.images"):
        return [_image(i) for i in items(embed.get("images")) if i.get("fullsize")], None, None
    if kind.startswith("app.bsky.embed.video"):
        ratio = obj(embed.get("aspectRatio"))
        refs = []
        if embed.get("playlist"):
            refs.append(
                MediaRef(url=embed["playlist"], type="playlist", alt_text=text(embed.get("alt")),
                         width=integer(ratio.get("width")), height=integer(ratio.get("height")))
            )  # fmt: skip
        if embed.get("thumbnail"):
            refs.append(MediaRef(url=embed["thumbnail"], type="poster"))
        return refs, None, None
    if kind.startswith("app.bsky.embed.external"):
        external = obj(embed.get("external"))
        details["card"] = {k: text(external.get(k)) for k in ("uri", "title", "description")}
        thumb = external.get("thumb")
        return ([MediaRef(url=thumb, type="card")] if thumb else []), None, None
    if kind.startswith("app.bsky.embed.record"):
        return [], *_quoted(obj(embed.get("record")), details)
    return [], None, None


def _quoted(record: dict, details: dict) -> tuple[Post | None, str | None]:
    kind = short_text(record.get("$type")) or ""
    quote_of = _db_id(record.get("uri"))
    if kind.endswith("#viewRecord") and quote_of:
        quoted = parse_post_view(record)
        quoted.source = "appview (quoted)"
        return quoted, quoted.db_id
    if kind.endswith(("#viewNotFound", "#viewBlocked", "#viewDetached")):
        # The quoted post is gone or hidden; which one it was is still worth keeping.
        details["quote_state"] = kind.rsplit("#view", 1)[-1].lower()
    elif short_text(record.get("uri")) and not quote_of:
        details["embedded_record"] = record["uri"]  # a feed, list or starter pack
    return None, quote_of


def _image(image: dict) -> MediaRef:
    ratio = obj(image.get("aspectRatio"))
    return MediaRef(
        url=image["fullsize"], type="photo", alt_text=text(image.get("alt")) or None,
        width=integer(ratio.get("width")), height=integer(ratio.get("height")),
    )  # fmt: skip


def _facet_links(record: dict) -> list[str]:
    """The full URLs behind the post's links (its text shows them shortened)."""
    links = []
    for facet in items(record.get("facets")):
        for feature in items(facet.get("features")):
            if (short_text(feature.get("$type")) or "").endswith("#link") and text(
                feature.get("uri")
            ):
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
    # embed.js's attribute, on whatever element a CMS turned the blockquote into.
    widgets=(WidgetCode("*", "data-bluesky-uri"),),
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
