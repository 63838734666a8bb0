"""One commit per capture of any kind: its captures row, its rows, its WARC record index and its
manifest in one store transaction, so a killed run leaves each capture whole or absent.

A capture's WARC records are those written while it was being recorded (`recording`);
a capture recorded inside another (an article's embedded post) keeps its own. The
timestamps follow the commit: a TSA signs the manifest as committed (a page's names its
pages row, whose id the transaction gives), and no write lock waits on a TSA's answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from archiver.evidence.manifests import media_entries, relative_warc, save_evidence, save_stamps
from archiver.fetch.warc import WarcRecorder
from archiver.fetch.warc_index import WarcRecordRef
from archiver.models import CAPTURE_ERROR, Capture
from archiver.pipeline.capture_rows import CaptureRows, capture_files
from archiver.pipeline.database import SessionDatabase
from archiver.pipeline.results import CaptureResult
from archiver.pipeline.timestamps import Stamper, stamp_summary
from archiver.store.eventlog import utc_now
from archiver.store.writes import save_capture


@dataclass(frozen=True, kw_only=True)
class CaptureRecording:
    """What the paths call to record a capture and hand it over whole: `recording`, `warc_file`,
    `commit`, `commit_failure`. CaptureWriter commits to the archive; a queue worker's
    BundleWriter (bundle.py) keeps the capture for the bundle the one writer commits."""

    recorder: WarcRecorder

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        """The WARC records written inside this block belong to the capture it makes (and commits)."""
        records = self.recorder.collector.begin()
        try:
            yield
        finally:
            self.recorder.collector.end(records)

    def warc_file(self) -> str | None:
        raise NotImplementedError

    def commit(
        self, capture: Capture, rows: CaptureRows | None = None, *, stamp: bool = True
    ) -> list[dict]:
        raise NotImplementedError

    def commit_failure(self, capture: Capture, error: str) -> CaptureResult:
        """Keep a capture that failed (when, and what came back) and report it as failed."""
        capture.status, capture.error = CAPTURE_ERROR, error
        capture.finished_at, capture.warc_file = utc_now(), self.warc_file()
        self.commit(capture, stamp=False)  # kept as evidence, not stamped
        return CaptureResult(
            url=capture.url, status=CAPTURE_ERROR, kind=capture.kind, capture_id=capture.id,
            error=error, warc_file=capture.warc_file,
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CaptureWriter(CaptureRecording):
    """Records captures in the WARC and commits each one whole (see the module docstring)."""

    database: SessionDatabase
    stamper: Stamper
    context: dict  # who and from where, for each manifest
    db_path: Path  # WARC paths are recorded relative to its directory
    # Blobs on S3 (media/s3staging.py): sends the (relpath, sha256) of every file a capture names
    # before it commits (StorageError: it does not commit); None for a local blob store.
    send_files: Callable[[Iterable[tuple[str, str]]], None] | None = None

    def warc_file(self) -> str | None:
        """The WARC file being written, as captures.warc_file names it; None before the first record."""
        if self.recorder.path is None:
            return None
        return relative_warc(str(self.recorder.path), self.db_path)

    def commit(
        self, capture: Capture, rows: CaptureRows | None = None, *, stamp: bool = True
    ) -> list[dict]:
        """Write the capture whole (call inside `recording`), then have it stamped; the stamps' summary."""
        records = list(self.recorder.collector.current() or [])
        return self.commit_recorded(capture, rows, records, stamp=stamp)

    def commit_recorded(
        self,
        capture: Capture,
        rows: CaptureRows | None,
        records: list[WarcRecordRef],
        *,
        stamp: bool = True,
        context: dict | None = None,
    ) -> list[dict]:
        """`commit` with the capture's WARC records given (a bundle's, made by a queue worker,
        whose `context` says who collected it and from where)."""
        if self.send_files is not None:
            self.send_files((f.relpath, f.sha256) for f in capture_files(capture, rows).values())
        with self.database.writing() as db:
            save_capture(db, capture)
            media = rows.write(db, capture.id) if rows is not None else []
            extra = getattr(rows, "manifest_extra", None)
            _, manifest = save_evidence(
                db,
                capture.id,
                records,
                media_entries(media),
                context or self.context,
                self.db_path,
                extra,
            )
        if not (stamp and self.stamper.urls):
            return []
        requested_at, stamps = self.stamper.request(capture.id, manifest)
        with self.database.writing() as db:
            save_stamps(db, capture.id, stamps, requested_at)
        return stamp_summary(stamps)
