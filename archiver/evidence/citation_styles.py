"""The six citation styles: what evidence.cite gathered, written the way each style guide asks.

A renderer takes a `CitedPost` and returns a `Citation` (plain text, and HTML with the
style's italics); none reads the database. The archived copy is worded once, in
`archive_facts`, and every style places it where its guide leaves room for a note. The rule
each part follows is named in tests/test_cite.py beside a worked example.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from archiver.evidence.citation_names import (
    apa_author,
    csl_name,
    inverted_author,
    name_or_handle,
    natural_author,
)
from archiver.evidence.cited import Citation, CitedPost
from archiver.platforms import genre_of

STYLE_NAMES = {
    "apa": "APA 7th", "mla": "MLA 9th", "chicago": "Chicago 17th/18th", "bluebook": "Bluebook 21st",
    "bibtex": "BibTeX", "csl-json": "CSL-JSON",
}  # fmt: skip
STYLES = tuple(STYLE_NAMES)
ARCHIVE_NAME = "Evidence archive"
# Posts run to 25,000 characters (and a hostile one to megabytes): a citation is not the
# place for all of it; the archived copy is.
FULL_TEXT_MAX = 2000
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
# MLA 9 and Bluebook (T12) abbreviate alike: May, June and July stay whole, September is Sept.
MONTHS_SHORT = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.",
                "Nov.", "Dec."]  # fmt: skip


# -- the archived copy, said once -----------------------------------------------


def archive_facts(p: CitedPost) -> list[str]:
    """The archived copy's particulars, in the order every style gives them."""
    facts = []
    if p.gone_status:
        since = f": first seen {p.gone_status} {_iso(p.gone_since)}" if p.gone_since else ""
        facts.append(f"original {p.gone_status}{since}")
    facts.append(f"archived copy captured {_iso(p.captured_at)}")
    facts.append(f"archive id {p.capture_id}")
    if p.sha256:
        facts.append(f"{p.hash_label} SHA-256 {p.sha256}")
    facts += [f"RFC 3161 timestamp by {who} at {when}" for who, when in p.timestamps]
    if p.wayback:
        url, saved_at = p.wayback
        facts.append(f"second copy at the Wayback Machine, saved {_iso(saved_at)}: {url}")
    return facts


def _facts(p: CitedPost, sep: str, *, capital: bool = False, url: bool = True) -> str:
    """The archived copy's particulars joined the style's way, its page URL last."""
    facts = archive_facts(p) + ([p.archive_url] if url and p.archive_url else [])
    text = sep.join(facts)
    return text[0].upper() + text[1:] if capital else text


# -- the styles -----------------------------------------------------------------


def apa(p: CitedPost) -> Citation:
    """APA 7th: author [@handle]. (date). first 20 words [media] [Post]. Platform. URL."""
    author = apa_author(p.author_name, p.author_handle)
    when = _when(p)
    date = f"({when.year}, {MONTHS[when.month - 1]} {when.day})" if when else "(n.d.)"
    described = _media_description(p)
    title_words = _capped(_words(p.text)[:20])
    kind = f"[{genre_of(p.platform_id)}]"  # the word for a post, as APA describes it
    tail = f" {kind}. {p.platform}. {p.url}"
    note = f" ({_facts(p, '; ')})"
    if title_words:
        title = " ".join(title_words)
        extra = f" {described}" if described else ""
        text = f"{author}. {date}. {title}{extra}{tail}{note}"
        html = f"{escape(author)}. {escape(date)}. {_italic_except_emoji(title_words)}{escape(extra)}{escape(tail)}{escape(note)}"
    else:
        text = f"{author}. {date}. {_described(p)}{tail}{note}"
        html = escape(text)
    return Citation("apa", text, html)


def mla(p: CitedPost) -> Citation:
    """MLA 9th: Author, Given [@handle]. "Full text." Platform, date, location."""
    author = inverted_author(p.author_name, p.author_handle, handle_in_brackets=True)
    text_part = _quoted_full_text(p) if p.text and p.text.strip() else _mla_description(p)
    when = _when(p)
    date = (
        f"{when.day} {MONTHS_SHORT[when.month - 1]} {when.year}, {_clock(when, 'mla')} UTC"
        if when
        else None
    )
    container = [p.platform] + ([date] if date else []) + [_without_scheme(p.url)]
    facts = _facts(p, ", ", capital=True, url=False)
    location_copy = f", {_without_scheme(p.archive_url)}" if p.archive_url else ""
    archived = f" {facts}{location_copy}."
    text = f"{author}. {text_part} {', '.join(container)}.{archived}"
    html = (
        f"{escape(author)}. {escape(text_part)} <i>{escape(p.platform)}</i>"
        f"{escape(', ' + ', '.join(container[1:]))}.{escape(archived)}"
    )
    return Citation("mla", text, html)


def chicago(p: CitedPost) -> Citation:
    """Chicago: a numbered note and a bibliography entry, the text cut to 160 characters."""
    natural = natural_author(p.author_name, p.author_handle)
    inverted = inverted_author(p.author_name, p.author_handle, handle_in_brackets=False)
    excerpt = _chicago_excerpt(p.text)
    when = _when(p)
    date = f"{MONTHS[when.month - 1]} {when.day}, {when.year}" if when else "n.d."
    clock = f", {_clock(when, 'chicago')} UTC" if when else ""
    facts = _facts(p, "; ")
    quoted_note = (
        f"“{excerpt},”" if excerpt else f"{_media_description(p) or '[post without text]'},"
    )
    note = f"1. {natural}, {quoted_note} {p.platform}, {date}{clock}, {p.url} ({facts})."
    quoted_bib = f"“{_end_sentence(excerpt)}”" if excerpt else f"{_described(p)}."
    bib_tail = _facts(p, "; ", capital=True, url=False) + (
        f". {p.archive_url}." if p.archive_url else "."
    )
    bibliography = f"{inverted}. {quoted_bib} {p.platform}, {date}. {p.url}. {bib_tail}"
    text = f"Note: {note}\nBibliography: {bibliography}"
    html = f"<p>Note: {escape(note)}</p><p>Bibliography: {escape(bibliography)}</p>"
    return Citation("chicago", text, html)


def bluebook(p: CitedPost) -> Citation:
    """Bluebook 21st: Author, first 20 words, Platform (date, time), URL (the archived copy)."""
    words = _words(p.text)
    title = " ".join(_capped(words[:20])) + (" . . ." if len(words) > 20 else "") if words else None
    when = _when(p)
    date = (
        f"{MONTHS_SHORT[when.month - 1]} {when.day}, {when.year}, {_clock(when, 'bluebook')} UTC"
        if when
        else "n.d."
    )
    facts = archive_facts(p)
    if p.archive_url:
        captured = f"archived copy captured {_iso(p.captured_at)}"
        facts[facts.index(captured)] = (
            f"archived at {p.archive_url}, captured {_iso(p.captured_at)}"
        )
    facts = "; ".join(facts)
    author = natural_author(p.author_name, p.author_handle)
    rest = f"{p.platform} ({date}), {p.url} ({facts})."
    text = f"{author}, {title}, {rest}" if title else f"{author}, {rest}"
    html = f"{escape(author)}, <i>{escape(title)}</i>, {escape(rest)}" if title else escape(text)
    return Citation("bluebook", text, html)


def bibtex(p: CitedPost) -> Citation:
    """BibTeX: one @misc entry, TeX specials escaped, the archived copy in its note."""
    when = _when(p)
    key = (
        re.sub(r"[^A-Za-z0-9]+", "", p.author_handle or p.platform_id)
        + (f"{when.year}" if when else "")
        + f"-{re.sub(r'[^A-Za-z0-9]+', '', p.post_db_id.split(':', 1)[-1])[:24]}"
    )
    handle = f" (@{p.author_handle})" if p.author_handle else ""
    fields = [
        ("author", _bibtex_escape(name_or_handle(p.author_name, p.author_handle, "Unknown")), True),
        ("title", _bibtex_escape(_title(p)), True),
        ("howpublished", f"{_bibtex_escape(p.platform)} post{_bibtex_escape(handle)}, \\url{{{p.url}}}", True),
        ("year", str(when.year) if when else None, False),
        ("month", MONTHS[when.month - 1][:3].lower() if when else None, False),
        ("date", when.strftime("%Y-%m-%d") if when else None, True),
        ("url", p.url, True),
        ("urldate", _parse(p.captured_at).strftime("%Y-%m-%d"), True),
        ("note", _bibtex_escape(_facts(p, "; ", capital=True, url=False)) + (f"; \\url{{{p.archive_url}}}" if p.archive_url else ""), True),
    ]  # fmt: skip
    lines = [f"@misc{{{key},"]
    for name, value, braced in fields:
        if value is not None:
            lines.append(f"  {name} = {{{value}}}," if braced else f"  {name} = {value},")
    lines.append("}")
    text = "\n".join(lines)
    return Citation("bibtex", text, f"<pre>{escape(text)}</pre>")


def csl_json(p: CitedPost) -> Citation:
    """CSL-JSON: one item of type "post", the capture's particulars under "custom"."""
    when = _when(p)
    captured = _parse(p.captured_at)
    described = _media_description(p)
    item: dict = {
        "id": p.post_db_id,
        "type": "post",
        "author": [csl_name(p.author_name, p.author_handle)],
        "title": _title(p),
        "container-title": p.platform,
        "genre": genre_of(p.platform_id),
        "URL": p.url,
        "accessed": {"date-parts": [[captured.year, captured.month, captured.day]]},
        "archive": ARCHIVE_NAME,
        "archive_location": p.archive_url or f"capture {p.capture_id}",
        "note": _facts(p, "; ", capital=True, url=False)
        + (f"; author handle @{p.author_handle}" if p.author_handle else ""),
        "custom": {
            "capture_id": p.capture_id,
            "captured_at": _iso(p.captured_at),
            "sha256": p.sha256,
            "sha256_of": p.hash_label,
            "timestamps": [{"authority": a, "time": t} for a, t in p.timestamps],
        },
    }
    if when:
        item["issued"] = {"date-parts": [[when.year, when.month, when.day]]}
    if described:
        item["medium"] = described.strip("[]")
    if p.gone_status:
        item["status"] = p.gone_status
    if p.wayback:
        item["custom"]["wayback"] = {"url": p.wayback[0], "saved_at": _iso(p.wayback[1])}
    text = json.dumps([item], ensure_ascii=False, indent=2)
    return Citation("csl-json", text, f"<pre>{escape(text)}</pre>")


RENDERERS: dict[str, Callable[[CitedPost], Citation]] = {
    "apa": apa, "mla": mla, "chicago": chicago, "bluebook": bluebook,
    "bibtex": bibtex, "csl-json": csl_json,
}  # fmt: skip


# -- dates ------------------------------------------------------------------------


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _when(p: CitedPost) -> datetime | None:
    return _parse(p.created_at) if p.created_at else None


def _iso(value: str) -> str:
    return _parse(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clock(when: datetime, style: str) -> str:
    hour = when.hour % 12 or 12
    if style == "bluebook":
        return f"{hour}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"
    return f"{hour}:{when.minute:02d} {'a.m.' if when.hour < 12 else 'p.m.'}"


# -- the post's text and media ------------------------------------------------------


def _words(text: str | None) -> list[str]:
    return (text or "").split()


def _one_line(text: str | None) -> str:
    return " ".join(_words(text))


def _full_text(text: str | None) -> str:
    """The whole text on one line, as MLA, BibTeX and CSL titles take it, up to FULL_TEXT_MAX."""
    line = _one_line(text)
    return line if len(line) <= FULL_TEXT_MAX else line[:FULL_TEXT_MAX].rstrip() + "…"


def _capped(words: list[str]) -> list[str]:
    """Words whose total length stays within FULL_TEXT_MAX (one long 'word' is cut)."""
    kept, used = [], 0
    for word in words:
        if used + len(word) > FULL_TEXT_MAX:
            kept.append(word[: max(FULL_TEXT_MAX - used, 0)] + "…")
            break
        kept.append(word)
        used += len(word) + 1
    return kept


def _end_sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _quoted_full_text(p: CitedPost) -> str:
    """MLA: the whole text as the title, in quotation marks, ending with its own punctuation."""
    return f"“{_end_sentence(_full_text(p.text))}”"


def _chicago_excerpt(text: str | None) -> str:
    """Chicago: up to the first 160 characters of the post, cut at a word, then an ellipsis."""
    line = _one_line(text)
    if len(line) <= 160:
        return line
    cut = line[:160]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut
    return cut.rstrip(" ,;:") + "…"


def _media_description(p: CitedPost) -> str | None:
    """'[Image attached]', '[Video attached]', '[Images and video attached]'..."""
    kinds = []
    images = sum(t in ("photo", "image") for t in p.media_types)
    videos = sum(t in ("video", "gif") for t in p.media_types)
    if images:
        kinds.append("Images" if images > 1 else "Image")
    if videos:
        kinds.append(
            ("videos" if videos > 1 else "video")
            if kinds
            else ("Videos" if videos > 1 else "Video")
        )
    if not kinds and "card" in p.media_types:
        return "[Thumbnail with link attached]"
    if not kinds and p.media_types:
        kinds.append("File")
    return f"[{' and '.join(kinds)} attached]" if kinds else None


def _described(p: CitedPost) -> str:
    """What stands for the words of a post that has none: its media, or that it has no text."""
    return _media_description(p) or "[Post without text]"


def _title(p: CitedPost) -> str:
    """BibTeX and CSL: the whole text as the title, or the description of a post without."""
    return _full_text(p.text) or _described(p)


def _mla_description(p: CitedPost) -> str:
    described = _media_description(p)
    return (
        f"{described.strip('[]').replace(' attached', '')} post."
        if described
        else "Post without text."
    )


def _without_scheme(url: str) -> str:
    return re.sub(r"^https?://", "", url)


def _is_emoji(word: str) -> bool:
    return any(unicodedata.category(c) == "So" or 0x1F1E6 <= ord(c) <= 0x1F1FF for c in word)


def _italic_except_emoji(words: list[str]) -> str:
    """APA: the post's words in italics, its emoji not."""
    out, run = [], []
    for word in words:
        if _is_emoji(word):
            if run:
                out.append(f"<i>{escape(' '.join(run))}</i>")
                run = []
            out.append(escape(word))
        else:
            run.append(word)
    if run:
        out.append(f"<i>{escape(' '.join(run))}</i>")
    return f"<bdi>{' '.join(out)}</bdi>"


def _bibtex_escape(text: str) -> str:
    """TeX's special characters made literal; everything else (UTF-8) left as it is."""
    replacements = {
        "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "%": r"\%", "&": r"\&",
        "$": r"\$", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    }  # fmt: skip
    return "".join(replacements.get(c, c) for c in text)
