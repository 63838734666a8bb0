"""verify's checks (and export's copies) of an archive whose files are on S3-compatible storage (media/s3blobs.py).

Every object under sha256/ is read back and re-hashed (streamed), each media row's
blob and each thumbnail must be there and hash as recorded. WARC files are copied
to a temporary directory first, where the record and seal checks read them as they
read local files.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from sqlite_utils import Database

from archiver.evidence.verify_report import Report
from archiver.media.blobstore import blob_relpath, is_sha256
from archiver.media.s3blobs import S3BlobStore
from archiver.store.queries_evidence import (
    capture_warc_records,
    media_sha256s,
    media_thumbnails,
    sealed_warc_files,
    warc_file_names,
)


def check_s3_blobs(db: Database, store: S3BlobStore, report: Report) -> set[str]:
    """Re-hash every stored blob; report a media row whose blob is missing. The blobs stored."""
    stored: set[str] = set()
    for relpath, _ in store.listing("sha256/"):
        report.count("blobs")
        name = PurePosixPath(relpath).name
        where = f"{store.url}/{relpath}"
        if not is_sha256(name) or blob_relpath(name) != relpath:
            report.add("blob", where, "an object in the blob store that is not named by a SHA-256")
            continue
        stored.add(name)
        actual = store.sha256_of(relpath)
        if actual != name:
            report.add("blob", where, f"its bytes hash to {actual}, not to its name")
    for sha256 in media_sha256s(db):
        if is_sha256(sha256) and sha256 not in stored:
            report.add("blob", f"media {sha256}", f"the file is missing from {store.url}")
    for sha256, relpath, expected in media_thumbnails(db):
        report.count("thumbnails")
        actual = store.sha256_of(relpath)
        if actual is None:
            report.add("blob", f"thumbnail of media {sha256}", f"{store.url}/{relpath} is missing")
        elif actual != expected:
            report.add(
                "blob", f"thumbnail of media {sha256}", "its bytes changed since it was made"
            )
    return stored


def fetch_warcs(
    db: Database, store: S3BlobStore, into: Path, capture_ids: list[str] | None = None
) -> None:
    """Copy every WARC file the archive names (warcs/<name> under the prefix), or those of
    `capture_ids`' records, into `into`, where the checks and the export read them."""
    if capture_ids is None:
        names = set(warc_file_names(db)) | {row["warc_file"] for row in sealed_warc_files(db)}
    else:
        names = {r["warc_file"] for c in capture_ids for r in capture_warc_records(db, c)}
    for name in sorted(names):
        relpath = PurePosixPath(name)
        if relpath.parts[:1] != ("warcs",) or len(relpath.parts) != 2:
            continue  # not a worker's: reported missing by the record checks
        store.download(str(relpath), into / relpath)
