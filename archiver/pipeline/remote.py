"""A queue worker's job: one URL archived through the usual paths into a bundle, not the archive.

The worker keeps no database: every post is fetched and every file analysed, and
the captures, their rows and the hashes of their files go to the one writer as a
bundle (bundle.py). Its blobs and its WARC file are in the shared storage before
the bundle is sent, so the writer can check them.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from archiver import platforms
from archiver.errors import StorageError
from archiver.evidence.manifests import collection_context
from archiver.media.s3blobs import S3BlobStore
from archiver.models import Progress
from archiver.pipeline.archive import Archiver
from archiver.pipeline.bundle import Bundle, BundleWriter
from archiver.settings import Settings


def platform_of(target: str) -> str:
    """The platform a URL's post is on, or "page" for a URL that names no post."""
    try:
        ref = platforms.identify(target)
    except Exception:
        return "page"
    return ref.platform if ref is not None else "page"


def capture_bundle(
    target: str, settings: Settings, *, job_id: str, progress: Progress | None = None
) -> Bundle:
    """Archive `target` into a bundle, its files in the shared storage (StorageError if they
    cannot be put there): the blob directory, or S3 (settings.blob_url) through a local
    directory of the job's own, emptied when the files are uploaded."""
    if settings.blob_url is None:
        return _capture(target, settings, job_id, progress)
    with tempfile.TemporaryDirectory(prefix="archiver-job-") as staging:
        local = settings.with_(blobs_dir=Path(staging) / "blobs", warc_dir=Path(staging) / "warcs")
        bundle = _capture(target, local, job_id, progress)
        store = shared_store(settings.blob_url)
        for named in bundle.files():
            store.upload(local.blobs_dir / named.relpath, named.relpath)
        for warc in bundle.warcs:
            store.upload(local.warcs / warc["name"], f"warcs/{warc['name']}")
        return bundle


def _capture(target: str, settings: Settings, job_id: str, progress: Progress | None) -> Bundle:
    archiver = Archiver(
        settings, progress=progress, writer=lambda session: BundleWriter(recorder=session.recorder)
    )
    try:
        result = archiver.archive(target)
    finally:
        archiver.close()  # seals the WARC file
    entries = archiver.writer.entries
    if not entries:  # only a StorageError leaves no capture at all
        raise StorageError(result.error or f"nothing could be kept for {target}")
    warcs = [
        {"name": sealed.path.name, "bytes": sealed.bytes, "sha256": sealed.sha256}
        for sealed in archiver.session.recorder.sealed
    ]
    return Bundle(
        job_id=job_id, target=target, platform=platform_of(target),
        context=collection_context(settings), entries=entries, warcs=warcs,
    )  # fmt: skip


@functools.cache
def shared_store(url: str) -> S3BlobStore:
    """One S3 client per worker process, made before it forks (making one costs 0.1 s of CPU)."""
    return S3BlobStore(url)


def warm_up(settings: Settings) -> None:
    """Load, once in the worker before it forks a process per job, what the first analysis loads
    lazily (the hashing libraries take half a second): each job starts warm."""
    import hashlib
    import io

    from PIL import Image

    from archiver.media.analyse import analyse_media

    picture = io.BytesIO()
    Image.new("RGB", (32, 32), (120, 60, 30)).save(picture, "JPEG")
    data = picture.getvalue()
    with tempfile.TemporaryDirectory(prefix="archiver-warm-up-") as root:
        path = Path(root) / "picture.jpg"
        path.write_bytes(data)
        analyse_media(path, hashlib.sha256(data).hexdigest(), Path(root))
    if settings.blob_url:
        shared_store(settings.blob_url)
