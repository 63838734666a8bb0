"""Bluesky: recognise post URLs (bsky.app pages, embed iframes, at:// URIs)."""

from __future__ import annotations

import re

from .base import PostRef, match_url

NAME = "bluesky"

# An actor is a handle (alice.bsky.social) or a DID (did:plc:...); a record key is base32-ish.
_ACTOR = r"(?P<actor>did:[a-z0-9]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
_RKEY = r"(?P<rkey>[A-Za-z0-9._~:-]{1,512})"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?(?:www\.)?bsky\.app/profile/{_ACTOR}/post/{_RKEY}(?:[/?#]|$)", re.I
    ),
    re.compile(
        rf"^(?:https?://)?embed\.bsky\.app/embed/{_ACTOR}/app\.bsky\.feed\.post/{_RKEY}(?:[/?#]|$)",
        re.I,
    ),
    re.compile(rf"^at://{_ACTOR}/app\.bsky\.feed\.post/{_RKEY}$", re.I),
]


def parse_url(url: str) -> PostRef | None:
    """A post's `bluesky:<actor>/<rkey>` identity; the actor stays as the URL names it."""
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    actor, rkey = m.group("actor"), m.group("rkey")
    # A record key is unique only within its repository, so the id carries the actor.
    post_id = f"{actor}/{rkey}"
    handle = None if actor.startswith("did:") else actor
    return PostRef(platform=NAME, post_id=post_id, url=canonical_url(post_id), handle=handle)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    actor, rkey = post_id.split("/", 1)
    return f"https://bsky.app/profile/{handle or actor}/post/{rkey}"
