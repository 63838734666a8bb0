"""What one HTTP exchange leaves: the raw bytes as served (for the WARC) and the decoded body.

A response body streams to temporary files in the blob store, so a long video costs
disk, not memory: the raw bytes, and when the server compressed them the decoded
bytes too, hashed while they stream, under a size cap that a compressed body cannot
get past either (the decompression-bomb guard). client.py's Fetcher hands each
exchange to a Recorder and returns a Fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from archiver.errors import FetchError, ParseError, ResponseTooLarge, storage_error
from archiver.fetch.budget import Budget
from archiver.fetch.cookies import REDACTED
from archiver.fetch.warc_index import WarcRecordRef

# A compressed body may expand Settings.max_decode_ratio times its size on the wire (text
# compresses 5-20x, JSON up to ~50x) past its first RATIO_FREE_BYTES: a bomb is stopped long
# before the size cap, which for media is gigabytes.
MAX_DECODE_RATIO = 200
RATIO_FREE_BYTES = 1024 * 1024


@dataclass
class Fetched:
    """A response whose body sits in a temporary file (decoded), ready to read or to keep."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    headers: httpx.Headers
    body_path: Path
    body_sha256: str
    size: int
    redirects: list[str] = field(default_factory=list)
    warc_file: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def read(self) -> bytes:
        return self.body_path.read_bytes()

    def text(self) -> str:
        data = self.read()
        charset = _charset(self.headers.get("content-type", ""))
        try:
            return data.decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            return data.decode("utf-8", errors="replace")

    def json(self):
        try:
            return json.loads(self.read())
        except (ValueError, RecursionError) as exc:  # nested deeper than the interpreter's stack
            raise ParseError(
                f"{self.url}: expected JSON, got {self.content_type or 'no content type'} ({exc})"
            ) from exc

    def close(self) -> None:
        self.body_path.unlink(missing_ok=True)

    def __enter__(self) -> Fetched:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Recorder:
    """Receives every exchange; the WARC writer implements this."""

    def record(self, exchange: RawExchange) -> str | None:  # returns the WARC file name
        return None

    def resource(
        self, uri: str, body_path: Path, content_type: str, *, made_from: str | None = None
    ) -> WarcRecordRef | None:
        """A file made here (a screenshot) kept as a WARC `resource` record: where it went."""
        return None


@dataclass
class RawExchange:
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    raw_body_path: Path
    body_sha256: str | None = None  # of the body with its content-encoding undone
    remote_address: str | None = None
    request_body: bytes = b""  # what a POST sent: a form (Save Page Now), an API's JSON (yt-dlp)
    # The headers whose values were replaced by REDACTED before recording (Cookie, Authorization).
    redacted: tuple[str, ...] = ()


@dataclass
class Body:
    """A response body on disk: as served, and decoded (the same file when it was not encoded)."""

    raw_path: Path
    path: Path
    sha256: str  # of the decoded body
    size: int


@dataclass(frozen=True)
class BodyLimits:
    """What one response body may cost: bytes decoded, expansion, and the slowest pace allowed."""

    cap: int  # decoded bytes
    max_ratio: int = MAX_DECODE_RATIO  # decoded bytes per byte on the wire, past the first MiB
    min_rate: int = 1024  # bytes a second on the wire, on average once `grace` has passed
    grace: float = 15.0
    budget: Budget | None = None  # the URL's: the body is cut when its deadline passes


def read_body(response: httpx.Response, url: str, limits: BodyLimits, tmp_dir: Path) -> Body:
    """Stream the raw bytes (for the WARC) and the decoded body (for us) to files; hash the decoded.

    ResponseTooLarge past `limits.cap` decoded bytes (or a Content-Length over it), or when
    a compressed body expands past its ratio; FetchError when the body arrives slower than
    `limits.min_rate` (a stalled or dripping server), BudgetExceeded once the URL's deadline
    has passed. Nothing is left on disk when it fails.
    """
    cap = limits.cap
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise ResponseTooLarge(
            f"{url} is {int(declared):,} bytes, over the {cap:,}-byte limit", url=url
        )
    tmp_dir.mkdir(parents=True, exist_ok=True)
    encoding = response.headers.get("content-encoding", "").strip().lower()
    decoder = _decoder(encoding)
    raw_path = _temp_path(tmp_dir, "raw-")
    body_path = raw_path if decoder is None else _temp_path(tmp_dir, "body-")
    digest = hashlib.sha256()
    size = wire = 0
    try:
        with open(raw_path, "wb") as raw, contextlib.ExitStack() as stack:
            body = raw if decoder is None else stack.enter_context(open(body_path, "wb"))
            pace = _Pace(url, limits)
            for chunk in response.iter_raw():  # as they arrive: re-chunking would copy
                wire += len(chunk)
                pace.check(wire)
                if decoder is not None:
                    raw.write(chunk)
                    room = min(cap, max(RATIO_FREE_BYTES, limits.max_ratio * wire)) - size
                    chunk = _decode_bounded(decoder, chunk, room, url)
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLarge(f"{url} went past the {cap:,}-byte limit", url=url)
                digest.update(chunk)
                body.write(chunk)
            if decoder is not None:
                if not decoder.eof:
                    raise FetchError(f"truncated {encoding} body from {url}", url=url)
                tail = decoder.flush()
                digest.update(tail)
                body.write(tail)
                size += len(tail)
    except OSError as exc:
        for path in {raw_path, body_path}:
            path.unlink(missing_ok=True)
        raise storage_error(exc, tmp_dir) from exc
    except zlib.error as exc:
        for path in {raw_path, body_path}:
            path.unlink(missing_ok=True)
        raise FetchError(f"corrupt {encoding} body from {url} ({exc})", url=url) from None
    except BaseException:
        for path in {raw_path, body_path}:
            path.unlink(missing_ok=True)
        raise
    return Body(raw_path, body_path, digest.hexdigest(), size)


class _Pace:
    """Cuts a body that arrives slower than the minimum rate, averaged from its first byte read."""

    def __init__(self, url: str, limits: BodyLimits) -> None:
        self.url, self.limits = url, limits
        self.started = time.monotonic()

    def check(self, received: int) -> None:
        if self.limits.budget is not None:
            self.limits.budget.check_time(self.url)
        elapsed = time.monotonic() - self.started
        if elapsed > self.limits.grace and received < self.limits.min_rate * elapsed:
            raise FetchError(
                f"{self.url} arrived at {received / elapsed:,.0f} bytes/s, under the"
                f" {self.limits.min_rate:,} bytes/s minimum: cut after {elapsed:.0f} s",
                url=self.url,
            )


def record_exchange(response: httpx.Response, url: str, body: Body, recorder: Recorder) -> Fetched:
    """Hand the exchange to the recorder, then the decoded body to the caller as a Fetched.

    The raw file is removed once recorded; if recording fails, the body is removed too
    (unrecorded, so never handed out: a full disk).
    """
    request_headers, redacted = redact_credentials(_header_list(response.request.headers))
    response_headers = _header_list(response.headers)
    if "Cookie" in redacted:  # a logged-in session's answer may renew its cookies: as secret
        response_headers, renewed = redact_credentials(response_headers, SET_COOKIE)
        redacted += renewed
    exchange = RawExchange(
        method=response.request.method,
        url=url,
        request_headers=request_headers,
        status=response.status_code,
        reason=response.reason_phrase,
        http_version=response.http_version,
        response_headers=response_headers,
        raw_body_path=body.raw_path,
        body_sha256=body.sha256,
        request_body=_request_body(response.request),
        redacted=redacted,
    )
    try:
        warc_file = recorder.record(exchange)
    except BaseException:
        body.path.unlink(missing_ok=True)
        raise
    finally:
        if body.raw_path != body.path:
            body.raw_path.unlink(missing_ok=True)
    return Fetched(
        url=url,
        final_url=url,
        status=response.status_code,
        headers=response.headers,
        body_path=body.path,
        body_sha256=body.sha256,
        size=body.size,
        warc_file=warc_file,
    )


# Request headers that carry a credential: a session's cookies, an API's keys (Save Page Now).
CREDENTIALS = {"cookie": "Cookie", "authorization": "Authorization"}
SET_COOKIE = {"set-cookie": "Set-Cookie"}


def redact_credentials(
    headers: list[tuple[str, str]], names: dict[str, str] = CREDENTIALS
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """The headers with each credential's value replaced by REDACTED; which names were."""
    kept, redacted = [], []
    for key, value in headers:
        name = names.get(key.lower())
        if name is None:
            kept.append((key, value))
            continue
        kept.append((key, REDACTED))
        if name not in redacted:
            redacted.append(name)
    return kept, tuple(redacted)


def _request_body(request: httpx.Request) -> bytes:
    """What a POST sent (a form, already in memory); b"" for a GET."""
    if request.method == "GET":
        return b""
    try:
        return request.content
    except httpx.RequestNotRead:
        return b""


def _header_list(headers: httpx.Headers) -> list[tuple[str, str]]:
    # As sent and served: raw bytes, original case and order.
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]


def _temp_path(directory: Path, prefix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=prefix, dir=directory)
    os.close(fd)
    return Path(name)


class _GzipMembers:
    """gzip decoding of every member of a body (RFC 1952 2.2: members may follow one another);
    bytes after the last member that start no other member are padding, ignored as browsers do."""

    def __init__(self) -> None:
        self._member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""  # the start of the next member, too short yet to tell
        self._padding = False
        self.unconsumed_tail = b""

    @property
    def eof(self) -> bool:
        return self._member.eof and not self._pending

    def decompress(self, data: bytes, max_length: int) -> bytes:
        data, self._pending, out = self._pending + data, b"", b""
        while data and not self._padding and len(out) < max_length:
            if self._member.eof:  # what follows a member: another member, or padding
                if data == b"\x1f":
                    self._pending, data = data, b""
                    break
                if data[:2] != b"\x1f\x8b":
                    self._padding = True
                    break
                self._member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += self._member.decompress(data, max_length - len(out))
            data = self._member.unused_data if self._member.eof else self._member.unconsumed_tail
        self.unconsumed_tail = b"" if self._padding else data
        return out

    def flush(self) -> bytes:
        return self._member.flush()


def _decoder(encoding: str):
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _GzipMembers()
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"server used an unsupported content encoding: {encoding}")


def _decode_bounded(decoder, chunk: bytes, room: int, url: str) -> bytes:
    # max_length keeps a decompression bomb from expanding past the cap in one call.
    out = decoder.decompress(chunk, max(room, 0) + 1)
    if decoder.unconsumed_tail:
        raise ResponseTooLarge(
            f"{url} decompresses past the size limit or the ratio allowed to compressed bodies",
            url=url,
        )
    return out


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None
