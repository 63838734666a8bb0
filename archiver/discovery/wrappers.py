"""Embed codes as publishers' systems leave them: stripped of their class, kept in a wrapper's
data attribute, or reduced to the post's URL inside an embed block.

- A `<blockquote>` whose class a sanitiser removed still shows the post and ends with the link
  to it, whose text is the post's date (X, Instagram and Facebook all sign their copy so), or
  names the post in its `cite`.
- Page builders, lazy loaders and editors keep the post's URL in an attribute of a wrapper
  (`<div class="embed" data-url="...">`, CKEditor's `<oembed url="...">`, a custom element's
  attribute, an Elementor widget's `data-settings` JSON).
- A WordPress embed block whose oEmbed failed shows the bare URL inside
  `<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">`.

These are "weak" codes: the wrapper may also hold the platform's own embed code, so the
walk goes on inside it, and the copies of one post are merged (see `embeds._deduplicate`).
"""

from __future__ import annotations

import json
import re

from bs4 import Tag

from archiver.models import Embed
from archiver.platforms import PLATFORMS, identify, platform_named
from archiver.platforms.base import Platform, PostRef
from archiver.platforms.embed_copy import (
    ArticleCopy,
    absolute_url,
    embed_of,
    links_of,
    visible_text,
)

# Elements whose attributes name other things than an embedded post: a link is running text
# or a share button; images, scripts and forms are not embeds.
_NOT_WRAPPERS = {
    "area", "link", "meta", "base", "img", "source", "picture", "script", "style",
    "form", "input", "button", "video", "audio", "track", "html", "head", "body",
}  # fmt: skip
# Words an embed's wrapper, or the attribute it keeps the post's URL in, is named with.
_EMBED_WORDS = (
    "embed", "social", "player", "lazy", "consent", "cookie", "post", "media", "video",
    *sorted({w.lower() for p in PLATFORMS for w in (p.name, p.label, *p.embed_words) if len(w) > 2}),
)  # fmt: skip
# A platform as a wrapper's class or id names it: its name, label or own words, whole.
_PLATFORM_NAMES = [
    (p, {w.lower() for w in (p.name, p.label, *p.embed_words) if len(w) > 2}) for p in PLATFORMS
]
_ID_NAME = re.compile(r"(?:^|-)(?:id|video-?id|embed|embed-?id|post-?id|shortcode|tweet)$", re.I)
# A lazy loader's or consent tool's placeholder says so (a feed or a profile widget does not).
_LOADER = re.compile(r"embed|player|lazy|lite|consent|placeholder|facade", re.I)
_ID_VALUE = re.compile(r"[A-Za-z0-9_-]{4,40}")
_BUTTONS = re.compile(r"share|sharing|follow|like-?button|fb-like|social-icon", re.I)
# A date as embed codes sign a post: a year, and few words beside it ("Tuesday, June 27, 2017",
# "Feb 12, 2016 at 9:01am PST", "3. August 2024"), not a caption that happens to hold one.
_YEAR = re.compile(r"(?:19|20)\d\d")
_WORD = re.compile(r"[^\W\d_]+")
_MOST_DATE_WORDS = 4
_LONGEST_DATE = 60
_LONGEST_URL_TEXT = 500
_URL_IN_JSON = re.compile(r"https?:(?:\\?/){2}[^\s\"'<>\\]+(?:\\/[^\s\"'<>\\]*)*", re.I)


def quoted_post(tag: Tag, base_url: str | None) -> Embed | None:
    """A class-less <blockquote> that is a post's embed code: it links the post with the
    post's date as the link's text (or a <time> beside it), or names the post in `cite`."""
    ref = _cited(tag, base_url) or _dated_link(tag, base_url)
    platform = platform_named(ref.platform) if ref else None
    if ref is None or platform is None or not platform.markup:
        return None  # only platforms whose embed code is markup sign a copy of the post so
    for code in platform.markup:
        if code.tag == "blockquote":
            embed = code.read(tag, base_url)
            if embed is not None and embed.post_id == ref.post_id:
                return embed
    anchors = tag.find_all("a", href=True)
    copy = ArticleCopy(text=visible_text(tag), links=links_of(anchors))
    return embed_of(ref, "blockquote", copy)


def _cited(tag: Tag, base_url: str | None) -> PostRef | None:
    cite = tag.get("cite")
    return identify(absolute_url(cite.strip(), base_url)) if isinstance(cite, str) else None


def _dated_link(tag: Tag, base_url: str | None) -> PostRef | None:
    for anchor in reversed(tag.find_all("a", href=True)):
        ref = identify(absolute_url(anchor["href"], base_url))
        if ref is None:
            continue
        if (
            _is_date(visible_text(anchor) or "")
            or anchor.find("time") is not None
            or _time_beside(anchor)
        ):
            return ref
    return None


def _is_date(shown: str) -> bool:
    return (
        len(shown) <= _LONGEST_DATE
        and bool(_YEAR.search(shown))
        and len(_WORD.findall(shown)) <= _MOST_DATE_WORDS
    )


def _time_beside(anchor: Tag) -> bool:
    sibling = anchor.find_next_sibling()
    return sibling is not None and sibling.name == "time"


def wrapped_post(tag: Tag, base_url: str | None) -> Embed | None:
    """The post a wrapper names in an attribute, or as the whole text of an embed block; or
    the post an embed service's link names (`<a class="embedly-card" href="...">`)."""
    classes = [token.lower() for token in tag.get("class") or []]
    if _BUTTONS.search(tag.name) or any(_BUTTONS.search(token) for token in classes):
        return None  # share, like and follow buttons name the article, or the post they share
    if tag.name == "a":
        return _embed_link(tag, classes, base_url)
    if tag.name in _NOT_WRAPPERS:
        return None
    custom = "-" in tag.name or tag.name == "oembed"
    # A post URL in a data attribute is an embed where the element says it embeds (its
    # class or id, or the attribute's name); a "related videos" list's items do not.
    marked = custom or _says_embed(" ".join([*classes, str(tag.get("id") or "")]))
    for name, value in tag.attrs.items():
        if not isinstance(value, str) or not (custom or name.startswith("data-")):
            continue
        if not (marked or _says_embed(name)):
            continue
        ref = _attribute_post(value, base_url)
        if ref is not None:
            return embed_of(ref, "data-attribute", ArticleCopy())
    names = " ".join([*classes, str(tag.get("id") or "")])
    named = _platform_named(names) if _LOADER.search(names) else None
    if named is not None and (ref := _id_attribute_post(tag, named)) is not None:
        return embed_of(ref, "data-attribute", ArticleCopy())
    if any("embed" in token for token in classes):
        return _url_block(tag, base_url)
    return None


def _platform_named(words: str) -> Platform | None:
    """The platform a wrapper's class or id names (`rll-youtube-player`, `lazy-tweet`)."""
    tokens = set(re.split(r"[^a-z0-9]+", words.lower()))
    return next((p for p, names in _PLATFORM_NAMES if tokens & names), None)


def _id_attribute_post(tag: Tag, platform: Platform) -> PostRef | None:
    """A lazy loader's placeholder that keeps only the post's id (`<div class="rll-youtube-player"
    data-id="...">`): the id, in the platform's canonical URL, must give that post back."""
    for name, value in tag.attrs.items():
        if not (name.startswith("data-") and _ID_NAME.search(name)) or not isinstance(value, str):
            continue
        value = value.strip()
        if not _ID_VALUE.fullmatch(value):
            continue
        try:
            ref = platform.parse_url(platform.canonical_url(value))
        except (TypeError, ValueError):
            continue
        if ref is not None and ref.post_id == value:
            return ref
    return None


def _embed_link(tag: Tag, classes: list[str], base_url: str | None) -> Embed | None:
    """A link an embed service's script turns into the post (Embedly's `embedly-card`,
    Iframely's `data-iframely-url`); any other link is running text, never an embed."""
    marked = any("embed" in token for token in classes) or any(
        "iframely" in name or "embed" in name for name in tag.attrs
    )
    href = tag.get("href")
    if not marked or not isinstance(href, str):
        return None
    ref = identify(absolute_url(href.strip(), base_url))
    return embed_of(ref, "link", ArticleCopy(links=[href])) if ref else None


def _says_embed(words: str) -> bool:
    words = words.lower()
    return any(word in words for word in _EMBED_WORDS)


def _attribute_post(value: str, base_url: str | None) -> PostRef | None:
    value = value.strip()
    if value.startswith(("http://", "https://", "//")) and len(value) < 2_000:
        return identify(absolute_url(value, base_url))
    if value.startswith("{") and len(value) < 100_000:
        # A page builder's settings: {"youtube_url":"https:\/\/www.youtube.com\/watch?v=..."}
        for m in _URL_IN_JSON.finditer(value):
            try:
                url = json.loads(f'"{m.group()}"')
            except ValueError:
                continue
            ref = identify(url)
            if ref is not None:
                return ref
    return None


def _url_block(tag: Tag, base_url: str | None) -> Embed | None:
    """<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">https://...</div>"""
    if tag.find(["blockquote", "iframe", "p", "img"]) is not None:
        return None  # the block shows something else than a bare URL
    text = (tag.get_text(" ", strip=True) or "").strip()
    if not text or len(text) > _LONGEST_URL_TEXT or any(c.isspace() for c in text):
        return None
    ref = identify(absolute_url(text, base_url))
    return embed_of(ref, "wrapper", ArticleCopy()) if ref else None
