"""One replay server for every HTTP test: platform hosts are routed to it by the archiver's own host mapping."""

from __future__ import annotations

import errno
import ipaddress
import socket
from pathlib import Path

import pytest
from datasette import hookimpl
from datasette.plugins import pm

from archiver.settings import Settings
from archiver.web.replay import ReplayServer


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network_beyond_loopback(monkeypatch):
    """No test reaches past this machine: a connection or a DNS lookup beyond loopback fails it.

    Platform hosts go to the replay server through the archiver's host mapping; the
    tests that need a name to resolve (to a private address) fake the resolver on top
    of this guard. An attempt is refused (as an unreachable network would) and reported.
    """
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def allowed(sock, address) -> bool:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or _loopback(str(address[0])):
            return True
        attempts.append(f"connect {address}")
        return False

    def connect(sock, address):
        if not allowed(sock, address):
            raise ConnectionRefusedError(f"test network guard: {address} is beyond loopback")
        return real_connect(sock, address)

    def connect_ex(sock, address):
        return real_connect_ex(sock, address) if allowed(sock, address) else errno.ECONNREFUSED

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(str(host)):
            try:
                ipaddress.ip_address(str(host).split("%")[0])  # a literal needs no lookup
            except ValueError:
                attempts.append(f"resolve {host}")
                raise socket.gaierror(socket.EAI_NONAME, "test network guard: no DNS") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert not attempts, f"the test tried to reach beyond loopback: {attempts}"


@pytest.fixture
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, replay: ReplayServer) -> Settings:
    """An archive in tmp_path whose every request goes to the replay server."""
    return Settings(
        db_path=tmp_path / "archive.db",
        blobs_dir=tmp_path / "blobs",
        connect_to={"*": replay.base_url},
        timeout=5.0,
        max_retries=2,
        backoff_base=0.01,
        max_retry_after=2.0,
        host_delay=0.0,
    )


class StatementRecorder:
    """Every SQL statement SQLite runs on Datasette's connections to the archive (its trace
    hook: Datasette's own queries, the plugins' and sqlite-utils' savepoints alike)."""

    __name__ = "test_statement_recorder"  # Datasette lists plugins by name

    def __init__(self):
        self.statements: list[str] = []

    @hookimpl
    def prepare_connection(self, conn, database, datasette):
        if database == "archive":
            conn.set_trace_callback(self.statements.append)


@pytest.fixture
def archive_statements():
    """The statements of every Datasette made while the test runs (connections it opens then)."""
    recorder = StatementRecorder()
    pm.register(recorder, name="test-statement-recorder")
    yield recorder.statements
    pm.unregister(name="test-statement-recorder")


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """Test videos made with ffmpeg: one clip, and the same footage as HLS and as DASH."""
    from video_clips import make_clips

    return make_clips(tmp_path_factory.mktemp("clips"))
