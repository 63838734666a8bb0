"""RFC 3161 trusted timestamps over a capture's manifest (rfc3161-client, by Trail of Bits).

A Time Stamp Authority signs "these bytes existed at this time": we send it the
SHA-256 of the capture's manifest and keep its whole reply (a TimeStampResp,
DER). Checking a token needs a root certificate to trust: the ones given with
`--tsa-roots`, else a self-signed root the token carries itself; without
either, the signature cannot be checked and we say so rather than pass it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from archiver.errors import UsageError

STAMPED = "stamped"
FAILED = "failed"


@dataclass
class Stamp:
    """One TSA's answer for one manifest: a token, or why there is none."""

    tsa_url: str
    status: str  # stamped / failed
    manifest_sha256: str
    response_b64: str | None = None  # the TimeStampResp, DER, base64
    gen_time: str | None = None  # ISO 8601 UTC, as the TSA signed it
    serial_number: str | None = None
    tsa_name: str | None = None  # the signing certificate's subject
    error: str | None = None


@dataclass
class StampCheck:
    ok: bool
    trusted: bool  # the signature chains to a root the user gave (--tsa-roots)
    detail: str
    gen_time: str | None = None
    tsa_name: str | None = None


def request_stamp(
    tsa_url: str, manifest: bytes, *, timeout: float, roots: list[x509.Certificate] | None = None
) -> Stamp:
    """Ask one TSA to stamp SHA-256(manifest); never raises: a failure is a Stamp saying why."""
    digest = hashlib.sha256(manifest).hexdigest()
    request = (
        TimestampRequestBuilder()
        .data(manifest)
        .hash_algorithm(HashAlgorithm.SHA256)
        .cert_request(cert_request=True)
        .build()
    )
    try:
        reply = httpx.post(
            tsa_url,
            content=request.as_bytes(),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout,
        )
    except httpx.TimeoutException:
        return Stamp(tsa_url, FAILED, digest, error=f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return Stamp(tsa_url, FAILED, digest, error=f"could not reach the TSA ({exc})")
    if reply.status_code != 200:
        return Stamp(tsa_url, FAILED, digest, error=f"the TSA answered HTTP {reply.status_code}")
    stamp = Stamp(
        tsa_url, STAMPED, digest, response_b64=base64.b64encode(reply.content).decode("ascii")
    )
    check = check_stamp(stamp, digest, roots=roots, nonce=request.nonce)
    stamp.gen_time, stamp.tsa_name = check.gen_time, check.tsa_name
    stamp.serial_number = _serial(reply.content)
    if not check.ok:
        stamp.status, stamp.error = FAILED, f"the TSA's reply does not check out: {check.detail}"
    return stamp


def stamp_all(
    tsa_urls: tuple[str, ...], manifest: bytes, *, timeout: float, roots: list[x509.Certificate]
) -> list[Stamp]:
    """One Stamp per TSA, in order; a TSA that fails does not stop the others."""
    return [request_stamp(url, manifest, timeout=timeout, roots=roots) for url in tsa_urls]


def check_tsa_urls(urls: tuple[str, ...]) -> None:
    """UsageError for a TSA address that is not an http(s) URL."""
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            raise UsageError(f"--tsa expects an http(s) URL of an RFC 3161 service, got {url!r}")


def check_stamp(
    stamp: Stamp,
    manifest_sha256: str,
    *,
    roots: list[x509.Certificate] | None = None,
    nonce: int | None = None,
) -> StampCheck:
    """Is the token well formed, granted, over this manifest hash, and signed (when checkable)?"""
    try:
        response = decode_timestamp_response(base64.b64decode(stamp.response_b64 or ""))
    except (ValueError, TypeError) as exc:
        return StampCheck(False, False, f"not a timestamp reply ({exc})")
    if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        return StampCheck(False, False, f"the TSA refused: status {response.status}")
    info = response.tst_info
    gen_time = info.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    certificates = [x509.load_der_x509_certificate(c) for c in response.signed_data.certificates]
    signer = _signer(response, certificates)
    name = signer.subject.rfc4514_string() if signer is not None else None
    imprint = info.message_imprint.message.hex()
    if imprint != manifest_sha256:
        return StampCheck(
            False, False, f"stamps {imprint}, not the manifest {manifest_sha256}", gen_time, name
        )
    if stamp.manifest_sha256 and stamp.manifest_sha256 != manifest_sha256:
        return StampCheck(False, False, "stored for a different manifest hash", gen_time, name)
    # Given roots are the only trust; without them, a root the token carries shows the token
    # is intact and self-consistent, though not who signed it.
    anchors = list(roots or []) or [c for c in certificates if c.subject == c.issuer]
    if not anchors:
        return StampCheck(
            True,
            False,
            "hash matches; signature not checked: the token carries no root certificate "
            "(give the TSA's root with --tsa-roots)",
            gen_time,
            name,
        )
    builder = VerifierBuilder(roots=anchors, nonce=nonce)
    try:
        builder.build().verify(response, bytes.fromhex(manifest_sha256))
    except VerificationError as exc:
        return StampCheck(False, True, f"signature does not verify ({_short(exc)})", gen_time, name)
    if not roots:
        return StampCheck(
            True,
            False,
            "valid against the root certificate the token carries; give --tsa-roots to check "
            "who signed it",
            gen_time,
            name,
        )
    return StampCheck(True, True, "valid", gen_time, name)


def load_roots(path: Path | None) -> list[x509.Certificate]:
    """Root certificates (PEM) to trust for TSA signatures."""
    if path is None:
        return []
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read TSA root certificates from {path}: {exc}") from None


def _signer(response, certificates: list[x509.Certificate]) -> x509.Certificate | None:
    infos = list(response.signed_data.signer_infos)
    if len(infos) != 1:
        return None
    for cert in certificates:
        if cert.issuer == infos[0].issuer and cert.serial_number == infos[0].serial_number:
            return cert
    return None


def _serial(reply: bytes) -> str | None:
    try:
        return str(decode_timestamp_response(reply).tst_info.serial_number)
    except ValueError:
        return None


def _short(exc: Exception) -> str:
    text = str(exc)
    # OpenSSL's error stack is long; its reason is what a reader needs.
    for marker in ('reason: "', 'data: "'):
        if marker in text:
            return text.split(marker, 1)[1].split('"', 1)[0]
    return text[:200]
