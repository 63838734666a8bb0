"""The write path's lookup from memory once it pays (archiver/store/media_lookup.py): the same
pairs as comparing every file with every other, with other processes writing alongside and
transactions rolled back."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from archiver.models import StoredMedia
from archiver.store import media_lookup
from archiver.store.connection import open_db
from archiver.store.media_lookup import session_index
from archiver.store.media_matches import both_ways, near_pairs_of
from archiver.store.transaction import transaction
from archiver.store.writes import save_media

ROOT = Path(__file__).resolve().parent.parent
# (PDQ bits flipped, PDQ quality, pHash bits flipped): each side of each threshold.
EDGES = [(31, 90, 20), (32, 90, 20), (31, 50, 20), (31, 49, 20), (200, 90, 8), (200, 90, 9)]

# A second process: saves the files whose (name, pdq, quality, phash) it reads on stdin.
OTHER_PROCESS = textwrap.dedent("""
    import json, sys
    from archiver.store.connection import open_db
    from archiver.store.transaction import transaction
    from archiver.store.writes import save_media
    from tests.test_media_lookup import media
    db = open_db(sys.argv[1])
    for name, pdq, quality, phash in json.load(sys.stdin):
        with transaction(db):
            save_media(db, media(name, pdq, quality, phash))
    db.close()
""")


def media(name: str, pdq: str, quality: int, phash: str) -> StoredMedia:
    sha = hashlib.sha256(name.encode()).hexdigest()
    return StoredMedia(
        sha256=sha, bytes=1, blob_path=f"sha256/{sha}", mime="image/jpeg",
        pdq=pdq, pdq_quality=quality, phash=phash,
    )  # fmt: skip


def flipped(hexhash: str, count: int, rng: np.random.Generator) -> str:
    value = int(hexhash, 16)
    for bit in rng.choice(len(hexhash) * 4, count, replace=False).tolist():
        value ^= 1 << bit
    return format(value, f"0{len(hexhash)}x")


def files(count: int, rng: np.random.Generator, prefix: str, earlier: list) -> list[tuple]:
    """(name, pdq, quality, phash): random, or every other one a copy of an earlier file at one
    of the thresholds' edges."""
    made = []
    for i in range(count):
        pool = earlier + made
        if pool and i % 2:
            _, pdq, _, phash = pool[int(rng.integers(len(pool)))]
            pdq_bits, quality, phash_bits = EDGES[int(rng.integers(len(EDGES)))]
            made.append((f"{prefix}{i}", flipped(pdq, pdq_bits, rng), quality,
                         flipped(phash, phash_bits, rng)))  # fmt: skip
        else:
            words = rng.integers(0, 2**63, 5, dtype=np.uint64)
            made.append((f"{prefix}{i}", "".join(f"{w:016x}" for w in words[:4]), 90,
                         f"{words[4]:016x}"))  # fmt: skip
    return made


def save_each(db, made: list[tuple]) -> None:
    for name, pdq, quality, phash in made:
        with transaction(db):
            save_media(db, media(name, pdq, quality, phash))


def every_pair(db) -> set[tuple]:
    rows = db.execute("select sha256, pdq, pdq_quality, phash from media").fetchall()
    return {m for block in near_pairs_of(rows) for m in both_ways(block)}


def pairs(db) -> set[tuple]:
    return set(db.execute("select * from media_matches").fetchall())


@pytest.fixture
def small_limits(monkeypatch):
    """Load after 5 lookups, take the tail into the index every 7 files: both happen often."""
    monkeypatch.setattr(media_lookup, "MIN_LOOKUPS", 5)
    monkeypatch.setattr(media_lookup, "TAIL_LIMIT", 7)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lookups_from_memory_find_what_comparing_every_pair_finds(tmp_path, small_limits, seed):
    rng = np.random.default_rng(seed)
    path = tmp_path / "archive.db"
    db, made = open_db(path), []
    for round_ in range(3):
        mine = files(30, rng, f"session {round_} ", made)
        save_each(db, mine[:15])
        session_index(db).settle()  # a load started (in its thread) is done
        save_each(db, mine[15:])
        assert session_index(db).index is not None  # answered from memory, not SQLite
        theirs = files(12, rng, f"other {round_} ", made + mine)
        subprocess.run(
            [sys.executable, "-c", OTHER_PROCESS, str(path)], input=json.dumps(theirs),
            text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        made += mine + theirs
    assert pairs(db) == every_pair(db)
    assert len(pairs(db)) > 40  # the planted copies on the near side were found
    db.close()


def test_a_rollback_takes_its_files_out_of_memory_too(tmp_path, small_limits):
    rng = np.random.default_rng(7)
    db, other = open_db(tmp_path / "a.db"), open_db(tmp_path / "a.db")
    made = files(20, rng, "kept ", [])
    save_each(db, made[:10])
    session_index(db).settle()
    save_each(db, made[10:])
    assert session_index(db).index is not None
    # Enough files in one transaction that the index takes some in before the rollback.
    gone = files(10, rng, "rolled back ", made)
    with pytest.raises(RuntimeError), transaction(db):
        save_each_in(db, gone)
        raise RuntimeError("the capture failed")
    assert session_index(db).index is None  # it had taken in rolled-back files: dropped
    save_each(other, files(3, rng, "other ", made))  # takes the rolled-back ids
    with pytest.raises(RuntimeError), transaction(db):
        save_each_in(db, files(2, rng, "rolled back again ", made))
        raise RuntimeError("the capture failed")
    later = files(20, rng, "later ", made + gone)  # copies of rolled-back files among them
    save_each(db, later)
    gone_sha256s = {media(*f).sha256 for f in gone}
    assert not {m for m in pairs(db) if gone_sha256s & set(m[:2])}
    assert pairs(db) == every_pair(db)
    db.close()
    other.close()


def save_each_in(db, made: list[tuple]) -> None:
    for name, pdq, quality, phash in made:
        save_media(db, media(name, pdq, quality, phash))
