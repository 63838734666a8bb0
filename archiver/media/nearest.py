"""Which near-duplicate pairs `media_matches` keeps: each file's K nearest (issue: a picture
re-encoded N times made N(N-1) rows).

The row from file a to file b is kept if b is among a's MATCHES_PER_FILE nearest, nearest by
(PDQ distance, or 256 if none; pHash distance, or 64 if none; b's SHA-256). Each direction is
decided on its own. The key orders all of a's matches strictly (the SHA-256 breaks ties), and
a file's K nearest among a set that only grows never takes back one it dropped, so keeping the
K nearest as files come (store/media_nearest.keep_nearest) ends where this module's rule over
all pairs at once does, whatever the order the files came in.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from archiver.media.hamming_index import PairArrays

MATCHES_PER_FILE = 50  # K
NO_PDQ, NO_PHASH = 256, 64  # the key's distances when a pair has none: after any real one
COMPACT_AT = 1_000_000  # directed rows gathered before cutting them to K a file again


def directed(pairs: PairArrays) -> PairArrays:
    """Pairs each once as rows both ways: from `first` to `second`, and back."""
    return PairArrays(
        np.concatenate([pairs.first, pairs.second]),
        np.concatenate([pairs.second, pairs.first]),
        np.concatenate([pairs.pdq_distance, pairs.pdq_distance]),
        np.concatenate([pairs.phash_distance, pairs.phash_distance]),
    )


def nearest_rows(
    blocks: Iterable[PairArrays], ranks: np.ndarray, k: int = MATCHES_PER_FILE
) -> PairArrays:
    """The rows kept of these pairs (each pair once, in blocks): from each file (`first`) to its
    k nearest, ordered by file then key. `ranks`: each position's place in SHA-256 order."""
    kept, gathered, size = _empty(), [], 0
    for block in blocks:
        gathered.append(directed(block))
        size += len(block.first) * 2
        if size >= max(COMPACT_AT, 2 * len(kept.first)):
            kept, gathered, size = _cut(_joined([kept, *gathered]), ranks, k), [], 0
    return _cut(_joined([kept, *gathered]), ranks, k)


def _cut(rows: PairArrays, ranks: np.ndarray, k: int) -> PairArrays:
    """The rows ordered by (first, key), the first k of each `first`."""
    order = np.lexsort(
        (
            ranks[rows.second],
            np.where(rows.phash_distance < 0, NO_PHASH, rows.phash_distance),
            np.where(rows.pdq_distance < 0, NO_PDQ, rows.pdq_distance),
            rows.first,
        )
    )
    first = rows.first[order]
    place = np.arange(len(first)) - np.searchsorted(first, first, side="left")
    keep = order[place < k]
    return PairArrays(*(getattr(rows, f)[keep] for f in PairArrays.__dataclass_fields__))


def _joined(parts: list[PairArrays]) -> PairArrays:
    return PairArrays(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in PairArrays.__dataclass_fields__)
    )


def _empty() -> PairArrays:
    return PairArrays(*(np.zeros(0, np.int64) for _ in PairArrays.__dataclass_fields__))


def sha256_ranks(sha256s: list[str]) -> np.ndarray:
    """Each position's place when the files are ordered by SHA-256 (the key's tie-break)."""
    ranks = np.empty(len(sha256s), np.int64)
    ranks[np.argsort(np.array(sha256s, dtype=str), kind="stable")] = np.arange(len(sha256s))
    return ranks
