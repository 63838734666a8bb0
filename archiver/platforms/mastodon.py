"""Mastodon: recognise status URLs on any instance.

Mastodon runs on any host, so these patterns accept any host name; the hosts of
the platforms we know by name are refused so that, say, x.com/@a/1 is not
taken for a Mastodon post.
"""

from __future__ import annotations

import re

from .base import PostRef, match_url

NAME = "mastodon"

_HOST = r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
# A local account (@alice) or a remote one seen through this instance (@alice@example.org).
_USER = r"(?P<user>[A-Za-z0-9_.]+(?:@[A-Za-z0-9.-]+)?)"
_END = r"/?(?:[?#]|$)"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?{_HOST}/(?:web/)?@{_USER}/(?P<id>\d{{1,20}})(?:/embed)?{_END}", re.I
    ),
    re.compile(rf"^(?:https?://)?{_HOST}/users/{_USER}/statuses/(?P<id>\d{{1,20}}){_END}", re.I),
    re.compile(rf"^(?:https?://)?{_HOST}/web/statuses/(?P<id>\d{{1,20}}){_END}", re.I),
]

# Hosts that use /@name/<number> shapes of their own and are not Mastodon.
_OTHER_PLATFORMS = (
    "twitter.com",
    "x.com",
    "bsky.app",
    "threads.net",
    "threads.com",
    "instagram.com",
    "facebook.com",
    "tiktok.com",
    "youtube.com",
    "youtube-nocookie.com",
    "medium.com",
    "reddit.com",
    "t.me",
    "telegram.me",
    "vimeo.com",
)


def parse_url(url: str) -> PostRef | None:
    """A status's `mastodon:<host>/<id>` identity: ids are unique only within one instance."""
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    host = m.group("host").lower()
    if any(host == other or host.endswith("." + other) for other in _OTHER_PLATFORMS):
        return None
    user = m.groupdict().get("user")
    post_id = f"{host}/{m.group('id')}"
    return PostRef(platform=NAME, post_id=post_id, url=canonical_url(post_id, user), handle=user)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    host, status_id = post_id.split("/", 1)
    if handle:
        return f"https://{host}/@{handle}/{status_id}"
    return f"https://{host}/web/statuses/{status_id}"
