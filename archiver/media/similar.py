"""When two media files show the same picture: equal SHA-256, or perceptual hashes close enough.

The thresholds are the usual ones: PDQ within 31 bits of 256 (Meta's recommended match
distance, when both hashes have quality >= 50), pHash within 8 bits of 64. The rule is
given twice: for two hashes (near_duplicate) and over numpy arrays of many
(near_duplicates), which media/hamming_index.py applies to the candidate pairs its index finds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

PDQ_NEAR = 31
PHASH_NEAR = 8
PDQ_MIN_QUALITY = 50  # below this PDQ marks its own hash unreliable (flat or tiny images)
PDQ_DIGITS = 64  # hex digits of the hashes archiver.media writes
PHASH_DIGITS = 16
_HEX = re.compile(r"[0-9a-fA-F]+")


def hamming_hex(a: str | None, b: str | None) -> int | None:
    """Differing bits between two equal-length hex hashes; None when either is missing or malformed."""
    if not a or not b or len(a) != len(b):
        return None
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return None


def near_duplicate(
    pdq_a: str | None,
    quality_a: int | None,
    pdq_b: str | None,
    quality_b: int | None,
    phash_a: str | None,
    phash_b: str | None,
) -> bool:
    """Two images that look the same: PDQ close (both hashes reliable) or pHash close."""
    reliable = (quality_a or 0) >= PDQ_MIN_QUALITY and (quality_b or 0) >= PDQ_MIN_QUALITY
    pdq = hamming_hex(pdq_a, pdq_b) if reliable else None
    phash = hamming_hex(phash_a, phash_b)
    return (pdq is not None and pdq <= PDQ_NEAR) or (phash is not None and phash <= PHASH_NEAR)


def pack_hex(hashes: Sequence[str | None], digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Hex hashes of `digits` digits (a multiple of 16) as rows of 64-bit words, and which rows
    held a valid one (the others are zeros)."""
    valid = np.fromiter(
        (isinstance(h, str) and len(h) == digits and _HEX.fullmatch(h) is not None for h in hashes),
        dtype=bool,
        count=len(hashes),
    )
    packed = np.zeros((len(hashes), digits // 16), dtype=np.uint64)
    if valid.any():
        data = bytes.fromhex("".join(h for h, ok in zip(hashes, valid, strict=True) if ok))
        packed[valid] = np.frombuffer(data, dtype=">u8").reshape(-1, digits // 16)
    return packed, valid


def near_duplicates(
    pdq_distance: np.ndarray,
    both_reliable: np.ndarray,
    phash_distance: np.ndarray,
    both_phash: np.ndarray,
) -> np.ndarray:
    """near_duplicate() over arrays: PDQ close where both hashes are reliable, or pHash close."""
    return (both_reliable & (pdq_distance <= PDQ_NEAR)) | (
        both_phash & (phash_distance <= PHASH_NEAR)
    )


def _popcount_bytes(words: np.ndarray) -> np.ndarray:
    # numpy < 2.0 has no bitwise_count: count each byte by table, then add a word's bytes up.
    counts = _BYTE_BITS[words.view(np.uint8)]
    return counts.reshape(*words.shape, 8).sum(axis=-1, dtype=np.uint8)


_BYTE_BITS = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)
# The set bits of each element of an integer array.
bit_counts = getattr(np, "bitwise_count", _popcount_bytes)
