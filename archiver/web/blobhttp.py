"""Archived files over ASGI: streamed in chunks, seekable with Range, and inert in a browser.

The archive serves files it did not write (a platform's SVG, a page's HTML),
so every response forbids sniffing and runs in a CSP sandbox: nothing served
from here can run script or load anything, whatever its bytes say.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 256 * 1024
OCTET_STREAM = "application/octet-stream"
# Shown in place by the browser; anything else is offered as a download.
INLINE_TYPES = ("image/", "video/", "audio/")
INERT_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cross-origin-resource-policy": "same-origin",
    "referrer-policy": "no-referrer",
}
# Content-addressed: the bytes under a name never change.
IMMUTABLE = "public, max-age=31536000, immutable"

_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The Range asks for bytes the file does not have (HTTP 416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def safe_content_type(mime: str | None) -> str:
    """A stored MIME type if it is one (no parameters, no header injection), else octet-stream."""
    value = (mime or "").strip().lower()
    return value if _MIME.match(value) else OCTET_STREAM


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range a Range header asks for, or None to send the whole file.

    Multiple ranges and malformed headers are ignored (RFC 9110 lets a server
    answer those with the whole file); a range wholly past the end raises
    RangeNotSatisfiable.
    """
    match = _RANGE.match((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable()
        return ByteRange(max(0, size - length), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable()
    end = int(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))


async def send_file(
    send,
    path: Path,
    *,
    content_type: str,
    range_header: str | None = None,
    head_only: bool = False,
    etag: str | None = None,
    filename: str | None = None,
) -> None:
    """Send `path` as one ASGI response (200, 206 or 416), reading CHUNK_SIZE at a time."""
    await send_stored(
        send, path.stat().st_size, lambda wanted: _stream(send, path, wanted),
        content_type=content_type, range_header=range_header, head_only=head_only, etag=etag,
        filename=filename or path.name,
    )  # fmt: skip


async def send_object(
    send,
    store,
    relpath: str,
    size: int,
    *,
    content_type: str,
    range_header: str | None = None,
    head_only: bool = False,
    etag: str | None = None,
    filename: str,
) -> None:
    """Send an object of an S3 blob store (media/s3blobs.py) as `send_file` sends a file."""
    await send_stored(
        send, size, lambda wanted: _stream_object(send, store, relpath, wanted),
        content_type=content_type, range_header=range_header, head_only=head_only, etag=etag,
        filename=filename,
    )  # fmt: skip


async def send_stored(
    send,
    size: int,
    stream,
    *,
    content_type: str,
    range_header: str | None,
    head_only: bool,
    etag: str | None,
    filename: str,
) -> None:
    """The response for `size` stored bytes; `stream(wanted)` sends the body's range."""
    headers = {
        **INERT_HEADERS,
        "cache-control": IMMUTABLE,
        "accept-ranges": "bytes",
        "content-type": content_type,
    }
    if etag:
        headers["etag"] = f'"{etag}"'
    if not content_type.startswith(INLINE_TYPES):
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    try:
        wanted = parse_range(range_header, size)
    except RangeNotSatisfiable:
        headers["content-range"] = f"bytes */{size}"
        headers["content-length"] = "0"
        await _start(send, 416, headers)
        await send({"type": "http.response.body", "body": b""})
        return
    if wanted is None:
        status, wanted = 200, ByteRange(0, size - 1)
    else:
        status = 206
        headers["content-range"] = f"bytes {wanted.start}-{wanted.end}/{size}"
    headers["content-length"] = str(max(wanted.length, 0))
    await _start(send, status, headers)
    if head_only or size == 0:
        await send({"type": "http.response.body", "body": b""})
        return
    await stream(wanted)


async def _stream_object(send, store, relpath: str, wanted: ByteRange) -> None:
    # boto3 is blocking: each read runs in a thread, as file reads do.
    chunks = await asyncio.to_thread(store.read, relpath, wanted.start, wanted.end)
    remaining = wanted.length
    while chunks is not None and remaining > 0:
        chunk = await asyncio.to_thread(next, chunks, b"")
        if not chunk:  # the object shrank or vanished; end the body rather than hang
            break
        chunk = chunk[:remaining]
        remaining -= len(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
    if remaining > 0:
        await send({"type": "http.response.body", "body": b""})


async def _start(send, status: int, headers: dict[str, str]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
    )


async def _stream(send, path: Path, wanted: ByteRange) -> None:
    # File reads run in a thread so a slow disk never stalls the event loop.
    with await asyncio.to_thread(path.open, "rb") as f:
        await asyncio.to_thread(f.seek, wanted.start)
        remaining = wanted.length
        while remaining > 0:
            chunk = await asyncio.to_thread(f.read, min(CHUNK_SIZE, remaining))
            if not chunk:  # the file shrank under us; end the body rather than hang
                break
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0:
            await send({"type": "http.response.body", "body": b""})
