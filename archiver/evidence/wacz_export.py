"""`archiver export --wacz`: captures as a WACZ package (WARC + CDXJ + pages + datapackage).

The captures' own WARC records are copied byte for byte (each is a gzip member,
located by warc_records), so their stored hashes still hold inside the package.
Each capture adds one WARC `metadata` record with its manifest and its RFC 3161
tokens. A capture's page in pages.jsonl is its first response, or, when it was rendered
(--screenshot), the page the browser loaded, whose screenshot and PDF are resource records
named after it. The `wacz` package (Webrecorder) indexes the WARC and writes
datapackage.json with the SHA-256 of every file, so `wacz validate` and
ReplayWeb.page accept the result. A last metadata record (`urn:archiver:chain-head`)
carries the event chain's head at export and every checkpoint with its TSA tokens.

Signing follows Webrecorder's WACZ signing specification (wacz-auth): given a signing
server (authsign, or any server with its `/sign` API), `wacz` asks it to sign the hash of
datapackage.json and writes the answer into datapackage-digest.json; the signature names
the observer's domain, carries its certificate chain and an RFC 3161 timestamp over the
signature, and `wacz validate --verify-auth` or ReplayWeb.page check it. A package that was
to be signed and came back unsigned is an error, never a silent unsigned file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.errors import ArchiveError, StorageError, UsageError
from archiver.fetch.warc_index import copy_record
from archiver.media.blobstore import file_sha256
from archiver.models import RENDER_RECORDS
from archiver.store.queries import capture_row, post_row
from archiver.store.queries_evidence import (
    all_checkpoints,
    capture_manifest,
    capture_timestamps,
    capture_warc_records,
    chain_head,
)

# The record that carries the chain's head and checkpoints (its WARC-Target-URI).
CHAIN_HEAD_URI = "urn:archiver:chain-head"
# What the WACZ's metadata record says of each timestamp, in this order.
STAMP_FIELDS = ("tsa_url", "status", "gen_time", "tsa_name", "response_b64", "error")


@dataclass
class WaczSummary:
    path: Path
    captures: int
    records: int
    sha256: str
    skipped: list[str]  # captures with no WARC records (local files, older captures)
    signed_by: str | None = None  # the observer's domain, when a signing server signed it


@dataclass(frozen=True)
class Signing:
    """A WACZ signing server (Webrecorder's authsign or one speaking its `/sign` API)."""

    url: str
    token: str | None = None


def export_wacz(
    db: Database,
    base: Path,
    capture_ids: list[str],
    out: Path,
    *,
    title: str | None = None,
    signing: Signing | None = None,
) -> WaczSummary:
    """Write the WACZ for these captures (in capture order) to `out`; `base` is the database's
    directory, which relative WARC paths are under."""
    found = (capture_row(db, capture_id) for capture_id in capture_ids)
    captures = sorted((c for c in found if c is not None), key=lambda c: c["started_at"])
    with tempfile.TemporaryDirectory(prefix="archiver-wacz-") as tmp:
        warc_path = Path(tmp) / "archiver-export.warc.gz"
        pages_path = Path(tmp) / "pages.jsonl"
        pages = [{"format": "json-pages-1.0", "id": "pages", "title": title or "Archived captures"}]
        with open(warc_path, "wb") as warc:
            records, skipped = _write_warc(db, base, captures, warc, pages)
        if not pages[1:]:
            raise UsageError("none of these captures has WARC records to export")
        pages_path.write_text(
            "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages), "utf-8"
        )
        signed_by = _package(warc_path, pages_path, out, title, signing)
    return WaczSummary(out, len(pages) - 1, records, file_sha256(out), skipped, signed_by)


def _write_warc(db: Database, base: Path, captures: list[dict], warc, pages: list[dict]):
    """Copy each capture's records, its metadata and finally the chain's head into `warc`."""
    writer = WARCWriter(warc, gzip=True, warc_version="1.1")
    writer.write_record(
        writer.create_warcinfo_record(
            "archiver-export.warc.gz",
            {"software": f"archiver/{__version__}", "format": "WARC File Format 1.1"},
        )
    )
    records, skipped = 0, []
    for capture in captures:
        rows = capture_warc_records(db, capture["id"])
        if not rows:
            skipped.append(capture["id"])
            continue
        for row in rows:
            path = Path(row["warc_file"])
            try:
                copy_record(path if path.is_absolute() else base / path, row["offset"],
                            row["length"], warc)  # fmt: skip
            except (OSError, ValueError) as exc:
                raise ArchiveError(
                    f"cannot copy capture {capture['id']}'s record from {path}: {exc}"
                ) from exc
            records += 1
        first = next((r for r in rows if r["record_type"] == "response"), rows[0])
        _write_metadata(writer, db, capture, first)
        pages.append(_page(db, capture, _rendered_page(rows) or first))
    if pages[1:]:
        _write_chain_head(writer, db)
    return records, skipped


def _package(warc: Path, pages: Path, out: Path, title, signing: Signing | None) -> str | None:
    """Index and zip with Webrecorder's `wacz` (and its signing, when asked); returns the
    signer's domain. Written beside its final name, then renamed: a failed export leaves no
    half package."""
    from wacz.main import main as wacz_main

    partial = out.with_name(out.name + ".partial")
    args = ["create", "-o", str(partial), "-p", str(pages), "-c", "--hash-type", "sha256"]
    args += ["--title", title or "Archived captures", str(warc)]
    if signing:
        args += ["--signing-url", signing.url]
        args += ["--signing-token", signing.token] if signing.token else []
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        said = io.StringIO()
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            status = wacz_main(args)
        if status not in (0, None):
            raise ArchiveError(f"the WACZ could not be written: {said.getvalue().strip()}")
        signed_by = _signer(partial, signing, said.getvalue())
        os.replace(partial, out)
        return signed_by
    except ImportError as exc:  # wacz signs through `requests`, its `signing` extra
        raise UsageError(
            f"signing needs the signing extra: pip install 'archiver[signing]' ({exc})"
        ) from exc
    except OSError as exc:
        raise StorageError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def _signer(package: Path, signing: Signing | None, said: str) -> str | None:
    """The signer's domain from the package's datapackage-digest.json; an unsigned package when
    a signature was asked for is an error, with the signing server's own words."""
    if not signing:
        return None
    with zipfile.ZipFile(package) as wacz:
        digest = json.loads(wacz.read("datapackage-digest.json"))
    signed = digest.get("signedData")
    if not isinstance(signed, dict) or not signed.get("signature"):
        lines = [line for line in said.splitlines() if line.strip()]
        reason = lines[-1] if lines else "no signature in its answer"
        raise ArchiveError(f"the signing server at {signing.url} did not sign the WACZ: {reason}")
    return str(signed.get("domain") or "an anonymous observer")


def _write_chain_head(writer: WARCWriter, db: Database) -> None:
    """The event chain's head when exported, and every checkpoint with its TSA tokens: a
    reader can check the package's captures against the archive's anchored heads."""
    head = chain_head(db)
    checkpoints = [
        {k: row[k] for k in ("seq", "head", "sealed_at", "statement_sha256")}
        | {"stamps": json.loads(row["stamps"] or "[]")}
        for row in all_checkpoints(db)
    ]
    body = json.dumps(
        {
            "chain_head": {"seq": head[0], "hash": head[1]} if head else None,
            "checkpoints": checkpoints,
        },
        ensure_ascii=False,
        indent=1,
    ).encode("utf-8")
    writer.write_record(
        writer.create_warc_record(
            CHAIN_HEAD_URI,
            "metadata",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/json",
        )
    )


def _write_metadata(writer: WARCWriter, db: Database, capture: dict, first: dict) -> None:
    """The capture's manifest and timestamp tokens, beside its records."""
    manifest = capture_manifest(db, capture["id"])
    stamps = [
        {k: stamp[k] for k in STAMP_FIELDS} for stamp in capture_timestamps(db, capture["id"])
    ]
    body = json.dumps(
        {
            "capture_id": capture["id"],
            "manifest_sha256": manifest["manifest_sha256"] if manifest else None,
            # Verbatim: its SHA-256 is what the timestamps sign.
            "manifest": manifest["manifest"] if manifest else None,
            "timestamps": stamps,
        },
        ensure_ascii=False,
        indent=1,
    ).encode("utf-8")
    record = writer.create_warc_record(
        first["target_uri"],
        "metadata",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type="application/json",
        warc_headers_dict={"WARC-Refers-To": first["record_id"]},
    )
    writer.write_record(record)


def _rendered_page(rows: list[dict]) -> dict | None:
    """The response of the page the browser rendered (--screenshot), whose screenshot and PDF
    are resource records named after its URL (models.RENDER_RECORDS): the capture's page, as a
    reader sees it and as Webrecorder's tools link a page to its screenshots."""
    prefixes = tuple(prefix for prefix, _ in RENDER_RECORDS.values())
    for index, row in enumerate(rows):
        uri = row["target_uri"] or ""
        if row["record_type"] == "resource" and uri.startswith(prefixes):
            url = uri.split(":", 2)[2]
            loads = [r for r in rows[:index] if r["record_type"] == "response"]
            return next((r for r in reversed(loads) if r["target_uri"] == url), None)
    return None


def _page(db: Database, capture: dict, first: dict) -> dict:
    title = capture["url"]
    post = post_row(db, capture["post_db_id"]) if capture["post_db_id"] else None
    if post:
        text = " ".join((post["text"] or "").split())
        title = f"@{post['author_handle']}: {text[:120]}" if post["author_handle"] else text[:120]
    return {
        "id": capture["id"],
        "url": first["target_uri"],
        "ts": first["warc_date"],
        "title": title or capture["url"],
    }
