"""Multi-index hashing: finding hashes within a Hamming distance without comparing with all.

Each hash is cut into chunks and each chunk is looked up within a small radius of its own.
The radii are chosen so that they add up, one more per chunk, to the match distance plus one:
two hashes within the distance then agree within its radius on at least one chunk (if every
chunk differed by more than its radius, the hashes would differ by more than the distance).
So the chunks of one hash, with their few neighbours, name every possible match, and only
those candidates are compared in full (similar.near_duplicates, the same rule as before).

Chunks are 21-22 bits: at a million hashes a chunk value is shared by about one other by
chance, and the neighbours within 2 bits of a 21-bit value are 232 values. Cutting PDQ into
32 chunks of 8 bits (every match then shares one chunk exactly) would make each chunk value
name a 256th of the archive: 4,000 candidates per chunk at a million files.

PDQ (256 bits, within 31): 4 chunks of 22 bits within 1, 8 of 21 bits within 2 (2*4 + 3*8 = 32).
pHash (64 bits, within 8): 3 chunks of 22, 21, 21 bits within 2 (3*3 = 9).
A chunk's key is its number (0-11 PDQ, 12-14 pHash) times 2^24 plus its value: one integer
for archiver.store's index table, and for the in-memory index below.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from archiver.media.similar import PDQ_NEAR, PHASH_NEAR, bit_counts, near_duplicates


@dataclass(frozen=True)
class Chunk:
    number: int  # its place in the key
    start: int  # first bit, counted from the hash's most significant
    bits: int
    radius: int


def _layout(first: int, widths_radii: list[tuple[int, int]]) -> tuple[Chunk, ...]:
    chunks, start = [], 0
    for number, (bits, radius) in enumerate(widths_radii, first):
        chunks.append(Chunk(number, start, bits, radius))
        start += bits
    return tuple(chunks)


PDQ_CHUNKS = _layout(0, [(22, 1)] * 4 + [(21, 2)] * 8)
PHASH_CHUNKS = _layout(12, [(22, 2), (21, 2), (21, 2)])
KEY_SHIFT = 24
assert sum(c.radius + 1 for c in PDQ_CHUNKS) == PDQ_NEAR + 1
assert sum(c.radius + 1 for c in PHASH_CHUNKS) == PHASH_NEAR + 1
assert sum(c.bits for c in PDQ_CHUNKS) == 256 and sum(c.bits for c in PHASH_CHUNKS) == 64


def chunk_values(words: np.ndarray, chunk: Chunk) -> np.ndarray:
    """The chunk's value in each packed hash (rows of big-endian 64-bit words), as int64."""
    word, offset = divmod(chunk.start, 64)
    if offset + chunk.bits <= 64:
        value = (words[:, word] >> np.uint64(64 - offset - chunk.bits)) & _mask(chunk.bits)
    else:  # the chunk runs into the next word
        high, low = 64 - offset, chunk.bits - (64 - offset)
        value = ((words[:, word] & _mask(high)) << np.uint64(low)) | (
            words[:, word + 1] >> np.uint64(64 - low)
        )
    return value.astype(np.int64)


def chunk_keys(words: np.ndarray, chunks: tuple[Chunk, ...]) -> np.ndarray:
    """Each hash's chunk keys: shape (hashes, chunks)."""
    return np.stack(
        [chunk_values(words, c) + (c.number << KEY_SHIFT) for c in chunks], axis=1
    ).reshape(len(words), len(chunks))


def probe_keys(words: np.ndarray, chunks: tuple[Chunk, ...]) -> np.ndarray:
    """The keys any hash within the distance of this one (one row of words) shares with it."""
    keys = chunk_keys(words.reshape(1, -1), chunks)[0]
    return np.concatenate([keys[i] ^ flips(c.bits, c.radius) for i, c in enumerate(chunks)])


@cache
def flips(bits: int, radius: int) -> np.ndarray:
    """Every value with at most `radius` of `bits` bits set (0 included): what to XOR a chunk with."""
    found = [0]
    for count in range(1, radius + 1):
        found += [
            sum(1 << b for b in chosen) for chosen in itertools.combinations(range(bits), count)
        ]
    return np.array(found, dtype=np.int64)


def _mask(bits: int) -> np.uint64:
    return np.uint64((1 << bits) - 1)


@dataclass
class PackedHashes:
    """Many files' hashes as arrays (similar.pack_hex), the form the index and the rule take."""

    pdq: np.ndarray  # (n, 4) uint64
    pdq_valid: np.ndarray  # (n,) bool
    reliable: np.ndarray  # (n,) bool: a valid PDQ of quality >= PDQ_MIN_QUALITY
    phash: np.ndarray  # (n, 1) uint64
    phash_valid: np.ndarray

    def __len__(self) -> int:
        return len(self.pdq_valid)


@dataclass
class PairArrays:
    """Pairs of positions (first < second) that look the same, with their distances (-1: none)."""

    first: np.ndarray
    second: np.ndarray
    pdq_distance: np.ndarray
    phash_distance: np.ndarray


def compare_pairs(
    hashes: PackedHashes, first: np.ndarray, second: np.ndarray, others: PackedHashes | None = None
) -> PairArrays:
    """The candidate pairs that are near duplicates by similar.near_duplicates' rule: `first`
    positions in `hashes`, `second` in `others` (the same hashes unless given)."""
    b = hashes if others is None else others
    pdq = _row_distances(hashes.pdq[first], b.pdq[second])
    phash = _row_distances(hashes.phash[first], b.phash[second])
    both_pdq = hashes.pdq_valid[first] & b.pdq_valid[second]
    both_phash = hashes.phash_valid[first] & b.phash_valid[second]
    reliable = hashes.reliable[first] & b.reliable[second]
    near = near_duplicates(pdq, reliable, phash, both_phash)
    return PairArrays(
        first[near], second[near],
        np.where(both_pdq, pdq, -1)[near], np.where(both_phash, phash, -1)[near],
    )  # fmt: skip


def _row_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    distance = np.zeros(len(a), dtype=np.int16)
    for word in range(a.shape[1]):
        distance += bit_counts(a[:, word] ^ b[:, word])
    return distance


# Below this many files, comparing every pair is quicker than the index's fixed cost (one
# numpy step per chunk neighbour pattern, 3,500 of them: about a second).
SCAN_UP_TO = 8_000


def all_near_pairs(hashes: PackedHashes, pairs_per_step: int = 2_000_000) -> Iterator[PairArrays]:
    """Every pair of `hashes` that looks the same, each once, in steps of bounded memory."""
    if len(hashes) <= SCAN_UP_TO:
        return scanned_near_pairs(hashes, pairs_per_step)
    return indexed_near_pairs(hashes, pairs_per_step)


def scanned_near_pairs(
    hashes: PackedHashes, pairs_per_step: int = 2_000_000
) -> Iterator[PairArrays]:
    """all_near_pairs by comparing each file with every later one (quadratic)."""
    n = len(hashes)
    step = max(1, pairs_per_step // max(1, n))
    for start in range(0, n, step):
        rows = np.arange(start, min(n, start + step))
        counts = n - 1 - rows
        first = np.repeat(rows, counts)
        second = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        second += np.repeat(rows + 1, counts)
        found = compare_pairs(hashes, first, second)
        if len(found.first):
            yield found


def indexed_near_pairs(
    hashes: PackedHashes, pairs_per_step: int = 2_000_000
) -> Iterator[PairArrays]:
    """all_near_pairs by multi-index hashing.

    For each chunk, the hashes are sorted by its value, with a table of where each value's
    run starts; each hash then finds the hashes whose chunk is one of its neighbours in one
    lookup per neighbour pattern. A pair close on several chunks is kept by the first of them."""
    for chunks, words, included in _families(hashes):
        members = np.flatnonzero(included)
        if len(members) < 2:
            continue
        for chunk in chunks:
            values = chunk_values(words[members], chunk)
            order, starts = _runs(values, chunk.bits)
            for flip in flips(chunk.bits, chunk.radius):
                target = values ^ flip
                lo, hi = starts[target], starts[target + 1]
                for rows in _steps(hi - lo, pairs_per_step):
                    first, second = _expand(members, order, rows, lo[rows], hi[rows])
                    found = compare_pairs(hashes, first, second)
                    if len(found.first):
                        yield _first_finder_only(hashes, found, chunk)


def _steps(counts: np.ndarray, most: int) -> Iterator[np.ndarray]:
    """Slices of the hashes whose candidates add up to at most `most` (one hash's may exceed it)."""
    total = np.cumsum(counts)
    start = 0
    while start < len(counts):
        base = total[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(total, base + most, side="right")))
        yield np.arange(start, min(stop, len(counts)))
        start = stop


def _expand(members, order, rows, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Each hash of `rows` against every hash of its bucket run [lo, hi): candidate pairs, first < second."""
    counts = hi - lo
    query = np.repeat(rows, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    first, second = members[query], members[order[np.repeat(lo, counts) + offsets]]
    keep = first < second
    return first[keep], second[keep]


def _first_finder_only(hashes: PackedHashes, found: PairArrays, chunk: Chunk) -> PairArrays:
    """The pairs no chunk before this one (PDQ's, then pHash's) finds too."""
    earlier = np.zeros(len(found.first), dtype=bool)
    for chunks, words, included in _families(hashes):
        both = included[found.first] & included[found.second]
        for other in chunks:
            if other.number >= chunk.number:
                break
            a = chunk_values(words[found.first], other)
            b = chunk_values(words[found.second], other)
            earlier |= both & (bit_counts(a ^ b) <= other.radius)
    keep = ~earlier
    return PairArrays(found.first[keep], found.second[keep],
                      found.pdq_distance[keep], found.phash_distance[keep])  # fmt: skip


class MultiIndex:
    """Many files' hashes, indexed in memory for looking up a few others at a time: for each
    chunk, its values in order (int32) and the files in that order. Memory is proportional to
    the files (15 chunks of 8 bytes: 120 MB at a million), not to the chunks' 2^22 values."""

    def __init__(self, hashes: PackedHashes):
        assert len(hashes) < 2**31
        self.hashes = hashes
        self.tables = []
        for family, (chunks, words, included) in enumerate(_families(hashes)):
            members = np.flatnonzero(included)
            for chunk in chunks:
                values = chunk_values(words[members], chunk).astype(np.int32)
                order = np.argsort(values, kind="stable")
                self.tables.append((family, chunk, members[order].astype(np.int32), values[order]))

    def near(self, query: PackedHashes) -> PairArrays:
        """The pairs (position in `query`, position in the index) that look the same."""
        firsts, seconds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        families = _families(query)
        for family, chunk, by_value, values in self.tables:
            _, words, included = families[family]
            asking = np.flatnonzero(included)
            pattern = flips(chunk.bits, chunk.radius)
            probes = (chunk_values(words[asking], chunk)[:, None] ^ pattern).ravel()
            probes = probes.astype(np.int32)  # the same type as `values`: no copy of them
            lo = np.searchsorted(values, probes, side="left")
            counts = np.searchsorted(values, probes, side="right") - lo
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            firsts.append(np.repeat(np.repeat(asking, len(pattern)), counts))
            seconds.append(by_value[np.repeat(lo, counts) + offsets].astype(np.int64))
        n = max(1, len(self.hashes))
        codes = np.unique(np.concatenate(firsts) * n + np.concatenate(seconds))
        return compare_pairs(query, codes // n, codes % n, others=self.hashes)


def _runs(values: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions in order of value, and where each possible value's run starts in it."""
    starts = np.zeros((1 << bits) + 1, dtype=np.int64)
    np.cumsum(np.bincount(values, minlength=1 << bits), out=starts[1:])
    return np.argsort(values, kind="stable"), starts


def _families(hashes: PackedHashes):
    """(chunks, packed words, which files take part) for PDQ, then pHash."""
    return (
        (PDQ_CHUNKS, hashes.pdq, hashes.reliable),
        (PHASH_CHUNKS, hashes.phash, hashes.phash_valid),
    )
