"""A capture's media files: downloaded, kept in the blob store under their SHA-256, analysed once.

Each file fails on its own: a failed download is recorded with its error and the
others are still kept. Only a StorageError (the archive cannot be written) fails
the whole capture.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archiver.errors import ArchiveError, StorageError
from archiver.fetch.client import Fetcher
from archiver.fetch.exchange import Fetched
from archiver.media.analyse import MAX_ANALYSIS_PIXELS, analyse_media, warm_up
from archiver.media.blobstore import BlobStore, blob_relpath
from archiver.media.hls import join_video, read_playlist
from archiver.media.video_capture import VideoCapture
from archiver.media.video_sources import VIDEO_SOURCES, Preloaded, VideoOptions
from archiver.models import MediaRef, Progress, StoredMedia

Downloaded = tuple[MediaRef, StoredMedia | None, str | None]
"""One file a capture asked for: its reference, what was kept (None if it failed), a note or error."""

# What a file listed as each type should turn out to be; X serves animated GIFs as MP4.
EXPECTED_MIME = {
    "photo": "image/", "poster": "image/", "card": "image/", "video": "video/", "gif": "video/"
}  # fmt: skip


class MediaDownloader:
    """Downloads media references into one blob store; `known(sha256)` says a file is analysed already."""

    def __init__(
        self,
        fetcher: Fetcher,
        blobs: BlobStore,
        *,
        max_bytes: int,
        known: Callable[[str], bool],
        progress: Progress,
        max_pixels: int = MAX_ANALYSIS_PIXELS,
        video: VideoOptions | None = None,
    ):
        self.fetcher = fetcher
        self.blobs = blobs
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.known = known
        self.progress = progress
        # Videos of pages and posts through yt-dlp (video_capture.py); None: not looked for.
        self.videos = VideoCapture(fetcher, blobs.root, video, self.keep_file) if video else None
        warm_up()

    def download_all(
        self,
        refs: list[MediaRef],
        *,
        found_at: str,
        preloaded: dict[str, Preloaded] | None = None,
    ) -> list[Downloaded]:
        """Each reference downloaded and kept, in order; an HLS playlist is followed by its video.

        `found_at` is the post or page that names them: a public one may not send us
        to a private address (Fetcher.get). A video source (video_capture.VIDEO_SOURCES)
        becomes the videos yt-dlp finds there; `preloaded` are responses it need not fetch again.
        """
        results: list[Downloaded] = []
        for ref in refs:
            if ref.type in VIDEO_SOURCES:
                if self.videos is not None:
                    self.progress(f"looking for video at {ref.url}")
                    results.extend(self.videos.capture(ref, found_at=found_at, preloaded=preloaded))
                continue
            self.progress(f"downloading {ref.type} {ref.url}")
            try:
                with self.fetcher.get_ok(
                    ref.url, max_bytes=self.max_bytes, found_at=found_at
                ) as fetched:
                    stored = self.keep(fetched, ref.url)
            except StorageError:
                raise  # the archive cannot be written: this URL fails, not just one photo
            except ArchiveError as exc:
                results.append((ref, None, str(exc)))
            else:
                results.append((ref, stored, media_note(ref, stored)))
                if ref.type == "playlist":
                    results.append(self._join_segments(ref, stored))
        return results

    def keep(self, fetched: Fetched, url: str) -> StoredMedia:
        """Move a downloaded body into the blob store under its hash and analyse it once."""
        return self.keep_file(fetched.body_path, fetched.body_sha256, url)

    def _join_segments(self, ref: MediaRef, playlist: StoredMedia) -> Downloaded:
        """An HLS playlist's video, its segments joined into one file (see hls.py), when small."""
        self.progress(f"joining the video segments of {ref.url}")
        try:
            text = read_playlist(self.blobs.root / playlist.blob_path)
            joined = join_video(self.fetcher, ref.url, text, self.max_bytes)
        except StorageError:
            raise
        except ArchiveError as exc:
            return MediaRef(url=ref.url, type="video", alt_text=ref.alt_text), None, str(exc)
        video = MediaRef(
            url=joined.variant.url, type="video", alt_text=ref.alt_text,
            width=ref.width, height=ref.height, duration_ms=round(joined.variant.duration * 1000),
            parts_sha256=joined.parts_sha256,
        )  # fmt: skip
        stored = self.keep_file(joined.path, joined.sha256, joined.variant.url)
        return video, stored, media_note(video, stored)

    def keep_file(self, path: Path, sha256: str, url: str) -> StoredMedia:
        """Move a temporary file whose SHA-256 is known into the blob store; analyse it once."""
        final = self.blobs.adopt(path, sha256)
        if self.known(sha256):
            return StoredMedia(
                sha256=sha256, bytes=final.stat().st_size, mime=None, blob_path=blob_relpath(sha256)
            )
        return analyse_media(
            final, sha256, self.blobs.root, first_url=url, max_pixels=self.max_pixels
        )


def media_note(ref: MediaRef, stored: StoredMedia) -> str | None:
    """What a user should know about a file that was kept: not what it claimed, or not analysable."""
    wanted = EXPECTED_MIME.get(ref.type)
    if stored.mime and wanted and not stored.mime.startswith(wanted):
        return f"kept, but it is {stored.mime}, not the {ref.type} the post lists"
    return stored.error


def media_incomplete(media: list[Downloaded]) -> bool:
    """A file not downloaded, or kept but not whole (a live stream): the capture is partial."""
    return any(stored is None or ref.partial for ref, stored, _ in media)


def media_errors(media: list[Downloaded]) -> str | None:
    """Failed downloads and notes on kept files (wrong type, not analysable), one line; None if none."""
    errors = [f"{ref.type} {ref.url}: {error}" for ref, _, error in media if error]
    return "; ".join(errors) or None
