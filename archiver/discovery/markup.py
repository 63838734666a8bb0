"""The embed codes platforms hand out, and what each one tells about its post.

`recognise(element)` answers for one element: is this the embed code of a post,
and if so, which post and what the article shows of it. The codes are the
registered platforms' own (`Platform.markup`, `Platform.widgets`); an iframe is
an embed when its address is one of a platform's post or player URLs. Finding
those elements in a page, escaped markup included, is `archiver.discovery.embeds`' job.
"""

from __future__ import annotations

from bs4 import Tag

from archiver.models import Embed
from archiver.platforms import PLATFORMS, identify
from archiver.platforms.base import MarkupCode, Platform, WidgetCode
from archiver.platforms.embed_copy import ArticleCopy, absolute_url, embed_of

# Attributes that hold an iframe's address: src, or the lazy loaders' own names.
_IFRAME_SOURCES = (
    "src",
    "data-src",
    "data-lazy-src",
    "data-litespeed-src",
    "data-original",
    "data-url",
)
IFRAME_ELEMENTS = ("iframe", "amp-iframe")

# The registered platforms' markup codes and widget elements, by element name.
MARKUP: dict[str, list[MarkupCode]] = {}
WIDGETS: dict[str, list[tuple[WidgetCode, Platform]]] = {}
for _platform in PLATFORMS:
    for _code in _platform.markup:
        MARKUP.setdefault(_code.tag, []).append(_code)
    for _widget in _platform.widgets:
        WIDGETS.setdefault(_widget.element, []).append((_widget, _platform))


def recognise(tag: Tag, base_url: str | None = None) -> Embed | None:
    """The embedded post this element is the embed code of, or None."""
    if tag.name in IFRAME_ELEMENTS:
        return _iframe(tag, base_url)
    classes = set(tag.get("class") or [])
    for code in MARKUP.get(tag.name, ()):
        if code.css_class in classes:
            return code.read(tag, base_url)
    for widget, platform in WIDGETS.get(tag.name, ()):
        value = (tag.get(widget.attribute) or "").strip()
        if value:
            ref = platform.parse_url(widget.to_url(value) if widget.to_url else value)
            return embed_of(ref, "iframe", ArticleCopy()) if ref else None
    return None


def _iframe(tag: Tag, base_url: str | None) -> Embed | None:
    for attribute in _IFRAME_SOURCES:
        value = tag.get(attribute)
        if (
            isinstance(value, str)
            and value.strip()
            and (ref := identify(absolute_url(value, base_url)))
        ):
            return embed_of(ref, "iframe", ArticleCopy())
    return None
