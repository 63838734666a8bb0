"""`archiver export --wacz`: captures as a WACZ package (WARC + CDXJ + pages + datapackage).

The captures' own WARC records are copied byte for byte (each is a gzip member,
located by warc_records), so their stored hashes still hold inside the package.
Each capture adds one WARC `metadata` record with its manifest and its RFC 3161
tokens. The `wacz` package (Webrecorder) indexes the WARC and writes
datapackage.json with the SHA-256 of every file, so `wacz validate` and
ReplayWeb.page accept the result.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.errors import ArchiveError, StorageError, UsageError
from archiver.fetch.warc_index import copy_record
from archiver.media.blobstore import file_sha256
from archiver.store.queries import capture_row, post_row
from archiver.store.queries_evidence import (
    capture_manifest,
    capture_timestamps,
    capture_warc_records,
)

# What the WACZ's metadata record says of each timestamp, in this order.
STAMP_FIELDS = ("tsa_url", "status", "gen_time", "tsa_name", "response_b64", "error")


@dataclass
class WaczSummary:
    path: Path
    captures: int
    records: int
    sha256: str
    skipped: list[str]  # captures with no WARC records (local files, older captures)


def export_wacz(
    db: Database, base: Path, capture_ids: list[str], out: Path, *, title: str | None = None
) -> WaczSummary:
    """Write the WACZ for these captures (in capture order) to `out`; `base` is the database's
    directory, which relative WARC paths are under."""
    from wacz.main import main as wacz_main

    found = (capture_row(db, capture_id) for capture_id in capture_ids)
    captures = sorted((c for c in found if c is not None), key=lambda c: c["started_at"])
    with tempfile.TemporaryDirectory(prefix="archiver-wacz-") as tmp:
        warc_path = Path(tmp) / "archiver-export.warc.gz"
        pages_path = Path(tmp) / "pages.jsonl"
        pages = [{"format": "json-pages-1.0", "id": "pages", "title": title or "Archived captures"}]
        records, skipped = 0, []
        with open(warc_path, "wb") as warc:
            writer = WARCWriter(warc, gzip=True, warc_version="1.1")
            writer.write_record(
                writer.create_warcinfo_record(
                    warc_path.name,
                    {"software": f"archiver/{__version__}", "format": "WARC File Format 1.1"},
                )
            )
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
                pages.append(_page(db, capture, first))
        if not pages[1:]:
            raise UsageError("none of these captures has WARC records to export")
        pages_path.write_text(
            "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages), "utf-8"
        )
        # Written beside its final name, then renamed: a failed export leaves no half package.
        partial = out.with_name(out.name + ".partial")
        args = ["create", "-o", str(partial), "-p", str(pages_path), "-c", "--hash-type", "sha256"]
        args += ["--title", title or "Archived captures", str(warc_path)]
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.redirect_stdout(io.StringIO()) as said:
                status = wacz_main(args)
            if status not in (0, None):
                raise ArchiveError(f"the WACZ could not be written: {said.getvalue().strip()}")
            os.replace(partial, out)
        except OSError as exc:
            raise StorageError(f"cannot write {out}: {exc.strerror or exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
    return WaczSummary(out, len(pages) - 1, records, file_sha256(out), skipped)


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
