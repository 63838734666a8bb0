"""Facebook: post, video and photo URLs (and the embed plugin's iframe URLs), read from the public page's card.

Facebook shows most posts only after login; to a plain client it answers with
a login page or an 'update your browser' page, which is recorded as unavailable
with that reason. When a public page does carry the post's card (og:description
is its text), that is what is kept.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from bs4 import Tag

from archiver.models import Embed, Post
from archiver.platforms.base import MarkupCode, Platform, PostRef, UrlCase, WidgetCode
from archiver.platforms.embed_copy import ArticleCopy, embed_of, links_of, visible_text
from archiver.platforms.opengraph import post_from_page

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "facebook"

_HOSTS = r"(?:(?:www|m|web|mbasic|business)\.)?facebook\.com"
# Numeric object ids, or the opaque pfbid... ids Facebook has shown since 2022.
_ID = r"(?P<id>pfbid[A-Za-z0-9]+|\d{5,25})"
_PAGE = r"(?P<page>[A-Za-z0-9.\-]+)"
_END = r"(?:[/?&#]|$)"
URL_PATTERNS = (
    # The embed plugin carries the post's own URL, percent-encoded, in its href parameter.
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/plugins/(?:post|video)\.php\?(?:.*&)?href=(?P<href>[^&#]+)",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?:groups/)?{_PAGE}/(?P<kind>posts|videos|photos|permalink)/"
        rf"(?:[^/?#]+/)?{_ID}{_END}",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?P<kind>photo)(?:\.php|/)?\?(?:.*&)?fbid={_ID}{_END}",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?:permalink|story)\.php\?(?:.*&)?story_fbid={_ID}(?:&(?:.*&)?id=(?P<owner>\d+))?",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?{_HOSTS}/(?P<kind>watch/?\?(?:.*&)?v=|video\.php\?(?:.*&)?v=|video/embed\?(?:.*&)?video_id=|reel/){_ID}{_END}",
        re.I | re.ASCII,
    ),
)


def _read_match(m: re.Match) -> PostRef | None:
    """A post's `facebook:<id>` identity (Facebook object ids are unique site-wide)."""
    groups = m.groupdict()
    if groups.get("href"):
        href = unquote(groups["href"])
        return None if URL_PATTERNS[0].match(href) else PLATFORM.parse_url(href)
    page = groups.get("page") or groups.get("owner")
    shape = (groups.get("kind") or "").lower()
    kind = (
        "video"
        if shape.startswith(("video", "watch", "reel"))
        else "photo"
        if shape.startswith("photo")
        else "post"
    )
    return PostRef(
        platform=NAME,
        post_id=m.group("id"),
        url=canonical_url(m.group("id"), page, kind),
        handle=page,
    )


def canonical_url(post_id: str, handle: str | None = None, kind: str = "post") -> str:
    """The URL Facebook opens the post at; `kind` is post, video or photo."""
    if kind == "photo":
        return f"https://www.facebook.com/photo.php?fbid={post_id}"
    if kind == "video":
        return (
            f"https://www.facebook.com/{handle}/videos/{post_id}"
            if handle
            else f"https://www.facebook.com/watch/?v={post_id}"
        )
    return (
        f"https://www.facebook.com/{handle}/posts/{post_id}"
        if handle
        else f"https://www.facebook.com/{post_id}"
    )


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The text and image the public page's card shows; else UnavailableError (login required)."""
    return post_from_page(ref, fetcher, name=NAME, label="Facebook", interpret=read_card)


def read_card(card: dict) -> dict:
    # og:title is the page's or person's name on post pages, the text on photo pages.
    meta = card["meta"]
    text = meta.get("og:description") or meta.get("description")
    return {"text": text or card["title"], "author_name": card["title"] if text else None}


def _read_div(tag: Tag, base_url: str | None) -> Embed | None:
    ref = PLATFORM.parse_url(tag.get("data-href") or "")
    if ref is None:
        return None
    # The fallback the SDK replaces: <p>text</p><p>Posted by <a>Name</a> on <a>date</a></p>.
    paras = tag.find_all("p")
    copy = ArticleCopy(links=links_of(tag.find_all("a", href=True)))
    if len(paras) >= 2:
        byline = paras[-1].find_all("a")
        copy.text = visible_text(paras[0])
        copy.author_name = visible_text(byline[0]) if byline else None
        copy.date = visible_text(byline[-1]) if len(byline) >= 2 else None
    return embed_of(ref, "blockquote", copy)


PLATFORM = Platform(
    name=NAME,
    label="Facebook",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("facebook.com", "fb.watch"),
    media_hosts=("fbcdn.net",),
    genre="Status update",
    markup=(MarkupCode("div", "fb-post", _read_div), MarkupCode("div", "fb-video", _read_div)),
    widgets=(
        WidgetCode("amp-facebook", "data-href"),
        # XFBML, the embed code of 2011-2016: <fb:post href="...">, <fb:video href="...">.
        WidgetCode("fb:post", "href"),
        WidgetCode("fb:video", "href"),
    ),
    accepts=(
        UrlCase(
            "https://www.facebook.com/video/embed?video_id=10153231379946729",
            "10153231379946729",
            "https://www.facebook.com/watch/?v=10153231379946729",
        ),
        UrlCase(
            "https://www.facebook.com/permalink.php?story_fbid=pfbid02abc&id=100064",
            "pfbid02abc",
            "https://www.facebook.com/100064/posts/pfbid02abc",
        ),
        UrlCase(
            "https://www.facebook.com/watch/?v=1234567890",
            "1234567890",
            "https://www.facebook.com/watch/?v=1234567890",
        ),
        UrlCase(
            "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2FSPD%2Fposts%2F1234567890&width=500",
            "1234567890",
            "https://www.facebook.com/SPD/posts/1234567890",
        ),
    ),
    rejects=(
        "https://www.facebook.com/plugins/page.php?href=https%3A%2F%2Fwww.facebook.com%2FSPD",
        "https://www.facebook.com/SPD",
        "https://www.facebook.com/SPD/posts/１８１９６７５８９９",  # only ASCII digits make an id
    ),
)
