"""The archiving session: the resources one run holds, opened together and closed together.

Resources only: what to do with them is the post path (post.py), the page path
(page.py) and the commit (commit.py), each given the few resources it uses. With the
blobs on S3 (settings.blob_url), the files are kept in a temporary directory on their
way there (media/s3staging.py) and the WARC files beside the database (s3warcs.py).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from archiver.evidence.manifests import relative_warc
from archiver.fetch.client import Fetcher
from archiver.fetch.warc import WarcRecorder
from archiver.media.blobstore import BlobStore
from archiver.media.download import MediaDownloader
from archiver.media.s3blobs import S3BlobStore
from archiver.media.s3staging import StagingBlobStore
from archiver.media.video_sources import VideoOptions, ffmpeg_installed
from archiver.models import Progress
from archiver.pipeline.database import SessionDatabase
from archiver.pipeline.s3warcs import send_leftovers, send_sealed, staging_directory
from archiver.platforms import media_hosts
from archiver.settings import Settings
from archiver.store.eventlog import utc_now
from archiver.store.writes import save_warc_file


def video_options(settings: Settings) -> VideoOptions | None:
    """What yt-dlp may download for one video; None when video is turned off."""
    if not settings.video:
        return None
    return VideoOptions(settings.max_video_bytes, ffmpeg_installed(), settings.max_live_seconds)


class Session:
    """The settings, the database, the blob store, the WARC recorder, the HTTP client, the media downloader."""

    def __init__(self, settings: Settings, *, progress: Progress, database: bool = True):
        """`database=False`: a queue worker's session, which keeps no archive of its own (every
        file is analysed, every post fetched) and whose sealed WARC files go into its bundle."""
        self.settings = settings
        # The archive's files on S3: a writing session stages them (a queue worker's session
        # is given a local directory by its job, pipeline/remote.py).
        self.remote = S3BlobStore(settings.blob_url) if database and settings.blob_url else None
        with contextlib.ExitStack() as opened:
            self.database = (
                opened.enter_context(contextlib.closing(SessionDatabase(settings.db_path)))
                if database
                else None
            )
            if self.remote is not None:
                settings = self._staged(settings, opened)
                self.blobs = StagingBlobStore(settings.blobs_dir, self.remote)
            else:
                self.blobs = BlobStore(settings.blobs_dir)
            # Closed after the recorder, before the database: the WARC files' seals are rows.
            opened.callback(self._seal_warcs)
            self.recorder = opened.enter_context(
                contextlib.closing(WarcRecorder(settings.warcs, operator=settings.author))
            )
            self.fetcher = opened.enter_context(
                contextlib.closing(Fetcher(settings, self.recorder, media_hosts=media_hosts()))
            )
            self.media = MediaDownloader(
                self.fetcher, self.blobs, max_bytes=settings.max_response_bytes,
                known=self.database.has_media if self.database else _not_known, progress=progress,
                max_pixels=settings.max_analysis_pixels, video=video_options(settings),
            )  # fmt: skip
            # Opened whole: from here on close() releases them (the client, the WARC, the database).
            self._opened = opened.pop_all()

    def _staged(self, settings: Settings, opened: contextlib.ExitStack) -> Settings:
        """The settings the run works with when its files go to S3: blobs (and the fetcher's
        scratch files) in a temporary directory, removed at the end; the WARC files beside the
        database, what an earlier run left there sent first."""
        warcs = staging_directory(settings)
        send_leftovers(warcs, self.remote, self.database)
        staging = Path(tempfile.mkdtemp(prefix="archiver-staging-"))
        opened.callback(shutil.rmtree, staging, ignore_errors=True)
        return settings.with_(blobs_dir=staging / "blobs", warc_dir=warcs)

    @property
    def send_files(self) -> Callable[[Iterable[tuple[str, str]]], None] | None:
        """What puts a capture's files on S3 before it commits (CaptureWriter.send_files); None
        when they are in a local blob store already."""
        return self.blobs.upload if isinstance(self.blobs, StagingBlobStore) else None

    def url_done(self) -> None:
        """One URL is archived (or failed): the staged files it alone used can go."""
        if isinstance(self.blobs, StagingBlobStore):
            self.blobs.release()

    def close(self) -> None:
        """Close the HTTP client, then the WARC file (sealing it), then the database."""
        self._opened.close()

    def _seal_warcs(self) -> None:
        if self.database is None:
            return  # a queue worker's: its bundle carries the seals to the writer
        sealed_files = getattr(getattr(self, "recorder", None), "sealed", [])
        for sealed in sealed_files:
            row = {
                "warc_file": relative_warc(str(sealed.path), self.settings.db_path),
                "bytes": sealed.bytes, "sha256": sealed.sha256, "sealed_at": utc_now(),
            }  # fmt: skip
            with self.database.writing() as db:
                save_warc_file(db, row)
        if self.remote is not None and sealed_files:
            send_sealed(sealed_files, self.remote)


def _not_known(sha256: str) -> bool:
    return False
