"""Raw HTTP exchanges to WARC 1.1 files (warcio), one file per archiving run.

Each process writes its own file, so concurrent runs never interleave records.
A record is flushed before the database row that points to it is committed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import zlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from . import __version__
from .blobstore import storage_error
from .exchange import RawExchange, Recorder
from .warc_index import RecordCollector, index_records

# Headers that describe the transfer, not the entity: the body we keep is
# already de-chunked, so these are renamed rather than replayed as-is.
_TRANSFER_HEADERS = {"transfer-encoding"}
# Deflate gains nothing on JPEG, MP4 or an already gzipped body and costs 20 MB/s
# of CPU (warcio's default is level 9), so such a record is stored in its gzip
# member uncompressed; text and JSON still shrink. A sample of the body decides,
# not its Content-Type, which a server may get wrong.
TEXT_LEVEL = 6
SAMPLE_BYTES = 64 * 1024
INCOMPRESSIBLE = 0.9  # compressed/original above this: store


class _GzipMember:
    """One gzip member per record (as WARC readers expect), at the level its body deserves."""

    def __init__(self, out, level: int):
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out

    def write(self, buff: bytes) -> None:
        self.out.write(self.compressor.compress(buff))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


class _LeveledWARCWriter(WARCWriter):
    """warcio's writer with the gzip level chosen per record (`level`, set before each write)."""

    level = TEXT_LEVEL

    def _write_warc_record(self, out, record):
        return super()._write_warc_record(_GzipMember(out, self.level), record)


def gzip_level(path: Path) -> int:
    """TEXT_LEVEL for a body that compresses, 0 (stored) for one that does not."""
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if len(sample) < 1024:
        return TEXT_LEVEL
    return 0 if len(zlib.compress(sample, 1)) > len(sample) * INCOMPRESSIBLE else TEXT_LEVEL


class WarcRecorder(Recorder):
    def __init__(self, directory: Path, *, operator: str | None = None):
        self.directory = Path(directory)
        self.operator = operator
        self.path: Path | None = None
        self._file = None
        self._writer: WARCWriter | None = None
        self._lock = threading.Lock()
        self.collector = RecordCollector()  # which capture each record belongs to

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            name = f"archiver-{stamp}-{os.getpid()}-{secrets.token_hex(3)}.warc.gz"
            self.path = self.directory / name
            self._file = open(self.path, "xb")  # noqa: SIM115 -- open for the whole run, closed in close()
            # gzip=False: _LeveledWARCWriter gzips each record itself.
            self._writer = _LeveledWARCWriter(self._file, gzip=False, warc_version="1.1")
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
        with self._lock:
            start = self._file.tell() if self._file is not None else None
            try:
                path = self._record(exchange)
            except OSError as exc:
                self._cut_back(start)
                raise storage_error(exc, self.directory) from exc
            end = self._file.tell()
        if self.collector.current() is not None:
            # Read back outside the lock: where each record is and what it hashes to (warc_index).
            self.collector.add(index_records(Path(path), start or 0, end))
        return path

    def _cut_back(self, start: int | None) -> None:
        """Drop a half-written record (disk full), so the file stays readable; the next goes to a new file."""
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.close()  # its buffered tail is what could not be written
        self._file = self._writer = None
        if self.path is None:
            return
        with contextlib.suppress(OSError):
            if start is None:  # the file was begun by this very record: nothing whole in it
                self.path.unlink()
            else:
                os.truncate(self.path, start)

    def _record(self, exchange: RawExchange) -> str:
        writer = self._open()
        response_headers = StatusAndHeaders(
            f"{exchange.status} {exchange.reason or ''}".strip(),
            [
                (f"X-Archive-Orig-{k}" if k.lower() in _TRANSFER_HEADERS else k, v)
                for k, v in exchange.response_headers
            ],
            protocol=_protocol(exchange.http_version),
        )
        size = exchange.raw_body_path.stat().st_size
        writer.level = gzip_level(exchange.raw_body_path)
        with open(exchange.raw_body_path, "rb") as body:
            response = writer.create_warc_record(
                exchange.url,
                "response",
                payload=body,
                length=size,
                http_headers=response_headers,
            )
            writer.write_record(response)
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = StatusAndHeaders(
            f"{exchange.method} {target} {_protocol(exchange.http_version)}",
            exchange.request_headers,
            is_http_request=True,
        )
        writer.level = TEXT_LEVEL
        request = writer.create_warc_record(
            exchange.url,
            "request",
            http_headers=request_headers,
            warc_headers_dict={
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        writer.write_record(request)
        self._file.flush()
        os.fsync(self._file.fileno())
        return str(self.path)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
                self._writer = None


def _protocol(http_version: str) -> str:
    return http_version if http_version.startswith("HTTP/") else "HTTP/1.1"
