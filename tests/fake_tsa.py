"""A local RFC 3161 Time Stamp Authority for tests: signs with a test key, never the real thing.

It answers POSTed TimeStampReq bodies with a TimeStampResp whose token is a CMS
SignedData over a TSTInfo, signed by a TSA certificate (critical EKU
timeStamping) issued by a test root; both certificates ride in the token, as a
real TSA sends them when the request sets certReq.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import algos, cms, core, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_POLICY = "1.3.6.1.4.1.99999.1"


def _name(common_name: str) -> cx509.Name:
    return cx509.Name(
        [
            cx509.NameAttribute(NameOID.ORGANIZATION_NAME, "archiver tests"),
            cx509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(**allowed: bool) -> cx509.KeyUsage:
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"]  # fmt: skip
    return cx509.KeyUsage(**{name: allowed.get(name, False) for name in names})


class TestAuthority:
    """A root certificate and a TSA certificate it issued, with their keys."""

    def __init__(self, name: str = "Fake TSA", *, leaf_first: bool = False):
        self.leaf_first = leaf_first
        now = datetime.now(UTC) - timedelta(days=1)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name(f"{name} test root")
        self.root_cert = (
            cx509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(self.root_key.public_key())
            .serial_number(cx509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (
            cx509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(root_name)
            .public_key(self.key.public_key())
            .serial_number(cx509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(cx509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )
        self.serial = 0

    def root_pem(self) -> bytes:
        return self.root_cert.public_bytes(serialization.Encoding.PEM)

    def respond(self, request_der: bytes) -> bytes:
        """A granted TimeStampResp for a DER TimeStampReq."""
        request = tsp.TimeStampReq.load(request_der)
        self.serial += 1
        info = {
            "version": "v1",
            "policy": TEST_POLICY,
            "message_imprint": request["message_imprint"],
            "serial_number": self.serial,
            "gen_time": datetime.now(UTC).replace(microsecond=0),
            "accuracy": {"seconds": 1},
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"].native
        tst_der = tsp.TSTInfo(info).dump()
        leaf = x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))
        root = x509.Certificate.load(self.root_cert.public_bytes(serialization.Encoding.DER))
        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        {
                            "certs": [
                                {
                                    "hash_algorithm": {"algorithm": "sha256"},
                                    "cert_hash": hashlib.sha256(leaf.dump()).digest(),
                                }
                            ]
                        }
                    ],
                },
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    "issuer_and_serial_number",
                    cms.IssuerAndSerialNumber(
                        {"issuer": leaf.issuer, "serial_number": leaf.serial_number}
                    ),
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": core.ParsableOctetString(tst_der),
                },
                "certificates": [leaf, root],
                "signer_infos": [signer],
            }
        )
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        reply = tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": token}
        ).dump()
        if self.leaf_first:
            # DER sorts the certificate set; some verifiers (authsign) want the TSA's own
            # certificate first, as many TSAs send it. The signature does not cover the set.
            pair = sorted([leaf.dump(), root.dump()])
            reply = reply.replace(pair[0] + pair[1], leaf.dump() + root.dump())
        return reply


class FakeTSA:
    """Serve a TestAuthority over HTTP on 127.0.0.1; `mode` makes it fail in chosen ways."""

    def __init__(self, name: str = "Fake TSA", *, leaf_first: bool = False):
        self.authority = TestAuthority(name, leaf_first=leaf_first)
        self.mode = "ok"  # ok / error (HTTP 500) / slow (answers after `delay`) / garbage
        self.delay = 5.0
        self.requests: list[bytes] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/tsr"

    def __enter__(self) -> FakeTSA:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self):
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                tsa.requests.append(body)
                if tsa.mode == "slow":
                    time.sleep(tsa.delay)
                if tsa.mode == "error":
                    self._send(500, "text/plain", b"the TSA is down\n")
                elif tsa.mode == "garbage":
                    self._send(200, "application/timestamp-reply", b"not a timestamp")
                else:
                    reply = tsa.authority.respond(body)
                    self._send(200, "application/timestamp-reply", reply)

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
