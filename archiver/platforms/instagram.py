"""Instagram: post, reel and IGTV URLs (and their /embed pages), read from the public page's card.

Without login Instagram shows at most the post's link card: og:title
'Name on Instagram: "caption"', og:description '12K likes, 34 comments - handle
on May 29, 2021: "caption"' (older pages: 'Name (@handle) on Instagram: ...'),
og:image (a square crop) and, on some pages, JSON-LD with the full caption.
Anything else is a login wall: UnavailableError, and the article's copy is kept.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bs4 import Tag

from archiver.models import Embed, Post
from archiver.platforms.base import (
    MarkupCode,
    Platform,
    PostRef,
    UrlCase,
    WidgetCode,
    iso_utc,
    parse_display_date,
)
from archiver.platforms.embed_copy import ArticleCopy, embed_of, first_ref, links_of, visible_text
from archiver.platforms.opengraph import post_from_page
from archiver.platforms.shapes import items, obj, short_text, text

if TYPE_CHECKING:
    from archiver.fetch.client import Fetcher

NAME = "instagram"

URL_PATTERNS = (
    re.compile(
        r"^(?:https?://)?(?:www\.)?(?:instagram\.com|instagr\.am)/(?:[A-Za-z0-9_.]{1,30}/)?"
        r"(?:p|reel|reels|tv)/(?P<id>[A-Za-z0-9_-]{5,40})(?:[/?#]|$)",
        re.I | re.ASCII,
    ),
)


def _read_match(m: re.Match) -> PostRef:
    """A post's `instagram:<shortcode>` identity."""
    shortcode = m.group("id")
    return PostRef(platform=NAME, post_id=shortcode, url=canonical_url(shortcode))


def canonical_url(post_id: str, handle: str | None = None) -> str:
    # /p/<shortcode>/ opens posts, reels and IGTV alike.
    return f"https://www.instagram.com/p/{post_id}/"


def fetch_post(ref: PostRef, fetcher: Fetcher) -> Post:
    """The caption, author, date and image the public page's card shows; else UnavailableError."""
    return post_from_page(ref, fetcher, name=NAME, label="Instagram", interpret=read_card)


_QUOTED = r"[\"“](?P<text>.*)[\"”]"
_TITLE = re.compile(rf"^(?P<name>.+?) on Instagram: {_QUOTED}\s*$", re.S)
_DESCRIPTION = re.compile(
    r"^(?P<likes>[\d.,KkMm]+) likes?, (?P<comments>[\d.,KkMm]+) comments? - "
    rf"(?:(?P<name>.+?) \(@(?P<handle>[\w.]+)\) on Instagram|(?P<who>[\w.]+) on (?P<date>[A-Z][a-z]+ \d{{1,2}}, \d{{4}})): "
    rf"{_QUOTED}\.?\s*$",
    re.S | re.I,
)


def read_card(card: dict) -> dict:
    """Author, caption and date from Instagram's og:title, og:description and JSON-LD."""
    meta = card["meta"]
    fields: dict = {}
    title = _TITLE.match(meta.get("og:title") or "")
    description = _DESCRIPTION.match(meta.get("og:description") or meta.get("description") or "")
    if title:
        fields["author_name"], fields["text"] = title.group("name"), title.group("text")
    if description:
        fields["author_handle"] = description.group("handle") or description.group("who")
        fields.setdefault("author_name", description.group("name"))
        fields.setdefault("text", description.group("text"))
        fields["created_at"] = parse_display_date(description.group("date"))
        fields["metrics"] = {
            "likes": description.group("likes"),
            "comments": description.group("comments"),
        }
    ld = next((i for i in items(meta.get("json_ld")) if text(i.get("caption"))), None)
    if ld is not None:
        # The JSON-LD caption is whole; the card's is cut at about 100 characters.
        fields["text"] = ld["caption"]
        fields["created_at"] = iso_utc(ld.get("uploadDate")) or fields.get("created_at")
        alternate = (short_text(obj(ld.get("author")).get("alternateName")) or "").removeprefix("@")
        fields["author_handle"] = fields.get("author_handle") or alternate or None
    fields.setdefault("text", meta.get("og:description"))
    return fields


# -- the embed code ------------------------------------------------------------

# Its "A post shared by Name (@handle)" line, in the languages we have met.
_SHARED_BY = re.compile(
    r"^(?:A post shared by|Ein Beitrag geteilt von|Une publication partagée par|"
    r"Una publicación compartida (?:de|por)|Un post condiviso da|Uma publicação compartilhada por|"
    r"Een bericht gedeeld door)\s*",
    re.I,
)
_HANDLE_IN_PARENS = re.compile(r"(?P<name>.*?)\s*\(\s*@(?P<handle>[\w.]+)\s*\)", re.S)


def _read_blockquote(tag: Tag, base_url: str | None) -> Embed:
    anchors = tag.find_all("a", href=True)
    ref = first_ref(
        PLATFORM.parse_url, [tag.get("data-instgrm-permalink")] + [a["href"] for a in anchors]
    )
    paras = [p for p in tag.find_all("p") if visible_text(p)]
    attribution = next((p for p in reversed(paras) if "(@" in (visible_text(p) or "")), None)
    caption = next((p for p in paras if p is not attribution), None)
    copy = ArticleCopy(text=visible_text(caption) if caption else None, links=links_of(anchors))
    if attribution is not None:
        shown = _SHARED_BY.sub("", visible_text(attribution) or "")
        m = _HANDLE_IN_PARENS.match(shown)
        if m:
            copy.author_name, copy.author_handle = (
                m.group("name").strip() or None,
                m.group("handle"),
            )
        time = attribution.find("time")
        copy.date = visible_text(time) if time else None
    return embed_of(ref, "blockquote", copy, platform=NAME)


PLATFORM = Platform(
    name=NAME,
    label="Instagram",
    url_patterns=URL_PATTERNS,
    canonical_url=canonical_url,
    fetch_post=fetch_post,
    read_match=_read_match,
    hosts=("instagram.com", "instagr.am"),
    media_hosts=("cdninstagram.com", "fbcdn.net"),
    markup=(MarkupCode("blockquote", "instagram-media", _read_blockquote),),
    widgets=(
        WidgetCode("amp-instagram", "data-shortcode", canonical_url),
        # embed.js's attribute, on whatever element a CMS turned the blockquote into.
        WidgetCode("*", "data-instgrm-permalink"),
    ),
    accepts=(
        UrlCase(
            "https://www.instagram.com/reel/Ci22crtrcRL/?igsh=x",
            "Ci22crtrcRL",
            "https://www.instagram.com/p/Ci22crtrcRL/",
        ),
        UrlCase(
            "https://www.instagram.com/ladygaga/p/ySl7G9tO_q/embed/captioned/",
            "ySl7G9tO_q",
            "https://www.instagram.com/p/ySl7G9tO_q/",
        ),
    ),
    rejects=("https://www.instagram.com/ladygaga/",),
)
