"""verify's checks of the files: blobs, WARC records, manifests, and the timestamps over them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from archiver.evidence.manifests import manifest_bytes
from archiver.evidence.verify_report import Report
from archiver.fetch.warc_index import read_record
from archiver.media.blobstore import blob_relpath, file_sha256, is_sha256
from archiver.models import RENDER_TYPES
from archiver.settings import Settings
from archiver.store.queries_evidence import (
    RECORD_HASH_COLUMNS,
    all_timestamps,
    capture_record_hashes,
    captures_in_order,
    manifests_by_capture,
    media_sha256s,
    media_thumbnails,
    sealed_warc_files,
    warc_file_names,
    warc_records_in_file_order,
)


def check_blobs(db: Database, blobs_dir: Path, report: Report) -> None:
    """Every file under sha256/ hashes to its name; every media row has its file."""
    root = blobs_dir / "sha256"
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if not path.is_file():
            continue
        report.count("blobs")
        if not is_sha256(path.name):
            report.add("blob", str(path), "a file in the blob store that is not named by a SHA-256",
                       file=str(path))  # fmt: skip
            continue
        actual = file_sha256(path)
        if actual != path.name:
            report.add(
                "blob", str(path), f"its bytes hash to {actual}, not to its name", file=str(path)
            )
    for sha256 in media_sha256s(db):
        if is_sha256(sha256) and not (blobs_dir / blob_relpath(sha256)).is_file():
            report.add("blob", f"media {sha256}", f"the file is missing from {blobs_dir}",
                       table="media", key=sha256, file=str(blobs_dir / blob_relpath(sha256)))  # fmt: skip
    check_thumbnails(db, blobs_dir, report)


def check_thumbnails(db: Database, blobs_dir: Path, report: Report) -> None:
    """Each thumbnail hashes to what its media row recorded (rows from before that: unchecked)."""
    for sha256, relpath, expected in media_thumbnails(db):
        report.count("thumbnails")
        path = blobs_dir / relpath
        if not path.is_file():
            report.add("blob", f"thumbnail of media {sha256}", f"{path} is missing",
                       table="media", key=sha256, column="thumbnail_path", file=str(path))  # fmt: skip
        elif file_sha256(path) != expected:
            report.add("blob", f"thumbnail of media {sha256}", "its bytes changed since it was made",
                       table="media", key=sha256, column="thumbnail_sha256", file=str(path))  # fmt: skip


def check_warc_records(db: Database, base: Path, report: Report) -> dict[tuple[str, str], set[str]]:
    """Each stored record is where its row says, hashes as recorded; returns the payload hashes
    of each capture's records by type: {(capture id, "response" or "resource"): SHA-256s}."""
    payloads: dict[tuple[str, str], set[str]] = {}
    for row in warc_records_in_file_order(db):
        report.count("WARC records")
        where = f"warc_records {row['id']} ({row['warc_file']} @ {row['offset']})"
        path = Path(row["warc_file"])
        path = path if path.is_absolute() else base / path
        at = {"table": "warc_records", "key": str(row["id"]), "file": str(path),
              "offset": row["offset"]}  # fmt: skip
        if not path.is_file():
            report.add("warc", where, f"the WARC file {path} is missing", **at)
            continue
        try:
            found = read_record(path, row["offset"], row["length"])
        except (ValueError, OSError) as exc:
            report.add("warc", where, str(exc), **at)
            continue
        if found.sha256 != row["sha256"]:
            report.add(
                "warc",
                where,
                f"the record's bytes hash to {found.sha256}, not {row['sha256']}",
                **at,
            )
        if found.record_id != row["record_id"]:
            report.add("warc", where, f"a different record is there ({found.record_id})", **at)
        if row["payload_sha256"] and found.payload_sha256 != row["payload_sha256"]:
            report.add(
                "warc",
                where,
                f"the {found.record_type}'s payload hashes to {found.payload_sha256},"
                f" not {row['payload_sha256']}",
                **at,
            )
        if found.payload_sha256:
            key = (row["capture_id"], found.record_type)
            payloads.setdefault(key, set()).add(found.payload_sha256)
    return payloads


def check_manifests(
    db: Database,
    has_blob: Callable[[str], bool],
    payloads: dict[tuple[str, str], set[str]],
    report: Report,
) -> None:
    """Each manifest is intact, agrees with its capture and record rows, and its hashes are found."""
    manifests = manifests_by_capture(db)
    for capture in captures_in_order(db):
        report.count("captures")
        where = f"capture {capture['id']}"
        at = {"table": "manifests", "key": capture["id"]}
        row = manifests.get(capture["id"])
        if row is None:
            report.notes.append(f"{where} has no manifest (captured before manifests were kept)")
            continue
        data = row["manifest"].encode("utf-8")
        if hashlib.sha256(data).hexdigest() != row["manifest_sha256"]:
            report.add(
                "manifest", where, "the manifest no longer hashes to its recorded SHA-256", **at
            )
        manifest = json.loads(row["manifest"])
        if manifest_bytes(manifest) != data:
            report.add("manifest", where, "the manifest is not in its canonical form", **at)
        for field_name, column in [
            ("original_url", "url"), ("started_at", "started_at"), ("body_sha256", "body_sha256"),
            ("final_url", "final_url"), ("status", "status"),
        ]:  # fmt: skip
            if manifest.get(field_name) != capture[column]:
                report.add("manifest", where, f"captures.{column} differs from the manifest's {field_name}",
                           table="captures", key=capture["id"], column=column)  # fmt: skip
        rows = capture_record_hashes(db, capture["id"])
        listed = [{k: r[k] for k in RECORD_HASH_COLUMNS} for r in manifest.get("warc_records", [])]
        if rows != listed:
            report.add(
                "manifest", where, "its warc_records rows differ from the manifest's list", **at
            )
        found = payloads.get((capture["id"], "response"), set())
        has_records = bool(manifest.get("warc_records"))
        body = capture["body_sha256"]
        if body and has_records and capture["source"] != "file" and body not in found:
            report.add(
                "manifest", where, f"no WARC response of this capture has the body {body}", **at
            )
        for item in manifest.get("media", []):
            sha256 = item.get("sha256")
            if not sha256:
                continue
            if not has_blob(sha256):
                report.add(
                    "manifest", where, f"media {sha256} is missing from the blob store", **at
                )
            elif item.get("type") in RENDER_TYPES:
                made = payloads.get((capture["id"], "resource"), set())
                _check_render(item, made, manifest, where, report)
            elif has_records and not _recorded(item, found):
                if _joined_before_parts_were_kept(item):
                    report.notes.append(f"{where}: video {sha256} was joined from segments"
                                        " before their hashes were kept: checked as a blob only")  # fmt: skip
                else:
                    report.add(
                        "manifest",
                        where,
                        f"no WARC response of this capture has media {sha256}",
                        **at,
                    )


def _check_render(item: dict, made: set[str], manifest: dict, where: str, report: Report) -> None:
    """A screenshot or PDF the browser made here is in a WARC resource record of its capture
    (renders from before they were written into the WARC: their blob's hash is the check)."""
    if item["sha256"] in made:
        return
    if any(record.get("type") == "resource" for record in manifest["warc_records"]):
        report.add("manifest", where, f"no WARC resource record of this capture has the"
                   f" {item['type']} {item['sha256']}", table="manifests",
                   key=manifest["capture_id"])  # fmt: skip
    elif manifest["warc_records"]:
        report.notes.append(f"{where}: {item['type']} {item['sha256']} was rendered before renders"
                            " were written into the WARC: checked as a blob only")  # fmt: skip


def _recorded(item: dict, found: set[str]) -> bool:
    """The media file is a WARC response body, or every part it was joined from is."""
    parts = item.get("joined_from_sha256")
    if parts:
        return all(part in found for part in parts)
    return item.get("sha256") in found


def _joined_before_parts_were_kept(item: dict) -> bool:
    """A video an HLS playlist named (its URL the variant's .m3u8), from a manifest written
    before joined files listed their segments: in no response, by its nature."""
    path = (item.get("url") or "").split("?", 1)[0]
    return (
        item.get("type") == "video" and path.endswith(".m3u8") and "joined_from_sha256" not in item
    )


def check_timestamps(db: Database, settings: Settings, report: Report) -> None:
    rows = all_timestamps(db)
    if not rows:
        return
    from archiver.evidence.tsa import Stamp, check_stamp, load_roots

    roots = load_roots(settings.tsa_roots)
    manifests = {k: row["manifest"] for k, row in manifests_by_capture(db).items()}
    for row in rows:
        where = f"timestamps {row['id']} (capture {row['capture_id']}, {row['tsa_url']})"
        at = {"table": "timestamps", "key": str(row["id"])}
        if row["status"] != "stamped":
            report.notes.append(f"{where}: not stamped: {row['error']}")
            continue
        report.count("timestamps")
        manifest = manifests.get(row["capture_id"])
        if manifest is None:
            report.add("timestamp", where, "the manifest it stamps is missing", **at)
            continue
        digest = hashlib.sha256(manifest.encode("utf-8")).hexdigest()
        stamp = Stamp(**{k: row[k] for k in Stamp.__dataclass_fields__})
        check = check_stamp(stamp, digest, roots=roots)
        if not check.ok:
            report.add("timestamp", where, check.detail, **at)
        elif not check.trusted:
            report.notes.append(f"{where}: {check.detail}")


def check_warc_files(db: Database, base: Path, report: Report) -> None:
    """Each WARC file is as long as, and hashes to, what its run sealed when it closed it."""
    sealed = {row["warc_file"]: row for row in sealed_warc_files(db)}
    for name in sorted(set(warc_file_names(db)) - set(sealed)):
        report.notes.append(
            f"{name} was not sealed (its run was killed, or is still running): its records are"
            " checked one by one, not the file as a whole"
        )
    for name, row in sealed.items():
        report.count("WARC files")
        path = Path(name) if Path(name).is_absolute() else base / name
        at = {"table": "warc_files", "key": name, "file": str(path)}
        if not path.is_file():
            report.add("warc", name, f"the WARC file {path} is missing", **at)
            continue
        size = path.stat().st_size
        if size != row["bytes"]:
            report.add("warc", name, f"{size:,} bytes, not the {row['bytes']:,} sealed: records"
                       " were appended or cut", **at)  # fmt: skip
        elif file_sha256(path) != row["sha256"]:
            report.add("warc", name, "its bytes hash to something else than when it was sealed",
                       **at)  # fmt: skip
