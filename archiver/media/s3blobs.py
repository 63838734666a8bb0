"""The blob store on S3-compatible storage: `s3://BUCKET/PREFIX`, the same layout as on disk.

Blobs under `PREFIX/sha256/ab/cd/<sha256>`, thumbnails under `PREFIX/thumbs/`, WARC
files under `PREFIX/warcs/`. boto3 finds the endpoint and the credentials the
standard way (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID..., profiles, instance roles), so
any S3-compatible server works (MinIO, Ceph, Garage, moto in the tests).

Files are written here only after they are complete and hashed on local disk: by
queue workers (pipeline/remote.py) and by `archiver archive` (s3staging.py), each
streamed from its file, in parts when it is large; everything else reads, streaming.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from archiver.errors import StorageError, UsageError

CHUNK = 1024 * 1024
# Files past PART_SIZE go up in parts of PART_SIZE, at most PARTS_AT_ONCE at a time: what an
# upload holds in memory is about PART_SIZE * PARTS_AT_ONCE, whatever the file's size.
PART_SIZE = 8 * 1024 * 1024
PARTS_AT_ONCE = 4


class S3BlobStore:
    """Objects of one bucket under one prefix, named as the local blob store names files."""

    def __init__(self, url: str, client=None):
        parts = urlsplit(url)
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise UsageError(f"--blobs expects a directory or s3://BUCKET/PREFIX, got {url!r}")
        self.url = url.rstrip("/")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        if client is None:
            import boto3  # only an archive on S3 needs it loaded

            client = boto3.client("s3")
        self.client = client

    def key(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def _failed(self, what: str, exc: Exception) -> StorageError:
        return StorageError(f"could not {what} {self.url}: {exc}")

    def size_of(self, relpath: str) -> int | None:
        """The object's length; None if there is none."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(relpath))[
                "ContentLength"
            ]
        except (BotoCoreError, ClientError) as exc:
            if _missing(exc):
                return None
            raise self._failed(f"read {relpath} from", exc) from exc

    def sha256_of(self, relpath: str) -> str | None:
        """What the stored object hashes to now, streamed; None if there is none."""
        chunks = self.read(relpath)
        if chunks is None:
            return None
        digest = hashlib.sha256()
        for chunk in chunks:
            digest.update(chunk)
        return digest.hexdigest()

    def read(self, relpath: str, start: int = 0, end: int | None = None) -> Iterator[bytes] | None:
        """The object's bytes (from `start` to `end` inclusive), in chunks; None if there is none."""
        from botocore.exceptions import BotoCoreError, ClientError

        ask = {"Bucket": self.bucket, "Key": self.key(relpath)}
        if start or end is not None:
            ask["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            body = self.client.get_object(**ask)["Body"]
        except (BotoCoreError, ClientError) as exc:
            if _missing(exc):
                return None
            raise self._failed(f"read {relpath} from", exc) from exc
        return body.iter_chunks(CHUNK)

    def download(self, relpath: str, target: Path) -> bool:
        """Copy the object to a local file; False if there is none."""
        chunks = self.read(relpath)
        if chunks is None:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        return True

    def upload(self, path: Path, relpath: str) -> None:
        """Store a local file as `relpath`, unless an object of its length is there already
        (content-addressed: same name, same bytes; the writer re-hashes before it commits)."""
        if self.size_of(relpath) == path.stat().st_size:
            return
        self._put(path, relpath)

    def upload_new(self, path: Path, relpath: str) -> bool:
        """Store a local file as `relpath` unless an object is there already: never overwritten
        (same name, same bytes). True if it went up; StorageError if the object there has
        another length (it is not what its name says, and stays for verify to report)."""
        size = path.stat().st_size
        found = self.size_of(relpath)
        if found == size:
            return False
        if found is not None:
            raise StorageError(
                f"{self.url}/{relpath} is already there with {found:,} bytes, not {size:,};"
                " it is not overwritten"
            )
        self._put(path, relpath)
        return True

    def _put(self, path: Path, relpath: str) -> None:
        from boto3.exceptions import Boto3Error  # upload_file's S3UploadFailedError
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError

        parts = TransferConfig(
            multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE,
            max_concurrency=PARTS_AT_ONCE,
        )  # fmt: skip
        try:
            self.client.upload_file(str(path), self.bucket, self.key(relpath), Config=parts)
        except (Boto3Error, BotoCoreError, ClientError, OSError) as exc:
            raise self._failed(f"write {relpath} to", exc) from exc

    def listing(self, under: str) -> Iterator[tuple[str, int]]:
        """(relpath, length) of every object under `under` (a relpath prefix such as "sha256/")."""
        from botocore.exceptions import BotoCoreError, ClientError

        start = self.key(under)
        cut = len(self.prefix) + 1 if self.prefix else 0
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][cut:], item["Size"]
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("list", exc) from exc


def _missing(exc: Exception) -> bool:
    """The S3 error says there is no such object (not that the store failed)."""
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
