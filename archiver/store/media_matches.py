"""Near-duplicate media, found once when a file is first saved and kept in `media_matches`.

A row (sha256, other_sha256, pdq_distance, phash_distance) says other_sha256 looks like
sha256 and is among its MATCHES_PER_FILE nearest (media/nearest.py; kept so by
store/media_nearest.py). The rule and thresholds are similar.py's; a file's identical copies
are the same media row, so `media_matches` only pairs different files.

A file is not compared with every other: its hashes' chunks are written to an index table
in the same transaction as its media row (multi-index hashing, media/hamming_index.py), and
the files that share a chunk with it, within the chunk's radius, are the only ones compared.
Two tables, kept in step with `media` by the one write path:
- `media_hashes`: one row per file that has a hash able to match (a reliable PDQ or a
  pHash), with its own integer id (a media row's rowid is not stable across VACUUM);
- `media_hash_chunks`: (key, id), one row per chunk of each such file (WITHOUT ROWID: the
  primary key is the whole row, so a lookup reads the index alone).
A rollback takes a file's index rows back with its media row; another process's committed
files are in the table the moment the write lock is ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from sqlite_utils import Database

from archiver.media.hamming_index import (
    PDQ_CHUNKS,
    PHASH_CHUNKS,
    PackedHashes,
    PairArrays,
    all_near_pairs,
    chunk_keys,
    compare_pairs,
    probe_keys,
)
from archiver.media.nearest import nearest_rows, sha256_ranks
from archiver.media.similar import PDQ_DIGITS, PDQ_MIN_QUALITY, PHASH_DIGITS, pack_hex

Match = tuple[str, str, int | None, int | None]  # sha256, other_sha256, pdq and pHash distance
HashRow = tuple[str, str | None, int | None, str | None]  # sha256, pdq, pdq_quality, phash
INSERT = (
    "insert or replace into media_matches (sha256, other_sha256, pdq_distance, phash_distance)"
    " values (?, ?, ?, ?)"
)
# The probe keys as bound parameters (2,666 at most, under SQLite's 32,766 since 3.32):
# quicker than one JSON array through json_each.
CANDIDATES = """
    select id, sha256, pdq, pdq_quality, phash from media_hashes
    where id in (select id from media_hash_chunks where key in ({marks}))
"""


def create_index_tables(db: Database, *, anew: bool = False) -> None:
    """The index tables (inside the caller's transaction); anew: emptied first."""
    if anew:
        db.execute("drop table if exists media_hash_chunks")
        db.execute("drop table if exists media_hashes")
    db["media_hashes"].create(
        {"id": int, "sha256": str, "pdq": str, "pdq_quality": int, "phash": str},
        pk="id", not_null={"sha256"}, if_not_exists=True,
    )  # fmt: skip
    db["media_hashes"].create_index(["sha256"], unique=True, if_not_exists=True)
    # sqlite-utils cannot make a WITHOUT ROWID table: the one hand-written CREATE.
    db.execute(
        "create table if not exists media_hash_chunks (key integer not null,"
        " id integer not null, primary key (key, id)) without rowid"
    )


def packed_hashes(rows: Sequence[HashRow]) -> PackedHashes:
    """The hashes of (sha256, pdq, pdq_quality, phash) rows, as the index compares them."""
    pdq, pdq_valid = pack_hex([r[1] for r in rows], PDQ_DIGITS)
    phash, phash_valid = pack_hex([r[3] for r in rows], PHASH_DIGITS)
    quality = np.array([r[2] or 0 for r in rows], dtype=np.int64).reshape(len(rows))
    return PackedHashes(
        pdq, pdq_valid, pdq_valid & (quality >= PDQ_MIN_QUALITY), phash, phash_valid
    )


def index_files(db: Database, rows: Sequence[HashRow]) -> list[int]:
    """Write the index rows of files (inside the caller's transaction); files without a hash
    that can match get none. Returns the media_hashes ids written."""
    hashes = packed_hashes(rows)
    pdq_keys, phash_keys = (
        chunk_keys(hashes.pdq, PDQ_CHUNKS),
        chunk_keys(hashes.phash, PHASH_CHUNKS),
    )
    chunk_rows: list[tuple[int, int]] = []
    ids = []
    for i in np.flatnonzero(hashes.reliable | hashes.phash_valid).tolist():
        file_id = db.execute(
            "insert into media_hashes (sha256, pdq, pdq_quality, phash) values (?, ?, ?, ?)",
            rows[i],
        ).lastrowid
        ids.append(file_id)
        keys = (pdq_keys[i].tolist() if hashes.reliable[i] else []) + (
            phash_keys[i].tolist() if hashes.phash_valid[i] else []
        )
        chunk_rows += [(key, file_id) for key in keys]
    chunk_rows.sort()  # in key order: the batch's rows go to neighbouring pages together
    db.conn.executemany("insert into media_hash_chunks (key, id) values (?, ?)", chunk_rows)
    return ids


def near_files(db: Database, row: HashRow) -> list[Match]:
    """The indexed files that look like this one (not itself): each found through one of its
    chunks' neighbours, then compared in full."""
    hashes = packed_hashes([row])
    probes = (probe_keys(hashes.pdq[0], PDQ_CHUNKS).tolist() if hashes.reliable[0] else []) + (
        probe_keys(hashes.phash[0], PHASH_CHUNKS).tolist() if hashes.phash_valid[0] else []
    )
    if not probes:
        return []
    sql = CANDIDATES.format(marks=",".join("?" * len(probes)))
    found = [r[1:] for r in db.execute(sql, probes) if r[1] != row[0]]
    if not found:
        return []
    rows = [row, *found]
    pairs = compare_pairs(packed_hashes(rows), np.zeros(len(found), int), np.arange(1, len(rows)))
    return list(matches_of(pairs, [r[0] for r in rows]))


def matches_of(pairs: PairArrays, sha256s: Sequence[str]) -> Iterator[Match]:
    """Pairs of positions as (sha256, other_sha256, pdq_distance, phash_distance)."""
    for a, b, pdq, phash in zip(
        pairs.first.tolist(), pairs.second.tolist(),
        pairs.pdq_distance.tolist(), pairs.phash_distance.tolist(), strict=True,
    ):  # fmt: skip
        yield sha256s[a], sha256s[b], None if pdq < 0 else pdq, None if phash < 0 else phash


def near_pairs_of(rows: Sequence[HashRow]) -> Iterator[list[Match]]:
    """Every pair of these files that look the same, each once, in blocks (in memory: for
    filling the table and for verify)."""
    sha256s = [r[0] for r in rows]
    for pairs in all_near_pairs(packed_hashes(rows)):
        yield list(matches_of(pairs, sha256s))


def kept_rows_of(rows: Sequence[HashRow]) -> PairArrays:
    """The rows media_matches keeps for these files, by the rule over all their pairs at once
    (media/nearest.py): positions in `rows`, ordered by file then key."""
    return nearest_rows(all_near_pairs(packed_hashes(rows)), sha256_ranks([r[0] for r in rows]))


def both_ways(found: Iterable[Match]) -> Iterator[Match]:
    """Each pair (found once) as rows from each file to the other."""
    for m in found:
        yield m
        yield (m[1], m[0], m[2], m[3])
