"""The archiving API: `Archiver(settings).archive(url)` and `.archive_many(urls)`.

It opens a session (session.py), wires the post path (post.py) and the page path
(page.py) to the resources each uses, and sends each target down one of them. Errors
are per URL: one failure is reported and the rest are still archived. Every capture
commits whole (commit.py), so a killed run leaves whole captures or none.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator

from sqlite_utils import Database

from archiver import platforms
from archiver.errors import StorageError
from archiver.evidence.manifests import collection_context
from archiver.fetch.urls import check_url
from archiver.models import CAPTURE_ERROR, Capture, Progress
from archiver.pipeline.bulk import archive_concurrently
from archiver.pipeline.commit import CaptureRecording, CaptureWriter
from archiver.pipeline.embedded import EmbedPath
from archiver.pipeline.failures import ErrorLog
from archiver.pipeline.inputs import local_path
from archiver.pipeline.page import PagePath
from archiver.pipeline.post import PostPath
from archiver.pipeline.render import RenderStep
from archiver.pipeline.results import SKIPPED, CaptureResult
from archiver.pipeline.session import Session
from archiver.pipeline.timestamps import Stamper
from archiver.pipeline.wayback import WaybackSubmitter
from archiver.settings import Settings
from archiver.store.eventlog import utc_now
from archiver.store.writes import new_capture_id

__all__ = ["SKIPPED", "Archiver", "CaptureResult"]


class Archiver:
    """Archives post URLs, article URLs and local article files into one archive; close when done."""

    def __init__(
        self,
        settings: Settings,
        *,
        progress: Progress | None = None,
        notice: Progress | None = None,
        writer: Callable[[Session], CaptureRecording] | None = None,
    ):
        """`progress` hears what each step does; `notice`, what the whole run should know
        (once: no browser for --screenshot). `writer`, given the session, makes what takes each
        capture instead of committing it to the archive (a queue worker's bundle,
        pipeline/bundle.py); the session then keeps no database, and nothing counts as
        archived already."""
        self.settings = settings
        progress = progress or (lambda message: None)
        self.session = session = Session(settings, progress=progress, database=writer is None)
        self.errors = errors = ErrorLog(settings.error_log)
        self.writer = writer = writer(session) if writer else CaptureWriter(
            database=session.database, recorder=session.recorder,
            stamper=Stamper(settings, progress), context=collection_context(settings),
            db_path=settings.db_path, send_files=session.send_files,
        )  # fmt: skip
        self.render = render = None
        if settings.screenshot:
            self.render = render = RenderStep(
                settings, session.fetcher, session.media, progress=progress,
                notice=notice or progress,
            )  # fmt: skip
        database = session.database
        self.posts = PostPath(
            fetcher=session.fetcher, media=session.media, writer=writer,
            operator=settings.author, errors=errors, progress=progress, render=render,
        )  # fmt: skip
        embeds = EmbedPath(
            fetcher=session.fetcher, posts=self.posts,
            archived=database.has_post if database else _never,
            errors=errors, progress=progress,
        )  # fmt: skip
        self.pages = PagePath(
            fetcher=session.fetcher, media=session.media, blobs=session.blobs, writer=writer,
            embeds=embeds, operator=settings.author, errors=errors,
            max_parse_bytes=settings.max_parse_bytes, progress=progress, render=render,
        )  # fmt: skip
        self.wayback = WaybackSubmitter(
            fetcher=session.fetcher, database=session.database, settings=settings,
            progress=progress,
        )  # fmt: skip

    @property
    def db(self) -> Database:
        """The archive's write connection: what was archived, for the caller to read."""
        return self.session.database.writer

    def close(self) -> None:
        if self.render is not None:
            self.render.close()  # the browser's last requests still need the session
        self.session.close()

    def __enter__(self) -> Archiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def archive_many(
        self, targets: Iterable[str], *, skip_archived: bool = False, concurrency: int | None = None
    ) -> Iterator[CaptureResult]:
        """Archive every target, `concurrency` at a time; results come as each one finishes."""
        database, fetcher = self.session.database, self.session.fetcher
        yield from archive_concurrently(
            functools.partial(self.archive, skip_archived=skip_archived),
            targets,
            concurrency=concurrency or self.settings.concurrency,
            # The pool's threads are gone: so is the use of their read connections.
            when_done=lambda: database and database.close_readers(keep=threading.get_ident()),
            when_stopped=lambda: fetcher.halt("stopped: the run was interrupted"),
        )

    def archive(self, target: str, *, skip_archived: bool = False) -> CaptureResult:
        """Archive a post URL, an article URL or a local article file; raises no Exception.

        Whatever goes wrong, a bug included, is a capture with status error and its reason
        (a bug's traceback goes to the error log), and the caller goes on with the next URL;
        only a StorageError (the archive cannot be written) leaves no row. Its requests,
        those of its embedded posts and media included, keep to one budget (fetch/budget.py).
        With skip_archived, a post already in the archive is not fetched again (how a re-run
        of a list resumes). With Settings.wayback, a capture's URL then goes to Save Page Now.
        """
        try:
            result = self._archive_on_budget(target, skip_archived)
        finally:
            self.session.url_done()
        if self.settings.wayback and result.capture_id and not result.failed:
            try:
                result.wayback = self.wayback.submit(result.capture_id)
            except StorageError as exc:  # the capture is kept; only its companion is not
                result.wayback = {"status": "failed", "error": str(exc)}
        return result

    def archive_wayback_copy(self, copy_url: str) -> CaptureResult:
        """Archive a Wayback Machine copy (its original bytes, /web/TIMESTAMPid_/URL) as a page
        capture whose source is `wayback` (archiver wayback --archive-closest)."""
        try:
            with self.session.fetcher.budget(copy_url):
                return self.pages.archive_url(copy_url, source="wayback")
        except StorageError as exc:
            return CaptureResult(url=copy_url, status=CAPTURE_ERROR, error=str(exc), kind="page")
        finally:
            self.session.url_done()

    def _archive_on_budget(self, target: str, skip_archived: bool) -> CaptureResult:
        try:
            with self.session.fetcher.budget(target):
                return self._archive(target, skip_archived)
        except StorageError as exc:
            return CaptureResult(url=target, status=CAPTURE_ERROR, error=str(exc), kind="unknown")
        except Exception as exc:  # failed before its capture began (a URL no path accepts)
            return self._failed(target, self.errors.reason(target, exc))

    def _failed(self, target: str, reason: str) -> CaptureResult:
        """A capture with status error for a target that failed before its path took it."""
        capture = Capture(
            id=new_capture_id(), url=target, kind=kind_of(target), started_at=utc_now(),
            operator=self.settings.author,
        )  # fmt: skip
        try:
            with self.writer.recording():
                return self.writer.commit_failure(capture, reason)
        except StorageError:
            return CaptureResult(url=target, status=CAPTURE_ERROR, error=reason, kind="unknown")

    def _archive(self, target: str, skip_archived: bool) -> CaptureResult:
        path = local_path(target)
        if path is not None:
            return self.pages.archive_file(target, path)
        ref = platforms.identify(target)  # before check_url: at:// URIs name posts too
        if ref is None:
            check_url(target)
            return self.pages.archive_url(target)
        # A post whose media failed last time is fetched again: a re-run completes the list.
        database = self.session.database
        if skip_archived and database and (archived := database.complete_post_id(ref)) is not None:
            return CaptureResult(url=target, status=SKIPPED, post_ids=[archived])
        return self.posts.archive(target, ref)


def kind_of(target: str) -> str:
    """post or page, as far as the target tells (a target no platform reads is a page)."""
    try:
        return "post" if platforms.identify(target) is not None else "page"
    except Exception:
        return "page"


def _never(post_db_id: str) -> bool:
    return False
