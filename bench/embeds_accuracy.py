"""Precision and recall of embed discovery over the whole saved corpus, per platform and per
embed form, and how many embed codes that name no post were kept as unresolved.

    python bench/embeds_accuracy.py

The pages and their truth are the test fixtures: tests/fixtures/articles/ (EMBEDS.json) and
tests/fixtures/corpus/ (a truth JSON per page; see its SOURCES.md). A found embed that names
no post counts neither as a hit nor as a false positive; the post it stands for counts as
missed. The targets (issue 16): recall >= 0.98 and precision >= 0.99 overall, no platform
below 0.95; tests/test_embeds_corpus.py asserts them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from embed_truth import Tally, corpus_pages, score  # noqa: E402

from archiver.discovery.embeds import discover_embeds  # noqa: E402


def main() -> int:
    pages = corpus_pages()
    started = time.perf_counter()
    result = score(pages, discover_embeds)
    seconds = time.perf_counter() - started
    for line in result.mistakes:
        print(line)
    megabytes = sum(page.path.stat().st_size for page in pages) / 1e6
    print(f"\n{result.pages} pages, {megabytes:.1f} MB, read in {seconds:.1f} s\n")
    _table("platform", {**result.by_platform, "ALL": result.overall})
    print()
    _table("embed form", result.by_form)
    print(
        f"\nunresolved embed codes kept with their reason: "
        f"{result.unresolved_recorded} of {result.unresolved_expected}"
    )
    return 0


def _table(title: str, rows: dict[str, Tally]) -> None:
    print(f"{title:<16} {'truth':>6} {'found':>6} {'hits':>6} {'precision':>10} {'recall':>8}")
    for name, tally in sorted(rows.items(), key=lambda item: (item[0] == "ALL", item[0])):
        truth, found = tally.hits + tally.misses, tally.hits + tally.false_positives
        print(
            f"{name:<16} {truth:>6} {found:>6} {tally.hits:>6} "
            f"{tally.precision:>10.1%} {tally.recall:>8.1%}"
        )


if __name__ == "__main__":
    sys.exit(main())
