"""The page path: an article URL, a local article file, or a URL serving a media file.

A page's bytes go to the blob store, then every post it embeds is archived as a
capture of its own (the page's capture is its parent, committed as it finishes), and
last the page capture commits whole: its row, its page, page_media and embeds rows,
its WARC record index and its manifest. A page that embeds no post keeps its link card
and its main image instead. The page path calls the post path, never the reverse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from archiver.discovery.embeds import discover_within
from archiver.discovery.rendered import rendered_embeds
from archiver.errors import StorageError
from archiver.fetch.client import Fetcher
from archiver.fetch.exchange import Fetched
from archiver.media.blobstore import BlobStore
from archiver.media.download import (
    Downloaded,
    MediaDownloader,
    media_errors,
    media_incomplete,
)
from archiver.media.video_sources import VIDEOS_ON_PAGE, Preloaded
from archiver.models import CAPTURE_OK, CAPTURE_PARTIAL, Capture, MediaRef, Progress
from archiver.pipeline.capture_rows import MediaFileRows, PageRows
from archiver.pipeline.commit import CaptureRecording
from archiver.pipeline.embedded import EmbedOutcome, EmbedPath
from archiver.pipeline.failures import ErrorLog
from archiver.pipeline.inputs import content_type_for, read_local
from archiver.pipeline.render import RenderStep
from archiver.pipeline.results import CaptureResult
from archiver.platforms.pages import looks_like_html, page_metadata
from archiver.platforms.soup import MarkupTooLarge
from archiver.store.eventlog import utc_now
from archiver.store.writes import new_capture_id

# A page yt-dlp is asked about: one that plays a video itself or names a stream manifest.
_PLAYS_VIDEO = re.compile(r"<video\b|\.m3u8\b|\.mpd\b", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class PagePath:
    """Archives what names no post: pages (with their embedded posts) and media files."""

    fetcher: Fetcher
    media: MediaDownloader
    blobs: BlobStore
    writer: CaptureRecording
    embeds: EmbedPath
    operator: str | None  # who archives, as each capture records
    errors: ErrorLog  # the reason a failure records; a bug's traceback
    max_parse_bytes: int  # a larger page is kept, not parsed for embeds
    progress: Progress
    render: RenderStep | None = None  # --screenshot: the page as Chromium renders it

    def archive_url(self, url: str, *, source: str = "http") -> CaptureResult:
        """Fetch a URL that names no post; keep the page and its embedded posts, or the media file.

        `source`: how the page was reached, as its capture records it (`wayback`: a copy there).
        """
        with self.writer.recording():
            self.progress(f"fetching page {url}")
            started = utc_now()
            try:
                return self._fetch_page(url, started, source)
            except StorageError:
                raise  # the archive cannot be written: no row can say so
            except Exception as exc:  # a bug or an unforeseen answer fails this URL, not the run
                reason, status = self.errors.reason(url, exc), getattr(exc, "status", None)
                return self._failed(url, started, reason, status=status, source=source)

    def _fetch_page(self, url: str, started: str, source: str) -> CaptureResult:
        fetched = self.fetcher.get(url)
        with fetched:
            if not fetched.ok:
                failure = f"HTTP {fetched.status} from {fetched.final_url}"
                return self._failed(
                    url, started, failure, fetched.final_url, fetched.status, source=source
                )
            if fetched.content_type.startswith(("image/", "video/", "audio/")):
                return self._media_file(url, fetched, started)
            capture = Capture(
                id=new_capture_id(), url=url, kind="page", final_url=fetched.final_url,
                started_at=started, http_status=fetched.status, source=source,
                operator=self.operator,
            )  # fmt: skip
            return self._document(capture, fetched.read(), fetched.text(), fetched.content_type)

    def archive_file(self, asked: str, path: Path) -> CaptureResult:
        """Keep an article saved as a local file (.html, .txt) and archive the posts it embeds."""
        with self.writer.recording():
            data = read_local(path)
            capture = Capture(
                id=new_capture_id(), url=asked, kind="page", final_url=path.resolve().as_uri(),
                started_at=utc_now(), source="file", operator=self.operator,
            )  # fmt: skip
            document = data.decode("utf-8", errors="replace")
            return self._document(capture, data, document, content_type_for(path))

    def _failed(
        self,
        url: str,
        started: str,
        reason: str,
        final_url: str | None = None,
        status: int | None = None,
        *,
        source: str = "http",
    ) -> CaptureResult:
        """Record that the page could not be fetched (when, and what came back), as for posts."""
        capture = Capture(
            id=new_capture_id(), url=url, kind="page", final_url=final_url, started_at=started,
            http_status=status, source=source, operator=self.operator,
        )  # fmt: skip
        return self.writer.commit_failure(capture, reason)

    def _media_file(self, url: str, fetched: Fetched, started: str) -> CaptureResult:
        """A URL that serves an image, a video or a sound: kept as one media capture."""
        media = self.media.keep(fetched, url)
        capture = Capture(
            id=new_capture_id(), url=url, kind="media", final_url=fetched.final_url,
            started_at=started, finished_at=utc_now(), http_status=fetched.status,
            body_sha256=media.sha256, warc_file=self.writer.warc_file(), operator=self.operator,
        )  # fmt: skip
        timestamps = self.writer.commit(capture, MediaFileRows(url, media))
        return CaptureResult(
            url=url, status=CAPTURE_OK, kind="media", capture_id=capture.id,
            media_sha256s=[media.sha256], warc_file=capture.warc_file, timestamps=timestamps,
        )  # fmt: skip

    def _document(
        self, capture: Capture, body: bytes, document: str, content_type: str
    ) -> CaptureResult:
        """Keep the page's bytes, archive every post it embeds, then commit the page capture.

        Whatever fails on the way fails this capture (its embeds committed so far stay, as its
        children), recorded with the reason.
        """
        try:
            return self._keep_document(capture, body, document, content_type)
        except StorageError:
            raise
        except Exception as exc:
            return self.writer.commit_failure(capture, self.errors.reason(capture.url, exc))

    def _keep_document(
        self, capture: Capture, body: bytes, document: str, content_type: str
    ) -> CaptureResult:
        is_html = content_type != "text/plain" and (
            content_type in ("text/html", "application/xhtml+xml") or looks_like_html(document)
        )
        capture.body_sha256, _ = self.blobs.put_bytes(body)
        capture.finished_at = utc_now()
        capture.warc_file = self.writer.warc_file() if capture.source == "http" else None
        if len(body) > self.max_parse_bytes:
            return self._unparsed(
                capture,
                f"the page is {len(body):,} bytes; embedded posts and metadata are only read from"
                f" pages up to {self.max_parse_bytes:,} bytes (its bytes are kept)",
            )
        try:
            found = discover_within(
                document, capture.final_url, content_type="text/html" if is_html else "text/plain"
            )
            meta = page_metadata(document, is_html=is_html, url=capture.final_url)
        except MarkupTooLarge as exc:
            return self._unparsed(capture, f"{exc} (no embedded posts or metadata were read)")
        embeds = found.embeds
        shots = None
        if self.render is not None and capture.source == "http":
            shots = self.render.render(capture.final_url)
            embeds = embeds + rendered_embeds(
                embeds, shots.dom, capture.final_url, max_chars=self.max_parse_bytes
            )
        if found.note:
            capture.status, capture.error = CAPTURE_PARTIAL, found.note
        self.progress(f"found {len(embeds)} embedded post(s) in {capture.url}")
        # A page that embeds no post is kept for itself: its link card and its main image.
        page_media = self._main_image(meta["image_url"], capture.final_url) if not embeds else []
        page_media += shots.media if shots is not None else []
        page_media += self._videos(capture, body, content_type, document)
        if media_incomplete(page_media):
            capture.status = CAPTURE_PARTIAL
        # What a kept file lacks is said too (a video kept without its sound: no ffmpeg).
        capture.error = "; ".join(filter(None, [capture.error, media_errors(page_media)])) or None
        # Each embedded post commits as it finishes; the page keeps only the outcomes till the end.
        outcomes, left_out = self.embeds.archive_all(embeds, capture)
        if left_out is not None:  # the URL's budget ran out: the page's capture is not whole
            capture.status = CAPTURE_PARTIAL
            capture.error = "; ".join(filter(None, [capture.error, left_out]))
        result = page_result(capture, page_media, outcomes)
        result.warc_file = self.writer.warc_file()
        # Last and whole: the page's record includes the short-link hops of its embeds.
        rows = PageRows(capture.final_url, meta, capture.body_sha256, page_media)
        rows.embeds = [outcome.row for outcome in outcomes]
        rows.manifest_extra = {"render": shots.manifest} if shots is not None else None
        result.timestamps = self.writer.commit(capture, rows)
        return result

    def _unparsed(self, capture: Capture, reason: str) -> CaptureResult:
        """Keep a page too large to parse safely: its bytes and WARC records, not its embeds."""
        capture.status, capture.error = CAPTURE_PARTIAL, reason
        # Unstamped, like a failure: the page was kept but not read.
        rows = PageRows(capture.final_url, {}, capture.body_sha256)
        self.writer.commit(capture, rows, stamp=False)
        return CaptureResult(
            url=capture.url, status=CAPTURE_PARTIAL, kind="page", capture_id=capture.id,
            error=capture.error, warc_file=capture.warc_file,
        )  # fmt: skip

    def _videos(
        self, capture: Capture, body: bytes, content_type: str, document: str
    ) -> list[Downloaded]:
        """The videos the page plays itself (HTML5 video, HLS, DASH), found by yt-dlp in its bytes."""
        if capture.source != "http" or not _PLAYS_VIDEO.search(document):
            return []
        url = capture.final_url
        page = Preloaded(capture.http_status or 200, {"Content-Type": content_type}, body)
        ref = MediaRef(url=url, type=VIDEOS_ON_PAGE)
        return self.media.download_all([ref], found_at=url, preloaded={url: page})

    def _main_image(self, url: str | None, page_url: str) -> list[Downloaded]:
        if not url or not url.lower().startswith(("http://", "https://")):
            return []
        return self.media.download_all([MediaRef(url=url, type="image")], found_at=page_url)


def page_result(
    capture: Capture, page_media: list[Downloaded], outcomes: list[EmbedOutcome]
) -> CaptureResult:
    """What archiving the page did: its own media, then each embed's post and media, in order."""
    result = CaptureResult(
        url=capture.url, status=capture.status, kind="page", capture_id=capture.id,
        media_sha256s=[m.sha256 for _, m, _ in page_media if m is not None],
        error=capture.error, embeds=[outcome.summary() for outcome in outcomes],
    )  # fmt: skip
    for outcome in outcomes:
        result.post_ids.extend(outcome.post_ids)
        result.media_sha256s.extend(outcome.media_sha256s)
    # The page itself may be whole (captures.status) while a post it shows is missing.
    if any(outcome.row.status in ("failed", "unresolved") for outcome in outcomes):
        result.status = CAPTURE_PARTIAL
    return result
