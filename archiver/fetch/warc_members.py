"""Each WARC record as its own gzip member, at the level its body deserves, hashed as it is
written (warc.py's WarcRecorder appends them)."""

from __future__ import annotations

import hashlib
import io
import zlib
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Deflate gains nothing on JPEG, MP4 or an already gzipped body and costs 20 MB/s
# of CPU (warcio's default is level 9), so such a record is stored in its gzip
# member uncompressed; text and JSON still shrink. A sample of the body decides,
# not its Content-Type, which a server may get wrong.
TEXT_LEVEL = 6
SAMPLE_BYTES = 16 * 1024
INCOMPRESSIBLE = 0.9  # compressed/original above this: store
CHUNK = 1024 * 1024


class GzipMember:
    """One gzip member per record (as WARC readers expect), at the level its body deserves."""

    def __init__(self, out, level: int):
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out

    def write(self, buff: bytes) -> None:
        self.out.write(self.compressor.compress(buff))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


class LeveledWARCWriter(WARCWriter):
    """warcio's writer with the gzip level chosen per record (`level`, set before each write)."""

    level = TEXT_LEVEL

    def __init__(self, out):
        # gzip=False: each record is gzipped here, at its own level.
        super().__init__(out, gzip=False, warc_version="1.1")

    def _write_warc_record(self, out, record):
        return super()._write_warc_record(GzipMember(out, self.level), record)


def gzip_level(path: Path) -> int:
    """TEXT_LEVEL for a body that compresses, 0 (stored) for one that does not."""
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if len(sample) < 1024:
        return TEXT_LEVEL
    return 0 if len(zlib.compress(sample, 1)) > len(sample) * INCOMPRESSIBLE else TEXT_LEVEL


def render_member(writer: LeveledWARCWriter, record, level: int) -> tuple[bytes, str]:
    """One record as its own gzip member, in memory: (its bytes, their SHA-256)."""
    tee = HashingFile(io.BytesIO())
    writer.out, writer.level = tee, level
    writer.write_record(record)
    return tee.getvalue(), tee.hexdigest()


class HashingFile:
    """Passes writes through to a file, hashing them on the way (and counting them)."""

    def __init__(self, f):
        self._f = f
        self._digest = hashlib.sha256()
        self.written = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.written += len(data)
        return self._f.write(data)

    def flush(self) -> None:
        self._f.flush()

    def tell(self) -> int:
        return self._f.tell()

    def fileno(self) -> int:
        return self._f.fileno()

    def close(self) -> None:
        self._f.close()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

    def getvalue(self) -> bytes:
        return self._f.getvalue()


def digests(writer: WARCWriter, http_headers: StatusAndHeaders | None, body) -> dict[str, str]:
    """WARC-Block-Digest and WARC-Payload-Digest in one pass over the body (warcio would take two)."""
    block, payload = writer._create_digester(), writer._create_digester()
    if http_headers is not None:
        http_headers.compute_headers_buffer(writer.header_filter)
        block.update(http_headers.headers_buff)
    start = body.tell()
    while chunk := body.read(CHUNK):
        block.update(chunk)
        payload.update(chunk)
    body.seek(start)
    return {"WARC-Block-Digest": str(block), "WARC-Payload-Digest": str(payload)}
