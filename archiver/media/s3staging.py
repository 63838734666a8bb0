"""`archiver archive --blobs s3://...`: files are kept and analysed in a local temporary blob
store, go to S3 before the capture that names them commits, and leave the disk after.

Each file a run downloads lands here first (BlobStore's layout: hashed while written,
renamed to its hash), where the analysis reads it and writes its thumbnail. Before a
capture commits, `upload` sends every file its rows name that S3 lacks (never over an
object already there: same name, same bytes); if one cannot go up, the capture fails
whole, with no row pointing at a missing object. When a URL is done (`release`), the
files it used are deleted, unless a URL still in progress in another thread uses them
too (the same photo in two posts archived at once).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path

from archiver.errors import StorageError
from archiver.media.analyse import thumbnail_relpath
from archiver.media.blobstore import BlobStore, blob_relpath
from archiver.media.s3blobs import S3BlobStore


class StagingBlobStore(BlobStore):
    """A local blob store whose files are on their way to `remote` (see the module docstring)."""

    def __init__(self, root: Path, remote: S3BlobStore):
        super().__init__(root)
        self.remote = remote
        self._lock = threading.Lock()
        self._users: dict[str, set[int]] = {}  # sha256 -> the threads whose URL uses the file
        self._sent: set[str] = set()  # relpaths this run uploaded or found on S3
        self._sending: dict[str, threading.Lock] = {}  # one upload of a relpath at a time

    def adopt(self, path: Path, sha256: str) -> Path:
        self._use(sha256)  # before the file is there: a release never deletes it under us
        return super().adopt(path, sha256)

    def put_bytes(self, data: bytes) -> tuple[str, Path]:
        self._use(hashlib.sha256(data).hexdigest())
        return super().put_bytes(data)

    def _use(self, sha256: str) -> None:
        with self._lock:
            self._users.setdefault(sha256, set()).add(threading.get_ident())

    def upload(self, files: Iterable[tuple[str, str]]) -> None:
        """Put every (relpath, sha256) on S3 that is not there yet; StorageError if one cannot be."""
        for relpath, sha256 in files:
            with self._lock:
                sending = self._sending.setdefault(relpath, threading.Lock())
            with sending:  # two URLs with one photo: the second finds it sent
                if relpath not in self._sent:
                    self._send(relpath, sha256)
                    self._sent.add(relpath)

    def _send(self, relpath: str, sha256: str) -> None:
        local = self.root / relpath
        if local.is_file():
            self.remote.upload_new(local, relpath)
        elif self.remote.size_of(relpath) is None:
            raise StorageError(
                f"{relpath} (SHA-256 {sha256}) is neither kept here nor on {self.remote.url}"
            )

    def release(self) -> None:
        """This thread's URL is done: delete the files no URL in progress uses any more."""
        me = threading.get_ident()
        with self._lock:
            for sha256, users in list(self._users.items()):
                users.discard(me)
                if users:
                    continue
                del self._users[sha256]
                for relpath in (blob_relpath(sha256), thumbnail_relpath(sha256)):
                    with contextlib.suppress(OSError):
                        (self.root / relpath).unlink()
                    # Forgotten too, so a long list holds nothing per file it is done with.
                    self._sent.discard(relpath)
                    self._sending.pop(relpath, None)
