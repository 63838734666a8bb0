"""Find the posts an article embeds: pure functions over the page, no network, no database.

HTML: every element that is a post's embed code (see `archiver.discovery.markup`),
in document order, including embed codes a page keeps escaped inside its
scripts' JSON state or inside attributes, which a browser would render but a
DOM scan alone does not see; and the forms publishers' systems leave codes in
(`archiver.discovery.wrappers`) and embeds kept as data in page state
(`archiver.discovery.page_state`); archiver/discovery/README.md surveys every form.
Plain text: posts pasted as text, recognised by the "— Name (@handle) Month D, YYYY"
signature line of a platform that signs so.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import NavigableString, Tag
from bs4.element import PreformattedString

from archiver.discovery.copies import deduplicate
from archiver.discovery.markup import IFRAME_ELEMENTS, MARKUP, WIDGETS, recognise
from archiver.discovery.page_state import embeds_in_state
from archiver.discovery.text import discover_in_text
from archiver.discovery.wrappers import quoted_post, wrapped_post
from archiver.models import Embed
from archiver.platforms.soup import parse_html, release

__all__ = [
    "Discovered",
    "discover_embeds",
    "discover_in_html",
    "discover_in_text",
    "discover_within",
]

# An article shows at most this many embedded posts: the first ones are archived, and the
# page's capture says that there were more (a page of 100,000 embed codes is an attack).
MAX_EMBEDS = 200
# Embed codes read per post kept, before the copies of one post are merged: enough for
# posts each embedded a few times over.
_CODES_PER_POST = 5
# Escaped markup deeper than this is not a page, it is an attack or an accident.
_MAX_DEPTH = 4
# Elements that are an embed code only with a class or attribute of a platform's:
# those are looked for by that class or attribute name, not by the element's.
_PLAIN_ELEMENTS = {"div", "span", "p", "section", "article", "a", "script"}


def _escaped_opener() -> re.Pattern[str]:
    """An embed code's opening, raw or escaped the ways JSON, JS and HTML escape it."""
    elements = {*IFRAME_ELEMENTS, *MARKUP, *WIDGETS} - _PLAIN_ELEMENTS - {"*"}
    names = {code.css_class for tag in MARKUP.keys() & _PLAIN_ELEMENTS for code, _ in MARKUP[tag]}
    names |= {
        code.attribute
        for tag in WIDGETS.keys() & {*_PLAIN_ELEMENTS, "*"}
        for code, _ in WIDGETS[tag]
    }
    opener = r"(?:<|\\u003c|\\x3c|&lt;|&#0*60;|&#x0*3c;)\s*"
    return re.compile(rf"{opener}(?:{_either(elements)})\b|(?<![\w-])(?:{_either(names)})\b", re.I)


def _either(words: set[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_ESCAPED_OPENER = _escaped_opener()
# Script types whose text is code or data, not markup.
_CODE_TYPES = ("javascript", "ecmascript", "json", "module", "jsx", "babel", "typescript")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_SHORTEST_BASE64 = 40
_STILL_ESCAPED = re.compile(r"\\(?:u003c|x3c)", re.I)
# String literals and comments of a script, scanned from its start so that a quote
# inside one string is never taken for the start of another.
_JS_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"'
    r"|'[^'\\]*(?:\\.[^'\\]*)*'"
    r"|`[^`\\]*(?:\\.[^`\\]*)*`"
    r"|/\*.*?\*/|//[^\n]*",
    re.S,
)
_JS_ESCAPE = re.compile(
    r"\\(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))", re.S
)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
# Text a reader does not see as markup: never a source of embeds.
_LITERAL_TEXT_TAGS = {"code", "pre", "script", "style", "textarea", "xmp"}

_LOOKS_LIKE_HTML = re.compile(
    r"<(?:!doctype|html|head|body|p|div|span|a|br|blockquote|iframe|script|article|section|img|h[1-6])\b[^>]*>",
    re.I,
)


@dataclass
class Discovered:
    """The posts an article embeds, the first `limit` of them, and whether it shows more."""

    embeds: list[Embed]
    limit: int
    more: bool = False  # the article shows more embedded posts than were kept

    @property
    def note(self) -> str | None:
        """What the page's capture says when posts were left out."""
        if not self.more:
            return None
        return (
            f"the page embeds more than {self.limit:,} posts; only the first {self.limit:,}"
            " were archived"
        )


def discover_within(
    document: str,
    page_url: str | None = None,
    *,
    content_type: str | None = None,
    limit: int | None = None,
) -> Discovered:
    """The first `limit` (MAX_EMBEDS) posts an article (HTML or plain text) embeds, in document
    order, each post once; MarkupTooLarge (a ParseError) for HTML past the parser's bounds."""
    limit = MAX_EMBEDS if limit is None else limit
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "text/plain" or (not media_type and not _LOOKS_LIKE_HTML.search(document)):
        embeds, more = discover_in_text(document), False
    else:
        most = _CODES_PER_POST * limit
        codes = _html_codes(document, page_url, most + 1)
        more = len(codes) > most
        embeds = deduplicate(codes[:most])
    return Discovered(embeds[:limit], limit, more or len(embeds) > limit)


def discover_embeds(
    document: str, page_url: str | None = None, *, content_type: str | None = None
) -> list[Embed]:
    """The posts embedded in an article (HTML or plain text), in document order, each post once
    (the first MAX_EMBEDS of them)."""
    return discover_within(document, page_url, content_type=content_type).embeds


def discover_in_html(html: str, page_url: str | None = None) -> list[Embed]:
    """The posts an HTML page embeds, escaped embed codes in scripts and attributes included
    (read from the page's first embed codes, as many as MAX_EMBEDS posts may have)."""
    return deduplicate(_html_codes(html, page_url, _CODES_PER_POST * MAX_EMBEDS))


def _html_codes(html: str, page_url: str | None, most: int) -> list[Embed]:
    """The first `most` embed codes in the page, in document order."""
    soup = parse_html(html)
    try:
        return list(itertools.islice(_walk(soup, page_url, depth=0), most))
    finally:
        release(soup)


def _walk(root: Tag, page_url: str | None, depth: int) -> Iterator[Embed]:
    """Embeds under `root` in document order; escaped markup is searched where it sits."""
    stack = [iter(root.children)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        if isinstance(node, NavigableString):
            if (
                not isinstance(node, PreformattedString)
                and _ESCAPED_OPENER.search(node)
                and _in_shown_text(node)
            ):
                # Entity-escaped markup (&lt;blockquote ...&gt;) parses to text that is markup.
                yield from _walk_fragment(str(node), page_url, depth)
            continue
        embed = recognise(node, page_url)
        if embed is None and node.name == "blockquote":
            embed = quoted_post(node, page_url)
        if embed is not None:
            yield dataclasses.replace(embed, found_by="script-json") if depth else embed
            continue  # an embed code's insides are its own copy, not further embeds
        wrapped = wrapped_post(node, page_url)
        if wrapped is not None:
            yield wrapped  # and on inside: the wrapper may hold the embed code itself
        for value in node.attrs.values():
            if isinstance(value, str):
                yield from _markup_in_attribute(value, page_url, depth)
        if node.name == "script":
            source, script_type = node.get_text(), node.get("type", "")
            for fragment in _markup_in_script(source, script_type):
                yield from _walk_fragment(fragment, page_url, depth)
            yield from embeds_in_state(source, script_type)
        elif node.name not in ("style", "textarea"):
            stack.append(iter(node.children))


def _walk_fragment(markup: str, page_url: str | None, depth: int) -> Iterator[Embed]:
    if depth < _MAX_DEPTH:
        fragment = parse_html(markup)
        try:
            yield from _walk(fragment, page_url, depth + 1)
        finally:
            release(fragment)


def _markup_in_attribute(value: str, page_url: str | None, depth: int) -> Iterator[Embed]:
    """Embed codes an attribute holds: escaped, or base64-encoded by a consent tool
    (Borlabs' `data-borlabs-cookie-content`) until the reader agrees."""
    if _ESCAPED_OPENER.search(value):
        yield from _walk_fragment(value, page_url, depth)
    elif (decoded := _base64_markup(value)) is not None:
        yield from _walk_fragment(decoded, page_url, depth)


def _base64_markup(value: str) -> str | None:
    """The markup a base64 text holds (consent tools keep blocked embed codes so), or None."""
    value = value.strip()
    if len(value) < _SHORTEST_BASE64 or not _BASE64.fullmatch(value):
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded if _ESCAPED_OPENER.search(decoded) else None


def _in_shown_text(node: NavigableString) -> bool:
    return not any(parent.name in _LITERAL_TEXT_TAGS for parent in node.parents)


def _markup_in_script(source: str, script_type: str, depth: int = 0) -> Iterator[str]:
    """The HTML fragments a script holds: its string literals that contain embed codes, decoded."""
    script_type = script_type.strip().lower()
    if not _ESCAPED_OPENER.search(source):
        # Borlabs Cookie keeps a blocked code base64-encoded in a <script type="text/template">.
        encoded = _base64_markup(source) if script_type else None
        if encoded is not None:
            yield encoded
        return
    if script_type and not any(kind in script_type for kind in _CODE_TYPES):
        # text/template, text/html, and the types consent tools give a script to keep it
        # from running (text/plain, text/blocked): the script's text is markup.
        yield source
        return
    for m in _JS_TOKEN.finditer(source):
        token = m.group()
        if token[0] == "/" or not _ESCAPED_OPENER.search(token):
            continue  # a comment, or a string with no embed code in it
        decoded = _decode_js_string(token[1:-1])
        yield decoded
        if depth < _MAX_DEPTH and _STILL_ESCAPED.search(decoded):
            # JSON inside a JSON string: one more layer of escapes.
            yield from _markup_in_script(decoded, "application/json", depth + 1)


def _decode_js_string(body: str) -> str:
    r"""A JS/JSON string literal's value: \uXXXX, \xXX, \", \/ and friends undone."""

    def unescape(m: re.Match) -> str:
        code = m.group(1) or m.group(2) or m.group(3)
        if code:  # \u{110000} and beyond name no character
            return chr(int(code, 16)) if int(code, 16) <= 0x10FFFF else "\ufffd"
        return _JS_SIMPLE_ESCAPES.get(m.group(4), m.group(4))

    decoded = _JS_ESCAPE.sub(unescape, body)
    # \uD83C\uDF2A-style pairs decode to two surrogates; join them into one character.
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
