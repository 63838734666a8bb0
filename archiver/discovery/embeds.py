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
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import NavigableString, Tag
from bs4.element import PreformattedString

from archiver.discovery.markup import IFRAME_ELEMENTS, MARKUP, WIDGETS, recognise
from archiver.discovery.page_state import embeds_in_state
from archiver.discovery.wrappers import quoted_post, wrapped_post
from archiver.models import Embed
from archiver.platforms import PLATFORMS, identify
from archiver.platforms.base import Platform, TextSignature
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
_DASH = r"(?:—|–|-|&mdash;|&ndash;|&#8212;|&#x2014;)"
_DATE = (
    r"(?:[^\W\d_]{3,}\.?\s+\d{1,2},\s+\d{4}"  # August 3, 2024
    r"|\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?\s+(?:de\s+)?\d{4})"  # 3 August 2024, 3. August 2024
)


@dataclass(frozen=True)
class _Signed:
    """A platform whose posts are pasted into text with a signature line, and how to read them."""

    platform: Platform
    signature: TextSignature
    line: re.Pattern[str]  # the signature line: name, handle, date and/or the post's URL
    link: re.Pattern[str]  # a link in the copy: a URL, or a link shown without its scheme


_SIGNED = [
    _Signed(
        platform,
        signature,
        re.compile(
            rf"(?:^|(?<=\s)){_DASH}\s*(?P<name>[^\n—–]*?)\s*\(\s*@(?P<handle>{signature.handle})\s*\)"
            rf"\s*(?P<date>{_DATE})?\s*(?P<url>https?://\S+)?\s*$"
        ),
        re.compile(rf"https?://[^\s<>\"']+|{signature.display_link}"),
    )
    for platform in PLATFORMS
    if (signature := platform.text_signature) is not None
]


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
        embeds = _deduplicate(codes[:most])
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
    return _deduplicate(_html_codes(html, page_url, _CODES_PER_POST * MAX_EMBEDS))


def _html_codes(html: str, page_url: str | None, most: int) -> list[Embed]:
    """The first `most` embed codes in the page, in document order."""
    soup = parse_html(html)
    try:
        return list(itertools.islice(_walk(soup, page_url, depth=0), most))
    finally:
        release(soup)


def discover_in_text(text: str) -> list[Embed]:
    """Posts pasted into a plain-text article: the lines above each "— Name (@handle) date" line."""
    lines = text.splitlines()
    # With blank lines between paragraphs a post's lines are one paragraph; without,
    # every line is a paragraph and only the line above the signature is the post's.
    blank_line_paragraphs = bool(re.search(r"\n[ \t]*\n", text))
    signature_lines: set[int] = set()
    embeds: list[Embed] = []
    for number, line in enumerate(lines):
        found = _signature_line(line)
        if found is None:
            continue
        signed, m = found
        signature_lines.add(number)
        prefix = line[: m.start()].strip()  # the post's text, when the signature shares its line
        copy_lines = [prefix] if prefix else []
        above = number - 1
        while (not copy_lines or blank_line_paragraphs) and above >= 0:
            if not lines[above].strip() or above in signature_lines:
                break
            copy_lines.insert(0, lines[above].strip())
            above -= 1
        embeds.append(_signature_embed(signed, "\n".join(copy_lines) or None, m))
    return _deduplicate(embeds)


def _signature_line(line: str) -> tuple[_Signed, re.Match] | None:
    """The signing platform and signature a line is, when it names a date or the post's URL."""
    for signed in _SIGNED:
        m = signed.line.search(line)
        if m and (m.group("date") or m.group("url")):
            return signed, m
    return None


def _signature_embed(signed: _Signed, copy_text: str | None, m: re.Match) -> Embed:
    ref = signed.platform.parse_url(m.group("url")) if m.group("url") else None
    links = list(
        dict.fromkeys(link.rstrip(".,;:!?)]}'\"") for link in signed.link.findall(copy_text or ""))
    )
    name = m.group("name").strip()
    return Embed(
        platform=signed.platform.name,
        found_by="text-signature",
        post_url=ref.url if ref else None,
        post_id=ref.post_id if ref else None,
        article_text=copy_text,
        article_author=f"{name} (@{m.group('handle')})" if name else f"@{m.group('handle')}",
        article_date=m.group("date"),
        article_links=links,
        # The post's id is not in the text; a short link may redirect to it.
        short_links=[] if ref else signed.signature.short_links(links),
    )


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
    elif len(value) >= _SHORTEST_BASE64 and _BASE64.fullmatch(value):
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return
        if _ESCAPED_OPENER.search(decoded):
            yield from _walk_fragment(decoded, page_url, depth)


def _in_shown_text(node: NavigableString) -> bool:
    return not any(parent.name in _LITERAL_TEXT_TAGS for parent in node.parents)


def _markup_in_script(source: str, script_type: str, depth: int = 0) -> Iterator[str]:
    """The HTML fragments a script holds: its string literals that contain embed codes, decoded."""
    script_type = script_type.strip().lower()
    if not _ESCAPED_OPENER.search(source):
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


def _deduplicate(embeds: list[Embed]) -> list[Embed]:
    """One embed per post, where it first appears, with the fullest article copy of it."""
    groups: list[list[Embed]] = []  # copies of one post, in order of first appearance
    owner: dict[tuple, int] = {}  # (platform, "id"|"text", value) -> group
    for embed in embeds:
        id_key = (embed.platform, "id", embed.post_id) if embed.post_id else None
        text_key = (embed.platform, "text", embed.article_text) if embed.article_text else None
        matched = {owner[id_key]} if id_key in owner else set()
        if text_key in owner:
            group = owner[text_key]
            # Same text is the same post only when one of the copies does not name its post.
            if embed.post_id is None or not any(e.post_id for e in groups[group]):
                matched.add(group)
        target = min(matched, default=len(groups))
        if target == len(groups):
            groups.append([])
        for other in matched - {target}:
            groups[target] += groups[other]
            groups[other] = []
            owner = {key: target if group == other else group for key, group in owner.items()}
        groups[target].append(embed)
        for key in (id_key, text_key):
            if key:
                owner.setdefault(key, target)
    unique = [functools.reduce(_merge, group) for group in groups if group]
    for position, embed in enumerate(unique):
        embed.position = position
    return unique


def _merge(first: Embed, later: Embed) -> Embed:
    """Two copies of one post: the one with more text, and the best-named post URL of the two."""
    richer = later if _richness(later) > _richness(first) else first
    merged = dataclasses.replace(richer)
    named = [e for e in (richer, first, later) if e.post_url]
    # A URL that names the post's author says more than one that names only its id.
    best = next((e for e in named if _names_author(e.post_url)), named[0] if named else None)
    if best is not None:
        merged.post_url, merged.post_id, merged.short_links = (
            best.post_url,
            best.post_id,
            best.short_links,
        )
    return merged


def _richness(embed: Embed) -> tuple[int, bool, bool]:
    return (len(embed.article_text or ""), bool(embed.article_author), bool(embed.article_date))


def _names_author(url: str | None) -> bool:
    ref = identify(url) if url else None
    return ref is not None and ref.handle is not None
