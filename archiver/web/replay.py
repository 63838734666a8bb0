"""A small local HTTP server that replays recorded responses, keyed by original host and path.

Point the archiver at it with the host mapping (`--connect-to '*=http://127.0.0.1:PORT'`):
the request keeps its original Host header, which is how this server knows which
site was asked for. The demo and the tests use it; so can an offline mirror.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


@dataclass
class ReplayRequest:
    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived
    body: bytes = b""  # what a POST sent

    @property
    def form(self) -> dict[str, str]:
        """A POST's urlencoded form."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def url(self) -> str:
        q = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"https://{self.host}{self.path}" + (f"?{q}" if q else "")


@dataclass
class ReplayResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Path = b""


# A handler may take over the socket entirely (for faults: resets, stalls).
Handler = Callable[[ReplayRequest, BaseHTTPRequestHandler], ReplayResponse | None]


@dataclass
class Route:
    host: str
    path: str
    query: dict[str, str]
    response: ReplayResponse | None = None
    handler: Handler | None = None
    hits: int = 0
    method: str = "GET"

    def matches(self, request: ReplayRequest) -> bool:
        if self.host not in ("*", request.host) or self.path != request.path:
            return False
        if self.method != request.method:
            return False
        return all(request.query.get(k) == v for k, v in self.query.items())


class ReplayServer:
    """Serve routes on 127.0.0.1; use as a context manager or call start()/stop()."""

    def __init__(self, port: int = 0):
        self.routes: list[Route] = []
        self.requests: list[ReplayRequest] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        # A short poll interval: stop() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def add(
        self,
        url: str,
        body: bytes | str | Path | dict | list = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        handler: Handler | None = None,
        method: str = "GET",
    ) -> Route:
        """Answer `method` `url` (host + path, and the query parameters it names) with this response."""
        parts = urlsplit(url)
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            content_type = content_type or "application/json"
        elif isinstance(body, str):
            body = body.encode("utf-8")
        headers = dict(headers or {})
        if content_type:
            headers.setdefault("Content-Type", content_type)
        route = Route(
            host=(parts.hostname or "*").lower(),
            path=parts.path or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            response=None if handler else ReplayResponse(status, headers, body),
            handler=handler,
            method=method.upper(),
        )
        with self._lock:
            # Newer routes win, so a test can override a default.
            self.routes.insert(0, route)
        return route

    def redirect(self, url: str, location: str, status: int = 301) -> Route:
        return self.add(url, b"", status=status, headers={"Location": location})

    def load_manifest(self, manifest: Path) -> None:
        """Add the routes listed in a JSON manifest: [{url, status?, headers?, file | json | text}]."""
        base = manifest.parent
        for entry in json.loads(manifest.read_text("utf-8")):
            if "file" in entry:
                body: bytes | str | Path | dict = base / entry["file"]
            elif "json" in entry:
                body = entry["json"]
            else:
                body = entry.get("text", "")
            self.add(
                entry["url"], body, status=entry.get("status", 200), headers=entry.get("headers")
            )

    def find(self, request: ReplayRequest) -> Route | None:
        with self._lock:
            self.requests.append(request)
            for route in self.routes:
                if route.matches(request):
                    route.hits += 1
                    return route
        return None

    def requested(self, host: str) -> list[ReplayRequest]:
        return [r for r in self.requests if r.host == host]


class RateLimit:
    """A server's rate limit for a handler to apply: `per_second` answers in any second.

    Counts only the requests it admits (a refused one is not served), as a
    sliding-window limiter does; `stats()` says what it admitted and refused.
    """

    def __init__(self, per_second: int):
        self.per_second = per_second
        self.admitted: list[float] = []  # when the requests of the last second came
        self.first = self.last = 0.0
        self.count = self.refused = 0
        self._lock = threading.Lock()

    def admit(self) -> bool:
        """True if a request arriving now is within the limit (and count it)."""
        now = time.monotonic()
        with self._lock:
            while self.admitted and self.admitted[0] <= now - 1.0:
                self.admitted.pop(0)
            if len(self.admitted) >= self.per_second:
                self.refused += 1
                return False
            self.admitted.append(now)
            self.first, self.last = self.first or now, now
            self.count += 1
            return True

    def stats(self) -> dict:
        """Admitted and refused requests, and seconds from the first admitted to the last."""
        with self._lock:
            return {"accepted": self.count, "refused": self.refused, "span": self.last - self.first}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that goes away mid-answer (killed, timed out) is not the server's error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _make_handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class ReplayHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:  # quiet: tests read server.requests
            pass

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer("POST", self.rfile.read(min(length, 1024 * 1024)))

        def _answer(self, method: str, body: bytes = b"") -> None:
            parts = urlsplit(self.path)
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            request = ReplayRequest(
                method=method,
                host=host,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            route = server.find(request)
            if route is None:
                self._send(
                    ReplayResponse(
                        404, {"Content-Type": "text/plain"}, b"no recording for this URL\n"
                    )
                )
                return
            response = route.handler(request, self) if route.handler else route.response
            if response is not None:
                self._send(response)

        def _send(self, response: ReplayResponse) -> None:
            body = response.body
            size = body.stat().st_size if isinstance(body, Path) else len(body)
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if "content-length" not in {k.lower() for k in response.headers}:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                if isinstance(body, Path):
                    with open(body, "rb") as f:
                        while chunk := f.read(256 * 1024):
                            self.wfile.write(chunk)
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return ReplayHandler
