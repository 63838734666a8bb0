"""A post's or a page's videos, through yt-dlp, kept as media: the video, its frames, subtitles, info.

For each video yt-dlp finds (ytdlp_video.py) the capture keeps, each under its SHA-256 in
the blob store: the video file (probed by ffprobe for duration, codecs and picture size,
its first frame as its poster, whose pHash/dHash/PDQ become the video's), keyframe
thumbnails spread over it (each hashed as an image, so a re-upload of the same footage
is found as a near duplicate), its subtitles, and yt-dlp's info JSON as it wrote it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.errors import ArchiveError, StorageError, storage_error
from archiver.fetch.client import Fetcher
from archiver.media import frames
from archiver.media.analyse import ImageDecodeError, hash_image, make_thumbnail
from archiver.media.video_sources import VIDEO_OF_POST, Preloaded, VideoOptions
from archiver.models import MediaRef, StoredMedia

if TYPE_CHECKING:
    from archiver.media.ytdlp_video import DownloadedVideo

Downloaded = tuple[MediaRef, StoredMedia | None, str | None]
Keep = Callable[[Path, str, str], StoredMedia]
"""Moves a file with a known SHA-256 into the blob store and analyses it: (path, sha256, url)."""


class VideoCapture:
    """Finds and keeps the videos of post and page URLs; `keep` is the media downloader's."""

    def __init__(self, fetcher: Fetcher, blob_root: Path, options: VideoOptions, keep: Keep):
        self.fetcher = fetcher
        self.blob_root = blob_root
        self.options = options
        self.keep = keep

    def capture(
        self, ref: MediaRef, *, found_at: str, preloaded: dict[str, Preloaded] | None = None
    ) -> list[Downloaded]:
        """The media of each video found at ref.url; one failed video entry when yt-dlp fails."""
        work = Path(tempfile.mkdtemp(prefix="video-", dir=self.fetcher.tmp_dir))
        try:
            # Loaded on first use: yt-dlp costs 12 MB a run that archives no video need not pay.
            from archiver.media.ytdlp_video import VideoFailure, download_videos

            with self.fetcher.found_on(found_at):
                videos = download_videos(
                    self.fetcher, ref.url, work, self.options,
                    follow_links=ref.type == VIDEO_OF_POST, preloaded=preloaded,
                )  # fmt: skip
            kept: list[Downloaded] = []
            for video in videos:
                if isinstance(video, VideoFailure):
                    kept.append((MediaRef(url=video.url, type="video"), None, video.reason))
                else:
                    kept.extend(self._keep_video(video, work))
            return kept
        except StorageError:
            raise
        except ArchiveError as exc:
            return [(MediaRef(url=ref.url, type="video", alt_text=ref.alt_text), None, str(exc))]
        except OSError as exc:
            raise storage_error(exc, work) from exc
        except Exception as exc:  # a fault inside yt-dlp loses the video, never the post or page
            reason = f"video not downloaded: yt-dlp failed ({type(exc).__name__}: {exc})"
            return [(MediaRef(url=ref.url, type="video", alt_text=ref.alt_text), None, reason)]
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _keep_video(self, video: DownloadedVideo, work: Path) -> list[Downloaded]:
        info = video.info
        ref = MediaRef(
            url=video.url or info.get("webpage_url") or "", type="video",
            alt_text=info.get("title") if isinstance(info.get("title"), str) else None,
            width=_int(info.get("width")), height=_int(info.get("height")),
            duration_ms=_ms(info.get("duration")), parts_sha256=video.parts_sha256,
            partial=video.partial,
        )  # fmt: skip
        sha256 = file_sha256(video.path)
        stored = self.keep(video.path, sha256, ref.url)
        kept: list[Downloaded] = [(ref, stored, video.note)]
        blob = self.blob_root / stored.blob_path
        streams = frames.probe_streams(blob)
        duration_ms = stored.duration_ms or (streams.duration_ms if streams else None)
        taken = frames.extract_frames(blob, work / f"frames-{sha256[:12]}", duration_ms)
        if stored.mime is not None:  # analysed just now, not known from an earlier capture
            self._describe(stored, streams, taken[0][1] if taken else None)
        # Frames, subtitles and the info are made from the responses the video came from.
        made_from = video.parts_sha256
        for at, frame in taken:
            frame_ref = MediaRef(url=f"{ref.url}#t={at:g}", type="keyframe", parts_sha256=made_from)
            kept.append((frame_ref, self.keep(frame, file_sha256(frame), frame_ref.url), None))
        for lang, url, path in video.subtitles:
            sub_ref = MediaRef(
                url=url or f"{ref.url}#subtitles={lang}", type="subtitles", alt_text=lang,
                parts_sha256=made_from,
            )  # fmt: skip
            kept.append((sub_ref, self.keep(path, file_sha256(path), sub_ref.url), None))
        info_path = work / f"info-{sha256[:12]}.json"
        info_path.write_bytes(video.info_json)
        info_url = f"{info.get('webpage_url') or ref.url}#yt-dlp-info"
        info_ref = MediaRef(url=info_url, type="video-info", parts_sha256=video.info_parts_sha256)
        kept.append((info_ref, self.keep(info_path, file_sha256(info_path), info_url), None))
        return kept

    def _describe(
        self, stored: StoredMedia, streams: frames.Streams | None, poster: Path | None
    ) -> None:
        """What ffprobe read (duration and size where the container headers said nothing, the
        codecs), and the first frame as the video's thumbnail, its hashes as the video's."""
        if streams is not None:
            stored.duration_ms = stored.duration_ms or streams.duration_ms
            stored.width = stored.width or streams.width
            stored.height = stored.height or streams.height
            stored.exif = {"streams": streams.summary()}
        if poster is None:
            return
        try:
            hashes = hash_image(poster)
            stored.thumbnail_path = make_thumbnail(poster, self.blob_root, stored.sha256)
        except ImageDecodeError as exc:
            stored.error = f"poster frame not analysed: {exc}"
            return
        stored.phash, stored.dhash = hashes.phash, hashes.dhash
        stored.pdq, stored.pdq_quality = hashes.pdq, hashes.pdq_quality
        stored.thumbnail_sha256 = file_sha256(self.blob_root / stored.thumbnail_path)


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _int(value) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _ms(value) -> int | None:
    return round(value * 1000) if isinstance(value, int | float) and 0 < value < 10**7 else None
