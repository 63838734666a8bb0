"""Raw HTTP exchanges to WARC 1.1 files (warcio), one file per archiving run.

Each process writes its own file, so concurrent runs never interleave records.
A record is flushed before the database row that points to it is committed.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from . import __version__
from .fetch import RawExchange, Recorder

# Headers that describe the transfer, not the entity: the body we keep is
# already de-chunked, so these are renamed rather than replayed as-is.
_TRANSFER_HEADERS = {"transfer-encoding"}


class WarcRecorder(Recorder):
    def __init__(self, directory: Path, *, operator: str | None = None):
        self.directory = Path(directory)
        self.operator = operator
        self.path: Path | None = None
        self._file = None
        self._writer: WARCWriter | None = None
        self._lock = threading.Lock()

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            name = f"archiver-{stamp}-{os.getpid()}-{secrets.token_hex(3)}.warc.gz"
            self.path = self.directory / name
            self._file = open(self.path, "xb")  # noqa: SIM115 -- open for the whole run, closed in close()
            self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
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
        with self._lock:
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
