"""The pipeline: URL or article -> embeds -> platform adapter -> media -> store.

Adapters and discovery never touch the database; this module does, one
transaction per post, so a killed run leaves whole posts or none. Errors are
per URL: one failure is reported and the rest are still archived.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import platforms
from .blobstore import BlobStore
from .changes import what_changed
from .embeds import discover_embeds
from .errors import ArchiveError, FetchError, StorageError, UnavailableError
from .evidence import collection_context, media_entries, save_evidence, save_stamps
from .fetch import Fetched, Fetcher, check_url
from .hls import join_video
from .media import analyse_media
from .models import (
    CAPTURE_DELETED,
    CAPTURE_ERROR,
    CAPTURE_OK,
    CAPTURE_PARTIAL,
    CAPTURE_UNAVAILABLE,
    POST_DELETED,
    POST_OK,
    POST_UNAVAILABLE,
    Capture,
    Embed,
    MediaRef,
    Post,
    StoredMedia,
)
from .pages import looks_like_html, page_metadata
from .platforms.base import PostRef, parse_display_date
from .resolve import Progress, resolve_embed
from .settings import Settings
from .store import (
    new_capture_id,
    open_db,
    post_complete,
    post_exists,
    save_capture,
    save_embed,
    save_media,
    save_page,
    save_page_media,
    save_post,
    transaction,
    utc_now,
)
from .targets import content_type_for, local_path, read_local
from .warc import WarcRecorder

SKIPPED = "skipped"  # a result status only: already archived, nothing fetched


@dataclass
class CaptureResult:
    """What archiving one URL did, as the CLI prints it (`--json` gives exactly this)."""

    url: str
    status: str
    kind: str = "post"
    capture_id: str | None = None
    post_ids: list[str] = field(default_factory=list)
    media_sha256s: list[str] = field(default_factory=list)
    embeds: list[dict] = field(default_factory=list)
    error: str | None = None
    warc_file: str | None = None
    # Posts seen before whose content or status differs now (new post_versions rows).
    changed: list[str] = field(default_factory=list)
    # What differs, per changed post: "text", "media", "status ok -> deleted", ... (changes.py).
    changes: dict[str, list[str]] = field(default_factory=dict)
    # One entry per Time Stamp Authority asked: tsa, status (stamped/failed), gen_time, error.
    timestamps: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == CAPTURE_ERROR

    def to_json(self) -> dict:
        return asdict(self)


def _collects_records(method):
    """The WARC records written while `method` runs belong to the capture it makes."""

    @functools.wraps(method)
    def collecting(self: Archiver, *args, **kwargs):
        records = self.recorder.collector.begin()
        try:
            return method(self, *args, **kwargs)
        finally:
            self.recorder.collector.end(records)

    return collecting


class Archiver:
    """One archiving session: a database, a blob store, a WARC file and an HTTP client."""

    def __init__(self, settings: Settings, *, progress: Progress | None = None):
        self.settings = settings
        # Worker threads fetch and hash in parallel; the one connection is shared under a lock.
        self.db = open_db(settings.db_path, check_same_thread=False)
        self._db_lock = threading.RLock()
        self.blobs = BlobStore(settings.blobs_dir)
        self.recorder = WarcRecorder(settings.warcs, operator=settings.author)
        self.fetcher = Fetcher(settings, self.recorder)
        self.progress = progress or (lambda message: None)
        self.context = collection_context(settings)  # who and from where, for each manifest
        self._tsa_roots = None

    def close(self) -> None:
        self.fetcher.close()
        self.recorder.close()
        self.db.close()

    def __enter__(self) -> Archiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- entry points -------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction at a time across this session's threads; StorageError if it fails."""
        with self._db_lock:
            try:
                with transaction(self.db):
                    yield
            # Disk full, a damaged file: the archive's fault, not the URL's.
            except sqlite3.Error as exc:
                raise StorageError(
                    f"could not write to the archive database {self.settings.db_path}: {exc}"
                ) from exc

    def has_post(self, post_db_id: str) -> bool:
        with self._db_lock:
            return post_exists(self.db, post_db_id)

    def _has_complete_post(self, post_db_id: str) -> bool:
        # A post whose media failed last time is fetched again: a re-run completes the list.
        with self._db_lock:
            return post_complete(self.db, post_db_id)

    def archive_many(
        self, targets: Iterable[str], *, skip_archived: bool = False, concurrency: int | None = None
    ) -> Iterator[CaptureResult]:
        """Archive every target, `concurrency` at a time; results come as each one finishes.

        The fetcher keeps at most settings.concurrency requests in flight; one
        more worker per CPU core lets media be hashed and posts committed while
        those downloads go on, instead of the downloads waiting for the hashing.
        """
        workers = concurrency or self.settings.concurrency
        targets = list(targets)
        if workers <= 1 or len(targets) <= 1:
            for target in targets:
                yield self.archive(target, skip_archived=skip_archived)
            return
        workers = min(len(targets), workers + (os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archiver") as pool:
            futures = [pool.submit(self.archive, t, skip_archived=skip_archived) for t in targets]
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()

    def archive(self, target: str, *, skip_archived: bool = False) -> CaptureResult:
        """Archive a post URL, an article URL or a local article file; never raises ArchiveError.

        With skip_archived, a post already in the archive is not fetched again
        (how a re-run of a list resumes).
        """
        try:
            return self._archive(target, skip_archived)
        except ArchiveError as exc:
            return CaptureResult(url=target, status=CAPTURE_ERROR, error=str(exc), kind="unknown")

    def _archive(self, target: str, skip_archived: bool) -> CaptureResult:
        path = local_path(target)
        if path is not None:
            return self._archive_local_file(target, path)
        ref = platforms.identify(target)  # before check_url: at:// URIs name posts too
        if ref is None:
            check_url(target)
            return self._archive_page(target)
        if skip_archived and self._has_complete_post(ref.db_id):
            return CaptureResult(url=target, status=SKIPPED, post_ids=[ref.db_id])
        return self._archive_post(target, ref)

    # -- posts --------------------------------------------------------------

    @_collects_records
    def _archive_post(
        self, asked: str, ref: PostRef, *, embed: Embed | None = None, parent_id: str | None = None
    ) -> CaptureResult:
        capture = Capture(
            id=new_capture_id(), url=asked, kind="post", platform=ref.platform, started_at=utc_now(),
            parent_id=parent_id, operator=self.settings.author, post_db_id=ref.db_id,
        )  # fmt: skip
        self.progress(f"fetching {ref.url}")
        try:
            post = self._fetch_post(ref)
        except UnavailableError as exc:
            # The platform says no (login wall, protected): a fact worth recording as such.
            post = (
                post_from_article(ref, embed, reason=str(exc))
                if embed is not None and embed.article_text
                else unavailable_post(ref, str(exc))
            )
        except ArchiveError as exc:
            if embed is None or not embed.article_text:
                self._save_failed(capture, str(exc))
                return CaptureResult(
                    url=asked,
                    status=CAPTURE_ERROR,
                    capture_id=capture.id,
                    error=str(exc),
                    warc_file=self.recorder_file(),
                )
            # The platform would not give it to us; the article's copy is still evidence.
            post = post_from_article(ref, embed, reason=str(exc))

        # The platform may name the post canonically (a Bluesky handle resolves to a DID).
        capture.post_db_id = post.db_id
        media = self._download_all(post)
        quoted_media = self._download_all(post.quoted) if post.quoted else []
        capture.final_url = post.url
        capture.source = post.source
        capture.http_status = post.http_status
        capture.body_sha256 = (
            hashlib.sha256(post.raw.encode("utf-8")).hexdigest() if post.raw else None
        )
        capture.status = capture_status(post, media + quoted_media)
        capture.error = (
            post.status_reason if post.status != POST_OK else _media_errors(media + quoted_media)
        )
        capture.warc_file = self.recorder_file()
        capture.finished_at = utc_now()
        changed: list[str] = []  # posts seen before whose content or status moved
        changes: dict[str, list[str]] = {}
        saved = [(post.quoted, quoted_media)] if post.quoted is not None else []
        with self.writing():
            save_capture(self.db, capture)
            for item, item_media in [*saved, (post, media)]:
                seen_before = post_exists(self.db, item.db_id)
                if save_post(self.db, item, capture.id, item_media) and seen_before:
                    changed.append(item.db_id)
                    changes[item.db_id] = what_changed(self.db, item.db_id)
            manifest = self._save_evidence(
                capture, [(i.db_id, m) for i, m in [*saved, (post, media)]]
            )
        sha256s = [m.sha256 for _, m, _ in media + quoted_media if m is not None]
        post_ids = [post.db_id] + ([post.quoted.db_id] if post.quoted else [])
        return CaptureResult(
            url=asked, status=capture.status, capture_id=capture.id, post_ids=post_ids,
            media_sha256s=sha256s, error=capture.error, warc_file=capture.warc_file, changed=changed,
            timestamps=self._stamp(capture.id, manifest), changes=changes,
        )  # fmt: skip

    def _fetch_post(self, ref: PostRef) -> Post:
        module = platforms.module_for(ref.platform)
        fetch_post = getattr(module, "fetch_post", None)
        if fetch_post is None:
            raise ArchiveError(f"archiving {ref.platform} posts is not supported yet ({ref.url})")
        return fetch_post(ref, self.fetcher)

    def _save_failed(self, capture: Capture, error: str) -> None:
        capture.status, capture.error = CAPTURE_ERROR, error
        capture.finished_at, capture.warc_file = utc_now(), self.recorder_file()
        with self.writing():
            save_capture(self.db, capture)
            self._save_evidence(capture, [])

    def _download_all(self, post: Post) -> list[tuple[MediaRef, StoredMedia | None, str | None]]:
        return self._download_refs(post.media)

    def _download_refs(
        self, refs: list[MediaRef]
    ) -> list[tuple[MediaRef, StoredMedia | None, str | None]]:
        results = []
        for ref in refs:
            self.progress(f"downloading {ref.type} {ref.url}")
            try:
                stored = self._download(ref.url)
            except StorageError:
                raise  # the archive cannot be written: this URL fails, not just one photo
            except ArchiveError as exc:
                results.append((ref, None, str(exc)))
            else:
                results.append((ref, stored, media_note(ref, stored)))
                if ref.type == "playlist":
                    results.extend(self._download_segmented_video(ref, stored))
        return results

    def _download_segmented_video(
        self, ref: MediaRef, playlist: StoredMedia
    ) -> list[tuple[MediaRef, StoredMedia | None, str | None]]:
        """An HLS playlist's video, its segments joined into one file (see hls.py), when small."""
        self.progress(f"joining the video segments of {ref.url}")
        text = (self.blobs.root / playlist.blob_path).read_text("utf-8", errors="replace")
        try:
            joined = join_video(self.fetcher, ref.url, text, self.settings.max_response_bytes)
        except StorageError:
            raise
        except ArchiveError as exc:
            return [(MediaRef(url=ref.url, type="video", alt_text=ref.alt_text), None, str(exc))]
        video = MediaRef(
            url=joined.variant.url, type="video", alt_text=ref.alt_text,
            width=ref.width, height=ref.height, duration_ms=round(joined.variant.duration * 1000),
        )  # fmt: skip
        stored = self._keep_file(joined.path, joined.sha256, joined.variant.url)
        return [(video, stored, media_note(video, stored))]

    def _download(self, url: str) -> StoredMedia:
        with self.fetcher.get_ok(url, max_bytes=self.settings.max_response_bytes) as fetched:
            return self._keep_media(fetched, url)

    def _keep_media(self, fetched: Fetched, url: str) -> StoredMedia:
        """Move a downloaded body into the blob store under its hash and analyse it once."""
        return self._keep_file(fetched.body_path, fetched.body_sha256, url)

    def _keep_file(self, path: Path, sha256: str, url: str) -> StoredMedia:
        """Move a temporary file whose SHA-256 is known into the blob store; analyse it once."""
        final = self.blobs.path_for(sha256)
        if final.exists():
            path.unlink(missing_ok=True)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, final)
        with self._db_lock:
            row = self.db.execute("select 1 from media where sha256 = ?", [sha256]).fetchone()
        if row is not None:
            return StoredMedia(
                sha256=sha256,
                bytes=final.stat().st_size,
                mime=None,
                blob_path=str(final.relative_to(self.blobs.root)),
            )
        return analyse_media(final, sha256, self.blobs.root, first_url=url)

    # -- pages --------------------------------------------------------------

    @_collects_records
    def _archive_page(self, url: str) -> CaptureResult:
        self.progress(f"fetching page {url}")
        started = utc_now()
        try:
            fetched = self.fetcher.get(url)
        except StorageError:
            raise
        except ArchiveError as exc:
            return self._page_failed(url, started, exc)
        with fetched:
            if not fetched.ok:
                failure = FetchError(
                    f"HTTP {fetched.status} from {fetched.final_url}",
                    url=url,
                    status=fetched.status,
                )
                return self._page_failed(url, started, failure, fetched.final_url)
            if fetched.content_type.startswith(("image/", "video/", "audio/")):
                return self._archive_media_url(url, fetched, started)
            capture = Capture(
                id=new_capture_id(), url=url, kind="page", final_url=fetched.final_url, started_at=started,
                http_status=fetched.status, source="http", operator=self.settings.author,
            )  # fmt: skip
            return self._archive_page_document(
                capture, fetched.read(), fetched.text(), fetched.content_type
            )

    def _page_failed(
        self, url: str, started: str, error: ArchiveError, final_url: str | None = None
    ) -> CaptureResult:
        """Record that the page could not be fetched (when, and what came back), as for posts."""
        capture = Capture(
            id=new_capture_id(), url=url, kind="page", final_url=final_url, started_at=started,
            http_status=getattr(error, "status", None), source="http", operator=self.settings.author,
        )  # fmt: skip
        self._save_failed(capture, str(error))
        return CaptureResult(
            url=url, status=CAPTURE_ERROR, kind="page", capture_id=capture.id, error=str(error),
            warc_file=capture.warc_file,
        )  # fmt: skip

    @_collects_records
    def _archive_local_file(self, asked: str, path: Path) -> CaptureResult:
        data = read_local(path)
        capture = Capture(
            id=new_capture_id(), url=asked, kind="page", final_url=path.resolve().as_uri(),
            started_at=utc_now(), source="file", operator=self.settings.author,
        )  # fmt: skip
        return self._archive_page_document(
            capture, data, data.decode("utf-8", errors="replace"), content_type_for(path)
        )

    def _archive_media_url(self, url: str, fetched: Fetched, started: str) -> CaptureResult:
        media = self._keep_media(fetched, url)
        capture = Capture(
            id=new_capture_id(), url=url, kind="media", final_url=fetched.final_url, started_at=started,
            finished_at=utc_now(), http_status=fetched.status, body_sha256=media.sha256,
            warc_file=self.recorder_file(), operator=self.settings.author,
        )  # fmt: skip
        with self.writing():
            save_capture(self.db, capture)
            save_media(self.db, media)
            manifest = self._save_evidence(
                capture, [(None, [(MediaRef(url, "file"), media, None)])]
            )
        return CaptureResult(
            url=url, status=CAPTURE_OK, kind="media", capture_id=capture.id,
            media_sha256s=[media.sha256], warc_file=capture.warc_file,
            timestamps=self._stamp(capture.id, manifest),
        )  # fmt: skip

    def _archive_page_document(
        self, capture: Capture, body: bytes, document: str, content_type: str
    ) -> CaptureResult:
        """Keep the page's bytes and metadata, then archive every post it embeds."""
        is_html = content_type != "text/plain" and (
            content_type in ("text/html", "application/xhtml+xml") or looks_like_html(document)
        )
        capture.body_sha256, _ = self.blobs.put_bytes(body)
        capture.finished_at = utc_now()
        capture.warc_file = self.recorder_file() if capture.source == "http" else None
        if len(body) > self.settings.max_parse_bytes:
            return self._archive_unparsed_page(capture, len(body))
        embeds = discover_embeds(
            document, capture.final_url, content_type="text/html" if is_html else "text/plain"
        )
        self.progress(f"found {len(embeds)} embedded post(s) in {capture.url}")
        meta = page_metadata(document, is_html=is_html, url=capture.final_url)
        # A page that embeds no post is kept for itself: its link card and its main image.
        page_media = self._download_page_image(meta["image_url"]) if not embeds else []
        if any(stored is None for _, stored, _ in page_media):
            capture.status, capture.error = CAPTURE_PARTIAL, _media_errors(page_media)
        with self.writing():
            save_capture(self.db, capture)
            page_id = save_page(self.db, capture.id, capture.final_url, meta, capture.body_sha256)
            save_page_media(self.db, page_id, capture.id, page_media)
        result = CaptureResult(
            url=capture.url, status=capture.status, kind="page", capture_id=capture.id,
            media_sha256s=[m.sha256 for _, m, _ in page_media if m is not None], error=capture.error,
        )  # fmt: skip
        for embed in embeds:
            result.embeds.append(self._archive_embed(page_id, capture.id, embed, result))
        if any(e["status"] in ("failed", "unresolved") for e in result.embeds):
            result.status = CAPTURE_PARTIAL
        result.warc_file = self.recorder_file()
        # Last, so the page's record includes the short-link hops made while resolving embeds.
        with self.writing():
            manifest = self._save_evidence(capture, [(f"page:{page_id}", page_media)])
        result.timestamps = self._stamp(capture.id, manifest)
        return result

    def _archive_unparsed_page(self, capture: Capture, size: int) -> CaptureResult:
        """Keep a page too large to parse safely: its bytes and WARC records, not its embeds."""
        capture.status = CAPTURE_PARTIAL
        capture.error = (
            f"the page is {size:,} bytes; embedded posts and metadata are only read from pages "
            f"up to {self.settings.max_parse_bytes:,} bytes (its bytes are kept)"
        )
        with self.writing():
            save_capture(self.db, capture)
            save_page(self.db, capture.id, capture.final_url, {}, capture.body_sha256)
            self._save_evidence(capture, [])
        return CaptureResult(
            url=capture.url, status=CAPTURE_PARTIAL, kind="page", capture_id=capture.id,
            error=capture.error, warc_file=capture.warc_file,
        )  # fmt: skip

    def _download_page_image(
        self, url: str | None
    ) -> list[tuple[MediaRef, StoredMedia | None, str | None]]:
        if not url or not url.lower().startswith(("http://", "https://")):
            return []
        return self._download_refs([MediaRef(url=url, type="image")])

    def _archive_embed(
        self, page_id: int, page_capture: str, embed: Embed, result: CaptureResult
    ) -> dict:
        ref = resolve_embed(embed, self.fetcher, self.progress)
        if ref is None:
            with self.writing():
                save_embed(
                    self.db,
                    page_id,
                    embed,
                    "unresolved",
                    None,
                    "no link in the article leads to the post",
                )
            return embed_summary(embed, "unresolved", None)
        if self.has_post(ref.db_id):
            # Already archived: link the article's copy to it rather than fetch again.
            with self.writing():
                save_embed(self.db, page_id, embed, "archived", ref.db_id, None)
            result.post_ids.append(ref.db_id)
            return embed_summary(embed, "archived", ref.db_id)
        post_result = self._archive_post(
            embed.post_url or ref.url, ref, embed=embed, parent_id=page_capture
        )
        status = embed_status(post_result)
        post_db_id = post_result.post_ids[0] if post_result.post_ids else None
        with self.writing():
            save_embed(self.db, page_id, embed, status, post_db_id, post_result.error)
        result.post_ids.extend(post_result.post_ids)
        result.media_sha256s.extend(post_result.media_sha256s)
        return embed_summary(embed, status, post_db_id, post_result.error)

    # -- the collection record ------------------------------------------------

    def _save_evidence(self, capture: Capture, media: list) -> tuple[str, bytes]:
        """The capture's WARC record rows and manifest (evidence.py); inside its transaction."""
        records = list(self.recorder.collector.current() or [])
        return save_evidence(
            self.db, capture.id, records, media_entries(media), self.context, self.settings.db_path
        )

    def _stamp(self, capture_id: str, manifest: tuple[str, bytes]) -> list[dict]:
        """Ask each configured TSA to stamp the manifest; a failure is recorded, never raised."""
        if not self.settings.tsa_urls:
            return []
        from .tsa import load_roots, stamp_all

        if self._tsa_roots is None:
            self._tsa_roots = load_roots(self.settings.tsa_roots)
        requested_at = utc_now()
        self.progress(f"timestamping capture {capture_id}")
        stamps = stamp_all(
            self.settings.tsa_urls, manifest[1],
            timeout=self.settings.tsa_timeout, roots=self._tsa_roots,
        )  # fmt: skip
        with self.writing():
            save_stamps(self.db, capture_id, stamps, requested_at)
        return [
            {"tsa": s.tsa_url, "status": s.status, "gen_time": s.gen_time, "error": s.error}
            for s in stamps
        ]

    def recorder_file(self) -> str | None:
        if self.recorder.path is None:
            return None
        path = self.recorder.path.resolve()
        base = self.settings.db_path.resolve().parent
        return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


# -- small pure helpers -------------------------------------------------------


def post_from_article(ref: PostRef, embed: Embed, *, reason: str) -> Post:
    """A post known only from the article's copy: what the article showed, marked as such."""
    name, handle = split_author(embed.article_author)
    return Post(
        platform=ref.platform, post_id=ref.post_id, url=ref.url,
        author_handle=handle or ref.handle, author_name=name, text=embed.article_text,
        created_at=parse_display_date(embed.article_date), status=POST_UNAVAILABLE,
        status_reason=f"recorded from the article's copy; the platform did not answer: {reason}",
        source="article",
    )  # fmt: skip


def unavailable_post(ref: PostRef, reason: str) -> Post:
    return Post(
        platform=ref.platform, post_id=ref.post_id, url=ref.url, author_handle=ref.handle,
        status=POST_UNAVAILABLE, status_reason=reason, source=ref.platform,
    )  # fmt: skip


def split_author(author: str | None) -> tuple[str | None, str | None]:
    """'Thomas van Linge (@ThomasVLinge)' -> ('Thomas van Linge', 'ThomasVLinge')."""
    if not author:
        return None, None
    m = re.match(r"^\s*(.*?)\s*\(@([^)]+)\)\s*$", author)
    return (m.group(1) or None, m.group(2)) if m else (author.strip(), None)


def capture_status(post: Post, media: list[tuple[MediaRef, StoredMedia | None, str | None]]) -> str:
    if post.status == POST_DELETED:
        return CAPTURE_DELETED
    if post.source == "article":
        return CAPTURE_PARTIAL
    if post.status == POST_UNAVAILABLE:
        return CAPTURE_UNAVAILABLE
    if post.source == "oembed" or any(stored is None for _, stored, _ in media):
        return CAPTURE_PARTIAL
    return CAPTURE_OK


def embed_status(result: CaptureResult) -> str:
    return {
        CAPTURE_OK: "archived",
        CAPTURE_PARTIAL: "archived",
        CAPTURE_DELETED: "deleted",
        CAPTURE_UNAVAILABLE: "unavailable",
    }.get(result.status, "failed")


def embed_summary(
    embed: Embed, status: str, post_db_id: str | None, error: str | None = None
) -> dict:
    return {
        "position": embed.position, "platform": embed.platform, "post_url": embed.post_url,
        "post_id": post_db_id, "found_by": embed.found_by, "status": status, "error": error,
    }  # fmt: skip


def media_note(ref: MediaRef, stored: StoredMedia) -> str | None:
    """What a user should know about a file that was kept: not what it claimed, or not analysable."""
    expected = {"photo": "image/", "poster": "image/", "card": "image/", "video": "video/"}
    expected["gif"] = "video/"  # X serves animated GIFs as MP4
    wanted = expected.get(ref.type)
    if stored.mime and wanted and not stored.mime.startswith(wanted):
        return f"kept, but it is {stored.mime}, not the {ref.type} the post lists"
    return stored.error


def _media_errors(media: list[tuple[MediaRef, StoredMedia | None, str | None]]) -> str | None:
    # Failed downloads, and notes on kept files (wrong type, not analysable).
    errors = [f"{ref.type} {ref.url}: {error}" for ref, _, error in media if error]
    return "; ".join(errors) or None
