"""media_matches keeps each file's K nearest near duplicates (archiver/media/nearest.py): one
picture re-encoded 200 times makes at most 200·K rows instead of 200·199, and the table is the
rule over all pairs whatever order the files came in: saved one by one, filled in afterwards
with more saved meanwhile, or trimmed from an archive that kept every pair."""

from __future__ import annotations

import io
import shutil
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageEnhance

from archiver.cli.commands import main
from archiver.media.analyse import hash_image
from archiver.media.blobstore import blob_relpath
from archiver.media.nearest import MATCHES_PER_FILE as K
from archiver.media.similar import hamming_hex, near_duplicate
from archiver.models import StoredMedia
from archiver.store.connection import open_db
from archiver.store.media_index_fill import fill_media_index, start_fill
from archiver.store.media_matches import create_index_tables
from archiver.store.transaction import transaction
from archiver.store.writes import save_media

COPIES = 200


def picture(rng: np.random.Generator) -> Image.Image:
    """A photo-like picture: gradients, a few shapes, sensor noise."""
    y, x = np.mgrid[0:360, 0:480].astype(np.float32)
    base = np.stack([x / 480 * 255, y / 360 * 255, (x + y) / 840 * 255], axis=-1)
    image = Image.fromarray(np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, 400)), int(rng.integers(0, 300))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse(
            (x0, y0, x0 + int(rng.integers(20, 90)), y0 + int(rng.integers(20, 90))), colour
        )
    return image


def reencoded(image: Image.Image, rng: np.random.Generator) -> bytes:
    """The picture re-encoded with small random changes: cropped by a few pixels, a little
    brighter or darker, a scribble, a JPEG quality of its own."""
    left, top = int(rng.integers(0, 6)), int(rng.integers(0, 6))
    copy = image.crop((left, top, image.width - int(rng.integers(0, 6)), image.height))
    copy = ImageEnhance.Brightness(copy).enhance(float(rng.uniform(0.93, 1.07)))
    x0, y0 = int(rng.integers(0, 440)), int(rng.integers(0, 320))
    ImageDraw.Draw(copy).line((x0, y0, x0 + 30, y0 + 25), fill=(255, 255, 255), width=3)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=int(rng.integers(40, 96)))
    return out.getvalue()


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> list[tuple[StoredMedia, bytes]]:
    """200 re-encodes of one picture, hashed as the archiver hashes what it saves."""
    import hashlib

    rng, folder = np.random.default_rng(7), tmp_path_factory.mktemp("copies")
    image, made = picture(rng), []
    while len(made) < COPIES:
        data = reencoded(image, rng)
        sha = hashlib.sha256(data).hexdigest()
        (folder / sha).write_bytes(data)
        hashes = hash_image(folder / sha)
        made.append((StoredMedia(
            sha256=sha, bytes=len(data), blob_path=blob_relpath(sha), mime="image/jpeg",
            width=hashes.width, height=hashes.height, phash=hashes.phash, dhash=hashes.dhash,
            pdq=hashes.pdq, pdq_quality=hashes.pdq_quality,
        ), data))  # fmt: skip
    return made


def rule(files: list[StoredMedia]) -> set[tuple]:
    """Each file's K nearest, found here on its own: every other file compared, the near
    duplicates sorted by (PDQ distance or 256, pHash distance or 64, SHA-256)."""
    rows = set()
    for a in files:
        near = []
        for b in files:
            if b is not a and near_duplicate(a.pdq, a.pdq_quality, b.pdq, b.pdq_quality, a.phash, b.phash):  # fmt: skip
                pdq, phash = hamming_hex(a.pdq, b.pdq), hamming_hex(a.phash, b.phash)
                key = (256 if pdq is None else pdq, 64 if phash is None else phash, b.sha256)
                near.append((key, (a.sha256, b.sha256, pdq, phash)))
        rows |= {row for _, row in sorted(near)[:K]}
    return rows


def all_pairs(files: list[StoredMedia]) -> int:
    return sum(
        near_duplicate(a.pdq, a.pdq_quality, b.pdq, b.pdq_quality, a.phash, b.phash)
        for a in files for b in files if a is not b
    )  # fmt: skip


def save_all(db, blobs, copies) -> None:
    for stored, data in copies:
        path = blobs / stored.blob_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        with transaction(db):
            save_media(db, stored)


def table(path) -> set[tuple]:
    conn = sqlite3.connect(path)
    try:
        return set(conn.execute("select * from media_matches"))
    finally:
        conn.close()


def verify(path, blobs) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", "--db", str(path), "--blobs", str(blobs)])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def expected(copies) -> set[tuple]:
    files = [stored for stored, _ in copies]
    made = rule(files)
    # Not a trivial case: most pairs look alike, and the cap cut most of them.
    assert all_pairs(files) > 0.9 * COPIES * (COPIES - 1) and len(made) <= COPIES * K
    return made


@pytest.fixture(scope="module")
def saved(copies, tmp_path_factory) -> list:
    """The copies saved one by one, in two different orders: one archive each."""
    archives = []
    for seed in (1, 2):
        folder = tmp_path_factory.mktemp(f"order{seed}")
        order = np.random.default_rng(seed).permutation(COPIES).tolist()
        db = open_db(folder / "archive.db")
        save_all(db, folder / "blobs", [copies[i] for i in order])
        db.close()
        archives.append(folder)
    return archives


def test_a_picture_saved_200_times_keeps_each_copys_nearest_in_any_order(saved, expected):
    first, second = (table(folder / "archive.db") for folder in saved)
    assert len(first) <= COPIES * K
    assert first == expected and second == expected
    for folder in saved:
        code, output = verify(folder / "archive.db", folder / "blobs")
        assert code == 0, output


def test_the_backfill_with_files_saved_meanwhile_keeps_the_same_rows(copies, expected, tmp_path):
    db, blobs = open_db(tmp_path / "archive.db"), tmp_path / "blobs"
    save_all(db, blobs, copies[:120])
    with transaction(db):  # as an archive made before the index: its fill still to do
        db.execute("delete from media_matches")
        create_index_tables(db, anew=True)
        start_fill(db)
    later = iter(range(120, COPIES))

    def save_one_more(done: int, total: int) -> None:  # another writer, between batches
        for i in [next(later, None), next(later, None)]:
            if i is not None:
                save_all(db, blobs, [copies[i]])

    save_all(db, blobs, [copies[next(later)] for _ in range(10)])  # before the fill began
    assert fill_media_index(db, progress=save_one_more, batch=25)
    save_all(db, blobs, [copies[i] for i in later])
    db.close()
    assert table(tmp_path / "archive.db") == expected
    code, output = verify(tmp_path / "archive.db", blobs)
    assert code == 0, output


def test_an_archive_that_kept_every_pair_is_cut_to_the_rule_on_open(
    saved, copies, expected, tmp_path
):
    shutil.copytree(saved[0], tmp_path, dirs_exist_ok=True)
    conn = sqlite3.connect(tmp_path / "archive.db")
    conn.execute("drop index media_matches_nearest")  # as made before the cap
    files = [stored for stored, _ in copies]
    conn.executemany(
        "insert or replace into media_matches values (?, ?, ?, ?)",
        [(a.sha256, b.sha256, hamming_hex(a.pdq, b.pdq), hamming_hex(a.phash, b.phash))
         for a in files for b in files
         if a is not b and near_duplicate(a.pdq, a.pdq_quality, b.pdq, b.pdq_quality, a.phash, b.phash)],
    )  # fmt: skip
    conn.commit()
    conn.close()
    assert len(table(tmp_path / "archive.db")) > 0.9 * COPIES * (COPIES - 1)
    open_db(tmp_path / "archive.db").close()
    assert table(tmp_path / "archive.db") == expected


def test_verify_reports_a_row_past_the_nearest_and_one_taken_out(saved, copies, tmp_path):
    shutil.copytree(saved[0], tmp_path, dirs_exist_ok=True)
    conn = sqlite3.connect(tmp_path / "archive.db")
    a = copies[0][0]
    kept = {
        row[1] for row in conn.execute("select * from media_matches where sha256 = ?", [a.sha256])
    }
    # A real near duplicate of a, with the right distances, but not among its K nearest.
    b = next(s for s, _ in copies[1:] if s.sha256 not in kept
             and near_duplicate(a.pdq, a.pdq_quality, s.pdq, s.pdq_quality, a.phash, s.phash))  # fmt: skip
    conn.execute("insert into media_matches values (?, ?, ?, ?)",
                 [a.sha256, b.sha256, hamming_hex(a.pdq, b.pdq), hamming_hex(a.phash, b.phash)])  # fmt: skip
    gone = conn.execute(
        "select * from media_matches where sha256 != ? limit 1", [a.sha256]
    ).fetchone()
    conn.execute("delete from media_matches where sha256 = ? and other_sha256 = ?", gone[:2])
    conn.commit()
    conn.close()
    code, output = verify(tmp_path / "archive.db", tmp_path / "blobs")
    assert code != 0
    assert (
        f"{a.sha256} ~ {b.sha256}: a near-duplicate pair, but not among the file's {K} nearest"
        in output
    )
    assert f"{gone[0]} ~ {gone[1]}: a near-duplicate pair of the files' hashes is missing" in output
