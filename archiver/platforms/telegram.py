"""Telegram: public channel post URLs, read from the public embed widget's markup.

`t.me/<channel>/<id>?embed=1&mode=tme` is the page the embed widget loads; its
`tgme_widget_message` block is the same markup the `t.me/s/<channel>` channel
preview shows, so when the widget has no block the preview page is read instead.
Media URLs sit in inline `background-image:url(...)` styles (photos, thumbnails,
link previews) and `<video>`/`<audio>` sources. The raw record is the markup as served.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bs4 import BeautifulSoup, Tag

from archiver.errors import UnavailableError
from archiver.models import POST_DELETED, POST_UNAVAILABLE, MediaRef, Post
from archiver.platforms.base import (
    Platform,
    PostRef,
    UrlCase,
    WidgetCode,
    describe_status,
    fetch_answer,
    gone_post,
    html_to_text,
    iso_utc,
)
from archiver.platforms.soup import parse_html

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "telegram"

# Public channel usernames: 4-32 characters, a letter first. Private links (t.me/c/...)
# name no public post and are not matched.
URL_PATTERNS = (
    re.compile(
        r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?"
        r"(?P<channel>[A-Za-z][A-Za-z0-9_]{3,31})/(?P<id>\d{1,12})/?(?:[?#]|$)",
        re.I | re.ASCII,
    ),
)


def _read_match(m: re.Match) -> PostRef:
    """A post's `telegram:<channel>/<id>` identity (message ids repeat across channels)."""
    post_id = f"{m.group('channel')}/{m.group('id')}"
    return PostRef(
        platform=NAME, post_id=post_id, url=canonical_url(post_id), handle=m.group("channel")
    )


def canonical_url(post_id: str, handle: str | None = None) -> str:
    return f"https://t.me/{post_id}"


# -- fetching ----------------------------------------------------------------


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The post from the embed widget, else from the channel preview page."""
    tried = []
    for url, source in (
        (f"https://t.me/{ref.post_id}?embed=1&mode=tme", "widget"),
        (f"https://t.me/s/{ref.post_id}", "channel-preview"),
    ):
        answer = fetch_answer(fetcher, url)
        tried.append(describe_status(answer, url))
        if not answer.ok:
            continue
        soup = parse_html(answer.text)
        block = find_message(soup, ref.post_id)
        if block is not None:
            post = parse_message(block, raw=answer.text)
            post.source, post.http_status = source, answer.status
            return post
        error = soup.select_one(".tgme_widget_message_error")
        if error is not None:
            return _gone(ref, answer.text, error.get_text(" ", strip=True), answer.status)
    raise UnavailableError(
        "Telegram shows no public copy of this post (a private channel, or one without"
        f" a public preview): {'; '.join(tried)}"
    )


def find_message(soup: BeautifulSoup, post_id: str) -> Tag | None:
    """The message block whose data-post names this post (channel names ignore case)."""
    for block in soup.select("div.tgme_widget_message[data-post]"):
        if block["data-post"].lower() == post_id.lower():
            return block
    return None


def parse_message(block: Tag, raw: str | None = None) -> Post:
    """One `tgme_widget_message` block as a Post."""
    post_id = block["data-post"]
    channel = post_id.split("/", 1)[0]
    details: dict = {}
    owner = block.select_one(".tgme_widget_message_owner_name")
    signed = block.select_one(".tgme_widget_message_from_author")
    if signed is not None:
        details["signed_by"] = signed.get_text(strip=True)
    meta = block.select_one(".tgme_widget_message_meta")
    if meta is not None and "edited" in meta.get_text(" ", strip=True):
        details["edited"] = True
    forwarded = block.select_one(".tgme_widget_message_forwarded_from_name")
    if forwarded is not None:
        details["forwarded_from"] = {
            "name": forwarded.get_text(" ", strip=True), "url": forwarded.get("href"),
        }  # fmt: skip
    media = _media(block, details)
    reply = block.select_one("a.tgme_widget_message_reply")
    reply_ref = PLATFORM.parse_url(reply.get("href", "")) if reply is not None else None
    text = block.select_one(".tgme_widget_message_text")  # the outermost: albums nest a second
    date = block.select_one(".tgme_widget_message_date time[datetime]")
    views = block.select_one(".tgme_widget_message_views")
    return Post(
        platform=NAME,
        post_id=post_id,
        url=canonical_url(post_id),
        author_handle=channel,
        author_name=owner.get_text(" ", strip=True) if owner is not None else None,
        text=html_to_text(text.decode_contents()) if text is not None else None,
        created_at=iso_utc(date["datetime"]) if date is not None else None,
        reply_to=reply_ref.db_id if reply_ref else None,
        raw=raw if raw is not None else str(block),
        source="widget",
        media=media,
        metrics={"views": _count(views.get_text(strip=True))} if views is not None else {},
        details=details,
    )


def _media(block: Tag, details: dict) -> list[MediaRef]:
    refs: list[MediaRef] = []
    # In document order: an album mixes photos and videos.
    for node in block.select(
        "a.tgme_widget_message_photo_wrap, .tgme_widget_message_video_player,"
        " .tgme_widget_message_roundvideo_player"
    ):
        if "tgme_widget_message_photo_wrap" in node.get("class", []):
            if url := _background_url(node):
                refs.append(MediaRef(url=url, type="photo"))
        else:
            refs.extend(_video(node, details))
    for audio in block.select("audio.tgme_widget_message_voice[src]"):
        refs.append(MediaRef(url=audio["src"], type="audio"))
    sticker = block.select_one(".tgme_widget_message_sticker[data-webp]")
    if sticker is not None:
        refs.append(MediaRef(url=sticker["data-webp"], type="photo", alt_text="sticker"))
    preview = block.select_one("a.tgme_widget_message_link_preview")
    if preview is not None:
        details["card"] = {
            "url": preview.get("href"),
            **{
                key: node.get_text(" ", strip=True)
                for key, css in (("site_name", ".link_preview_site_name"), ("title", ".link_preview_title"),
                                 ("description", ".link_preview_description"))
                if (node := preview.select_one(css)) is not None
            },
        }  # fmt: skip
        image = preview.select_one(".link_preview_image, .link_preview_right_image")
        if image is not None and (url := _background_url(image)):
            refs.append(MediaRef(url=url, type="card"))
    poll = block.select_one(".tgme_widget_message_poll")
    if poll is not None:
        question = poll.select_one(".tgme_widget_message_poll_question")
        details["poll"] = {
            "question": question.get_text(" ", strip=True) if question is not None else None,
            "options": [
                o.get_text(" ", strip=True)
                for o in poll.select(".tgme_widget_message_poll_option_text")
            ],
        }
    for document in block.select(".tgme_widget_message_document_title"):
        details.setdefault("documents", []).append(document.get_text(" ", strip=True))
    return refs


def _video(player: Tag, details: dict) -> list[MediaRef]:
    """A video (or round video) player: its file when the widget serves it, and its thumbnail."""
    refs = []
    video = player.select_one("video[src]")
    if video is not None:
        refs.append(
            MediaRef(
                url=video["src"], type="video", duration_ms=_duration_ms(player.select_one("time"))
            )
        )
    else:
        label = player.select_one(".message_media_not_supported_label")
        details.setdefault("media_not_served", []).append(
            label.get_text(strip=True) if label is not None else "video not served"
        )
    thumb = player.select_one(
        ".tgme_widget_message_video_thumb, .tgme_widget_message_roundvideo_thumb"
    )
    if thumb is not None and (url := _background_url(thumb)):
        refs.append(MediaRef(url=url, type="poster"))
    return refs


def _background_url(tag: Tag) -> str | None:
    m = re.search(r"background-image:\s*url\(['\"]?([^'\")]+)['\"]?\)", tag.get("style", ""))
    if not m or m.group(1).startswith("data:"):
        return None
    url = m.group(1)
    return "https:" + url if url.startswith("//") else url


def _duration_ms(node: Tag | None) -> int | None:
    parts = node.get_text(strip=True).split(":") if node is not None else []
    if not parts or not all(re.fullmatch(r"[0-9]{1,6}", p) for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds * 1000


def _count(text: str) -> int | str:
    """'436.6K' -> 436600; Telegram rounds, so the figure is as shown, not exact."""
    m = re.fullmatch(r"([0-9]{1,15}(?:\.[0-9]{1,15})?)([KM]?)", text)
    if not m:
        return text
    scale = {"": 1, "K": 1_000, "M": 1_000_000}[m.group(2)]
    return round(float(m.group(1)) * scale)


def _gone(ref: PostRef, raw: str, message: str, http_status: int) -> Post:
    status = POST_DELETED if "not found" in message.lower() else POST_UNAVAILABLE
    return gone_post(
        ref, status, f"Telegram says: {message}", source="widget", raw=raw,
        http_status=http_status,
    )  # fmt: skip


PLATFORM = Platform(
    name=NAME,
    label="Telegram",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("t.me", "telegram.me", "telegram.dog"),
    # A video the widget does not serve: yt-dlp reads it from the channel's t.me/s/ page.
    video_by_ytdlp=lambda post: bool(post.details.get("media_not_served")),
    media_hosts=("telesco.pe",),
    # The widget script names its post in an attribute: <script data-telegram-post="durov/43">.
    widgets=(WidgetCode("script", "data-telegram-post", lambda value: "https://t.me/" + value.strip("/")),),
    accepts=(
        UrlCase("https://t.me/s/durov/43", "durov/43", "https://t.me/durov/43"),
        UrlCase("https://t.me/telegram/83?embed=1", "telegram/83", "https://t.me/telegram/83"),
    ),
    rejects=(
        "https://t.me/c/1234567/89",  # a private channel
        "https://t.me/durov/٤٣",  # only ASCII digits make an id (Arabic-Indic 43)
        "https://t.me/durov/４３",  # fullwidth 43
    ),
)  # fmt: skip
