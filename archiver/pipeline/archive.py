"""The pipeline: URL or article -> embeds -> platform adapter -> media -> store.

Adapters and discovery never touch the database; this module does, one
transaction per post, so a killed run leaves whole posts or none. Errors are
per URL: one failure is reported and the rest are still archived.

Here: the archiving session and the post path. Pages, local article files and
direct media URLs are in page_capture.py; media downloads in media_download.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

from sqlite_utils import Database

import annotations  # noqa: F401  (registers its views: part of every archive opened here)
from archiver import platforms
from archiver.errors import ArchiveError, StorageError, UnavailableError
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
from archiver.pipeline.inputs import local_path
from archiver.pipeline.page import archive_local_file, archive_page
from archiver.pipeline.results import SKIPPED, CaptureResult
from archiver.platforms.base import PostRef, gone_post, parse_display_date
from archiver.settings import Settings
from archiver.store.changes import what_changed
from archiver.store.connection import open_db, open_reader
from archiver.store.eventlog import utc_now
from archiver.store.queries import media_exists, post_complete, post_exists, post_ids_by_author
from archiver.store.transaction import transaction
from archiver.store.writes import new_capture_id, save_capture, save_post

__all__ = ["SKIPPED", "Archiver", "CaptureResult"]


class Archiver:
    """One archiving session: a database, a blob store, a WARC file and an HTTP client."""

    def __init__(self, settings: Settings, *, progress: Progress | None = None):
        self.settings = settings
        # Worker threads fetch and hash in parallel; the one connection is shared under a lock.
        self.db = open_db(settings.db_path, check_same_thread=False)
        self._db_lock = threading.RLock()
        # Each thread's own read-only connection, for the checks made before fetching:
        # in WAL mode they read on while another thread commits, instead of queueing.
        self._readers: dict[int, Database] = {}  # by thread
        self._readers_lock = threading.Lock()
        self.blobs = BlobStore(settings.blobs_dir)
        self.recorder = WarcRecorder(settings.warcs, operator=settings.author)
        self.fetcher = Fetcher(settings, self.recorder)
        self.progress = progress or (lambda message: None)
        self.media = MediaDownloader(
            self.fetcher, self.blobs, max_bytes=settings.max_response_bytes,
            known=self.has_media, progress=self.progress,
        )  # fmt: skip
        self.context = collection_context(settings)  # who and from where, for each manifest
        self._tsa_roots = None

    def close(self) -> None:
        self.fetcher.close()
        self.recorder.close()
        self._close_readers()
        self.db.close()

    def __enter__(self) -> Archiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- entry points -------------------------------------------------------

    def archive_many(
        self, targets: Iterable[str], *, skip_archived: bool = False, concurrency: int | None = None
    ) -> Iterator[CaptureResult]:
        """Archive every target, `concurrency` at a time; results come as each one finishes.

        The fetcher keeps at most settings.concurrency requests in flight. Twice
        as many workers, and one more per CPU core, keep those requests going
        while other workers hash media, write WARC records and commit posts
        (bench/archive_throughput.py: 0.74-0.79x the plain script's speed with
        concurrency + cores workers, 0.80-0.85x with this many).
        """
        workers = concurrency or self.settings.concurrency
        targets = list(targets)
        if workers <= 1 or len(targets) <= 1:
            for target in targets:
                yield self.archive(target, skip_archived=skip_archived)
            return
        workers = min(len(targets), 2 * workers + (os.cpu_count() or 1))
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archiver") as pool:
                futures = [
                    pool.submit(self.archive, t, skip_archived=skip_archived) for t in targets
                ]
                try:
                    for future in as_completed(futures):
                        yield future.result()
                finally:
                    for future in futures:
                        future.cancel()
        finally:
            self._close_readers(keep=threading.get_ident())  # the pool's threads are gone

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
        if skip_archived and (archived := self._complete_post_id(ref)) is not None:
            return CaptureResult(url=target, status=SKIPPED, post_ids=[archived])
        return self.archive_post(target, ref)

    # -- the database, shared by the session's threads ---------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction at a time across this session's threads; StorageError if it fails."""
        with self._db_lock:
            try:
                with transaction(self.db):
                    yield
            # Disk full, a damaged file: the archive's fault, not the URL's.
            except sqlite3.Error as exc:
                raise StorageError(
                    f"could not write to the archive database {self.settings.db_path}: {exc}"
                ) from exc

    def has_post(self, post_db_id: str) -> bool:
        return post_exists(self.reader(), post_db_id)

    def _complete_post_id(self, ref: PostRef) -> str | None:
        """The id the post is archived under, with all its media; None if it is not."""
        db = self.reader()
        ids = [ref.db_id]
        if (alias := platforms.stored_alias(ref)) is not None:
            ids += post_ids_by_author(db, alias.platform, alias.handle, alias.id_suffix)
        return next((i for i in ids if post_complete(db, i)), None)

    def has_media(self, sha256: str) -> bool:
        """The file is in the media table already (analysed when it was first kept)."""
        return media_exists(self.reader(), sha256)

    def reader(self) -> Database:
        """This thread's read-only connection (committed rows only: not for use in a write)."""
        thread = threading.get_ident()
        db = self._readers.get(thread)  # only this thread adds its own entry
        if db is None:
            db = open_reader(self.settings.db_path)
            with self._readers_lock:  # not the database lock: a writer may hold that
                self._readers[thread] = db
        return db

    def _close_readers(self, *, keep: int | None = None) -> None:
        """Close the read connections of every thread but `keep` (a finished pool's)."""
        with self._readers_lock:
            for thread in [t for t in self._readers if t != keep]:
                self._readers.pop(thread).close()

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
            platform = platforms.platform_named(ref.platform)
            fetch_post = platform.fetch_post if platform else None
            if fetch_post is None:
                raise ArchiveError(
                    f"archiving {ref.platform} posts is not supported yet ({ref.url})"
                )
            return fetch_post(ref, self.fetcher)
        except UnavailableError as exc:
            # The platform says no (login wall, protected): a fact worth recording as such.
            if article is not None:
                return post_from_article(ref, article, reason=str(exc))
            return gone_post(ref, POST_UNAVAILABLE, str(exc), source=ref.platform)
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
        if not self.settings.tsa_urls:
            return []
        from archiver.evidence.tsa import load_roots, stamp_all

        if self._tsa_roots is None:
            self._tsa_roots = load_roots(self.settings.tsa_roots)
        requested_at = utc_now()
        self.progress(f"timestamping capture {capture_id}")
        stamps = stamp_all(
            self.settings.tsa_urls, manifest[1],
            timeout=self.settings.tsa_timeout, roots=self._tsa_roots,
        )  # fmt: skip
        with self.writing():
            save_stamps(self.db, capture_id, stamps, requested_at)
        return [
            {"tsa": s.tsa_url, "status": s.status, "gen_time": s.gen_time, "error": s.error}
            for s in stamps
        ]

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
