"""The ground truth of article embeds (fixtures/articles/EMBEDS.json) as (platform, post id) pairs.

EMBEDS.json was made by a regex count over the raw pages, independently of our
code (see shared/fixtures/real/SOURCES.md, "How embeds were counted"). It names
each target its own way; this module turns every name into the pair our
`Embed`s carry, so tests and the accuracy bench compare like with like.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
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


# --- The whole corpus: the pages above and fixtures/corpus/ (a truth JSON per page) -----------

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@dataclass
class PageTruth:
    """One saved page: the posts it embeds (and the form each is embedded in), and the
    embed codes on it that name no post (each must be recorded as unresolved)."""

    path: Path
    forms: dict[tuple[str, str], str]  # (platform, post id) -> embed form
    unresolved: list[dict] = field(default_factory=list)

    @property
    def targets(self) -> set[tuple[str, str]]:
        return set(self.forms)


def corpus_pages() -> list[PageTruth]:
    """Every saved article page with its truth: EMBEDS.json's pages and fixtures/corpus/."""
    pages = [
        PageTruth(ARTICLES / name, dict.fromkeys(targets, ""))
        for name, targets in sorted(load_truth().items())
    ]
    for truth_path in sorted((CORPUS / "truth").glob("*.json")):
        truth = json.loads(truth_path.read_text("utf-8"))
        forms = {(e["platform"], e["post_id"]): e["form"] for e in truth["embeds"]}
        pages.append(
            PageTruth(CORPUS / "pages" / f"{truth_path.stem}.html", forms, truth["unresolved"])
        )
    return pages


@dataclass
class Tally:
    hits: int = 0
    misses: int = 0
    false_positives: int = 0

    @property
    def precision(self) -> float:
        found = self.hits + self.false_positives
        return self.hits / found if found else 1.0

    @property
    def recall(self) -> float:
        truth = self.hits + self.misses
        return self.hits / truth if truth else 1.0


@dataclass
class Score:
    """Discovery against the corpus: by platform, by embed form (truth's form for what was
    missed, how discovery found it for what was found), and the unresolved codes kept."""

    pages: int = 0
    by_platform: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_form: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    unresolved_expected: int = 0
    unresolved_recorded: int = 0
    mistakes: list[str] = field(default_factory=list)

    @property
    def overall(self) -> Tally:
        total = Tally()
        for tally in self.by_platform.values():
            total.hits += tally.hits
            total.misses += tally.misses
            total.false_positives += tally.false_positives
        return total


def score(pages: list[PageTruth], discover) -> Score:
    """Run `discover(html, page_url) -> list[Embed]` over every page and tally the answers."""
    result = Score(pages=len(pages))
    for page in pages:
        embeds = discover(page.path.read_text("utf-8", errors="replace"), "https://example.org/")
        found = {(e.platform, e.post_id): e.found_by for e in embeds if e.post_id}
        for target in found.keys() | page.targets:
            platform, form = target[0], page.forms.get(target) or found.get(target, "")
            if target in found and target in page.forms:
                result.by_platform[platform].hits += 1
                result.by_form[form or found[target]].hits += 1
            elif target in found:
                result.by_platform[platform].false_positives += 1
                result.by_form[found[target]].false_positives += 1
                result.mistakes.append(f"false positive  {page.path.name}: {target}")
            else:
                result.by_platform[platform].misses += 1
                result.by_form[form or "unlabelled"].misses += 1
                result.mistakes.append(f"missed          {page.path.name}: {target}")
        kept = [e for e in embeds if not e.post_id and e.unresolved_reason]
        for expected in page.unresolved:
            result.unresolved_expected += 1
            if any(e.platform == expected["platform"] for e in kept):
                result.unresolved_recorded += 1
            else:
                result.mistakes.append(f"not recorded    {page.path.name}: unresolved {expected}")
    return result
