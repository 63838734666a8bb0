"""One embed per post: the copies of a post an article shows (a DOM code and its JSON-state
twin, a wrapper and the code inside it) merged into one, where it first appears, with the
fullest article copy and the best-named post URL."""

from __future__ import annotations

import dataclasses
import functools

from archiver.models import Embed
from archiver.platforms import identify


def deduplicate(embeds: list[Embed]) -> list[Embed]:
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
