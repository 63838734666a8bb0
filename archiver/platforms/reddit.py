"""Reddit: post and comment permalinks (and the embed widget's URLs), read from `<permalink>.json`.

The thread JSON is `[post listing, comment listing]`. A post's media are its
gallery items (`media_metadata`, in `gallery_data` order), its hosted image or
video (`reddit_video.fallback_url`: DASH video without its audio track, which
Reddit serves separately), or, for a link post, the preview Reddit made of the
link. A crosspost quotes its parent. Removal is recorded as a status: removed
by the author is `deleted`, removed by moderators, admins or Reddit `unavailable`;
a comment its own permalink no longer shows is `deleted`. A poll is `details["poll"]`.
Gallery items and videos Reddit has not processed yet (no file to download) are
said in `details["incomplete"]`, which makes the capture `partial`.
"""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING

from bs4 import Tag

from archiver.errors import FetchError, ParseError, UnavailableError
from archiver.models import POST_DELETED, POST_OK, POST_UNAVAILABLE, Embed, MediaRef, Post
from archiver.platforms.base import (
    MarkupCode,
    Platform,
    PostRef,
    UrlCase,
    WidgetCode,
    counts,
    describe_status,
    fetch_answer,
    gone_post,
    iso_utc,
)
from archiver.platforms.embed_copy import absolute_url, linked_post, visible_text
from archiver.platforms.shapes import integer, items, number, obj, short_text, text

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "reddit"

_HOSTS = (
    r"(?:(?:www|old|new|np|m|sh|embed)\.)?reddit\.com"
    r"|(?:www\.)?redditmedia\.com"
)
_ID = r"[a-z0-9]{2,13}"
URL_PATTERNS = (
    re.compile(
        rf"^(?:https?://)?(?:{_HOSTS})/(?:r/(?P<sub>[A-Za-z0-9_]{{2,21}})/|(?:u|user)/[A-Za-z0-9_-]+/)?"
        rf"comments/(?P<id>{_ID})(?:/[^/?#]*(?:/(?P<comment>{_ID}))?)?/?(?:[?#]|$)",
        re.I | re.ASCII,
    ),
    re.compile(rf"^(?:https?://)?redd\.it/(?P<id>{_ID})/?(?:[?#]|$)", re.I | re.ASCII),
)


def _read_match(m: re.Match) -> PostRef:
    """A post's `reddit:<id>` identity; a comment's is `<post id>/<comment id>`."""
    groups = m.groupdict()
    post_id = m.group("id").lower()
    if groups.get("comment"):
        post_id += "/" + groups["comment"].lower()
    return PostRef(platform=NAME, post_id=post_id, url=canonical_url(post_id, groups.get("sub")))


def canonical_url(post_id: str, subreddit: str | None = None) -> str:
    thread, _, comment = post_id.partition("/")
    base = f"https://www.reddit.com/r/{subreddit}" if subreddit else "https://www.reddit.com"
    return f"{base}/comments/{thread}/" + (f"comment/{comment}/" if comment else "")


# -- fetching ----------------------------------------------------------------


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The post (or comment) from its permalink's JSON; a 404 is recorded as deleted."""
    thread, _, comment = ref.post_id.partition("/")
    base = ref.url.split("/comments/", 1)[0]
    path = f"/comments/{thread}/_/{comment}" if comment else f"/comments/{thread}"
    # raw_json=1: URLs in the JSON without HTML entities (&amp;) in them.
    answer = fetch_answer(fetcher, f"{base}{path}.json?raw_json=1")
    data = answer.json()
    if answer.status == 404:
        return gone_post(
            ref, POST_DELETED, describe_status(answer, "Reddit"), source="json",
            raw=answer.text, http_status=404,
        )  # fmt: skip
    if answer.status in (401, 403, 451):
        # Private, quarantined or banned communities, and Reddit refusing the client.
        raise UnavailableError(describe_status(answer, "Reddit"))
    if not answer.ok:
        raise FetchError(describe_status(answer, "Reddit"), url=ref.url, status=answer.status)
    listings = data if isinstance(data, list) else []
    children = items(obj(obj(listings[0] if listings else None).get("data")).get("children"))
    listing = obj(children[0].get("data")) if children else {}
    if not listing:
        raise ParseError(f"Reddit's answer for {ref.url} holds no post")
    answered = (short_text(listing.get("id")) or "").lower()
    if answered != thread:
        raise ParseError(f"Reddit answered for post {answered[:40]} when asked for {thread}")
    if comment:
        post = _comment(listings, thread, comment, answer.text)
    else:
        post = parse_post(listing, raw=answer.text)
    post.http_status = answer.status
    return post


def parse_post(data: dict, raw: str | None = None) -> Post:
    """A post's `t3` data object as a Post (a crosspost carries its parent as the quoted post)."""
    post_id = (short_text(data.get("id")) or "").lower()
    if not post_id:
        raise ParseError("Reddit's post data names no id")
    author = short_text(data.get("author"))
    details = {
        key: data[key]
        for key in ("subreddit", "link_flair_text", "domain", "over_18", "spoiler", "locked",
                    "removed_by_category", "is_video", "is_gallery")
        if data.get(key) not in (None, "", False)
    }  # fmt: skip
    link = text(data.get("url_overridden_by_dest")) or text(data.get("url"))
    if link and not data.get("is_self"):
        details["link"] = _unescape(link)
    status, reason = _status(data)
    if poll := _poll(obj(data.get("poll_data"))):
        details["poll"] = poll
    media = _media(data, details)
    parents = items(data.get("crosspost_parent_list"))
    quoted = parse_post(parents[0]) if parents and short_text(parents[0].get("id")) else None
    if quoted is not None:
        quoted.source = f"json (crosspost parent of {NAME}:{post_id})"
    parent_id = (short_text(data.get("crosspost_parent")) or "").removeprefix("t3_")
    return Post(
        platform=NAME,
        post_id=post_id,
        url=canonical_url(post_id, short_text(data.get("subreddit"))),
        author_handle=author if author and author != "[deleted]" else None,
        author_id=short_text(data.get("author_fullname")),
        text="\n\n".join(t for t in (text(data.get("title")), text(data.get("selftext"))) if t)
        or None,
        created_at=iso_utc(data.get("created_utc")),
        quote_of=f"{NAME}:{parent_id}" if parent_id else (quoted.db_id if quoted else None),
        raw=raw if raw is not None else json.dumps(data, ensure_ascii=False),
        status=status,
        status_reason=reason,
        source="json",
        media=media,
        quoted=quoted,
        metrics=counts(data, ("score", "upvote_ratio", "num_comments", "num_crossposts")),
        details=details,
    )


def _media(data: dict, details: dict) -> list[MediaRef]:
    """The post's media; what Reddit lists but cannot serve yet is said in `details`."""
    if data.get("is_gallery") or data.get("gallery_data"):
        return _gallery(data, details)
    video = obj(obj(data.get("secure_media") or data.get("media")).get("reddit_video"))
    preview = _preview(data)
    duration = integer(video.get("duration"))
    if _video_processing(data, video):
        state = short_text(video.get("transcoding_status")) or "no video file yet"
        details["video"] = {"status": state}
        details["incomplete"] = (
            f"Reddit is still processing the video ({state}): no video file to keep yet"
        )
        # The preview is the video's still frame, not a link card.
        return [MediaRef(url=preview, type="poster")] if preview else []
    if fallback := text(video.get("fallback_url")):
        refs = [
            MediaRef(
                url=_unescape(fallback), type="gif" if video.get("is_gif") else "video",
                width=integer(video.get("width")), height=integer(video.get("height")),
                duration_ms=duration * 1000 if duration is not None and isinstance(video["duration"], int) else None,
            )
        ]  # fmt: skip
        return refs + ([MediaRef(url=preview, type="poster")] if preview else [])
    link = _unescape(text(data.get("url_overridden_by_dest")) or text(data.get("url")) or "")
    if data.get("post_hint") == "image" or re.match(r"^https?://i\.redd\.it/", link):
        return [MediaRef(url=link, type="photo")]
    # A link post: the preview is Reddit's picture of the linked page.
    return [MediaRef(url=preview, type="card")] if preview else []


def _video_processing(data: dict, video: dict) -> bool:
    """A Reddit-hosted video Reddit has not finished transcoding: no file to download yet."""
    state = short_text(video.get("transcoding_status"))
    if state and state != "completed":
        return True
    return bool(data.get("is_video")) and not text(video.get("fallback_url")) and not _removed(data)


def _removed(data: dict) -> bool:
    """Removed or deleted: media gone with the post is its status, not media still processing."""
    return bool(data.get("removed_by_category")) or data.get("selftext") in (
        "[removed]",
        "[deleted]",
    )


def _gallery(data: dict, details: dict) -> list[MediaRef]:
    metadata = obj(data.get("media_metadata"))
    gallery = items(obj(data.get("gallery_data")).get("items"))
    listed = gallery or [{"media_id": key} for key in metadata]
    refs, waiting = [], []
    for item in listed:
        media_id = short_text(item.get("media_id"))
        meta = obj(metadata.get(media_id)) if media_id else {}
        source = obj(meta.get("s"))
        if meta.get("status") not in (None, "valid"):
            waiting.append(short_text(meta.get("status")) or "no status")
            continue
        if meta.get("e") == "AnimatedImage":
            url, kind = source.get("mp4") or source.get("gif"), "gif"
        else:
            url, kind = source.get("u"), "photo"
        if text(url):
            refs.append(
                MediaRef(url=_unescape(url), type=kind, alt_text=text(item.get("caption")) or None,
                         width=integer(source.get("x")), height=integer(source.get("y")))
            )  # fmt: skip
    if (waiting or not refs) and not _removed(data):
        details["gallery"] = {"items": len(listed), "downloadable": len(refs)}
        states = ", ".join(sorted(set(waiting))) or "no media metadata"
        details["incomplete"] = (
            f"Reddit lists {len(listed)} gallery items; {len(listed) - len(refs)} could not be"
            f" downloaded (Reddit's status for them: {states})"
            if listed
            else "Reddit marks the post as a gallery but lists no items yet (still processing)"
        )
    return refs


def _poll(poll: dict) -> dict | None:
    """A poll's options with their vote counts (Reddit shows counts once the poll has closed,
    or to those who voted) and the vote total, in the shape the other platforms use."""
    options = [
        {"title": text(o.get("text")), "votes": integer(o.get("vote_count"))}
        for o in items(poll.get("options"))
    ]
    if not options:
        return None
    ends = number(poll.get("voting_end_timestamp"))
    return {
        "options": options,
        "votes": integer(poll.get("total_vote_count")),
        "expires_at": iso_utc(ends / 1000) if ends is not None else None,
    }


def _preview(data: dict) -> str | None:
    images = items(obj(data.get("preview")).get("images"))
    source = obj(images[0].get("source")) if images else {}
    return _unescape(source["url"]) if text(source.get("url")) else None


def _status(data: dict) -> tuple[str, str | None]:
    removed = short_text(data.get("removed_by_category"))
    if removed in ("deleted", "author"):
        return POST_DELETED, "Reddit says the post was deleted by its author"
    if removed:
        return (
            POST_UNAVAILABLE,
            f"Reddit says the post was removed (removed_by_category: {removed})",
        )
    body = data.get("selftext") if "selftext" in data else data.get("body")
    if body == "[deleted]" and data.get("author") == "[deleted]":
        return POST_DELETED, "Reddit shows it as [deleted]: removed by its author"
    if body == "[removed]":
        return POST_UNAVAILABLE, "Reddit shows it as [removed]: removed by moderators"
    return POST_OK, None


def _comment(data: list, thread: str, comment: str, raw: str) -> Post:
    children = items(obj(obj(data[1]).get("data")).get("children")) if len(data) > 1 else []
    found = next(
        (
            c["data"]
            for c in children
            if (short_text(obj(c.get("data")).get("id")) or "").lower() == comment
        ),
        None,
    )
    if found is None:
        # A comment deleted with no replies under it is gone from its own permalink.
        return gone_post(
            PostRef(NAME, f"{thread}/{comment}", canonical_url(f"{thread}/{comment}")),
            POST_DELETED,
            f"Reddit's thread {thread} no longer shows comment {comment} at its permalink"
            " (deleted, with no replies left under it)",
            source="json", raw=raw,
        )  # fmt: skip
    parent = short_text(found.get("parent_id")) or ""
    status, reason = _status(found)
    author = short_text(found.get("author"))
    subreddit = short_text(found.get("subreddit"))
    return Post(
        platform=NAME, post_id=f"{thread}/{comment}",
        url=canonical_url(f"{thread}/{comment}", subreddit),
        author_handle=author if author and author != "[deleted]" else None,
        author_id=short_text(found.get("author_fullname")), text=text(found.get("body")),
        created_at=iso_utc(found.get("created_utc")),
        reply_to=f"{NAME}:{thread}/{parent[3:]}" if parent.startswith("t1_") else f"{NAME}:{thread}",
        raw=raw, status=status, status_reason=reason, source="json",
        metrics=counts(found, ("score",)),
        details={"subreddit": subreddit} if subreddit else {},
    )  # fmt: skip


def _unescape(url: str) -> str:
    # Without raw_json=1 Reddit escapes & in URLs as &amp;.
    return html.unescape(url)


def _read_card(tag: Tag, base_url: str | None) -> Embed:
    embed = linked_post(tag, base_url, parse=PLATFORM.parse_url, platform=NAME)
    # The card shows the post's title as its link, then "by u/name".
    anchors = tag.find_all("a", href=True)
    title = next(
        (a for a in anchors if PLATFORM.parse_url(absolute_url(a["href"], base_url))), None
    )
    user = next((a for a in anchors if "/user/" in a["href"]), None)
    embed.article_text = visible_text(title) if title else None
    embed.article_author = visible_text(user) if user else None
    return embed


PLATFORM = Platform(
    name=NAME,
    label="Reddit",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("reddit.com", "redditmedia.com", "redd.it"),
    media_hosts=("i.redd.it", "v.redd.it", "preview.redd.it", "external-preview.redd.it"),
    genre="Online forum post",
    # Its own fallback_url is the video without its sound; yt-dlp joins the DASH streams.
    # yt-dlp for a Reddit-hosted video (its sound is a separate stream), not one Reddit is
    # still processing: there is no file to ask for yet.
    video_by_ytdlp=lambda post: (
        post.status == POST_OK
        and bool(post.details.get("is_video"))
        and "video" not in post.details
    ),
    markup=(
        MarkupCode("blockquote", "reddit-embed-bq", _read_card),
        MarkupCode("blockquote", "reddit-card", _read_card),
    ),
    widgets=(WidgetCode("amp-reddit", "data-src"),),
    accepts=(
        UrlCase(
            "https://www.reddit.com/r/investing/comments/7pfpeq/buffett_on_cyrptocurrencies/?ref=share",
            "7pfpeq",
            "https://www.reddit.com/r/investing/comments/7pfpeq/",
        ),
        UrlCase(
            "https://old.reddit.com/r/aww/comments/7pfpeq/slug/ds2n5xk/",
            "7pfpeq/ds2n5xk",
            "https://www.reddit.com/r/aww/comments/7pfpeq/comment/ds2n5xk/",
        ),
        UrlCase("https://redd.it/151unk5", "151unk5", "https://www.reddit.com/comments/151unk5/"),
    ),
    rejects=(
        "https://www.reddit.com/r/investing/",
        # Without re.ASCII, re.I lets [a-z] match the long s and the Kelvin sign.
        "https://redd.it/151unk\u017f",
        "https://www.reddit.com/r/investing/comments/7pfpe\u212a/",
    ),
)
