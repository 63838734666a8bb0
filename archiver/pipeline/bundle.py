"""A queue worker's finished job: its captures, held as data, for the one writer to commit.

A worker runs the same post and page paths as `archiver archive`, but hands each
capture to a BundleWriter instead of the archive: the capture, its rows, its WARC
records, in the order they would have been committed. The bundle also names the
files the captures point at (blobs, thumbnails, the sealed WARC files), so the
writer can check them before committing (collect.py).

A bundle crosses the queue as JSON. Only the dataclasses listed in `_TYPES` can come
back out of it: nothing in a bundle is ever executed or imported.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from archiver.fetch.warc_index import WarcRecordRef
from archiver.models import Capture, Embed, MediaRef, Post, StoredMedia
from archiver.pipeline.capture_rows import (
    CaptureRows,
    EmbedRow,
    MediaFileRows,
    NamedFile,
    PageRows,
    PostRows,
    capture_files,
)
from archiver.pipeline.commit import CaptureRecording


@dataclass
class BundleEntry:
    """One capture as a worker made it: what `CaptureWriter.commit_recorded` takes."""

    capture: Capture
    rows: CaptureRows | None
    records: list[WarcRecordRef]
    stamp: bool = True


@dataclass
class Bundle:
    """What one queued URL came to: its captures in commit order and the WARC files they are in."""

    job_id: str
    target: str
    platform: str  # as `queue status` counts it ("page" for what names no post)
    context: dict  # who collected it and from where: the worker's, for each manifest
    entries: list[BundleEntry] = field(default_factory=list)
    warcs: list[dict] = field(default_factory=list)  # name (in the WARC directory), bytes, sha256

    def files(self) -> list[NamedFile]:
        """Every blob and thumbnail its rows name (a page's body included), each once."""
        named: dict[str, NamedFile] = {}
        for entry in self.entries:
            named.update(capture_files(entry.capture, entry.rows))
        return list(named.values())


@dataclass(frozen=True, kw_only=True)
class BundleWriter(CaptureRecording):
    """Takes each capture the paths make and keeps it, in order, for the bundle."""

    entries: list[BundleEntry] = field(default_factory=list)

    def warc_file(self) -> str | None:
        """The WARC file's name: the writer places it in its own WARC directory."""
        return self.recorder.path.name if self.recorder.path is not None else None

    def commit(
        self, capture: Capture, rows: CaptureRows | None = None, *, stamp: bool = True
    ) -> list[dict]:
        records = [
            dataclasses.replace(record, warc_file=Path(record.warc_file).name)
            for record in self.recorder.collector.current() or []
        ]
        self.entries.append(BundleEntry(dataclasses.replace(capture), rows, records, stamp))
        return []  # timestamps are the writer's, after it commits


# -- JSON, both ways -------------------------------------------------------------------------

_TYPES = {
    cls.__name__: cls
    for cls in (
        Bundle, BundleEntry, Capture, Post, MediaRef, StoredMedia, Embed, PostRows, PageRows,
        EmbedRow, MediaFileRows, WarcRecordRef,
    )
}  # fmt: skip


class MalformedBundle(ValueError):
    """The bytes are not a bundle this version of the archiver can read."""


def encode_bundle(bundle: Bundle) -> str:
    return json.dumps(_encode(bundle), separators=(",", ":"))


def decode_bundle(text: str | bytes) -> Bundle:
    """The bundle the text holds; MalformedBundle if it is not one."""
    try:
        bundle = _decode(json.loads(text))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise MalformedBundle(f"not a readable bundle: {exc}") from exc
    if not isinstance(bundle, Bundle):
        raise MalformedBundle("not a readable bundle: it holds no Bundle")
    return bundle


def _encode(value):
    if dataclasses.is_dataclass(value) and type(value).__name__ in _TYPES:
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__name__, "fields": fields}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):  # wrapped: a platform's own keys can never read as a type
        return {"__dict__": {str(key): _encode(item) for key, item in value.items()}}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a bundle cannot carry a {type(value).__name__}")


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(item) for item in value["__tuple__"])
    if "__dict__" in value:
        return {key: _decode(item) for key, item in value["__dict__"].items()}
    cls = _TYPES[value["__type__"]]  # KeyError: a type a bundle may not hold
    fields = {key: _decode(item) for key, item in value["fields"].items()}
    for name, kind in _scalar_fields(cls).items():
        if name in fields and not isinstance(fields[name], kind):
            raise TypeError(f"{cls.__name__}.{name} is a {type(fields[name]).__name__}")
    return cls(**fields)


_SCALARS = {"str": str, "int": int, "float": (float, int), "bool": bool, "None": type(None)}


@functools.cache
def _scalar_fields(cls) -> dict[str, tuple[type, ...]]:
    """The fields declared as plain values (str | None, int, ...): what a row binds as is."""
    found = {}
    for f in dataclasses.fields(cls):
        parts = [part.strip() for part in str(f.type).split("|")]
        if all(part in _SCALARS for part in parts):
            found[f.name] = tuple(_SCALARS[part] for part in parts)  # isinstance takes nested
    return found
