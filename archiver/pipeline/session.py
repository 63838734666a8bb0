"""The archiving session: the resources one run holds, opened together and closed together.

Resources only: what to do with them is the post path (post.py), the page path
(page.py) and the commit (commit.py), each given the few resources it uses.
"""

from __future__ import annotations

import contextlib

from archiver.errors import UsageError
from archiver.evidence.manifests import relative_warc
from archiver.fetch.client import Fetcher
from archiver.fetch.warc import WarcRecorder
from archiver.media.blobstore import BlobStore
from archiver.media.download import MediaDownloader
from archiver.media.video_sources import VideoOptions, ffmpeg_installed
from archiver.models import Progress
from archiver.pipeline.database import SessionDatabase
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
        if database and settings.blob_url:
            raise UsageError(
                f"{settings.blob_url}: blobs go to S3 through the scale-out (archiver enqueue,"
                " worker, collect); `archiver archive` keeps them in a directory"
            )
        with contextlib.ExitStack() as opened:
            self.database = (
                opened.enter_context(contextlib.closing(SessionDatabase(settings.db_path)))
                if database
                else None
            )
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

    def close(self) -> None:
        """Close the HTTP client, then the WARC file (sealing it), then the database."""
        self._opened.close()

    def _seal_warcs(self) -> None:
        if self.database is None:
            return  # a queue worker's: its bundle carries the seals to the writer
        for sealed in getattr(getattr(self, "recorder", None), "sealed", []):
            row = {
                "warc_file": relative_warc(str(sealed.path), self.settings.db_path),
                "bytes": sealed.bytes, "sha256": sealed.sha256, "sealed_at": utc_now(),
            }  # fmt: skip
            with self.database.writing() as db:
                save_warc_file(db, row)


def _not_known(sha256: str) -> bool:
    return False
