"""When two media files show the same picture: equal SHA-256, or perceptual hashes close enough.

The thresholds are the usual ones: PDQ within 31 bits of 256 (Meta's recommended match
distance, when both hashes have quality >= 50), pHash within 8 bits of 64.
"""

from __future__ import annotations

PDQ_NEAR = 31
PHASH_NEAR = 8
PDQ_MIN_QUALITY = 50  # below this PDQ marks its own hash unreliable (flat or tiny images)


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
