"""The pipeline: URL or article -> embeds -> platform adapter -> media -> store.

Adapters and discovery never touch the database; this module does, one
transaction per post, so a killed run leaves whole posts or none. Errors are
per URL: one failure is reported and the rest are still archived.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import platforms
from .blobstore import BlobStore
from .embeds import discover_embeds
from .errors import ArchiveError, FetchError, UnavailableError
from .fetch import Fetched, Fetcher, check_url
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
    post_exists,
    save_capture,
    save_embed,
    save_media,
    save_page,
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

    @property
    def failed(self) -> bool:
        return self.status == CAPTURE_ERROR

    def to_json(self) -> dict:
        return asdict(self)


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
        """One write transaction at a time across this session's threads."""
        with self._db_lock, transaction(self.db):
            yield

    def has_post(self, post_db_id: str) -> bool:
        with self._db_lock:
            return post_exists(self.db, post_db_id)

    def archive_many(
        self, targets: Iterable[str], *, skip_archived: bool = False, concurrency: int | None = None
    ) -> Iterator[CaptureResult]:
        """Archive every target, `concurrency` at a time; results come as each one finishes."""
        workers = concurrency or self.settings.concurrency
        targets = list(targets)
        if workers <= 1 or len(targets) <= 1:
            for target in targets:
                yield self.archive(target, skip_archived=skip_archived)
            return
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
        check_url(target)
        ref = platforms.identify(target)
        if ref is None:
            return self._archive_page(target)
        if skip_archived and self.has_post(ref.db_id):
            return CaptureResult(url=target, status=SKIPPED, post_ids=[ref.db_id])
        return self._archive_post(target, ref)

    # -- posts --------------------------------------------------------------

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
        saved = [(post.quoted, quoted_media)] if post.quoted is not None else []
        with self.writing():
            save_capture(self.db, capture)
            for item, item_media in [*saved, (post, media)]:
                seen_before = post_exists(self.db, item.db_id)
                if save_post(self.db, item, capture.id, item_media) and seen_before:
                    changed.append(item.db_id)
        sha256s = [m.sha256 for _, m, _ in media + quoted_media if m is not None]
        post_ids = [post.db_id] + ([post.quoted.db_id] if post.quoted else [])
        return CaptureResult(
            url=asked, status=capture.status, capture_id=capture.id, post_ids=post_ids,
            media_sha256s=sha256s, error=capture.error, warc_file=capture.warc_file, changed=changed,
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

    def _download_all(self, post: Post) -> list[tuple[MediaRef, StoredMedia | None, str | None]]:
        results = []
        for ref in post.media:
            self.progress(f"downloading {ref.type} {ref.url}")
            try:
                results.append((ref, self._download(ref.url), None))
            except ArchiveError as exc:
                results.append((ref, None, str(exc)))
        return results

    def _download(self, url: str) -> StoredMedia:
        with self.fetcher.get_ok(url, max_bytes=self.settings.max_response_bytes) as fetched:
            return self._keep_media(fetched, url)

    def _keep_media(self, fetched: Fetched, url: str) -> StoredMedia:
        """Move a downloaded body into the blob store under its hash and analyse it once."""
        sha256 = fetched.body_sha256
        final = self.blobs.path_for(sha256)
        if final.exists():
            fetched.close()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(fetched.body_path, final)
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

    def _archive_page(self, url: str) -> CaptureResult:
        self.progress(f"fetching page {url}")
        started = utc_now()
        with self.fetcher.get(url) as fetched:
            if not fetched.ok:
                raise FetchError(
                    f"HTTP {fetched.status} from {fetched.final_url}",
                    url=url,
                    status=fetched.status,
                )
            if fetched.content_type.startswith(("image/", "video/", "audio/")):
                return self._archive_media_url(url, fetched, started)
            capture = Capture(
                id=new_capture_id(), url=url, kind="page", final_url=fetched.final_url, started_at=started,
                http_status=fetched.status, source="http", operator=self.settings.author,
            )  # fmt: skip
            return self._archive_page_document(
                capture, fetched.read(), fetched.text(), fetched.content_type
            )

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
        return CaptureResult(
            url=url, status=CAPTURE_OK, kind="media", capture_id=capture.id,
            media_sha256s=[media.sha256], warc_file=capture.warc_file,
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
        embeds = discover_embeds(
            document, capture.final_url, content_type="text/html" if is_html else "text/plain"
        )
        self.progress(f"found {len(embeds)} embedded post(s) in {capture.url}")
        meta = page_metadata(document, is_html=is_html)
        with self.writing():
            save_capture(self.db, capture)
            page_id = save_page(self.db, capture.id, capture.final_url, meta, capture.body_sha256)
        result = CaptureResult(
            url=capture.url, status=CAPTURE_OK, kind="page", capture_id=capture.id
        )
        for embed in embeds:
            result.embeds.append(self._archive_embed(page_id, capture.id, embed, result))
        if any(e["status"] in ("failed", "unresolved") for e in result.embeds):
            result.status = CAPTURE_PARTIAL
        result.warc_file = self.recorder_file()
        return result

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
        post_db_id = ref.db_id if post_result.post_ids else None
        with self.writing():
            save_embed(self.db, page_id, embed, status, post_db_id, post_result.error)
        result.post_ids.extend(post_result.post_ids)
        result.media_sha256s.extend(post_result.media_sha256s)
        return embed_summary(embed, status, post_db_id, post_result.error)

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


def _media_errors(media: list[tuple[MediaRef, StoredMedia | None, str | None]]) -> str | None:
    errors = [f"{ref.type} {ref.url}: {error}" for ref, stored, error in media if stored is None]
    return "; ".join(errors) or None
