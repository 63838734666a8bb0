"""SoundCloud: track URLs (soundcloud.com/<artist>/<track>), via oEmbed and the track page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import Platform, PostRef, UrlCase, WidgetCode
from archiver.platforms.oembed import oembed_post

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "soundcloud"

_NAME = r"[A-Za-z0-9_-]{1,100}"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?(?:www\.|m\.)?soundcloud\.com/(?P<user>{_NAME})/(?P<track>{_NAME})/?(?:[?#]|$)",
        re.I | re.ASCII,
    ),
)

# Second path segments that are an artist's pages, not a track.
_NOT_TRACKS = {
    "sets", "likes", "tracks", "albums", "reposts", "followers", "following", "comments",
    "popular-tracks", "spotlight", "stations", "you", "discover", "search", "upload",
}  # fmt: skip
_NOT_USERS = {"discover", "search", "stream", "you", "upload", "pages", "charts", "jobs", "imprint"}


def _read_match(m: re.Match) -> PostRef | None:
    """A track's `soundcloud:<artist>/<track>` identity (track names repeat across artists)."""
    user, track = m.group("user").lower(), m.group("track").lower()
    if user in _NOT_USERS or track in _NOT_TRACKS:
        return None
    post_id = f"{user}/{track}"
    return PostRef(platform=NAME, post_id=post_id, url=canonical_url(post_id), handle=user)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    return f"https://soundcloud.com/{post_id}"


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """Title, artist, description and artwork from oEmbed; the page's card too."""
    return oembed_post(
        ref, fetcher, name=NAME, label="SoundCloud", endpoint="https://soundcloud.com/oembed"
    )


PLATFORM = Platform(
    name=NAME,
    label="SoundCloud",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("soundcloud.com",),
    media_hosts=("sndcdn.com",),
    # AMP names a track by its number, which no public URL of ours resolves: kept unresolved.
    widgets=(WidgetCode("amp-soundcloud", "data-trackid"),),
    accepts=(
        UrlCase(
            "https://m.soundcloud.com/ZedsDead/lost-you?in=x",
            "zedsdead/lost-you",
            "https://soundcloud.com/zedsdead/lost-you",
        ),
    ),
    rejects=(
        "https://soundcloud.com/zedsdead/sets",
        "https://soundcloud.com/discover/sets/x",
        "https://soundcloud.com/zedsdead",
    ),
)
