"""The transports under the run's HTTP client: host mapping, and connections pinned to public addresses."""

from __future__ import annotations

import threading

import httpcore
import httpx

from archiver.fetch.addresses import is_public, literal_address, resolve_all


class MappedTransport(httpx.BaseTransport):
    """Send requests for mapped hosts to another base URL, keeping path, query and Host header."""

    def __init__(self, mapping: dict[str, str], inner: httpx.BaseTransport):
        self.mapping = mapping
        self.inner = inner

    def target(self, url: httpx.URL) -> httpx.URL | None:
        base = self.mapping.get(url.host.lower()) or self.mapping.get("*")
        if base is None:
            return None
        base_url = httpx.URL(base)
        path = base_url.raw_path.split(b"?")[0].rstrip(b"/") + url.raw_path
        return base_url.copy_with(raw_path=path)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = self.target(request.url)
        if target is not None:
            request = httpx.Request(
                request.method,
                target,
                headers=request.headers,  # Host stays the original host
                stream=request.stream,
                extensions=request.extensions,
            )
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class PinningBackend(httpcore.NetworkBackend):
    """Connects only to public addresses, for requests a public document led to.

    Such a request (a redirect hop, a media URL in a post's JSON) is checked by resolving
    its host; a hostile DNS server could answer that lookup with a public address and the
    connection's own lookup with a private one (DNS rebinding). While `pinned.on` is set
    for the thread, this resolves the host once, refuses if any address is private, and
    connects to the address itself (TLS still names the host).
    """

    def __init__(self, inner: httpcore.NetworkBackend, pinned: threading.local):
        self.inner = inner
        self.pinned = pinned

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if not getattr(self.pinned, "on", False) or literal_address(host) is not None:
            return self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            addresses = resolve_all(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        private = [a for a in addresses if not is_public(literal_address(a))]
        if private or not addresses:
            raise httpcore.ConnectError(
                f"{host} resolved to a private address ({private[0]}) when connecting"
                if private
                else f"{host} has no address"
            )
        error: Exception | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return self.inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
