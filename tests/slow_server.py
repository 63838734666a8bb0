"""Servers too slow to finish: a body that drips, a body that stalls (replay handlers)."""

from __future__ import annotations

import threading
import time


def drip(request, handler):
    """A body of a byte every 0.1 s: no read ever times out."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(200):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass  # the client hung up, as it should
    handler.close_connection = True


def stall(request, handler):
    """The headers and a few bytes, then nothing for longer than a read timeout."""
    _start_then_wait(handler, lambda: time.sleep(4))


def _start_then_wait(handler, wait) -> None:
    """Send the headers of a 100,000-byte body and its first bytes, then call `wait`."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        handler.wfile.write(b"the start")
        handler.wfile.flush()
        wait()
    except OSError:
        pass
    handler.close_connection = True


class Hold:
    """The headers and a few bytes, then nothing until released (or a minute has passed): a
    server that outlasts the read timeouts a test sets, so that what ends the request is the
    archiver's own deadline, never the server hanging up. Use as `with Hold() as hold:`."""

    def __init__(self):
        self._released = threading.Event()

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *exc) -> None:
        self._released.set()

    def __call__(self, request, handler) -> None:
        _start_then_wait(handler, lambda: self._released.wait(60))
