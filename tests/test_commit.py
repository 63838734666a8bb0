"""One commit per capture: a capture whose rows fail to write leaves nothing behind."""

from __future__ import annotations

import sqlite3

import pytest

from archiver.errors import StorageError
from archiver.models import Capture
from archiver.pipeline.archive import Archiver
from archiver.store.eventlog import utc_now
from archiver.store.writes import new_capture_id, save_page


class RowsThatFail:
    """Writes a pages row, then fails as a full disk would."""

    def write(self, db, capture_id):
        save_page(db, capture_id, "https://news.example/a", {}, None)
        raise sqlite3.OperationalError("database or disk is full")


def test_a_capture_whose_rows_fail_leaves_no_row_and_no_event(settings):
    capture = Capture(
        id=new_capture_id(), url="https://news.example/a", kind="page", started_at=utc_now()
    )
    with Archiver(settings) as archiver:
        writer = archiver.pages.writer
        events_before = archiver.db["events"].count
        with writer.recording(), pytest.raises(StorageError, match="disk is full"):
            writer.commit(capture, RowsThatFail())
        counts = {t: archiver.db[t].count for t in ("captures", "pages", "manifests")}
        assert archiver.db["events"].count == events_before
    assert counts == {"captures": 0, "pages": 0, "manifests": 0}


def test_a_capture_commits_its_row_its_rows_and_its_manifest_together(settings):
    capture = Capture(
        id=new_capture_id(), url="https://news.example/b", kind="page", started_at=utc_now()
    )

    class PageOnly:
        def write(self, db, capture_id):
            page_id = save_page(db, capture_id, "https://news.example/b", {}, None)
            return [(f"page:{page_id}", [])]

    with Archiver(settings) as archiver:
        writer = archiver.pages.writer
        with writer.recording():
            assert writer.commit(capture, PageOnly()) == []  # no TSA configured, no stamps
        db = archiver.db
        assert db["captures"].get(capture.id)["url"] == "https://news.example/b"
        assert [p["capture_id"] for p in db["pages"].rows] == [capture.id]
        assert db["manifests"].get(capture.id)["manifest_sha256"]
