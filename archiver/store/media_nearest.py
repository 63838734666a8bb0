"""Keeping each file's K nearest near duplicates in `media_matches` as rows come (the rule:
media/nearest.py), on the write path and in the fill.

Rows are offered to a file; it keeps its K nearest of the rows it holds and those offered, and
a row pushed out is deleted. The rows are derived from the media rows' hashes (verify
recomputes them; no event covers them), so deleting one rewrites no evidence. A file's K
nearest among files that only grow in number never takes back one it dropped, so however the
rows are offered, each file ends with its K nearest of all (verify_media_matches checks it).

A new copy of a picture saved N times already is offered to each of the N: most of them
already hold K nearer rows. One read answers for all of them how many rows each holds and its
farthest (index-only on media_matches_nearest); only the files the offer gets into are read
whole (at most K rows each).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlite_utils import Database

from archiver.media.nearest import MATCHES_PER_FILE, NO_PDQ, NO_PHASH
from archiver.store.media_matches import INSERT, Match

# Made with the table: a file's rows and their keys read from the index alone. An archive
# without it is from before the cap (cap_matches).
NEAREST_INDEX = "media_matches_nearest"
NEAREST_COLUMNS = ["sha256", "pdq_distance", "phash_distance", "other_sha256"]
# The key as text that sorts as the key does: 3 digits of PDQ distance, 2 of pHash, the SHA-256.
KEY = (
    f"printf('%03d%02d', coalesce(pdq_distance, {NO_PDQ}), coalesce(phash_distance, {NO_PHASH}))"
    " || other_sha256"
)
FARTHEST = f"select sha256, count(*), max({KEY}) from media_matches where sha256 in ({{marks}}) group by sha256"  # fmt: skip
HELD = "select sha256, other_sha256, pdq_distance, phash_distance from media_matches where sha256 in ({marks})"  # fmt: skip
DELETE = "delete from media_matches where sha256 = ? and other_sha256 = ?"
MARKS_PER_READ = 500
TRIM = f"""
    delete from media_matches where rowid in (
        select rowid from (
            select rowid, row_number() over (partition by sha256 order by {KEY}) as place
            from media_matches
        ) where place > ?
    )
"""


def nearest_key(match: Match) -> str:
    """How near the row's other file is to its file, as KEY says it."""
    pdq, phash = match[2], match[3]
    return (
        f"{NO_PDQ if pdq is None else pdq:03d}{NO_PHASH if phash is None else phash:02d}{match[1]}"
    )


def keep_nearest(db: Database, offered: Iterable[Match], k: int = MATCHES_PER_FILE) -> None:
    """Offer rows to media_matches (inside the caller's transaction): each file keeps its k
    nearest of the rows it holds and those offered; a row pushed out is deleted."""
    by_file: dict[str, dict[str, Match]] = {}
    for m in offered:
        by_file.setdefault(m[0], {})[m[1]] = m
    if not by_file:
        return
    farthest = {r[0]: r[1:] for r in _rows(db, FARTHEST, list(by_file))}
    inserts, merge = [], []
    for sha256, offers in by_file.items():
        count, worst = farthest.get(sha256, (0, ""))
        if count + len(offers) <= k:  # room for all of them (a row held again is replaced)
            inserts += offers.values()
        elif not (count >= k and all(nearest_key(m) >= worst for m in offers.values())):
            merge.append(sha256)  # else none is nearer than the k it holds (or it holds it)
    held: dict[str, dict[str, Match]] = {}
    for row in _rows(db, HELD, merge):
        held.setdefault(row[0], {})[row[1]] = row
    deletes = []
    for sha256 in merge:
        mine, offers = held.get(sha256, {}), by_file[sha256]
        kept = {m[1] for m in sorted({**mine, **offers}.values(), key=nearest_key)[:k]}
        inserts += [m for other, m in offers.items() if other in kept]
        deletes += [(sha256, other) for other in mine if other not in kept]
    if deletes:
        db.conn.executemany(DELETE, deletes)
    if inserts:
        db.conn.executemany(INSERT, inserts)


def _rows(db: Database, sql: str, sha256s: list[str]) -> Iterator[tuple]:
    """The query's rows for these files, MARKS_PER_READ files a statement."""
    for start in range(0, len(sha256s), MARKS_PER_READ):
        part = sha256s[start : start + MARKS_PER_READ]
        yield from db.execute(sql.format(marks=",".join("?" * len(part))), part)


def has_nearest_index(db: Database) -> bool:
    return any(index.name == NEAREST_INDEX for index in db["media_matches"].indexes)


def cap_matches(db: Database, k: int = MATCHES_PER_FILE) -> None:
    """Cut each file's rows to its k nearest, then make the index that reads them (inside the
    caller's transaction): once, for an archive from before the cap, which kept every pair (so
    what is left is the rule over all pairs); the index says it was done."""
    db.execute(TRIM, [k])
    db["media_matches"].create_index(NEAREST_COLUMNS, NEAREST_INDEX, if_not_exists=True)
