"""Archiving what is not a post: an article URL, a local article file, or a URL serving a media file.

A page's bytes go to the blob store, then every post it embeds is archived as a
capture of its own (the page's capture is its parent, committed as it finishes),
and last the page capture commits whole, in one transaction: its row, its page,
page_media and embeds rows, its WARC record index and its manifest. A killed run
leaves the page capture whole or absent. A page that embeds no post keeps its link
card and its main image instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from archiver.discovery.embeds import discover_embeds
from archiver.errors import ArchiveError, FetchError, StorageError
from archiver.fetch.exchange import Fetched
from archiver.media.download import Downloaded, media_errors
from archiver.models import (
    CAPTURE_DELETED,
    CAPTURE_OK,
    CAPTURE_PARTIAL,
    CAPTURE_UNAVAILABLE,
    Capture,
    Embed,
    MediaRef,
)
from archiver.pipeline.inputs import content_type_for, read_local
from archiver.pipeline.resolve import resolve_embed
from archiver.pipeline.results import CaptureResult
from archiver.platforms.pages import looks_like_html, page_metadata
from archiver.store.eventlog import utc_now
from archiver.store.writes import (
    new_capture_id,
    save_capture,
    save_embed,
    save_media,
    save_page,
    save_page_media,
)

if TYPE_CHECKING:
    from archiver.pipeline.archive import Archiver

UNRESOLVED = "no link in the article leads to the post"


def archive_page(session: Archiver, url: str) -> CaptureResult:
    """Fetch a URL that names no post; keep the page and its embedded posts, or the media file."""
    with session.collecting_records():
        session.progress(f"fetching page {url}")
        started = utc_now()
        try:
            fetched = session.fetcher.get(url)
        except StorageError:
            raise
        except ArchiveError as exc:
            return _page_failed(session, url, started, exc)
        with fetched:
            if not fetched.ok:
                failure = FetchError(
                    f"HTTP {fetched.status} from {fetched.final_url}",
                    url=url,
                    status=fetched.status,
                )
                return _page_failed(session, url, started, failure, fetched.final_url)
            if fetched.content_type.startswith(("image/", "video/", "audio/")):
                return _archive_media_url(session, url, fetched, started)
            capture = Capture(
                id=new_capture_id(), url=url, kind="page", final_url=fetched.final_url, started_at=started,
                http_status=fetched.status, source="http", operator=session.settings.author,
            )  # fmt: skip
            return _archive_document(
                session, capture, fetched.read(), fetched.text(), fetched.content_type
            )


def archive_local_file(session: Archiver, asked: str, path: Path) -> CaptureResult:
    """Keep an article saved as a local file (.html, .txt) and archive the posts it embeds."""
    with session.collecting_records():
        data = read_local(path)
        capture = Capture(
            id=new_capture_id(), url=asked, kind="page", final_url=path.resolve().as_uri(),
            started_at=utc_now(), source="file", operator=session.settings.author,
        )  # fmt: skip
        return _archive_document(
            session, capture, data, data.decode("utf-8", errors="replace"), content_type_for(path)
        )


def _page_failed(
    session: Archiver, url: str, started: str, error: ArchiveError, final_url: str | None = None
) -> CaptureResult:
    """Record that the page could not be fetched (when, and what came back), as for posts."""
    capture = Capture(
        id=new_capture_id(), url=url, kind="page", final_url=final_url, started_at=started,
        http_status=getattr(error, "status", None), source="http", operator=session.settings.author,
    )  # fmt: skip
    return session.record_failure(capture, str(error))


def _archive_media_url(
    session: Archiver, url: str, fetched: Fetched, started: str
) -> CaptureResult:
    media = session.media.keep(fetched, url)
    capture = Capture(
        id=new_capture_id(), url=url, kind="media", final_url=fetched.final_url, started_at=started,
        finished_at=utc_now(), http_status=fetched.status, body_sha256=media.sha256,
        warc_file=session.recorder_file(), operator=session.settings.author,
    )  # fmt: skip
    with session.writing():
        save_capture(session.db, capture)
        save_media(session.db, media)
        manifest = session.save_evidence(capture, [(None, [(MediaRef(url, "file"), media, None)])])
    return CaptureResult(
        url=url, status=CAPTURE_OK, kind="media", capture_id=capture.id,
        media_sha256s=[media.sha256], warc_file=capture.warc_file,
        timestamps=session.stamp(capture.id, manifest),
    )  # fmt: skip


def _archive_document(
    session: Archiver, capture: Capture, body: bytes, document: str, content_type: str
) -> CaptureResult:
    """Keep the page's bytes, archive every post it embeds, then commit the page capture."""
    is_html = content_type != "text/plain" and (
        content_type in ("text/html", "application/xhtml+xml") or looks_like_html(document)
    )
    capture.body_sha256, _ = session.blobs.put_bytes(body)
    capture.finished_at = utc_now()
    capture.warc_file = session.recorder_file() if capture.source == "http" else None
    if len(body) > session.settings.max_parse_bytes:
        return _archive_unparsed(session, capture, len(body))
    embeds = discover_embeds(
        document, capture.final_url, content_type="text/html" if is_html else "text/plain"
    )
    session.progress(f"found {len(embeds)} embedded post(s) in {capture.url}")
    meta = page_metadata(document, is_html=is_html, url=capture.final_url)
    # A page that embeds no post is kept for itself: its link card and its main image.
    page_media = _main_image(session, meta["image_url"], capture.final_url) if not embeds else []
    if any(stored is None for _, stored, _ in page_media):
        capture.status, capture.error = CAPTURE_PARTIAL, media_errors(page_media)
    result = CaptureResult(
        url=capture.url, status=capture.status, kind="page", capture_id=capture.id,
        media_sha256s=[m.sha256 for _, m, _ in page_media if m is not None], error=capture.error,
    )  # fmt: skip
    embed_rows = [_archive_embed(session, capture, embed, result) for embed in embeds]
    result.embeds = [
        embed_summary(embed, *row) for embed, row in zip(embeds, embed_rows, strict=True)
    ]
    if any(e["status"] in ("failed", "unresolved") for e in result.embeds):
        result.status = CAPTURE_PARTIAL
    result.warc_file = session.recorder_file()
    # Last, so the page's record includes the short-link hops made while resolving embeds.
    with session.writing():
        save_capture(session.db, capture)
        page_id = save_page(session.db, capture.id, capture.final_url, meta, capture.body_sha256)
        save_page_media(session.db, page_id, capture.id, page_media)
        for embed, row in zip(embeds, embed_rows, strict=True):
            save_embed(session.db, page_id, embed, *row)
        manifest = session.save_evidence(capture, [(f"page:{page_id}", page_media)])
    result.timestamps = session.stamp(capture.id, manifest)
    return result


def _archive_unparsed(session: Archiver, capture: Capture, size: int) -> CaptureResult:
    """Keep a page too large to parse safely: its bytes and WARC records, not its embeds."""
    capture.status = CAPTURE_PARTIAL
    capture.error = (
        f"the page is {size:,} bytes; embedded posts and metadata are only read from pages "
        f"up to {session.settings.max_parse_bytes:,} bytes (its bytes are kept)"
    )
    with session.writing():
        save_capture(session.db, capture)
        save_page(session.db, capture.id, capture.final_url, {}, capture.body_sha256)
        session.save_evidence(capture, [])
    return CaptureResult(
        url=capture.url, status=CAPTURE_PARTIAL, kind="page", capture_id=capture.id,
        error=capture.error, warc_file=capture.warc_file,
    )  # fmt: skip


def _main_image(session: Archiver, url: str | None, page_url: str) -> list[Downloaded]:
    if not url or not url.lower().startswith(("http://", "https://")):
        return []
    return session.media.download_all([MediaRef(url=url, type="image")], found_at=page_url)


def _archive_embed(
    session: Archiver, page: Capture, embed: Embed, result: CaptureResult
) -> tuple[str, str | None, str | None]:
    """Archive the post an embed shows, or link it when already archived; its row's status, post, error."""
    ref = resolve_embed(embed, session.fetcher, session.progress, found_at=page.final_url)
    if ref is None:
        return "unresolved", None, UNRESOLVED
    try:
        # A public article may not send us into a private network through its embeds.
        session.fetcher.check_named(page.final_url, ref.url)
    except FetchError as exc:
        return "failed", None, str(exc)
    if session.has_post(ref.db_id):
        # Already archived: link the article's copy to it rather than fetch again.
        result.post_ids.append(ref.db_id)
        return "archived", ref.db_id, None
    with session.fetcher.found_on(page.final_url):
        post_result = session.archive_post(
            embed.post_url or ref.url, ref, embed=embed, parent_id=page.id
        )
    result.post_ids.extend(post_result.post_ids)
    result.media_sha256s.extend(post_result.media_sha256s)
    post_db_id = post_result.post_ids[0] if post_result.post_ids else None
    return embed_status(post_result), post_db_id, post_result.error


def embed_status(result: CaptureResult) -> str:
    """An embed's status from its post's capture: archived, deleted, unavailable or failed."""
    return {
        CAPTURE_OK: "archived",
        CAPTURE_PARTIAL: "archived",
        CAPTURE_DELETED: "deleted",
        CAPTURE_UNAVAILABLE: "unavailable",
    }.get(result.status, "failed")


def embed_summary(
    embed: Embed, status: str, post_db_id: str | None, error: str | None = None
) -> dict:
    """One entry of CaptureResult.embeds."""
    return {
        "position": embed.position, "platform": embed.platform, "post_url": embed.post_url,
        "post_id": post_db_id, "found_by": embed.found_by, "status": status, "error": error,
    }  # fmt: skip
