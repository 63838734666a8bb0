"""Vimeo: video URLs (vimeo.com pages and the player's embed URLs), via oEmbed and the page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import Platform, PostRef, UrlCase, WidgetCode, video_when_served
from archiver.platforms.oembed import oembed_post

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "vimeo"

_ID = r"(?P<id>\d{4,12})"
# Unlisted videos need their hash in the URL: /<id>/<hash> on the site, ?h=<hash> in the player.
_HASH = r"[0-9a-f]{6,20}"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?(?:www\.)?vimeo\.com/(?:channels/[\w-]+/|groups/[\w-]+/videos/|"
        rf"(?:album|showcase)/\d+/video/)?{_ID}(?:/(?P<hash>{_HASH}))?/?(?:[?#]|$)",
        re.I | re.ASCII,
    ),
    # The Flash player of Vimeo's first embed codes: moogaloop.swf?clip_id=<id>.
    re.compile(
        rf"^(?:https?://)?(?:www\.)?vimeo\.com/moogaloop\.swf\?(?:.*&)?clip_id={_ID}(?:[&#]|$)",
        re.I | re.ASCII,
    ),
    re.compile(
        rf"^(?:https?://)?player\.vimeo\.com/video/{_ID}/?(?:\?(?:.*&)?h=(?P<hash>{_HASH}))?(?:[&?#]|$)",
        re.I | re.ASCII,
    ),
)


def _read_match(m: re.Match) -> PostRef:
    video_id = m.group("id")
    return PostRef(
        platform=NAME, post_id=video_id, url=canonical_url(video_id, m.groupdict().get("hash"))
    )


def canonical_url(post_id: str, unlisted_hash: str | None = None) -> str:
    return f"https://vimeo.com/{post_id}" + (f"/{unlisted_hash}" if unlisted_hash else "")


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """Title, author, description, upload date and thumbnail from oEmbed; the page's card too."""
    return oembed_post(
        ref, fetcher, name=NAME, label="Vimeo", endpoint="https://vimeo.com/api/oembed.json"
    )


PLATFORM = Platform(
    name=NAME,
    label="Vimeo",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("vimeo.com",),
    media_hosts=("vimeocdn.com",),
    genre="Video",
    video_by_ytdlp=video_when_served,
    widgets=(
        WidgetCode("amp-vimeo", "data-videoid", canonical_url),
        WidgetCode("lite-vimeo", "videoid", canonical_url),
    ),
    accepts=(
        UrlCase("http://vimeo.com/moogaloop.swf?clip_id=76979871&server=vimeo.com", "76979871", "https://vimeo.com/76979871"),
        UrlCase("https://vimeo.com/channels/staffpicks/76979871", "76979871", "https://vimeo.com/76979871"),
        UrlCase("https://player.vimeo.com/video/76979871?h=8272103f6e", "76979871", "https://vimeo.com/76979871/8272103f6e"),
    ),
    rejects=(
        "https://vimeo.com/channels/staffpicks",
        "https://vimeo.com/７６９７９",  # only ASCII digits make an id
    ),
)  # fmt: skip
