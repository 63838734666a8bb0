"""Citations of an archived post in six styles, each naming the archived copy.

Every style gives the author (name and handle), the post's date, its text cut
by the style's own rule, the platform and the original URL, then the archived
copy: when it was captured (UTC), its archive id (the capture id), the SHA-256
of its main media file (or of the post's raw JSON when it has none), its RFC
3161 timestamps, and with a base URL the archived-copy page. A deleted post is
cited by its archived copy, saying the original is gone. The rules each part
follows are named in tests/test_cite.py beside a worked example.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

from .archived import ArchivedCapture, PostAsCaptured
from .errors import UsageError

STYLES = ("apa", "mla", "chicago", "bluebook", "bibtex", "csl-json")
STYLE_NAMES = {
    "apa": "APA 7th", "mla": "MLA 9th", "chicago": "Chicago 17th/18th", "bluebook": "Bluebook 21st",
    "bibtex": "BibTeX", "csl-json": "CSL-JSON",
}  # fmt: skip
ARCHIVE_NAME = "Evidence archive"
# Posts run to 25,000 characters (and a hostile one to megabytes): a citation is not the
# place for all of it; the archived copy is.
FULL_TEXT_MAX = 2000
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
# MLA 9 and Bluebook (T12) abbreviate alike: May, June and July stay whole, September is Sept.
MONTHS_SHORT = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.",
                "Nov.", "Dec."]  # fmt: skip
PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le",
             "bin", "ibn", "al", "ten", "ter", "dos", "das", "y"}  # fmt: skip
# The word for a post on each platform, as APA describes it in brackets.
POST_WORDS = {"reddit": "Online forum post", "youtube": "Video", "tiktok": "Video",
              "vimeo": "Video", "facebook": "Status update"}  # fmt: skip


@dataclass
class CitedPost:
    """What a citation says, taken from one capture (no database needed to format it)."""

    author_name: str | None
    author_handle: str | None
    created_at: str | None  # ISO 8601 UTC
    text: str | None
    platform: str  # display name: X, Bluesky, ...
    platform_id: str  # x, bluesky, ...
    url: str
    post_db_id: str
    media_types: list[str]
    capture_id: str
    captured_at: str  # ISO 8601 UTC
    hash_label: str  # photo / video / post JSON / ...
    sha256: str | None
    archive_url: str | None = None
    gone_status: str | None = None  # deleted / unavailable: the original is no longer there
    gone_since: str | None = None
    timestamps: list[tuple[str, str]] = field(default_factory=list)  # (authority, time)


@dataclass
class Citation:
    style: str
    text: str  # plain text (BibTeX and CSL-JSON are their own syntax)
    html: str  # the same with the style's italics, for pages


def cited_post(
    archived: ArchivedCapture, post_db_id: str | None = None, base_url: str | None = None
) -> CitedPost:
    """The citation facts of one post in one capture (the capture's own post by default)."""
    post: PostAsCaptured | None = archived.post
    if post_db_id and archived.quoted is not None and archived.quoted.db_id == post_db_id:
        post = archived.quoted
    if post is None:
        raise UsageError(
            f"capture {archived.id} is a {archived.capture['kind']} capture, not a post: "
            "cite one of the posts it found"
        )
    label, sha256 = archived.main_hash if post is archived.post else _post_hash(post)
    gone = archived.current_status if archived.original_gone else None
    if post.status != "ok" and gone is None:
        gone = post.status
    return CitedPost(
        author_name=post.author_name, author_handle=post.author_handle, created_at=post.created_at,
        text=post.text, platform=post.platform_name, platform_id=post.platform, url=post.url,
        post_db_id=post.db_id, media_types=[m.type for m in post.media if m.type != "poster"],
        capture_id=archived.id, captured_at=archived.capture["started_at"],
        hash_label=label, sha256=sha256, archive_url=archive_url(base_url, archived.id),
        gone_status=gone, gone_since=archived.status_since if gone else None,
        timestamps=[
            (_authority(t["tsa_name"], t["tsa_url"]), t["gen_time"])
            for t in archived.timestamps if t["status"] == "stamped"
        ],
    )  # fmt: skip


def _post_hash(post: PostAsCaptured) -> tuple[str, str | None]:
    import hashlib

    for item in post.media:
        if item.type != "poster":
            return item.type, item.sha256
    raw = post.raw.encode("utf-8") if post.raw else None
    return "post JSON", hashlib.sha256(raw).hexdigest() if raw else None


def archive_url(base_url: str | None, capture_id: str) -> str | None:
    """The archived-copy page of a capture under a served archive's base URL."""
    return f"{base_url.rstrip('/')}/-/archive/{capture_id}" if base_url else None


def post_page_url(base_url: str, post_db_id: str) -> str:
    return f"{base_url.rstrip('/')}/-/post/{post_db_id}"


def cite(post: CitedPost, style: str) -> Citation:
    """The citation of `post` in `style` (one of STYLES)."""
    formatter = {
        "apa": apa, "mla": mla, "chicago": chicago, "bluebook": bluebook,
        "bibtex": bibtex, "csl-json": csl_json,
    }.get(style)  # fmt: skip
    if formatter is None:
        raise UsageError(f"unknown citation style {style!r}: choose one of {', '.join(STYLES)}")
    return formatter(post)


def cite_all(post: CitedPost) -> list[Citation]:
    return [cite(post, style) for style in STYLES]


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
    return facts


def _facts(p: CitedPost, sep: str, *, capital: bool = False, url: bool = True) -> str:
    """The archived copy's particulars joined the style's way, its page URL last."""
    facts = archive_facts(p) + ([p.archive_url] if url and p.archive_url else [])
    text = sep.join(facts)
    return text[0].upper() + text[1:] if capital else text


# -- the styles -----------------------------------------------------------------


def apa(p: CitedPost) -> Citation:
    author = _apa_author(p)
    date = (
        f"({_when(p).year}, {MONTHS[_when(p).month - 1]} {_when(p).day})" if _when(p) else "(n.d.)"
    )
    described = _media_description(p)
    words = _words(p.text)
    title_words = _capped(words[:20])
    kind = f"[{POST_WORDS.get(p.platform_id, 'Post')}]"
    tail = f" {kind}. {p.platform}. {p.url}"
    note = f" ({_facts(p, '; ')})"
    if title_words:
        title = " ".join(title_words)
        extra = f" {described}" if described else ""
        text = f"{author}. {date}. {title}{extra}{tail}{note}"
        html = f"{escape(author)}. {escape(date)}. {_italic_except_emoji(title_words)}{escape(extra)}{escape(tail)}{escape(note)}"
    else:
        title = described or "[Post without text]"
        text = f"{author}. {date}. {title}{tail}{note}"
        html = escape(text)
    return Citation("apa", text, html)


def mla(p: CitedPost) -> Citation:
    author = _inverted_author(p, handle_in_brackets=True)
    text_part = _quoted_full_text(p) if p.text and p.text.strip() else _mla_description(p)
    when = _when(p)
    date = (
        f"{when.day} {MONTHS_SHORT[when.month - 1]} {when.year}, {_clock(when, 'mla')} UTC"
        if when
        else None
    )
    location = re.sub(r"^https?://", "", p.url)
    container = [p.platform] + ([date] if date else []) + [location]
    facts = _facts(p, ", ", capital=True, url=False)
    location_copy = f", {re.sub(r'^https?://', '', p.archive_url)}" if p.archive_url else ""
    archived = f" {facts}{location_copy}."
    text = f"{author}. {text_part} {', '.join(container)}.{archived}"
    html = (
        f"{escape(author)}. {escape(text_part)} <i>{escape(p.platform)}</i>"
        f"{escape(', ' + ', '.join(container[1:]))}.{escape(archived)}"
    )
    return Citation("mla", text, html)


def chicago(p: CitedPost) -> Citation:
    natural = _natural_author(p)
    inverted = _inverted_author(p, handle_in_brackets=False)
    excerpt = _chicago_excerpt(p.text)
    when = _when(p)
    date = f"{MONTHS[when.month - 1]} {when.day}, {when.year}" if when else "n.d."
    clock = f", {_clock(when, 'chicago')} UTC" if when else ""
    facts = _facts(p, "; ")
    quoted_note = (
        f"“{excerpt},”" if excerpt else f"{_media_description(p) or '[post without text]'},"
    )
    note = f"1. {natural}, {quoted_note} {p.platform}, {date}{clock}, {p.url} ({facts})."
    quoted_bib = (
        f"“{_end_sentence(excerpt)}”"
        if excerpt
        else f"{_media_description(p) or '[Post without text]'}."
    )
    bib_tail = _facts(p, "; ", capital=True, url=False) + (
        f". {p.archive_url}." if p.archive_url else "."
    )
    bibliography = f"{inverted}. {quoted_bib} {p.platform}, {date}. {p.url}. {bib_tail}"
    text = f"Note: {note}\nBibliography: {bibliography}"
    html = f"<p>Note: {escape(note)}</p><p>Bibliography: {escape(bibliography)}</p>"
    return Citation("chicago", text, html)


def bluebook(p: CitedPost) -> Citation:
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
    author = _natural_author(p)
    rest = f"{p.platform} ({date}), {p.url} ({facts})."
    text = f"{author}, {title}, {rest}" if title else f"{author}, {rest}"
    html = f"{escape(author)}, <i>{escape(title)}</i>, {escape(rest)}" if title else escape(text)
    return Citation("bluebook", text, html)


def bibtex(p: CitedPost) -> Citation:
    when = _when(p)
    key = (
        re.sub(r"[^A-Za-z0-9]+", "", p.author_handle or p.platform_id)
        + (f"{when.year}" if when else "")
        + f"-{re.sub(r'[^A-Za-z0-9]+', '', p.post_db_id.split(':', 1)[-1])[:24]}"
    )
    handle = f" (@{p.author_handle})" if p.author_handle else ""
    fields = [
        ("author", _bibtex_escape(p.author_name or (f"@{p.author_handle}" if p.author_handle else "Unknown")), True),
        ("title", _bibtex_escape(_full_text(p.text) or _media_description(p) or "[Post without text]"), True),
        ("howpublished", f"{_bibtex_escape(p.platform)} post{_bibtex_escape(handle)}, \\url{{{p.url}}}", True),
        ("year", str(when.year) if when else None, False),
        ("month", ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"][when.month - 1] if when else None, False),
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
    when = _when(p)
    captured = _parse(p.captured_at)
    item: dict = {
        "id": p.post_db_id,
        "type": "post",
        "author": [_csl_name(p)],
        "title": _full_text(p.text) or _media_description(p) or "[Post without text]",
        "container-title": p.platform,
        "genre": POST_WORDS.get(p.platform_id, "Post"),
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
    if _media_description(p):
        item["medium"] = _media_description(p).strip("[]")
    if p.gone_status:
        item["status"] = p.gone_status
    text = json.dumps([item], ensure_ascii=False, indent=2)
    return Citation("csl-json", text, f"<pre>{escape(text)}</pre>")


# -- parts ------------------------------------------------------------------------


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


def _words(text: str | None) -> list[str]:
    return (text or "").split()


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


def _one_line(text: str | None) -> str:
    return " ".join(_words(text))


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


def _mla_description(p: CitedPost) -> str:
    described = _media_description(p)
    return (
        f"{described.strip('[]').replace(' attached', '')} post."
        if described
        else "Post without text."
    )


def split_personal_name(name: str | None) -> tuple[str, str, str] | None:
    """(given, particle, family) when `name` reads as a personal name in a Latin script, else None.

    An organisation or a name in a script without capitals stays whole (None): no style
    inverts what it cannot tell is a person's name.
    """
    tokens = (name or "").split()
    if not 2 <= len(tokens) <= 4:
        return None
    if not all(re.fullmatch(r"[^\W\d_][\w'’.\-]*", t) for t in tokens):
        return None
    given, rest = tokens[0], tokens[1:]
    particles = []
    while rest[:-1] and rest[0].lower() in PARTICLES and rest[0].islower():
        particles.append(rest.pop(0))
    family = " ".join(rest)
    capitalised = all(t[0].isupper() and not (len(t) > 1 and t.isupper()) for t in [given, *rest])
    if not family or not capitalised:
        return None
    return given, " ".join(particles), family


def _initials(given: str) -> str:
    return "-".join(f"{part[0]}." for part in given.split("-") if part)


def _apa_author(p: CitedPost) -> str:
    handle = f" [@{p.author_handle}]" if p.author_handle else ""
    parts = split_personal_name(p.author_name)
    if parts:
        given, particle, family = parts
        name = f"{particle + ' ' if particle else ''}{family}, {_initials(given)}"
        # The element's own period closes "T." when no handle follows.
        return name + handle if handle else name.rstrip(".")
    if p.author_name:
        return p.author_name + handle
    return f"@{p.author_handle}" if p.author_handle else "Unknown author"


def _inverted_author(p: CitedPost, *, handle_in_brackets: bool) -> str:
    parts = split_personal_name(p.author_name)
    name = p.author_name
    if parts:
        given, particle, family = parts
        name = f"{particle + ' ' if particle else ''}{family}, {given}"
    if not name:
        return f"@{p.author_handle}" if p.author_handle else "Unknown author"
    if not p.author_handle:
        return name
    return f"{name} [@{p.author_handle}]" if handle_in_brackets else f"{name} (@{p.author_handle})"


def _natural_author(p: CitedPost) -> str:
    if p.author_name and p.author_handle:
        return f"{p.author_name} (@{p.author_handle})"
    return p.author_name or (f"@{p.author_handle}" if p.author_handle else "Unknown author")


def _csl_name(p: CitedPost) -> dict:
    parts = split_personal_name(p.author_name)
    if parts:
        given, particle, family = parts
        name = {"given": given, "family": family}
        if particle:
            name["non-dropping-particle"] = particle
        return name
    return {"literal": p.author_name or (f"@{p.author_handle}" if p.author_handle else "Unknown")}


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


def _authority(name: str | None, url: str) -> str:
    if name:
        match = re.search(r"CN=([^,]+)", name)
        if match:
            return match.group(1)
    return re.sub(r"^https?://", "", url).split("/")[0]
