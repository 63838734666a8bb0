"""verify's check of media_matches (store/media_matches.py): derived from the media rows' hashes,
it must be exactly the rule over all pairs (media/nearest.py): each file's rows to its K
nearest near duplicates, with their distances. A row hidden, forged, or kept past a file's K
nearest is reported; whatever order the files were saved in, an untouched archive holds
exactly these rows."""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from archiver.evidence.verify_report import Report
from archiver.media.nearest import MATCHES_PER_FILE
from archiver.media.similar import hamming_hex, near_duplicate
from archiver.store.media_index_fill import fill_pending
from archiver.store.media_matches import kept_rows_of
from archiver.store.queries_evidence import media_hash_rows, media_match_rows

# Rows named one by one; past this many, a count (a viral picture can make millions).
MATCHES_NAMED = 20
NOT_A_PAIR = "not a near-duplicate pair of the files' hashes (or its distances differ)"
NOT_NEAREST = f"a near-duplicate pair, but not among the file's {MATCHES_PER_FILE} nearest"


class Expected:
    """The rows the rule makes, as sorted keys (file position · n + other's) with distances."""

    def __init__(self, rows: list[tuple]):
        self.n = len(rows)
        self.sha256s = [r[0] for r in rows]
        self.position = {sha256: i for i, sha256 in enumerate(self.sha256s)}
        kept = kept_rows_of(rows)
        keys = kept.first.astype(np.int64) * self.n + kept.second
        order = np.argsort(keys)
        self.keys = keys[order]
        self.pdq = kept.pdq_distance[order].astype(np.int64)
        self.phash = kept.phash_distance[order].astype(np.int64)
        self.seen = np.zeros(len(self.keys), bool)

    def take(self, block: list[tuple]) -> np.ndarray:
        """Which rows of the block the rule makes (marking them seen)."""
        first = np.array([self.position.get(r[0], -1) for r in block], np.int64)
        second = np.array([self.position.get(r[1], -1) for r in block], np.int64)
        pdq = np.array([-1 if r[2] is None else r[2] for r in block], np.int64)
        phash = np.array([-1 if r[3] is None else r[3] for r in block], np.int64)
        keys = first * self.n + second
        at = np.minimum(np.searchsorted(self.keys, keys), max(0, len(self.keys) - 1))
        made = (first >= 0) & (second >= 0) & (len(self.keys) > 0)
        if len(self.keys):
            made &= (self.keys[at] == keys) & (self.pdq[at] == pdq) & (self.phash[at] == phash)
        self.seen[at[made]] = True
        return made

    def missing(self) -> list[tuple[str, str]]:
        unseen = self.keys[~self.seen]
        return [(self.sha256s[k // self.n], self.sha256s[k % self.n]) for k in unseen.tolist()]


def check_media_matches(db: Database, report: Report) -> None:
    """Every media_matches row is one the rule makes and (once the fill is done) every row it
    makes is there. While a fill is under way, each row need only be a near-duplicate pair."""
    rows = list(media_hash_rows(db))
    hashes = {sha256: rest for sha256, *rest in rows}
    expected = None if fill_pending(db) else Expected(rows)
    wrong = 0
    for block in media_match_rows(db):
        report.count("media_matches rows", len(block))
        made = expected.take(block) if expected else np.zeros(len(block), bool)
        for row, ok in zip(block, made.tolist(), strict=True):
            holds = ok or _pair_holds(hashes, *row)
            if ok or (holds and expected is None):
                continue
            wrong += 1
            if wrong <= MATCHES_NAMED:
                report.add("row", f"media_matches {row[0]} ~ {row[1]}",
                           NOT_NEAREST if holds else NOT_A_PAIR)  # fmt: skip
    if wrong > MATCHES_NAMED:
        report.add(
            "row", "media_matches", f"{wrong - MATCHES_NAMED:,} more rows the rule does not make"
        )
    if expected is None:
        report.notes.append(
            "media still being indexed: missing near-duplicate pairs not looked for"
        )
        return
    _report_missing(expected.missing(), report)


def _report_missing(missing: list[tuple[str, str]], report: Report) -> None:
    for sha256, other in missing[:MATCHES_NAMED]:
        report.add("row", f"media_matches {sha256} ~ {other}",
                   "a near-duplicate pair of the files' hashes is missing"
                   f" (one of the file's {MATCHES_PER_FILE} nearest)")  # fmt: skip
    if len(missing) > MATCHES_NAMED:
        report.add(
            "row", "media_matches", f"{len(missing) - MATCHES_NAMED:,} more pairs are missing"
        )


def _pair_holds(hashes: dict, sha256: str, other: str, pdq: int | None, phash: int | None) -> bool:
    if sha256 not in hashes or other not in hashes or sha256 == other:
        return False
    (pdq_a, quality_a, phash_a), (pdq_b, quality_b, phash_b) = hashes[sha256], hashes[other]
    return (
        near_duplicate(pdq_a, quality_a, pdq_b, quality_b, phash_a, phash_b)
        and hamming_hex(pdq_a, pdq_b) == pdq
        and hamming_hex(phash_a, phash_b) == phash
    )
