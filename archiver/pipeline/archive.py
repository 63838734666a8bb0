"""The pipeline: URL or article -> embeds -> platform adapter -> media -> store.

Adapters and discovery never touch the database; this module does, one
transaction per post, so a killed run leaves whole posts or none. Errors are
per URL: one failure is reported and the rest are still archived.

Here: the archiving session and the post path. Pages, local article files and
direct media URLs are in page_capture.py; media downloads in media_download.py.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import threading
from collections.abc import Iterable, Iterator

from archiver import platforms
from archiver.errors import ArchiveError, UnavailableError
from archiver.evidence.manifests import (
    collection_context,
    media_entries,
    relative_warc,
    save_evidence,
    save_stamps,
)
from archiver.fetch.client import Fetcher, check_url
from archiver.fetch.warc import WarcRecorder
from archiver.media.blobstore import BlobStore
from archiver.media.download import Downloaded, MediaDownloader, media_errors
from archiver.models import (
    CAPTURE_DELETED,
    CAPTURE_ERROR,
    CAPTURE_OK,
    CAPTURE_PARTIAL,
    CAPTURE_UNAVAILABLE,
    POST_DELETED,
    POST_OK,
    POST_UNAVAILABLE,
    Capture,
    Embed,
    Post,
    Progress,
)
from archiver.pipeline.bulk import archive_concurrently
from archiver.pipeline.database import SessionDatabase
from archiver.pipeline.inputs import local_path
from archiver.pipeline.page import archive_local_file, archive_page
from archiver.pipeline.results import SKIPPED, CaptureResult
from archiver.pipeline.timestamps import Stamper, stamp_summary
from archiver.platforms.base import PostRef, parse_display_date
from archiver.settings import Settings
from archiver.store.changes import what_changed
from archiver.store.eventlog import utc_now
from archiver.store.writes import new_capture_id, post_exists, save_capture, save_post

__all__ = ["SKIPPED", "Archiver", "CaptureResult"]


class Archiver:
    """One archiving session: a database, a blob store, a WARC file and an HTTP client."""

    def __init__(self, settings: Settings, *, progress: Progress | None = None):
        self.settings = settings
        self.database = SessionDatabase(settings.db_path)
        self.db = self.database.writer
        self.blobs = BlobStore(settings.blobs_dir)
        self.recorder = WarcRecorder(settings.warcs, operator=settings.author)
        self.fetcher = Fetcher(settings, self.recorder)
        self.progress = progress or (lambda message: None)
        self.media = MediaDownloader(
            self.fetcher, self.blobs, max_bytes=settings.max_response_bytes,
            known=self.database.has_media, progress=self.progress,
        )  # fmt: skip
        self.context = collection_context(settings)  # who and from where, for each manifest
        self.stamper = Stamper(settings, self.progress)

    def close(self) -> None:
        self.fetcher.close()
        self.recorder.close()
        self.database.close()

    def __enter__(self) -> Archiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- entry points -------------------------------------------------------

    def archive_many(
        self, targets: Iterable[str], *, skip_archived: bool = False, concurrency: int | None = None
    ) -> Iterator[CaptureResult]:
        """Archive every target, `concurrency` at a time; results come as each one finishes."""
        yield from archive_concurrently(
            functools.partial(self.archive, skip_archived=skip_archived),
            targets,
            concurrency=concurrency or self.settings.concurrency,
            # The pool's threads are gone: so is the use of their read connections.
            when_done=lambda: self.database.close_readers(keep=threading.get_ident()),
        )

    def archive(self, target: str, *, skip_archived: bool = False) -> CaptureResult:
        """Archive a post URL, an article URL or a local article file; never raises ArchiveError.

        With skip_archived, a post already in the archive is not fetched again
        (how a re-run of a list resumes).
        """
        try:
            return self._archive(target, skip_archived)
        except ArchiveError as exc:
            return CaptureResult(url=target, status=CAPTURE_ERROR, error=str(exc), kind="unknown")

    def _archive(self, target: str, skip_archived: bool) -> CaptureResult:
        path = local_path(target)
        if path is not None:
            return archive_local_file(self, target, path)
        ref = platforms.identify(target)  # before check_url: at:// URIs name posts too
        if ref is None:
            check_url(target)
            return archive_page(self, target)
        # A post whose media failed last time is fetched again: a re-run completes the list.
        if skip_archived and (archived := self.database.complete_post_id(ref)) is not None:
            return CaptureResult(url=target, status=SKIPPED, post_ids=[archived])
        return self.archive_post(target, ref)

    # -- the database, shared by the session's threads (database.py) ----------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction at a time across this session's threads; StorageError if it fails."""
        with self.database.writing():
            yield

    def has_post(self, post_db_id: str) -> bool:
        return self.database.has_post(post_db_id)

    # -- posts --------------------------------------------------------------

    def archive_post(
        self, asked: str, ref: PostRef, *, embed: Embed | None = None, parent_id: str | None = None
    ) -> CaptureResult:
        """Archive a post and the post it quotes in one transaction; a failure is a capture too.

        When the platform will not give the post, the article's copy in `embed` stands in.
        """
        with self.collecting_records():
            capture = Capture(
                id=new_capture_id(), url=asked, kind="post", platform=ref.platform,
                started_at=utc_now(), parent_id=parent_id, operator=self.settings.author,
                post_db_id=ref.db_id,
            )  # fmt: skip
            self.progress(f"fetching {ref.url}")
            try:
                post = self._fetch_post(ref, embed)
            except ArchiveError as exc:
                return self.record_failure(capture, str(exc))
            return self._keep_post(capture, post)

    def _fetch_post(self, ref: PostRef, embed: Embed | None) -> Post:
        """The post from its platform; else the article's copy, or a record that it is unavailable."""
        article = embed if embed is not None and embed.article_text else None
        try:
            module = platforms.module_for(ref.platform)
            fetch_post = getattr(module, "fetch_post", None)
            if fetch_post is None:
                raise ArchiveError(
                    f"archiving {ref.platform} posts is not supported yet ({ref.url})"
                )
            return fetch_post(ref, self.fetcher)
        except UnavailableError as exc:
            # The platform says no (login wall, protected): a fact worth recording as such.
            if article is not None:
                return post_from_article(ref, article, reason=str(exc))
            return unavailable_post(ref, str(exc))
        except ArchiveError as exc:
            if article is None:
                raise
            # The platform would not give it to us; the article's copy is still evidence.
            return post_from_article(ref, article, reason=str(exc))

    def _keep_post(self, capture: Capture, post: Post) -> CaptureResult:
        """Download the post's media (and its quoted post's), then write it all in one transaction."""
        # The platform may name the post canonically (a Bluesky handle resolves to a DID).
        capture.post_db_id = post.db_id
        media = self.media.download_all(post.media, found_at=post.url)
        quoted_media = (
            self.media.download_all(post.quoted.media, found_at=post.quoted.url)
            if post.quoted
            else []
        )
        all_media = media + quoted_media
        capture.final_url = post.url
        capture.source = post.source
        capture.http_status = post.http_status
        capture.body_sha256 = (
            hashlib.sha256(post.raw.encode("utf-8")).hexdigest() if post.raw else None
        )
        capture.status = capture_status(post, all_media)
        capture.error = post.status_reason if post.status != POST_OK else media_errors(all_media)
        capture.warc_file = self.recorder_file()
        capture.finished_at = utc_now()
        saved = [(post.quoted, quoted_media)] if post.quoted is not None else []
        saved.append((post, media))
        changes: dict[str, list[str]] = {}  # posts seen before whose content or status moved
        with self.writing():
            save_capture(self.db, capture)
            for item, item_media in saved:
                seen_before = post_exists(self.db, item.db_id)
                if save_post(self.db, item, capture.id, item_media) and seen_before:
                    changes[item.db_id] = what_changed(self.db, item.db_id)
            manifest = self.save_evidence(capture, [(item.db_id, m) for item, m in saved])
        return CaptureResult(
            url=capture.url, status=capture.status, capture_id=capture.id,
            post_ids=[post.db_id] + ([post.quoted.db_id] if post.quoted else []),
            media_sha256s=[m.sha256 for _, m, _ in all_media if m is not None],
            error=capture.error, warc_file=capture.warc_file, changed=list(changes),
            changes=changes, timestamps=self.stamp(capture.id, manifest),
        )  # fmt: skip

    # -- the collection record ------------------------------------------------

    @contextlib.contextmanager
    def collecting_records(self) -> Iterator[None]:
        """The WARC records written inside this block belong to the capture it makes."""
        records = self.recorder.collector.begin()
        try:
            yield
        finally:
            self.recorder.collector.end(records)

    def record_failure(self, capture: Capture, error: str) -> CaptureResult:
        """Keep a capture that failed (when, and what came back) and report it as failed."""
        capture.status, capture.error = CAPTURE_ERROR, error
        capture.finished_at, capture.warc_file = utc_now(), self.recorder_file()
        with self.writing():
            save_capture(self.db, capture)
            self.save_evidence(capture, [])
        return CaptureResult(
            url=capture.url, status=CAPTURE_ERROR, kind=capture.kind, capture_id=capture.id,
            error=error, warc_file=capture.warc_file,
        )  # fmt: skip

    def save_evidence(
        self, capture: Capture, media: list[tuple[str | None, list[Downloaded]]]
    ) -> tuple[str, bytes]:
        """The capture's WARC record rows and manifest (evidence.py); inside its transaction."""
        records = list(self.recorder.collector.current() or [])
        return save_evidence(
            self.db, capture.id, records, media_entries(media), self.context, self.settings.db_path
        )

    def stamp(self, capture_id: str, manifest: tuple[str, bytes]) -> list[dict]:
        """Ask each configured TSA to stamp the manifest; a failure is recorded, never raised."""
        if not self.stamper.urls:
            return []
        requested_at, stamps = self.stamper.request(capture_id, manifest[1])
        with self.writing():
            save_stamps(self.db, capture_id, stamps, requested_at)
        return stamp_summary(stamps)

    def recorder_file(self) -> str | None:
        """The WARC file being written, as captures.warc_file names it; None before the first record."""
        if self.recorder.path is None:
            return None
        return relative_warc(str(self.recorder.path), self.settings.db_path)


# -- what a post capture is -----------------------------------------------------


def post_from_article(ref: PostRef, embed: Embed, *, reason: str) -> Post:
    """A post known only from the article's copy: what the article showed, marked as such."""
    name, handle = split_author(embed.article_author)
    return Post(
        platform=ref.platform, post_id=ref.post_id, url=ref.url,
        author_handle=handle or ref.handle, author_name=name, text=embed.article_text,
        created_at=parse_display_date(embed.article_date), status=POST_UNAVAILABLE,
        status_reason=f"recorded from the article's copy; the platform did not answer: {reason}",
        source="article",
    )  # fmt: skip


def unavailable_post(ref: PostRef, reason: str) -> Post:
    """A post the platform refuses to show: recorded as unavailable, with the platform's reason."""
    return Post(
        platform=ref.platform, post_id=ref.post_id, url=ref.url, author_handle=ref.handle,
        status=POST_UNAVAILABLE, status_reason=reason, source=ref.platform,
    )  # fmt: skip


def split_author(author: str | None) -> tuple[str | None, str | None]:
    """'Thomas van Linge (@ThomasVLinge)' -> ('Thomas van Linge', 'ThomasVLinge')."""
    if not author:
        return None, None
    m = re.match(r"^\s*(.*?)\s*\(@([^)]+)\)\s*$", author)
    return (m.group(1) or None, m.group(2)) if m else (author.strip(), None)


def capture_status(post: Post, media: list[Downloaded]) -> str:
    """A post capture's status: deleted, partial (article copy, oEmbed only, a file missing), ..."""
    if post.status == POST_DELETED:
        return CAPTURE_DELETED
    if post.source == "article":
        return CAPTURE_PARTIAL
    if post.status == POST_UNAVAILABLE:
        return CAPTURE_UNAVAILABLE
    if post.source == "oembed" or any(stored is None for _, stored, _ in media):
        return CAPTURE_PARTIAL
    return CAPTURE_OK
