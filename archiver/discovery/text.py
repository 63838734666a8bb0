"""Posts pasted into a plain-text article, recognised by the "— Name (@handle) Month D, YYYY"
signature line of a platform that signs its posts so (`Platform.text_signature`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archiver.discovery.copies import deduplicate
from archiver.models import Embed
from archiver.platforms import PLATFORMS
from archiver.platforms.base import Platform, TextSignature

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
    return deduplicate(embeds)


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
