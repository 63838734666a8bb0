"""The ground truth of article embeds (fixtures/articles/EMBEDS.json) as (platform, post id) pairs.

EMBEDS.json was made by a regex count over the raw pages, independently of our
code (see shared/fixtures/real/SOURCES.md, "How embeds were counted"). It names
each target its own way; this module turns every name into the pair our
`Embed`s carry, so tests and the accuracy bench compare like with like.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

from archiver.models import Embed
from archiver.platforms import platform_named

ARTICLES = Path(__file__).parent / "fixtures" / "articles"

# EMBEDS.json's kinds -> our platform names.
PLATFORM_OF_KIND = {
    "twitter": "x",
    "instagram": "instagram",
    "tiktok": "tiktok",
    "facebook": "facebook",
    "youtube": "youtube",
}


def load_truth(path: Path = ARTICLES / "EMBEDS.json") -> dict[str, set[tuple[str, str]]]:
    """Page file name -> the (platform, post id) pairs it embeds."""
    pages = json.loads(path.read_text("utf-8"))
    return {name: expected_targets(entry) for name, entry in pages.items()}


def expected_targets(entry: dict) -> set[tuple[str, str]]:
    targets = set()
    for kind, values in entry["unique_targets"].items():
        platform = PLATFORM_OF_KIND[kind]
        targets.update((platform, _post_id(platform, value)) for value in values)
    return targets


def discovered_targets(embeds: list[Embed]) -> set[tuple[str, str]]:
    return {(e.platform, e.post_id) for e in embeds if e.post_id}


def _post_id(platform: str, value: str) -> str:
    if platform == "x":
        # "user/status/<id>" for blockquotes, "id:<id>" for rendered iframes.
        return value.removeprefix("id:").rsplit("/", 1)[-1]
    if platform in ("instagram", "youtube"):
        return value  # shortcode, video id
    # TikTok and Facebook targets are post URLs (aol's percent-encoded, as its iframes carry them).
    ref = platform_named(platform).parse_url(unquote(value))
    if ref is None:
        raise ValueError(f"ground-truth {platform} target not recognised: {value}")
    return ref.post_id
