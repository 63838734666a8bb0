"""A local OpenTimestamps calendar for tests: answers as a real one does, never touches Bitcoin.

POST /digest takes a 32-byte commitment and answers a timestamp that commits to it (append a
calendar nonce, SHA-256) with a pending attestation naming this calendar. Once `confirm(height)`
is called, GET /timestamp/<hex> answers the rest of the path for each pending commitment, ending
in a Bitcoin block-header attestation at that height; before, 404 as a real calendar does.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentimestamps.core.notary import BitcoinBlockHeaderAttestation, PendingAttestation
from opentimestamps.core.op import OpAppend, OpSHA256
from opentimestamps.core.serialize import BytesSerializationContext
from opentimestamps.core.timestamp import Timestamp


def _serialized(stamp: Timestamp) -> bytes:
    ctx = BytesSerializationContext()
    stamp.serialize(ctx)
    return ctx.getbytes()


class FakeCalendar:
    def __init__(self):
        self.pending: set[bytes] = set()  # commitments at a pending attestation
        self.height: int | None = None
        self.mode = "ok"  # ok / error (HTTP 500)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def confirm(self, height: int) -> None:
        self.height = height

    def __enter__(self) -> FakeCalendar:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _submit(self, digest: bytes) -> bytes:
        stamp = Timestamp(digest)
        leaf = stamp.ops.add(OpAppend(os.urandom(8))).ops.add(OpSHA256())
        leaf.attestations.add(PendingAttestation(self.url))
        self.pending.add(leaf.msg)
        return _serialized(stamp)

    def _complete(self, commitment: bytes) -> bytes | None:
        if self.height is None or commitment not in self.pending:
            return None
        stamp = Timestamp(commitment)
        root = stamp.ops.add(OpAppend(os.urandom(32))).ops.add(OpSHA256())
        root.attestations.add(BitcoinBlockHeaderAttestation(self.height))
        return _serialized(stamp)

    def _handler(self):
        calendar = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if calendar.mode == "error" or self.path != "/digest" or len(body) != 32:
                    return self._send(500 if calendar.mode == "error" else 400, b"no\n")
                self._send(200, calendar._submit(body))

            def do_GET(self) -> None:
                prefix = "/timestamp/"
                found = None
                if self.path.startswith(prefix):
                    try:
                        found = calendar._complete(bytes.fromhex(self.path[len(prefix) :]))
                    except ValueError:
                        found = None
                if found is None:
                    return self._send(404, b"Pending confirmation in Bitcoin blockchain\n")
                self._send(200, found)

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
