"""Where two copies of a post's text differ, word by word (the live post against an article's copy)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# Word diffs are quadratic in the worst case; past this a page would stall for a diff.
MAX_DIFF_CHARS = 20_000
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    """A run of text: `same` in both, or only in the `post` or only in the `article`."""

    side: str
    text: str


def word_diff(post: str, article: str) -> list[Segment] | None:
    """The differences in reading order (`same` runs keep the post's spacing); None when too long."""
    if len(post) + len(article) > MAX_DIFF_CHARS:
        return None
    a, b = _TOKENS.findall(post), _TOKENS.findall(article)
    # Whitespace-only differences are not differences a reader cares about.
    matcher = difflib.SequenceMatcher(
        lambda t: t.isspace(), [_norm(t) for t in a], [_norm(t) for t in b], autojunk=False
    )
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _add(segments, "same", "".join(a[i1:i2]))
            continue
        post_part, article_part = "".join(a[i1:i2]), "".join(b[j1:j2])
        if same_but_spacing(post_part, article_part):
            _add(segments, "same", post_part)  # a line break run into the next word, say
        else:
            _add(segments, "post", post_part)
            _add(segments, "article", article_part)
    return segments


def compare_copies(post: str | None, article: str | None) -> dict:
    """The post page's verdict on an article's copy of a post: the same words, the same text
    but for spacing, or where they differ (`diff`; `diff_too_long` when too long to say)."""
    compare = bool(post and article)
    same = compare and same_words(post, article)
    spacing = compare and not same and same_but_spacing(post, article)
    diff = word_diff(post, article) if compare and not (same or spacing) else None
    return {
        "same_as_post": same,
        "same_but_spacing": spacing,
        "diff": diff,
        "diff_too_long": compare and not (same or spacing) and diff is None,
    }


def same_words(post: str, article: str) -> bool:
    return post.split() == article.split()


def same_but_spacing(post: str, article: str) -> bool:
    """The same characters once spacing is ignored: a plain-text copy often runs a line break
    into the next word ("center.\n\n#MNDAA" as "center.#MNDAA"), which a word diff shows as
    two different words."""
    return "".join(post.split()) == "".join(article.split())


def _norm(token: str) -> str:
    return " " if token.isspace() else token


def _add(segments: list[Segment], side: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].side == side:
        segments[-1] = Segment(side, segments[-1].text + text)
    else:
        segments.append(Segment(side, text))
