"""Precision and recall of embed discovery, per platform, over the saved article pages.

    python bench/embeds_accuracy.py [PATH/TO/EMBEDS.json]

The pages and their ground truth are the test fixtures (tests/fixtures/articles/);
pass another EMBEDS.json to score a folder of pages beside it. An embed whose post
could not be named (no post id) counts neither as a hit nor as a false positive;
it is listed as "unresolved", and the post it stands for counts as missed.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from embed_truth import ARTICLES, discovered_targets, load_truth  # noqa: E402

from archiver.discovery.embeds import discover_embeds  # noqa: E402


def main(argv: list[str]) -> int:
    truth_path = Path(argv[0]) if argv else ARTICLES / "EMBEDS.json"
    truth = load_truth(truth_path)
    hits: Counter[str] = Counter()
    false_positives: Counter[str] = Counter()
    misses: Counter[str] = Counter()
    unresolved: Counter[str] = Counter()
    for name, expected in sorted(truth.items()):
        embeds = discover_embeds(
            (truth_path.parent / name).read_text("utf-8"), f"https://example.org/{name}"
        )
        found = discovered_targets(embeds)
        for platform, post_id in found | expected:
            if (platform, post_id) in found and (platform, post_id) in expected:
                hits[platform] += 1
            elif (platform, post_id) in found:
                false_positives[platform] += 1
                print(f"false positive  {name}: {platform} {post_id}")
            else:
                misses[platform] += 1
                print(f"missed          {name}: {platform} {post_id}")
        unresolved.update(e.platform for e in embeds if not e.post_id)

    platforms = sorted(set(hits) | set(false_positives) | set(misses) | set(unresolved))
    print(f"\n{len(truth)} pages\n")
    print(
        f"{'platform':<10} {'truth':>6} {'found':>6} {'hits':>6} {'precision':>10} {'recall':>8} {'unresolved':>11}"
    )
    for platform in [*platforms, "ALL"]:
        if platform == "ALL":
            h, fp, m, u = (sum(c.values()) for c in (hits, false_positives, misses, unresolved))
        else:
            h, fp, m, u = (
                hits[platform],
                false_positives[platform],
                misses[platform],
                unresolved[platform],
            )
        precision = h / (h + fp) if h + fp else 1.0
        recall = h / (h + m) if h + m else 1.0
        print(
            f"{platform:<10} {h + m:>6} {h + fp:>6} {h:>6} {precision:>10.1%} {recall:>8.1%} {u:>11}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
