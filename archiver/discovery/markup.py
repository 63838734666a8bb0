"""The embed codes platforms hand out, and what each one tells about its post.

`recognise(element)` answers for one element: is this the embed code of a post
(a `blockquote.twitter-tweet`, a YouTube iframe, a `div.fb-post`, ...), and if
so, which post and what the article shows of it. Finding those elements in a
page, escaped markup included, is `archiver.embeds`' job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from archiver.models import Embed
from archiver.platforms import (
    PostRef,
    bluesky,
    facebook,
    identify,
    instagram,
    mastodon,
    reddit,
    telegram,
    threads,
    tiktok,
    vimeo,
    x,
    youtube,
)

# Attributes that hold an iframe's address: src, or the lazy loaders' own names.
_IFRAME_SOURCES = (
    "src",
    "data-src",
    "data-lazy-src",
    "data-litespeed-src",
    "data-original",
    "data-url",
)
# Whitespace as a browser collapses it (a no-break space is kept).
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")
_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "section", "h1", "h2", "h3", "h4", "h5", "h6"}
# "— Name (@handle)" under a tweet or a Bluesky post. An em or en dash is tried
# before a hyphen, so that a hyphen in the post's own text is not taken for it.
_SIGNATURES = [
    re.compile(rf"(?:^|(?<=\s)){dash}\s*(?P<name>[^\n]*?)\s*\(\s*@(?P<handle>[\w.@-]+?)\s*\)")
    for dash in ("[—–]", "-")
]
_HANDLE_IN_PARENS = re.compile(r"(?P<name>.*?)\s*\(\s*@(?P<handle>[\w.]+)\s*\)", re.S)
# Instagram's "A post shared by Name (@handle)" line, in the languages we have met.
_INSTAGRAM_SHARED_BY = re.compile(
    r"^(?:A post shared by|Ein Beitrag geteilt von|Une publication partagée par|"
    r"Una publicación compartida (?:de|por)|Un post condiviso da|Uma publicação compartilhada por|"
    r"Een bericht gedeeld door)\s*",
    re.I,
)


@dataclass
class ArticleCopy:
    """What an embed's markup itself shows of a post, before anything is fetched."""

    text: str | None = None
    author_name: str | None = None
    author_handle: str | None = None
    date: str | None = None  # as displayed, e.g. "August 3, 2024"
    links: list[str] = field(default_factory=list)  # every link in the markup, in order
    post_url: str | None = None  # canonical URL of the post the markup names

    @property
    def author(self) -> str | None:
        """'Name (@handle)' as embeds print it."""
        if self.author_handle:
            return (
                f"{self.author_name} (@{self.author_handle})"
                if self.author_name
                else f"@{self.author_handle}"
            )
        return self.author_name


def parse_twitter_blockquote(tag_or_html: Tag | str) -> ArticleCopy:
    """The article's copy of a tweet from a standard `<blockquote class="twitter-tweet">` (or its HTML)."""
    if isinstance(tag_or_html, str):
        soup = BeautifulSoup(tag_or_html, "lxml")
        tag_or_html = soup.find("blockquote") or soup
    return _signed_copy(tag_or_html, x.parse_url)


def recognise(tag: Tag, base_url: str | None = None) -> Embed | None:
    """The embedded post this element is the embed code of, or None."""
    classes = set(tag.get("class") or [])
    if tag.name == "blockquote":
        for class_name, read in _BLOCKQUOTES.items():
            if class_name in classes:
                return read(tag, base_url)
        return None
    if tag.name in ("iframe", "amp-iframe"):
        return _iframe(tag, base_url)
    if tag.name == "div" and classes & {"fb-post", "fb-video"}:
        return _facebook_div(tag, base_url)
    if tag.name == "script" and tag.get("data-telegram-post"):
        ref = telegram.parse_url("https://t.me/" + tag["data-telegram-post"].strip().strip("/"))
        return _embed(ref, "iframe", ArticleCopy()) if ref else None
    if tag.name in _WIDGET_ELEMENTS:
        return _widget_element(tag, base_url)
    return None


def x_short_links(links: list[str]) -> list[str]:
    """The t.co links among these, pic.twitter.com display links turned into the t.co they stand for."""
    found = [x.short_link_target(link) for link in links if x.is_short_link(link)]
    return list(dict.fromkeys(found))


def visible_text(node: Tag, skip: tuple[Tag, ...] = ()) -> str | None:
    """The text a reader sees in this element: whitespace collapsed, `<br>` and blocks as line breaks."""
    parts: list[str] = []

    def visit(element: Tag) -> None:
        for child in element.children:
            if any(child is skipped for skipped in skip):
                continue
            if isinstance(child, NavigableString):
                # Comments, doctypes and the like are not shown.
                if not isinstance(child, PreformattedString):
                    parts.append(_COLLAPSIBLE.sub(" ", str(child)))
            elif child.name == "br":
                parts.append("\n")
            elif child.name == "img" and "emoji" in " ".join(child.get("class") or []):
                parts.append(child.get("alt") or "")
            elif child.name not in ("script", "style", "template", "svg"):
                block = child.name in _BLOCK_TAGS
                if block:
                    parts.append("\n")
                visit(child)
                if block:
                    parts.append("\n")

    visit(node)
    text = re.sub(r"[ \t\r\f]*\n[ \t\r\f]*", "\n", "".join(parts))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text or None


def _signed_copy(tag: Tag, parse_post_url: Callable[[str], PostRef | None]) -> ArticleCopy:
    """Text in a `<p>`, then "— Name (@handle)", then a link to the post whose text is the date."""
    anchors = tag.find_all("a", href=True)
    para = tag.find("p")
    # Links inside the text are the post's own links (a quoted post, say), not the post.
    status = _last_post_link(anchors, parse_post_url, outside=para)
    if para is not None and status is None and _signature(visible_text(para) or ""):
        # Some CMSs wrap the whole embed code, signature and all, in one <p>.
        para = None
        status = _last_post_link(anchors, parse_post_url, outside=None)
    if para is not None:
        text = visible_text(para)
        signature = _signature(visible_text(tag, skip=(para,)) or "")
    else:
        rest = visible_text(tag, skip=(status,) if status else ()) or ""
        signature = _signature(rest)
        text = (rest[: signature.start()] if signature else rest).strip() or None
    ref = parse_post_url(_absolute(status["href"])) if status else None
    date = visible_text(status) if status else None
    return ArticleCopy(
        text=text,
        author_name=(signature.group("name").strip() or None) if signature else None,
        author_handle=signature.group("handle") if signature else None,
        # A status link that reads "Tweet may have been deleted" carries no date.
        date=date if date and re.search(r"\d", date) and len(date) <= 60 else None,
        links=_links(anchors),
        post_url=ref.url if ref else None,
    )


def _last_post_link(
    anchors: list[Tag], parse_post_url: Callable[[str], PostRef | None], outside: Tag | None
) -> Tag | None:
    for anchor in reversed(anchors):
        inside = outside is not None and any(parent is outside for parent in anchor.parents)
        if not inside and parse_post_url(_absolute(anchor["href"])):
            return anchor
    return None


def _signature(text: str) -> re.Match | None:
    return next((m for pattern in _SIGNATURES if (m := pattern.search(text))), None)


def _twitter(tag: Tag, base_url: str | None) -> Embed:
    copy = parse_twitter_blockquote(tag)
    embed = _embed(
        x.parse_url(copy.post_url) if copy.post_url else None, "blockquote", copy, platform=x.NAME
    )
    if embed.post_url is None:
        # Some pages strip the status link: the copy's t.co links may still lead to the post.
        shown = re.findall(r"pic\.(?:twitter|x)\.com/\w+", copy.text or "")
        embed.short_links = x_short_links(copy.links + shown)
    return embed


def _bluesky(tag: Tag, base_url: str | None) -> Embed:
    copy = _signed_copy(tag, bluesky.parse_url)
    ref = bluesky.parse_url(tag.get("data-bluesky-uri") or "") or bluesky.parse_url(
        copy.post_url or ""
    )
    return _embed(ref, "blockquote", copy, platform=bluesky.NAME)


def _instagram(tag: Tag, base_url: str | None) -> Embed:
    anchors = tag.find_all("a", href=True)
    ref = _first_ref(
        instagram.parse_url, [tag.get("data-instgrm-permalink")] + [a["href"] for a in anchors]
    )
    paras = [p for p in tag.find_all("p") if visible_text(p)]
    attribution = next((p for p in reversed(paras) if "(@" in (visible_text(p) or "")), None)
    caption = next((p for p in paras if p is not attribution), None)
    copy = ArticleCopy(text=visible_text(caption) if caption else None, links=_links(anchors))
    if attribution is not None:
        shown = _INSTAGRAM_SHARED_BY.sub("", visible_text(attribution) or "")
        m = _HANDLE_IN_PARENS.match(shown)
        if m:
            copy.author_name, copy.author_handle = (
                m.group("name").strip() or None,
                m.group("handle"),
            )
        time = attribution.find("time")
        copy.date = visible_text(time) if time else None
    return _embed(ref, "blockquote", copy, platform=instagram.NAME)


def _tiktok(tag: Tag, base_url: str | None) -> Embed:
    anchors = tag.find_all("a", href=True)
    video_id = tag.get("data-video-id")
    ref = tiktok.parse_url(tag.get("cite") or "") or (
        tiktok.parse_url(f"https://www.tiktok.com/embed/v2/{video_id}") if video_id else None
    )
    caption = tag.find("p")
    author = next((a for a in anchors if (a.get("title") or "").startswith("@")), None)
    copy = ArticleCopy(
        text=visible_text(caption) if caption else None,
        author_handle=author["title"][1:] if author else None,
        links=_links(anchors),
    )
    return _embed(ref, "blockquote", copy, platform=tiktok.NAME)


def _linked_post(tag: Tag, base_url: str | None, *, module, attribute: str | None = None) -> Embed:
    """Embed codes that show little but a link to the post (Mastodon, Threads, Reddit)."""
    anchors = tag.find_all("a", href=True)
    candidates = [tag.get(attribute) if attribute else None]
    ref = _first_ref(
        module.parse_url, candidates + [_absolute(a["href"], base_url) for a in anchors]
    )
    return _embed(ref, "blockquote", ArticleCopy(links=_links(anchors)), platform=module.NAME)


def _reddit(tag: Tag, base_url: str | None) -> Embed:
    embed = _linked_post(tag, base_url, module=reddit)
    # The card shows the post's title as its link, then "by u/name".
    anchors = tag.find_all("a", href=True)
    title = next((a for a in anchors if reddit.parse_url(_absolute(a["href"], base_url))), None)
    user = next((a for a in anchors if "/user/" in a["href"]), None)
    embed.article_text = visible_text(title) if title else None
    embed.article_author = visible_text(user) if user else None
    return embed


def _facebook_div(tag: Tag, base_url: str | None) -> Embed | None:
    ref = facebook.parse_url(tag.get("data-href") or "")
    if ref is None:
        return None
    # The fallback the SDK replaces: <p>text</p><p>Posted by <a>Name</a> on <a>date</a></p>.
    paras = tag.find_all("p")
    copy = ArticleCopy(links=_links(tag.find_all("a", href=True)))
    if len(paras) >= 2:
        byline = paras[-1].find_all("a")
        copy.text = visible_text(paras[0])
        copy.author_name = visible_text(byline[0]) if byline else None
        copy.date = visible_text(byline[-1]) if len(byline) >= 2 else None
    return _embed(ref, "blockquote", copy)


def _iframe(tag: Tag, base_url: str | None) -> Embed | None:
    for attribute in _IFRAME_SOURCES:
        value = tag.get(attribute)
        if (
            isinstance(value, str)
            and value.strip()
            and (ref := identify(_absolute(value, base_url)))
        ):
            return _embed(ref, "iframe", ArticleCopy())
    return None


def _by_id(module) -> Callable[[str], PostRef | None]:
    return lambda value: module.parse_url(module.canonical_url(value))


# Custom elements that render a post from one attribute: AMP's, X's own, lite-youtube.
_WIDGET_ELEMENTS: dict[str, tuple[str, Callable[[str], PostRef | None]]] = {
    "amp-twitter": ("data-tweetid", _by_id(x)),
    "twitter-widget": ("data-tweet-id", _by_id(x)),
    "amp-instagram": ("data-shortcode", _by_id(instagram)),
    "amp-youtube": ("data-videoid", _by_id(youtube)),
    "lite-youtube": ("videoid", _by_id(youtube)),
    "amp-vimeo": ("data-videoid", _by_id(vimeo)),
    "amp-facebook": ("data-href", facebook.parse_url),
    "amp-reddit": ("data-src", reddit.parse_url),
}


def _widget_element(tag: Tag, base_url: str | None) -> Embed | None:
    attribute, parse = _WIDGET_ELEMENTS[tag.name]
    value = (tag.get(attribute) or "").strip()
    ref = parse(value) if value else None
    return _embed(ref, "iframe", ArticleCopy()) if ref else None


_BLOCKQUOTES: dict[str, Callable[[Tag, str | None], Embed | None]] = {
    "twitter-tweet": _twitter,
    "twitter-video": _twitter,
    "instagram-media": _instagram,
    "tiktok-embed": _tiktok,
    "bluesky-embed": _bluesky,
    "mastodon-embed": partial(_linked_post, module=mastodon, attribute="data-embed-url"),
    "text-post-media": partial(_linked_post, module=threads, attribute="data-text-post-permalink"),
    "reddit-embed-bq": _reddit,
    "reddit-card": _reddit,
}


def _embed(
    ref: PostRef | None, found_by: str, copy: ArticleCopy, platform: str | None = None
) -> Embed:
    return Embed(
        platform=ref.platform if ref else platform or "",
        found_by=found_by,
        post_url=ref.url if ref else None,
        post_id=ref.post_id if ref else None,
        article_text=copy.text,
        article_author=copy.author,
        article_date=copy.date,
        article_links=copy.links,
    )


def _first_ref(
    parse: Callable[[str], PostRef | None], candidates: list[str | None]
) -> PostRef | None:
    return next((ref for c in candidates if c and (ref := parse(_absolute(c)))), None)


def _links(anchors: list[Tag]) -> list[str]:
    return list(dict.fromkeys(a["href"].strip() for a in anchors if a["href"].strip()))


def _absolute(url: str, base_url: str | None = None) -> str:
    """Protocol-relative and page-relative addresses made whole, so URL patterns can match them."""
    url = url.strip()
    if url.startswith("//"):
        return "https:" + url
    if base_url and not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
        return urljoin(base_url, url)
    return url
