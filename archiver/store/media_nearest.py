"""Keeping each file's K nearest near duplicates in `media_matches` as rows come (the rule:
media/nearest.py), on the write path and in the fill.

Rows are offered to a file; it keeps its K nearest of the rows it holds and those offered, and
a row pushed out is deleted. The rows are derived from the media rows' hashes (verify
recomputes them; no event covers them), so deleting one rewrites no evidence. A file's K
nearest among files that only grow in number never takes back one it dropped, so however the
rows are offered, each file ends with its K nearest of all (verify_media_matches checks it).

A new copy of a picture saved N times already is offered to each of the N: most of them
already hold K nearer rows. For each, its K-th nearest is read from the index that holds the
key (media_matches_nearest: a seek and K steps, no row read); the new file, if nearer, takes
its place. Only files offered several rows at once (the new file itself, the fill's) are read
whole (at most K rows each) and merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlite_utils import Database

from archiver.media.nearest import MATCHES_PER_FILE, NO_PDQ, NO_PHASH
from archiver.store.media_matches import INSERT, Match

# The key in SQL: the index made with the table holds it, so a file's K-th nearest is a seek
# and K steps in the index. An archive without the index is from before the cap (cap_matches).
KEY = f"coalesce(pdq_distance, {NO_PDQ}), coalesce(phash_distance, {NO_PHASH}), other_sha256"
NEAREST_INDEX = f"create index if not exists media_matches_nearest on media_matches (sha256, {KEY})"
KTH = f"select {KEY} from media_matches where sha256 = ? order by {KEY} limit 1 offset ?"
HELD = "select sha256, other_sha256, pdq_distance, phash_distance from media_matches where sha256 in ({marks})"  # fmt: skip
DELETE = "delete from media_matches where sha256 = ? and other_sha256 = ?"
INSERT_NEW = (
    "insert or ignore into media_matches (sha256, other_sha256, pdq_distance, phash_distance)"
    " values (?, ?, ?, ?)"
)
MARKS_PER_READ = 500
TRIM = f"""
    delete from media_matches where rowid in (
        select rowid from (
            select rowid, row_number() over (partition by sha256 order by {KEY}) as place
            from media_matches
        ) where place > ?
    )
"""


def nearest_key(match: Match) -> tuple[int, int, str]:
    """How near the row's other file is to its file, as KEY orders it."""
    pdq, phash = match[2], match[3]
    return (NO_PDQ if pdq is None else pdq, NO_PHASH if phash is None else phash, match[1])


def keep_nearest(db: Database, offered: Iterable[Match], k: int = MATCHES_PER_FILE) -> None:
    """Offer rows to media_matches (inside the caller's transaction): each file keeps its k
    nearest of the rows it holds and those offered; a row pushed out is deleted."""
    by_file: dict[str, dict[str, Match]] = {}
    for m in offered:
        by_file.setdefault(m[0], {})[m[1]] = m
    inserts, merge = [], []
    for sha256, offers in by_file.items():
        if len(offers) > 1:  # a new file's own rows, or the fill's
            merge.append(sha256)
            continue
        (new,) = offers.values()
        kth = db.conn.execute(KTH, [sha256, k - 1]).fetchone()
        if kth is None:  # room for it (a row held again is replaced)
            inserts.append(new)
        elif nearest_key(new) < kth and db.conn.execute(INSERT_NEW, new).rowcount:
            db.conn.execute(DELETE, [sha256, kth[2]])  # (unless it held that row already)
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
    return any(index.name == "media_matches_nearest" for index in db["media_matches"].indexes)


def cap_matches(db: Database, k: int = MATCHES_PER_FILE) -> None:
    """Cut each file's rows to its k nearest, then make the index that reads them (inside the
    caller's transaction): once, for an archive from before the cap, which kept every pair (so
    what is left is the rule over all pairs); the index says it was done."""
    db.execute(TRIM, [k])
    db.execute(NEAREST_INDEX)
