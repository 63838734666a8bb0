"""Embeds a page keeps as data in its JSON state rather than as markup.

Apple News Format components (`{"role": "tweet", "URL": "https://twitter.com/..."}`),
headless CMSs' content blocks (`{"type": "embed", "provider": "instagram", "url": ...}`),
Arc XP's ANS (`{"type": "oembed_response", "subtype": "twitter", "raw_oembed": {...}}`),
Next.js and Nuxt state: an object that says it is an embed, or a platform's, and holds
one of that platform's post URLs. Markup kept in that state (an oEmbed's `html`) is read by
`archiver.discovery.embeds` as markup; this module reads what is not markup.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

from archiver.models import Embed
from archiver.platforms import PLATFORMS, identify
from archiver.platforms.embed_copy import ArticleCopy, embed_of

# Keys whose value says what an object is.
_KIND_KEYS = (
    "type", "role", "kind", "subtype", "provider", "provider_name", "providerName",
    "providerNameSlug", "__typename", "_type", "embedType", "embed_type", "blockName",
    "component", "service", "network", "source", "platform",
)  # fmt: skip
_EMBED_WORDS = ("embed", "oembed", "social")
# Words that name a registered platform in a kind: its name, its label, its own words.
_PLATFORM_WORDS = {
    word.lower()
    for platform in PLATFORMS
    for word in (platform.name, platform.label, *platform.embed_words)
}
# Bounds: state past these is not an article's, and is not read.
_LONGEST_STATE = 5_000_000
_MOST_NODES = 200_000
_DEEPEST = 64
_MOST_ASSIGNMENTS = 20  # `x = {...}` read per script: each is a parse of the rest of it
_JSON_TYPES = ("json", "ld+json")
_ASSIGNED_OBJECT = re.compile(r"=\s*(?=[{\[])")
_HOSTS = re.compile(
    "|".join(re.escape(host) for platform in PLATFORMS for host in platform.hosts), re.I
)


def embeds_in_state(source: str, script_type: str) -> Iterator[Embed]:
    """The posts that a script's JSON (or `window.__STATE__ = {...}`) names as embeds."""
    if len(source) > _LONGEST_STATE or not _HOSTS.search(source):
        return
    for data in _json_values(source, script_type.strip().lower()):
        yield from _embeds_in(data)


def _json_values(source: str, script_type: str) -> Iterator[object]:
    if script_type.endswith(_JSON_TYPES):
        try:
            yield json.loads(source)
        except (ValueError, RecursionError):
            return
        return
    if script_type and "javascript" not in script_type and script_type != "module":
        return
    decoder = json.JSONDecoder()
    for m in itertools.islice(_ASSIGNED_OBJECT.finditer(source), _MOST_ASSIGNMENTS):
        try:
            value, _ = decoder.raw_decode(source, m.end())
        except (ValueError, RecursionError):
            continue
        yield value


def _embeds_in(data: object) -> Iterator[Embed]:
    stack: list[tuple[object, int]] = [(data, 0)]
    seen = 0
    while stack and seen < _MOST_NODES:
        node, depth = stack.pop()
        seen += 1
        if depth > _DEEPEST:
            continue
        if isinstance(node, dict):
            if _says_embed(node):
                yield from _posts_named(node)
            stack.extend((value, depth + 1) for value in reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in reversed(node))


def _says_embed(node: dict) -> bool:
    for key in _KIND_KEYS:
        kind = node.get(key)
        if not isinstance(kind, str) or len(kind) > 200:
            continue
        kind = kind.lower()
        if any(word in kind for word in _EMBED_WORDS):
            return True
        if _PLATFORM_WORDS & set(re.split(r"[^a-z0-9]+", kind)):
            return True
    return False


def _posts_named(node: dict) -> Iterator[Embed]:
    """The post an embed object names: in one of its own values, else in an object it holds
    (Arc's `raw_oembed`, a block's `attrs`)."""
    inner = [value for value in node.values() if isinstance(value, dict)]
    for value in [*node.values(), *(v for d in inner for v in d.values())]:
        if (
            isinstance(value, str)
            and value.startswith(("http://", "https://"))
            and len(value) < 2_000
        ):
            ref = identify(value)
            if ref is not None:
                yield embed_of(ref, "page-state", ArticleCopy())
                return
