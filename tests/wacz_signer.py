"""Webrecorder's own signing server (authsign), run locally for tests: never a real domain.

authsign normally obtains its domain certificate from Let's Encrypt over ACME. Here the
certificate is issued by a test root and placed in authsign's data folder before it starts, so
it signs at once; its timestamps come from the local fake TSA. Its `/verify` endpoint trusts
exactly the test root and the TSA's root, through authsign's own trusted-roots file, so `wacz
validate --verify-auth --verifier-url` checks a package signed here the way ReplayWeb.page and
`wacz validate` check one signed by a real observer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOMAIN = "signer.archiver.test"
ROOT_NAME = "archiver tests signing root"


def _cert(subject: str, issuer: str, key, signing_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC) - timedelta(hours=1)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signing_key, hashes.SHA256())
    )


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalSigner:
    """authsign as a subprocess on 127.0.0.1, signing as DOMAIN with timestamps from `tsa`."""

    def __init__(self, folder: Path, tsa, *, token: str = "test-token"):
        self.folder, self.tsa, self.token = folder, tsa, token
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _provision(self) -> Path:
        from authsign.signer import PASSPHRASE

        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        root_key, key = (
            ec.generate_private_key(ec.SECP256R1()),
            ec.generate_private_key(ec.SECP256R1()),
        )
        root = _cert(ROOT_NAME, ROOT_NAME, root_key, root_key, ca=True)
        leaf = _cert(DOMAIN, ROOT_NAME, key, root_key, ca=False)
        pem = serialization.Encoding.PEM
        (data / "cert.pem").write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
        (data / "private-key.pem").write_bytes(
            key.private_bytes(
                pem,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(PASSPHRASE),
            )
        )
        tsa_root = self.tsa.authority.root_cert
        roots = self.folder / "roots.yaml"
        roots.write_text(
            f"domain_cert_roots:\n  - {_fingerprint(root)}\n"
            f"timestamp_cert_roots:\n  - {_fingerprint(tsa_root)}\n"
        )
        config = self.folder / "config.yaml"
        config.write_text(
            "signing:\n"
            f"  domain: {DOMAIN}\n  email: tests@archiver.test\n  port: 80\n"
            f"  output: {data}\n  auth_token: {self.token}\n"
            f"  timestamping:\n    - url: {self.tsa.url}\n"
            f"trusted_roots: {roots}\n"
        )
        return config

    def __enter__(self) -> LocalSigner:
        config = self._provision()
        env = {**os.environ, "CONFIG": str(config), "NO_RENEW": "1"}
        self.log = open(self.folder / "authsign.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "authsign.main:app", "--host", "127.0.0.1",
             "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.folder / "authsign.log").read_text())
            try:
                httpx.get(self.url + "/docs", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("authsign did not start")

    def __exit__(self, *exc) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()
