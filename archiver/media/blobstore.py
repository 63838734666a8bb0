"""The content-addressed blob store: bytes live under their SHA-256, and nowhere else.

A blob is written to a temporary file inside the store, hashed while it is
written, and only then renamed to `sha256/ab/cd/<sha256>`. A crash leaves at
most a stray temporary file, never a wrong file under a final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from archiver.errors import storage_error
from archiver.fetch.warc_index import stream_sha256

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value or ""))


def blob_relpath(sha256: str) -> str:
    """Where a blob lives, relative to the store root: sha256/ab/cd/<sha256>."""
    if not is_sha256(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class BlobWriter:
    """A temporary file that hashes what is written to it; `commit` files it under its hash."""

    def __init__(self, store: BlobStore):
        self._store = store
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="partial-", dir=store.tmp_dir)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        try:
            self._file.write(chunk)
        except OSError as exc:
            self.discard()
            raise storage_error(exc, self._store.root) from exc
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def commit(self) -> tuple[str, Path]:
        """Move the bytes to their final name; returns (sha256, final path)."""
        digest = self.sha256
        final = self._store.root / blob_relpath(digest)
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if final.exists():
                # Same hash, same bytes: the stored copy stands.
                self.path.unlink(missing_ok=True)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.path, final)
        except OSError as exc:
            self.discard()
            raise storage_error(exc, self._store.root) from exc
        return digest, final

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        self.path.unlink(missing_ok=True)


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def path_for(self, sha256: str) -> Path:
        return self.root / blob_relpath(sha256)

    def has(self, sha256: str) -> bool:
        return is_sha256(sha256) and self.path_for(sha256).exists()

    def adopt(self, path: Path, sha256: str) -> Path:
        """File a temporary file (inside the store, its SHA-256 already computed) under its hash."""
        final = self.path_for(sha256)
        try:
            if final.exists():
                # Same hash, same bytes: the stored copy stands.
                path.unlink(missing_ok=True)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, final)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise storage_error(exc, self.root) from exc
        return final

    def sha256_of(self, relpath: str) -> str | None:
        """What the stored file at `relpath` (under the root) hashes to now; None if it is not there."""
        path = self.root / relpath
        if not path.is_file():
            return None
        return file_sha256(path)

    def put_bytes(self, data: bytes) -> tuple[str, Path]:
        writer = self.writer()
        writer.write(data)
        return writer.commit()


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return stream_sha256(f)
