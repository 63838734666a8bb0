"""What an embed code's markup itself shows of a post: the article's copy, before anything is fetched.

Shared by the platforms' embed readers (each in its platform's module) and by
discovery, which finds the embed codes in a page. Pure functions over one element.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from bs4 import NavigableString, Tag
from bs4.element import PreformattedString

from archiver.models import Embed
from archiver.platforms.base import PostRef

ParseUrl = Callable[[str], PostRef | None]

# Whitespace as a browser collapses it (a no-break space is kept).
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")
_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "section", "h1", "h2", "h3", "h4", "h5", "h6"}
# "— Name (@handle)" under a signed post. An em or en dash is tried before a
# hyphen, so that a hyphen in the post's own text is not taken for it.
_SIGNATURES = [
    re.compile(rf"(?:^|(?<=\s)){dash}\s*(?P<name>[^\n]*?)\s*\(\s*@(?P<handle>[\w.@-]+?)\s*\)")
    for dash in ("[—–]", "-")
]


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


def signed_copy(tag: Tag, parse_post_url: ParseUrl) -> ArticleCopy:
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
    ref = parse_post_url(absolute_url(status["href"])) if status else None
    date = visible_text(status) if status else None
    return ArticleCopy(
        text=text,
        author_name=(signature.group("name").strip() or None) if signature else None,
        author_handle=signature.group("handle") if signature else None,
        # A status link that reads "Tweet may have been deleted" carries no date.
        date=date if date and re.search(r"\d", date) and len(date) <= 60 else None,
        links=links_of(anchors),
        post_url=ref.url if ref else None,
    )


def _last_post_link(
    anchors: list[Tag], parse_post_url: ParseUrl, outside: Tag | None
) -> Tag | None:
    for anchor in reversed(anchors):
        inside = outside is not None and any(parent is outside for parent in anchor.parents)
        if not inside and parse_post_url(absolute_url(anchor["href"])):
            return anchor
    return None


def _signature(text: str) -> re.Match | None:
    return next((m for pattern in _SIGNATURES if (m := pattern.search(text))), None)


def linked_post(
    tag: Tag, base_url: str | None, *, parse: ParseUrl, platform: str, attribute: str | None = None
) -> Embed:
    """Embed codes that show little but a link to the post (Mastodon's, Threads', Reddit's)."""
    anchors = tag.find_all("a", href=True)
    candidates = [tag.get(attribute) if attribute else None]
    ref = first_ref(parse, candidates + [absolute_url(a["href"], base_url) for a in anchors])
    return embed_of(ref, "blockquote", ArticleCopy(links=links_of(anchors)), platform=platform)


def embed_of(
    ref: PostRef | None, found_by: str, copy: ArticleCopy, platform: str | None = None
) -> Embed:
    """The Embed for a recognised embed code: its post (when named) and the article's copy."""
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


def first_ref(parse: ParseUrl, candidates: list[str | None]) -> PostRef | None:
    """The post the first candidate URL that names one names."""
    return next((ref for c in candidates if c and (ref := parse(absolute_url(c)))), None)


def links_of(anchors: list[Tag]) -> list[str]:
    """Every link's address, once each, in order."""
    return list(dict.fromkeys(a["href"].strip() for a in anchors if a["href"].strip()))


def absolute_url(url: str, base_url: str | None = None) -> str:
    """Protocol-relative and page-relative addresses made whole, so URL patterns can match them."""
    url = url.strip()
    if url.startswith("//"):
        return "https:" + url
    if base_url and not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
        try:
            return urljoin(base_url, url)
        except ValueError:  # an unclosed [IPv6 literal: no address a post could have
            return url
    return url
