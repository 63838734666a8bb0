"""The content-addressed store: final names only for whole files, under their hash."""

from __future__ import annotations

import errno
import hashlib
import os

import pytest

from archiver.errors import StorageError
from archiver.media.blobstore import BlobStore, blob_relpath


def test_adopt_files_a_hashed_temp_file_once(tmp_path):
    store = BlobStore(tmp_path)
    data = b"the same bytes"
    digest = hashlib.sha256(data).hexdigest()
    for _ in range(2):
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        temp = store.tmp_dir / "partial-x"
        temp.write_bytes(data)
        final = store.adopt(temp, digest)
        assert final == tmp_path / blob_relpath(digest) and final.read_bytes() == data
        assert not temp.exists()


def test_adopt_turns_a_full_disk_into_a_storage_error(tmp_path, monkeypatch):
    store = BlobStore(tmp_path)
    store.tmp_dir.mkdir(parents=True)
    temp = store.tmp_dir / "partial-y"
    temp.write_bytes(b"x")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StorageError, match="disk full"):
        store.adopt(temp, hashlib.sha256(b"x").hexdigest())
    assert not temp.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_blob_paths_are_hashes_only():
    with pytest.raises(ValueError):
        blob_relpath("../../etc/passwd")
    with pytest.raises(ValueError):
        blob_relpath("A" * 64)
