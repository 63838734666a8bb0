"""The WARC files of `archiver archive --blobs s3://...`: written beside the database, sent to S3
(`warcs/<name>` under the prefix, as a queue worker's) once sealed at the end of the run.

captures.warc_file names them `warcs/<name>` (relative to the database's directory, where
they are written), which is also their key under the prefix: verify and export read them
from there. A file that could not go up (S3 unreachable at the end of the run, or the run
killed before it) stays in the directory, and the next run sends it first.
"""

from __future__ import annotations

from pathlib import Path

from archiver.errors import StorageError, UsageError
from archiver.fetch.warc import SealedWarc
from archiver.media.s3blobs import S3BlobStore
from archiver.pipeline.database import SessionDatabase
from archiver.settings import Settings
from archiver.store.queries_evidence import warc_file_sealed

WARCS = "warcs"


def staging_directory(settings: Settings) -> Path:
    """Where the run writes its WARC files: `warcs/` beside the database (UsageError if another
    directory is asked for: the files' names would not be their keys on S3)."""
    directory = settings.db_path.parent / WARCS
    if settings.warc_dir is not None and settings.warc_dir.resolve() != directory.resolve():
        raise UsageError(
            f"ARCHIVER_WARCS={settings.warc_dir}: with --blobs {settings.blob_url} the WARC files"
            f" are written in {directory} and go to S3 under {WARCS}/; unset ARCHIVER_WARCS"
        )
    return directory


def send_leftovers(directory: Path, remote: S3BlobStore, database: SessionDatabase) -> None:
    """Send the WARC files an earlier run left here; delete those sealed (finished) once sent."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.warc.gz")):
        relpath = f"{WARCS}/{path.name}"
        # Looked at before the upload: a file sealed then is whole, and no run writes it again.
        sealed = warc_file_sealed(database.reader(), relpath)
        remote.upload(path, relpath)
        if sealed:
            path.unlink(missing_ok=True)


def send_sealed(sealed: list[SealedWarc], remote: S3BlobStore) -> None:
    """Send this run's sealed WARC files and delete them here; StorageError naming those that
    stay (each is sent by the next run)."""
    failed: list[str] = []
    for warc in sealed:
        relpath = f"{WARCS}/{warc.path.name}"
        try:
            if warc.path.exists():
                remote.upload(warc.path, relpath)
            elif remote.size_of(relpath) != warc.bytes:  # sent by another run meanwhile
                raise StorageError(f"{warc.path} is gone and not on {remote.url}")
        except StorageError as exc:
            failed.append(str(exc))
            continue
        warc.path.unlink(missing_ok=True)
    if failed:
        raise StorageError(
            f"{'; '.join(failed)} (kept in {sealed[0].path.parent}: the next run sends it)"
        )
