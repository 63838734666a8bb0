"""Where each capture's WARC records are: offsets, lengths and hashes, and reading them back.

Every record is its own gzip member, so the bytes at (offset, length) are a
complete WARC record on their own: verify re-hashes them, and the WACZ export
copies them into a new file without re-encoding anything.

The recorder hands each exchange's records to the capture being made on that
thread (`RecordCollector`): a post capture nested inside an article capture
keeps its own records, and concurrent workers never mix theirs.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

CHUNK = 1024 * 1024


@dataclass
class WarcRecordRef:
    """One record of a WARC file, located and hashed."""

    warc_file: str  # as the recorder wrote it; the store keeps it relative to the database
    offset: int
    length: int
    record_id: str
    record_type: str
    target_uri: str | None
    warc_date: str | None
    sha256: str  # of the record's bytes in the file (its gzip member)
    # Of the HTTP body, content-encoding undone (responses); of the file (resources).
    payload_sha256: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    # The HTTP headers whose values were redacted (WARC-Archiver-Redacted), not a warc_records
    # column: what the manifest says of a logged-in session (its hosts) is taken from it.
    redacted: str | None = None


class RecordCollector:
    """Per-thread stack of open captures; each record goes to the innermost one."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _stack(self) -> list[list[WarcRecordRef]]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    def begin(self) -> list[WarcRecordRef]:
        """Open a capture on this thread; returns the list its records will be added to."""
        records: list[WarcRecordRef] = []
        self._stack().append(records)
        return records

    def end(self, records: list[WarcRecordRef]) -> None:
        stack = self._stack()
        if records in stack:
            # Identity, not equality: two empty lists are equal.
            index = max(i for i, r in enumerate(stack) if r is records)
            del stack[index:]

    def current(self) -> list[WarcRecordRef] | None:
        stack = self._stack()
        return stack[-1] if stack else None

    @contextmanager
    def joining(self, records: list[WarcRecordRef]) -> Iterator[None]:
        """Within, this thread's records go to `records`: a capture another thread opened
        (a helper thread working for it, such as the browser's)."""
        stack = self._stack()
        stack.append(records)
        try:
            yield
        finally:
            self.end(records)

    def add(self, refs: list[WarcRecordRef]) -> None:
        records = self.current()
        if records is not None:
            records.extend(refs)


def _iterate(stream, warc_file: str, base: int = 0) -> Iterator[WarcRecordRef]:
    it = ArchiveIterator(stream, check_digests=False)
    for record in it:
        payload_sha256 = None
        status = None
        content_type = None
        if record.rec_type == "response" and record.http_headers is not None:
            payload_sha256 = stream_sha256(record.content_stream())
            code = record.http_headers.get_statuscode()
            status = int(code) if code and code.isdigit() else None
            content_type = record.http_headers.get_header("Content-Type")
        elif record.rec_type == "resource":  # a file made here (a screenshot): the block is it
            payload_sha256 = stream_sha256(record.content_stream())
            content_type = record.rec_headers.get_header("Content-Type")
        it.read_to_end(record)
        yield WarcRecordRef(
            warc_file=warc_file,
            offset=base + it.get_record_offset(),
            length=it.get_record_length(),
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            record_type=record.rec_type,
            target_uri=record.rec_headers.get_header("WARC-Target-URI"),
            warc_date=record.rec_headers.get_header("WARC-Date"),
            sha256="",
            payload_sha256=payload_sha256,
            http_status=status,
            content_type=content_type,
            redacted=record.rec_headers.get_header("WARC-Archiver-Redacted"),
        )


def read_record(path: Path, offset: int, length: int) -> WarcRecordRef:
    """Parse the one record stored at (offset, length); ValueError if it is not one record."""
    with open(path, "rb") as f:
        f.seek(offset)
        window = _Window(f, length)
        try:
            found = list(_iterate(window, str(path), base=offset))
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
            raise ValueError(f"no readable WARC record at offset {offset}: {exc}") from exc
        if len(found) != 1:
            raise ValueError(f"{len(found)} records at offset {offset}, expected one")
        found[0].sha256 = slice_sha256(f, offset, length)
    return found[0]


def slice_sha256(f, offset: int, length: int) -> str:
    f.seek(offset)
    digest = hashlib.sha256()
    left = length
    while left > 0:
        chunk = f.read(min(CHUNK, left))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)
    return digest.hexdigest()


def stream_sha256(stream) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def copy_record(path: Path, offset: int, length: int, out) -> None:
    """Copy one stored record, byte for byte, to `out`."""
    with open(path, "rb") as f:
        f.seek(offset)
        left = length
        while left > 0:
            chunk = f.read(min(CHUNK, left))
            if not chunk:
                raise ValueError(f"{path} ends before the record at offset {offset} does")
            out.write(chunk)
            left -= len(chunk)


class _Window(io.RawIOBase):
    """At most `length` bytes of a file from its current position."""

    def __init__(self, f, length: int):
        self._f = f
        self._left = length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._f.read(size)
        self._left -= len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
