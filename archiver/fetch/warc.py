"""Raw HTTP exchanges to WARC 1.1 files (warcio), one file per archiving run.

Each process writes its own file, so concurrent runs never interleave records.
A record is flushed before the database row that points to it is committed.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.errors import storage_error
from archiver.fetch.exchange import RawExchange, Recorder
from archiver.fetch.warc_index import RecordCollector, WarcRecordRef, stream_sha256
from archiver.fetch.warc_members import (
    TEXT_LEVEL,
    HashingFile,
    LeveledWARCWriter,
    digests,
    gzip_level,
    render_member,
)

# Headers that describe the transfer, not the entity: the body we keep is
# already de-chunked, so these are renamed rather than replayed as-is.
_TRANSFER_HEADERS = {"transfer-encoding"}
RENDER_FIRST = 8 * 1024 * 1024  # bodies up to this are gzipped before the file is locked


class WarcRecorder(Recorder):
    def __init__(self, directory: Path, *, operator: str | None = None):
        self.directory = Path(directory)
        self.operator = operator
        self.path: Path | None = None
        self._file = None
        self._writer: WARCWriter | None = None
        self._lock = threading.Lock()
        self.collector = RecordCollector()  # which capture each record belongs to
        self._opened: list[Path] = []
        # Each open file's SHA-256 and length so far, taken from the bytes as they are written,
        # so sealing need not read the run's WARC back (a file cut back is read at the seal).
        self._hashed: dict[Path, HashingFile] = {}
        # Each file this run wrote, once closed: its length and SHA-256 (SealedWarc).
        self.sealed: list[SealedWarc] = []

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            name = f"archiver-{stamp}-{os.getpid()}-{secrets.token_hex(3)}.warc.gz"
            self.path = self.directory / name
            file = open(self.path, "xb")  # noqa: SIM115 -- open for the whole run, closed in close()
            self._file = self._hashed[self.path] = HashingFile(file)
            self._opened.append(self.path)
            self._writer = LeveledWARCWriter(self._file)
            info = {
                "software": f"archiver/{__version__} (warcio)",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            }
            if self.operator:
                info["operator"] = self.operator
            self._writer.write_record(self._writer.create_warcinfo_record(name, info))
            self._file.flush()
        return self._writer

    def record(self, exchange: RawExchange) -> str:
        """Append the response and request records, synced to disk; StorageError if they cannot be."""
        size = exchange.raw_body_path.stat().st_size
        written, path = self._append_records(
            lambda writer, emit: self._records(writer, exchange, emit), size
        )
        self.collector.add([_ref(path, record, place, exchange) for record, place in written])
        return path

    def resource(
        self, uri: str, body_path: Path, content_type: str, *, made_from: str | None = None
    ) -> WarcRecordRef:
        """Append a file made here (a page's screenshot or PDF) as a `resource` record, synced to
        disk, for the capture being made on this thread; StorageError if it cannot be.

        `made_from`: the URL of the page it was made from; the capture's latest response
        record of it is named in WARC-Concurrent-To (the one capture event they are part of)."""
        concurrent_to = self._latest_response(made_from)
        with open(body_path, "rb") as f:
            payload_sha256 = stream_sha256(f)
        written, path = self._append_records(
            lambda writer, emit: [
                _resource_record(writer, emit, uri, body_path, content_type, concurrent_to)
            ],
            body_path.stat().st_size,
        )
        [(record, (offset, length, sha256))] = written
        headers = record.rec_headers
        ref = WarcRecordRef(
            warc_file=path, offset=offset, length=length,
            record_id=headers.get_header("WARC-Record-ID"), record_type=record.rec_type,
            target_uri=uri, warc_date=headers.get_header("WARC-Date"), sha256=sha256,
            payload_sha256=payload_sha256, content_type=content_type,
        )  # fmt: skip
        self.collector.add([ref])
        return ref

    def _latest_response(self, url: str | None) -> str | None:
        """The WARC-Record-ID of the newest response to `url` in this thread's capture."""
        records = self.collector.current() or []
        found = (
            r for r in reversed(records) if r.record_type == "response" and r.target_uri == url
        )
        return next((r.record_id for r in found), None) if url else None

    def _append_records(self, build, size: int) -> tuple[list[tuple], str]:
        """The records `build(writer, emit)` makes, appended and synced: ([(record, (offset,
        length, SHA-256))], the file's path).

        Records of bodies up to RENDER_FIRST bytes are built, gzipped and hashed before
        the file's lock is taken, so the threads of a run only queue for the append
        itself; a larger body is streamed into the file under the lock, never held in
        memory.
        """
        rendered = None
        if size <= RENDER_FIRST:
            try:
                rendered = build(LeveledWARCWriter(None), render_member)
            except OSError as exc:
                raise storage_error(exc, self.directory) from exc
        with self._lock:
            start = self._file.tell() if self._file is not None else None
            try:
                writer = self._open()
                if rendered is None:
                    written = build(writer, self._write)
                else:
                    written = [(record, self._append(member)) for record, member in rendered]
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as exc:
                self._cut_back(start)
                raise storage_error(exc, self.directory) from exc
            return written, str(self.path)

    def _cut_back(self, start: int | None) -> None:
        """Drop a half-written record (disk full), so the file stays readable; the next goes to a new file."""
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.close()  # its buffered tail is what could not be written
        self._file = self._writer = None
        if self.path is None:
            return
        self._hashed.pop(self.path, None)  # what was written is no longer what the file holds
        with contextlib.suppress(OSError):
            if start is None:  # the file was begun by this very record: nothing whole in it
                self.path.unlink()
            else:
                os.truncate(self.path, start)

    def _records(self, writer: LeveledWARCWriter, exchange: RawExchange, emit) -> list[tuple]:
        """The exchange's response and request records, each passed to emit(writer, record, level):
        [(record, what emit returned)]."""
        response_headers = StatusAndHeaders(
            f"{exchange.status} {exchange.reason or ''}".strip(),
            [
                (f"X-Archive-Orig-{k}" if k.lower() in _TRANSFER_HEADERS else k, v)
                for k, v in exchange.response_headers
            ],
            protocol=_protocol(exchange.http_version),
        )
        size = exchange.raw_body_path.stat().st_size
        level = gzip_level(exchange.raw_body_path)
        with open(exchange.raw_body_path, "rb") as body:
            response = writer.create_warc_record(
                exchange.url,
                "response",
                payload=body,
                length=size,
                http_headers=response_headers,
                warc_headers_dict=digests(writer, response_headers, body)
                | _redaction_note(exchange, response=True),
            )
            written = [(response, emit(writer, response, level))]
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = StatusAndHeaders(
            f"{exchange.method} {target} {_protocol(exchange.http_version)}",
            exchange.request_headers,
            is_http_request=True,
        )
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body) if exchange.request_body else None,
            length=len(exchange.request_body) if exchange.request_body else None,
            http_headers=request_headers,
            warc_headers_dict={
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                **_redaction_note(exchange),
            },
        )
        written.append((request, emit(writer, request, TEXT_LEVEL)))
        return written

    def _write(self, writer: LeveledWARCWriter, record, level: int) -> tuple[int, int, str]:
        """Write one record as its own gzip member; (offset, length, SHA-256 of its bytes)."""
        start = self._file.tell()
        tee = HashingFile(self._file)
        # The record's hash is taken from the bytes as they are written: no read-back.
        writer.out, writer.level = tee, level
        try:
            writer.write_record(record)
        finally:
            writer.out = self._file
        return start, self._file.tell() - start, tee.hexdigest()

    def _append(self, member: tuple[bytes, str]) -> tuple[int, int, str]:
        """Append a record rendered by render_member; (offset, length, SHA-256 of its bytes)."""
        data, sha256 = member
        start = self._file.tell()
        self._file.write(data)
        return start, len(data), sha256

    def close(self) -> None:
        """Close the file and seal every file this run wrote (its length and SHA-256)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
                self._writer = None
            self.sealed = [self._seal(path) for path in self._opened if path.exists()]
            self._opened, self._hashed = [], {}

    def _seal(self, path: Path) -> SealedWarc:
        """The file's seal from the hash taken as it was written; read back if it was cut
        or its length is not what was written."""
        hashed = self._hashed.get(path)
        size = path.stat().st_size
        if hashed is None or hashed.written != size:
            return seal_warc(path)
        return SealedWarc(path, size, hashed.hexdigest())


@dataclass(frozen=True)
class SealedWarc:
    """A closed WARC file's length and SHA-256: records appended or cut later show."""

    path: Path
    bytes: int
    sha256: str


def seal_warc(path: Path) -> SealedWarc:
    with open(path, "rb") as f:
        return SealedWarc(path, path.stat().st_size, stream_sha256(f))


def _resource_record(
    writer: LeveledWARCWriter,
    emit,
    uri: str,
    body_path: Path,
    content_type: str,
    concurrent_to: str | None,
) -> tuple:
    """The file at body_path as one `resource` record (its block is the file itself, so its
    block and payload digests are the same), passed to emit: (record, what emit returned)."""
    linked = {"WARC-Concurrent-To": concurrent_to} if concurrent_to else {}
    with open(body_path, "rb") as body:
        record = writer.create_warc_record(
            uri, "resource", payload=body, length=body_path.stat().st_size,
            warc_content_type=content_type, warc_headers_dict=digests(writer, None, body) | linked,
        )  # fmt: skip
        return record, emit(writer, record, gzip_level(body_path))


def _ref(path: str, record, place: tuple[int, int, str], exchange: RawExchange) -> WarcRecordRef:
    """Where a record just written is, and what it holds, for the capture's index."""
    offset, length, sha256 = place
    headers = record.rec_headers
    response = record.rec_type == "response"
    content_type = next(
        (v for k, v in exchange.response_headers if k.lower() == "content-type"), None
    )
    return WarcRecordRef(
        warc_file=path,
        offset=offset,
        length=length,
        record_id=headers.get_header("WARC-Record-ID"),
        record_type=record.rec_type,
        target_uri=headers.get_header("WARC-Target-URI"),
        warc_date=headers.get_header("WARC-Date"),
        sha256=sha256,
        payload_sha256=exchange.body_sha256 if response else None,
        http_status=exchange.status if response else None,
        content_type=content_type if response else None,
        redacted=headers.get_header(REDACTED_HEADER),
    )


# A WARC extension header (WARC 1.1 section 5: other named fields are allowed) naming the HTTP
# headers whose values the archiver replaced by fetch.cookies.REDACTED: a logged-in session's
# cookies and an API's keys are credentials, not evidence, and must not travel with the WARC.
REDACTED_HEADER = "WARC-Archiver-Redacted"


def _redaction_note(exchange: RawExchange, *, response: bool = False) -> dict[str, str]:
    names = [n for n in exchange.redacted if (n == "Set-Cookie") == response]
    return {REDACTED_HEADER: ", ".join(names)} if names else {}


def _protocol(http_version: str) -> str:
    return http_version if http_version.startswith("HTTP/") else "HTTP/1.1"
