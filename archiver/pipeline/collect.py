"""The one writer's side of the queue: a worker's bundle checked against its files, then committed.

Each capture of a bundle commits in its own transaction, in the bundle's order (an
article's embedded posts before the article), onto the one hash chain, exactly as
`archiver archive` would have committed it. A capture already in the archive is
not written again: a bundle delivered twice (the writer was killed between its
commit and its acknowledgement) adds nothing the second time.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from archiver.evidence.manifests import collection_context, relative_warc
from archiver.media.blobstore import BlobStore, file_sha256
from archiver.media.s3blobs import S3BlobStore
from archiver.models import Progress
from archiver.pipeline.bundle import Bundle, BundleEntry
from archiver.pipeline.commit import CaptureWriter
from archiver.pipeline.database import SessionDatabase
from archiver.pipeline.timestamps import Stamper
from archiver.settings import Settings
from archiver.store.eventlog import utc_now
from archiver.store.queries import capture_row
from archiver.store.queries_evidence import warc_file_sealed
from archiver.store.writes import save_warc_file

# What a worker's WarcRecorder names its files: no directory, nothing hidden.
WARC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.warc\.gz$")


class BundleCommitter:
    """Checks and commits bundles into the archive at settings.db_path; close when done."""

    def __init__(self, settings: Settings, *, progress: Progress | None = None):
        self.settings = settings
        # Where the workers put the files: the shared directory, or S3.
        self.blobs = (
            S3BlobStore(settings.blob_url) if settings.blob_url else BlobStore(settings.blobs_dir)
        )
        self.database = SessionDatabase(settings.db_path)
        self.writer = CaptureWriter(
            recorder=None,  # the writer records nothing itself: the workers did
            database=self.database, stamper=Stamper(settings, progress or (lambda _: None)),
            context=collection_context(settings), db_path=settings.db_path,
        )  # fmt: skip

    def close(self) -> None:
        self.database.close()

    def refusal(self, bundle: Bundle) -> str | None:
        """Why the bundle may not be committed (a file it names is missing or differs); None if fine."""
        for named in bundle.files():
            actual = self.blobs.sha256_of(named.relpath)
            if actual is None:
                return f"{named.relpath} is not in the blob store {self._where()}"
            if actual != named.sha256:
                return f"{named.relpath} hashes to {actual}, not the {named.sha256} its rows name"
        names = {warc["name"] for warc in bundle.warcs}
        if bad := [name for name in names if not WARC_NAME.match(name)]:
            return f"{bad[0]!r} is not the name of a WARC file a worker writes"
        if unsealed := {r.warc_file for e in bundle.entries for r in e.records} - names:
            return f"its records are in {sorted(unsealed)[0]}, a WARC file it does not name"
        for warc in bundle.warcs:
            found = self._warc_found(warc["name"])
            if found is None:
                return f"the WARC file {warc['name']} is missing from {self._where()}"
            if found != (warc["bytes"], warc["sha256"]):
                return f"the WARC file {warc['name']} is not the file its worker sealed"
        return None

    def _where(self) -> str:
        return self.settings.blob_url or str(self.settings.blobs_dir)

    def _warc_found(self, name: str) -> tuple[int, str] | None:
        """(length, SHA-256) of a worker's WARC file where the workers put it; None if missing."""
        if self.settings.blob_url:
            relpath = f"warcs/{name}"
            size = self.blobs.size_of(relpath)
            return None if size is None else (size, self.blobs.sha256_of(relpath))
        path = self._warc_path(name)
        return (path.stat().st_size, file_sha256(path)) if path.is_file() else None

    def commit(self, bundle: Bundle) -> int:
        """Commit the captures not in the archive yet, then the WARC seals; how many were new."""
        new = 0
        for entry in bundle.entries:
            if capture_row(self.database.writer, entry.capture.id) is not None:
                continue
            self._commit_entry(entry, bundle.context)
            new += 1
        for warc in bundle.warcs:
            name = self._warc_name(warc["name"])
            if warc_file_sealed(self.database.writer, name):
                continue
            row = {"warc_file": name, "bytes": warc["bytes"], "sha256": warc["sha256"],
                   "sealed_at": utc_now()}  # fmt: skip
            with self.database.writing() as db:
                save_warc_file(db, row)
        return new

    def _commit_entry(self, entry: BundleEntry, context: dict) -> None:
        capture = entry.capture
        if capture.warc_file:
            capture.warc_file = self._warc_name(capture.warc_file)
        records = [
            dataclasses.replace(record, warc_file=str(self._warc_path(record.warc_file)))
            for record in entry.records
        ]
        self.writer.commit_recorded(
            capture, entry.rows, records, stamp=entry.stamp, context=context
        )

    def _warc_path(self, name: str) -> Path:
        return self.settings.warcs / Path(name).name  # a name only: never a path a worker chose

    def _warc_name(self, name: str) -> str:
        """The WARC file as captures.warc_file names it: relative to the database's directory
        (on S3: warcs/<name> under the prefix)."""
        if self.settings.blob_url:
            return f"warcs/{Path(name).name}"
        return relative_warc(str(self._warc_path(name)), self.settings.db_path)
