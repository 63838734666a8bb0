"""verify's check of the near-duplicate index (store/media_matches.py): derived from the media
rows' hashes like media_matches, it must be exactly what they make. A row taken out or
changed would hide a later file's near duplicates without touching any pair kept so far."""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from archiver.evidence.verify_report import Report
from archiver.media.hamming_index import PDQ_CHUNKS, PHASH_CHUNKS, chunk_keys
from archiver.store.media_matches import packed_hashes
from archiver.store.queries_evidence import media_hash_rows, media_index_chunks, media_index_rows


def check_media_index(db: Database, report: Report) -> None:
    """media_hashes holds each file that can match, with its media row's hashes; the chunk
    rows are exactly its hashes' chunks."""
    indexed = media_index_rows(db)
    report.count("media_hashes rows", len(indexed))
    expected = {r[0]: r for r in media_hash_rows(db)}
    hashes = packed_hashes(list(expected.values()))
    can_match = {r[0] for r, ok in zip(expected.values(), hashes.reliable | hashes.phash_valid, strict=True) if ok}  # fmt: skip
    held = {row[1]: row for row in indexed}
    wrong = [s for s, row in held.items() if expected.get(s) != row[1:]]
    missing = sorted(can_match - held.keys())
    for sha256 in (wrong + missing)[:20]:
        report.add("row", f"media_hashes {sha256}", "not the media row's hashes, or missing")
    if len(wrong) + len(missing) > 20:
        report.add("row", "media_hashes", f"{len(wrong) + len(missing) - 20:,} more files")
    _check_chunks(db, indexed, report)


def _check_chunks(db: Database, indexed: list[tuple], report: Report) -> None:
    if not indexed:
        return
    hashes = packed_hashes([row[1:] for row in indexed])
    ids = np.array([row[0] for row in indexed], dtype=np.int64)
    expected = [
        np.stack([chunk_keys(words[rows], chunks).ravel(), np.repeat(ids[rows], len(chunks))], 1)
        for words, included, chunks in (
            (hashes.pdq, hashes.reliable, PDQ_CHUNKS), (hashes.phash, hashes.phash_valid, PHASH_CHUNKS)
        )
        for rows in [np.flatnonzero(included)]
    ]  # fmt: skip
    found = [np.array(block, dtype=np.int64).reshape(-1, 2) for block in media_index_chunks(db)]
    report.count("media_hash_chunks rows", sum(len(f) for f in found))
    if not _same_rows(np.concatenate(expected), np.concatenate(found or [np.zeros((0, 2))])):
        report.add("row", "media_hash_chunks", "not exactly the chunks of the files' hashes")


def _same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    order_a, order_b = np.lexsort(a.T[::-1]), np.lexsort(b.T[::-1])
    return bool((a[order_a] == b[order_b]).all())
