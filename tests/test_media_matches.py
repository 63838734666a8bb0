"""Near-duplicate pairs written when a media file is first saved (archiver/store/media_matches.py)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

from archiver.media.similar import _popcount_bytes, near_duplicate
from archiver.models import StoredMedia
from archiver.store.connection import open_db
from archiver.store.media_matches import near_pairs_of
from archiver.store.transaction import transaction
from archiver.store.writes import save_media

PDQ = "ab" * 32
PHASH = "c3c3c3c33c3c3c3c"
FAR_PHASH = "3c3c3c3cc3c3c3c3"  # all 64 bits differ from PHASH


def flip(hexhash: str, bits: int, above: int = 0) -> str:
    """The hash with BITS bits inverted, the lowest of them at bit ABOVE."""
    return format(int(hexhash, 16) ^ (((1 << bits) - 1) << above), f"0{len(hexhash)}x")


def media(name: str, pdq: str | None = None, quality: int | None = 90, phash: str | None = None):
    sha = hashlib.sha256(name.encode()).hexdigest()
    return StoredMedia(
        sha256=sha, bytes=1, blob_path=f"sha256/{sha}", mime="image/jpeg",
        pdq=pdq, pdq_quality=quality if pdq else None, phash=phash,
    )  # fmt: skip


def save(db, *items: StoredMedia) -> None:
    with transaction(db):
        for item in items:
            save_media(db, item)


def matches(db) -> set[tuple[str, str, int | None, int | None]]:
    return set(db.execute("select * from media_matches").fetchall())


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "archive.db")
    yield db
    db.close()


def test_identical_hashes_on_different_files_match_both_ways(db):
    a, b = media("a", PDQ, 90, PHASH), media("b", PDQ, 90, PHASH)
    save(db, a)
    save(db, b, a)  # a again: the same file is the same row, never a pair with itself
    assert matches(db) == {(a.sha256, b.sha256, 0, 0), (b.sha256, a.sha256, 0, 0)}


def test_near_by_pdq_or_by_phash_far_by_both(db):
    base = media("base", PDQ, 90, PHASH)
    near_pdq = media("near pdq", flip(PDQ, 31), 90, FAR_PHASH)
    near_phash = media("near phash", flip(PDQ, 200), 90, flip(PHASH, 8))
    far = media("far", flip(PDQ, 32, above=100), 90, flip(PHASH, 9, above=40))
    save(db, base, near_pdq, near_phash, far)
    pairs = {(a, b): (pdq, phash) for a, b, pdq, phash in matches(db)}
    assert pairs[base.sha256, near_pdq.sha256] == (31, 64)
    assert pairs[base.sha256, near_phash.sha256] == (200, 8)
    assert not any(far.sha256 in pair for pair in pairs)
    # near_pdq and near_phash are not near each other (PDQ 169 bits, pHash 56 bits apart).
    assert (near_pdq.sha256, near_phash.sha256) not in pairs
    assert len(pairs) == 4  # two pairs, both ways


def test_an_unreliable_pdq_hash_says_nothing(db):
    sharp = media("sharp", PDQ, 90, PHASH)
    flat = media("flat", PDQ, 49, FAR_PHASH)  # the same PDQ, but PDQ itself calls it unreliable
    flat_close = media("flat, pHash close", PDQ, 10, flip(PHASH, 3))
    save(db, sharp, flat, flat_close)
    pairs = {(a, b): (pdq, phash) for a, b, pdq, phash in matches(db)}
    assert (sharp.sha256, flat.sha256) not in pairs
    # Matched by pHash: the PDQ distance is still shown, as the page showed it before.
    assert pairs[sharp.sha256, flat_close.sha256] == (0, 3)


def test_files_without_hashes_match_nothing(db):
    video = media("video")
    save(db, media("photo", PDQ, 90, PHASH), video, media("other video"))
    assert matches(db) == set()


def test_a_session_sees_what_another_process_saved_meanwhile(tmp_path):
    first, second = open_db(tmp_path / "a.db"), open_db(tmp_path / "a.db")
    original = media("original", PDQ, 90, PHASH)
    save(first, original, media("unrelated", flip(PDQ, 128), 90, FAR_PHASH))  # first's index
    copy = media("copy", flip(PDQ, 4), 90, PHASH)
    save(second, copy)
    recopy = media("recopy of the copy", flip(PDQ, 6), 90, flip(PHASH, 1))
    save(first, recopy)  # first's index was made before `copy` existed
    pairs = {(a, b) for a, b, *_ in matches(first)}
    assert {(original.sha256, copy.sha256), (copy.sha256, recopy.sha256)} <= pairs
    assert (original.sha256, recopy.sha256) in pairs and len(pairs) == 6
    first.close()
    second.close()


def test_a_rolled_back_file_is_not_matched_later(tmp_path):
    first, second = open_db(tmp_path / "a.db"), open_db(tmp_path / "a.db")
    save(first, media("seed", flip(PDQ, 100), 90, FAR_PHASH))
    gone = media("rolled back", PDQ, 90, PHASH)
    with pytest.raises(RuntimeError), transaction(first):
        save_media(first, gone)
        raise RuntimeError("the post failed")
    kept = media("saved by another process", flip(PDQ, 200), 90, flip(PHASH, 40))
    save(second, kept)  # takes the rowid the rolled-back file had
    later = media("a copy of what the other process saved", flip(PDQ, 201), 90, flip(PHASH, 41))
    save(first, later)
    assert {(a, b) for a, b, *_ in matches(first)} == {
        (kept.sha256, later.sha256),
        (later.sha256, kept.sha256),
    }
    first.close()
    second.close()


def test_an_older_archive_gets_its_pairs_on_open(tmp_path):
    db = open_db(tmp_path / "a.db")
    a, b = media("a", PDQ, 90, PHASH), media("b", flip(PDQ, 3), 90, FAR_PHASH)
    c, d = media("c", None, None, flip(PHASH, 2)), media("d", flip(PDQ, 90), 90, None)
    save(db, a, b)
    save(db, c, d)
    written = matches(db)
    assert {(x, y) for x, y, *_ in written} == {
        (a.sha256, b.sha256), (b.sha256, a.sha256), (a.sha256, c.sha256), (c.sha256, a.sha256),
    }  # fmt: skip
    db.execute("drop table media_matches")  # as an archive made before the table was
    db.close()
    reopened = open_db(tmp_path / "a.db")
    assert matches(reopened) == written
    reopened.close()


def test_the_array_rule_is_the_pairwise_rule(db):
    rng = random.Random(5)
    items = []
    for n in range(300):
        pdq = flip(PDQ, rng.choice([0, 20, 30, 31, 32, 33, 60])) if n % 7 else None
        phash = flip(PHASH, rng.choice([0, 7, 8, 9, 20])) if n % 5 else rng.choice([None, "xyz"])
        items.append(media(str(n), pdq, rng.choice([None, 0, 49, 50, 90]), phash))
    db["media"].insert_all(
        {"sha256": m.sha256, "bytes": 1, "blob_path": m.blob_path, "pdq": m.pdq,
         "pdq_quality": m.pdq_quality, "phash": m.phash}
        for m in items
    )  # fmt: skip
    rows = [(m.sha256, m.pdq, m.pdq_quality, m.phash) for m in items]
    each_once = [pair for block in near_pairs_of(rows) for pair in block]
    found = {(a, b) for a, b, *_ in each_once} | {(b, a) for a, b, *_ in each_once}
    expected = {
        (a.sha256, b.sha256)
        for a in items
        for b in items
        if a is not b
        and near_duplicate(a.pdq, a.pdq_quality, b.pdq, b.pdq_quality, a.phash, b.phash)
    }
    assert found == expected and len(expected) > 100
    assert len(each_once) * 2 == len(found)


def test_bit_counts_without_numpy_2():
    words = np.random.default_rng(3).integers(0, 2**64 - 1, size=(50, 4), dtype=np.uint64)
    expected = [[bin(int(w)).count("1") for w in row] for row in words]
    assert _popcount_bytes(words).tolist() == expected


def test_verify_recomputes_the_pairs_and_catches_one_hidden_or_forged(db):
    from archiver.evidence.verify_report import Report
    from archiver.evidence.verify_rows import check_media_matches

    a, b = media("a", PDQ, 90, PHASH), media("b", flip(PDQ, 10), 90, PHASH)
    far = media("far", flip(PDQ, 120), 90, FAR_PHASH)
    save(db, a, b, far)
    clean = Report()
    check_media_matches(db, clean)
    assert clean.ok and clean.checked["media_matches rows"] == 2

    # Hiding that two files look alike, or claiming two unlike files do: both derived lies.
    db.execute("delete from media_matches where sha256 = ?", [a.sha256])
    db.execute("insert into media_matches values (?, ?, 0, 0)", [far.sha256, a.sha256])
    tampered = Report()
    check_media_matches(db, tampered)
    problems = {(p.where, p.detail.split(" (")[0]) for p in tampered.problems}
    assert (f"media_matches {a.sha256} ~ {b.sha256}",
            "a near-duplicate pair of the files' hashes is missing") in problems  # fmt: skip
    assert (f"media_matches {far.sha256} ~ {a.sha256}",
            "not a near-duplicate pair of the files' hashes") in problems  # fmt: skip


def boundary_rows(count: int, seed: int) -> list[tuple]:
    """(sha256, pdq, quality, phash): random hashes, and copies of earlier ones at the
    thresholds' edges: PDQ 31/32 bits, quality 49/50, pHash 8/9 bits."""
    rng = random.Random(seed)
    rows, made = [], []
    for n in range(count):
        sha = hashlib.sha256(f"r{seed} {n}".encode()).hexdigest()
        pdq, phash = f"{rng.getrandbits(256):064x}", f"{rng.getrandbits(64):016x}"
        quality = rng.choice([90, 50, 49])
        if made and n % 3 == 0:
            base_pdq, base_phash = rng.choice(made)
            pdq = flip_random(base_pdq, rng.choice([0, 30, 31, 32, 33]), rng)
            phash = flip_random(base_phash, rng.choice([0, 7, 8, 9, 10]), rng)
        made.append((pdq, phash))
        rows.append((sha, pdq if n % 11 else None, quality, phash if n % 13 else "xyz"))
    return rows


def flip_random(hexhash: str, bits: int, rng: random.Random) -> str:
    value = int(hexhash, 16)
    for bit in rng.sample(range(len(hexhash) * 4), bits):
        value ^= 1 << bit
    return format(value, f"0{len(hexhash)}x")


def pair_set(blocks) -> set:
    found = set()
    for b in blocks:
        columns = (b.first, b.second, b.pdq_distance, b.phash_distance)
        found.update(zip(*(c.tolist() for c in columns), strict=True))
    return found


def test_the_index_finds_exactly_what_comparing_every_pair_finds():
    from archiver.media.hamming_index import indexed_near_pairs, scanned_near_pairs
    from archiver.store.media_matches import packed_hashes

    hashes = packed_hashes(boundary_rows(3000, seed=11))
    by_index = pair_set(indexed_near_pairs(hashes, pairs_per_step=5_000))
    by_scan = pair_set(scanned_near_pairs(hashes))
    assert by_index == by_scan
    distances = {(pdq, phash) for *_, pdq, phash in by_scan}
    assert {31, 8} <= {d for pair in distances for d in pair}  # the edges were planted and found
    assert not any(pdq == 32 and phash > 8 for pdq, phash in distances)


def test_a_saved_file_is_looked_up_through_the_index_as_a_scan_would(db):
    from archiver.store.media_matches import near_pairs_of

    rows = boundary_rows(600, seed=12)
    for sha, pdq, quality, phash in rows:
        save(db, StoredMedia(sha256=sha, bytes=1, blob_path="x", mime="image/jpeg", pdq=pdq,
                             pdq_quality=quality, phash=phash))  # fmt: skip
    expected = set(both_ways_of(near_pairs_of(rows)))
    assert matches(db) == expected and len(expected) > 100


def both_ways_of(blocks):
    for block in blocks:
        for a, b, pdq, phash in block:
            yield (a, b, pdq, phash)
            yield (b, a, pdq, phash)


def older_archive(path, rows):
    """An archive of these media made before the index existed (its fill still to do)."""
    from archiver.store.media_index_fill import start_fill
    from archiver.store.media_matches import create_index_tables

    db = open_db(path)
    db["media"].insert_all(
        {"sha256": s, "bytes": 1, "blob_path": "x", "pdq": p, "pdq_quality": q, "phash": h}
        for s, p, q, h in rows
    )
    with transaction(db):
        create_index_tables(db, anew=True)
        start_fill(db)
    return db


KILL_AFTER_THIRD_BATCH = """
import functools, os, signal, sys
from archiver.store import media_index_fill, schema
from archiver.store.connection import open_db
batches = []
def progress(done, total):
    print(done, total, flush=True)
    batches.append(done)
    if len(batches) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
schema.print_progress = progress
schema.fill_media_index = functools.partial(media_index_fill.fill_media_index, batch=200)
open_db(sys.argv[1])
"""


def test_a_killed_fill_resumes_where_it_stopped(tmp_path):
    import subprocess
    import sys

    from archiver.store.media_matches import near_pairs_of

    rows = boundary_rows(1500, seed=13)
    older_archive(tmp_path / "a.db", rows).close()
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_THIRD_BATCH, str(tmp_path / "a.db")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -9 and killed.stdout.split()[::2] == ["200", "400", "600"]
    db = open_db(tmp_path / "a.db")  # takes over the dead process's lease and finishes
    assert db.execute("select count(*) from media_index_fill").fetchone()[0] == 0
    assert matches(db) == set(both_ways_of(near_pairs_of(rows)))
    db.close()


def test_a_file_saved_during_the_fill_is_paired_with_files_not_indexed_yet(tmp_path):
    from archiver.store.media_index_fill import fill_media_index

    old = media("old", PDQ, 90, PHASH)
    db = older_archive(tmp_path / "a.db", [(old.sha256, old.pdq, old.pdq_quality, old.phash)])
    copy = media("saved meanwhile", flip(PDQ, 31), 90, FAR_PHASH)
    save(db, copy)  # the index does not hold `old` yet
    assert matches(db) == set()
    fill_media_index(db)
    assert matches(db) == {(old.sha256, copy.sha256, 31, 64), (copy.sha256, old.sha256, 31, 64)}


def test_looking_files_up_in_memory_finds_what_comparing_with_all_finds():
    from archiver.media.hamming_index import MultiIndex, compare_pairs
    from archiver.store.media_matches import packed_hashes

    rows = boundary_rows(3000, seed=14)
    held, asked = packed_hashes(rows[:2600]), packed_hashes(rows[2600:])
    first, second = np.repeat(np.arange(400), 2600), np.tile(np.arange(2600), 400)
    expected = pair_set([compare_pairs(asked, first, second, others=held)])
    assert pair_set([MultiIndex(held).near(asked)]) == expected and len(expected) > 50


def test_verify_catches_an_index_row_taken_out_or_changed(db):
    from archiver.evidence.verify_media_index import check_media_index
    from archiver.evidence.verify_report import Report

    save(db, media("a", PDQ, 90, PHASH), media("b", flip(PDQ, 10), 90, FAR_PHASH))
    save(db, media("video"), media("flat", PDQ, 20, None))  # nothing that can match: no row
    clean = Report()
    check_media_index(db, clean)
    assert clean.ok and clean.checked == {"media_hashes rows": 2, "media_hash_chunks rows": 30}

    # Without this chunk row, a later copy of `a` close on that chunk alone would go unseen.
    db.execute("delete from media_hash_chunks where key = (select min(key) from media_hash_chunks)")
    db.execute("update media_hashes set phash = ? where sha256 = ?", [FAR_PHASH, media("a").sha256])
    tampered = Report()
    check_media_index(db, tampered)
    assert {p.where for p in tampered.problems} == {
        f"media_hashes {media('a').sha256}",
        "media_hash_chunks",
    }
