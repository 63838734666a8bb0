"""Truth Social: posts on truthsocial.com, a Mastodon fork, from its Mastodon-compatible API.

Post URLs are truthsocial.com/@<handle>/posts/<id>; the API names a post
/@<handle>/<id>, and the embed code is an iframe of /@<handle>/<id>/embed. The
status comes from /api/v1/statuses/<id> and is read as Mastodon's. Truth Social
is one site, so a post's id is its status id alone. Its quotes differ from
Mastodon's: `quote` is the quoted status itself, `quote_id` its id.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from archiver.models import POST_OK, Post
from archiver.platforms.base import Platform, PostRef, UrlCase
from archiver.platforms.mastodon import StatusNaming, fetch_status, parse_status
from archiver.platforms.shapes import ident, obj

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "truthsocial"
HOST = "truthsocial.com"

_SITE = r"^(?:https?://)?(?:www\.)?truthsocial\.com"
_HANDLE = r"(?P<handle>[A-Za-z0-9_]{1,30})"
_ID = r"(?P<id>\d{6,20})"
URL_PATTERNS = (
    re.compile(rf"{_SITE}/@{_HANDLE}/(?:posts/)?{_ID}(?:/embed)?/?(?:[?#]|$)", re.I | re.ASCII),
    re.compile(rf"{_SITE}/users/{_HANDLE}/statuses/{_ID}/?(?:[?#]|$)", re.I | re.ASCII),
)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """The post's page; without a handle, the API's address of the status (the site has no other)."""
    if handle:
        return f"https://{HOST}/@{handle}/posts/{post_id}"
    return f"https://{HOST}/api/v1/statuses/{post_id}"


NAMING = StatusNaming(
    platform=NAME,
    post_id=lambda host, status_id: status_id,
    url=canonical_url,
    served_url=lambda post_id, acct: f"https://{HOST}/@{acct}/{post_id}",
)


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The status from the API, with the post it quotes; a 404 or 410 is recorded as deleted."""
    post = fetch_status(ref, fetcher, host=HOST, status_id=ref.post_id, naming=NAMING)
    if post.status == POST_OK and post.quote_of is None and post.raw:
        add_quote(post, obj(json.loads(post.raw)))
    return post


def add_quote(post: Post, data: dict) -> None:
    """The quoted post, as Truth Social serves it inside the quoting one (or only its id)."""
    quoted = obj(data.get("quote"))
    if ident(quoted.get("id")):
        post.quoted = parse_status(quoted, HOST, naming=NAMING)
        post.quoted.source = "api (quoted)"
        post.quote_of = post.quoted.db_id
    elif quote_id := ident(data.get("quote_id")):
        post.quote_of = NAMING.db_id(HOST, quote_id)


PLATFORM = Platform(
    name=NAME,
    label="Truth Social",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    hosts=(HOST,),
    media_hosts=("static-assets-1.truthsocial.com",),
    accepts=(
        UrlCase(
            "https://truthsocial.com/@realDonaldTrump/posts/113154513611419835",
            "113154513611419835",
            "https://truthsocial.com/@realDonaldTrump/posts/113154513611419835",
        ),
        UrlCase(
            "https://truthsocial.com/@TruthSports/113154381896339455/embed",
            "113154381896339455",
            "https://truthsocial.com/@TruthSports/posts/113154381896339455",
        ),
        UrlCase(
            "https://truthsocial.com/users/TruthSports/statuses/113154381896339455",
            "113154381896339455",
            "https://truthsocial.com/@TruthSports/posts/113154381896339455",
        ),
    ),
    rejects=(
        "https://truthsocial.com/@realDonaldTrump",  # a profile
        "https://truthsocial.com/@realDonaldTrump/media",
        "https://truthsocial.com/web/statuses/113154513611419835",  # not Mastodon, though it looks so
        "https://truthsocial.com/@realDonaldTrump/posts/１８１９６７５８９９",  # only ASCII digits make an id
    ),
)
