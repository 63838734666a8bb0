"""Reddit: recognise post and comment permalinks (and the embed widget's URLs)."""

from __future__ import annotations

import re

from .base import PostRef, match_url

NAME = "reddit"

_HOSTS = (
    r"(?:(?:www|old|new|np|m|sh|embed)\.)?reddit\.com"
    r"|(?:www\.)?redditmedia\.com"
)
_ID = r"[a-z0-9]{2,13}"
URL_PATTERNS = [
    re.compile(
        rf"^(?:https?://)?(?:{_HOSTS})/(?:r/(?P<sub>[A-Za-z0-9_]{{2,21}})/|(?:u|user)/[A-Za-z0-9_-]+/)?"
        rf"comments/(?P<id>{_ID})(?:/[^/?#]*(?:/(?P<comment>{_ID}))?)?/?(?:[?#]|$)",
        re.I,
    ),
    re.compile(rf"^(?:https?://)?redd\.it/(?P<id>{_ID})/?(?:[?#]|$)", re.I),
]


def parse_url(url: str) -> PostRef | None:
    """A post's `reddit:<id>` identity; a comment's is `<post id>/<comment id>`."""
    m = match_url(URL_PATTERNS, url)
    if not m:
        return None
    groups = m.groupdict()
    post_id = m.group("id").lower()
    if groups.get("comment"):
        post_id += "/" + groups["comment"].lower()
    return PostRef(platform=NAME, post_id=post_id, url=canonical_url(post_id, groups.get("sub")))


def canonical_url(post_id: str, subreddit: str | None = None) -> str:
    thread, _, comment = post_id.partition("/")
    base = f"https://www.reddit.com/r/{subreddit}" if subreddit else "https://www.reddit.com"
    return f"{base}/comments/{thread}/" + (f"comment/{comment}/" if comment else "")
