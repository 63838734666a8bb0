"""The post path: a post URL -> its platform's adapter -> its media -> one post capture.

The post it quotes is archived with it, in the same capture. When the platform will
not give the post, the article's copy stands in (when it was found in an article), or
the capture records that it is unavailable and why.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from archiver import platforms
from archiver.errors import ArchiveError, StorageError, UnavailableError
from archiver.fetch.client import Fetcher
from archiver.media.download import (
    Downloaded,
    MediaDownloader,
    media_errors,
    media_incomplete,
)
from archiver.media.video_sources import VIDEO_OF_POST
from archiver.models import (
    CAPTURE_DELETED,
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
    Progress,
)
from archiver.pipeline.capture_rows import PostRows
from archiver.pipeline.commit import CaptureRecording
from archiver.pipeline.failures import ErrorLog
from archiver.pipeline.render import RenderStep
from archiver.pipeline.results import CaptureResult
from archiver.platforms.base import PostRef, gone_post, parse_display_date
from archiver.store.eventlog import utc_now
from archiver.store.writes import new_capture_id


@dataclass(frozen=True, kw_only=True)
class PostPath:
    """Archives posts through their platforms' adapters; each post (with its quoted post) one capture."""

    fetcher: Fetcher
    media: MediaDownloader
    writer: CaptureRecording
    operator: str | None  # who archives, as each capture records
    errors: ErrorLog  # the reason a failure records; a bug's traceback
    progress: Progress
    render: RenderStep | None = None  # --screenshot: the post's page as Chromium renders it

    def archive(
        self, asked: str, ref: PostRef, *, embed: Embed | None = None, parent_id: str | None = None
    ) -> CaptureResult:
        """Archive the post `ref` names (asked for as `asked`); a failure is a capture too.

        `embed` is the article's copy when an article embeds it (`parent_id` is the article's capture).
        """
        with self.writer.recording():
            capture = Capture(
                id=new_capture_id(), url=asked, kind="post", platform=ref.platform,
                started_at=utc_now(), parent_id=parent_id, operator=self.operator,
                post_db_id=ref.db_id,
            )  # fmt: skip
            self.progress(f"fetching {ref.url}")
            try:
                return self._keep(capture, self._fetch(ref, embed))
            except StorageError:
                raise  # the archive cannot be written: no row can say so
            except Exception as exc:  # a bug or an unforeseen answer fails this post, not the run
                return self.writer.commit_failure(capture, self.errors.reason(asked, exc))

    def _fetch(self, ref: PostRef, embed: Embed | None) -> Post:
        """The post from its platform; else the article's copy, or a record that it is unavailable."""
        article = embed if embed is not None and embed.article_text else None
        try:
            platform = platforms.platform_named(ref.platform)
            fetch_post = platform.fetch_post if platform else None
            if fetch_post is None:
                raise ArchiveError(
                    f"archiving {ref.platform} posts is not supported yet ({ref.url})"
                )
            return fetch_post(ref, self.fetcher)
        except UnavailableError as exc:
            # The platform says no (login wall, protected): a fact worth recording as such.
            if article is not None:
                return post_from_article(ref, article, reason=str(exc))
            return gone_post(ref, POST_UNAVAILABLE, str(exc), source=ref.platform)
        except ArchiveError as exc:
            if article is None:
                raise
            # The platform would not give it to us; the article's copy is still evidence.
            return post_from_article(ref, article, reason=str(exc))

    def _keep(self, capture: Capture, post: Post) -> CaptureResult:
        """Download the post's media (and its quoted post's), then commit the capture."""
        # The platform may name the post canonically (a Bluesky handle resolves to a DID).
        capture.post_db_id = post.db_id
        media = self.media.download_all(post.media + video_sources(post), found_at=post.url)
        quoted = post.quoted
        quoted_media = self.media.download_all(quoted.media, found_at=quoted.url) if quoted else []
        # The post asked for (not one an article embeds) is also kept as its page shows it.
        shots = None
        if self.render is not None and capture.parent_id is None and post.status == POST_OK:
            shots = self.render.render(post.url)
            media = media + shots.media
        all_media = media + quoted_media
        capture.final_url, capture.source, capture.http_status = (
            post.url,
            post.source,
            post.http_status,
        )
        capture.body_sha256 = (
            hashlib.sha256(post.raw.encode("utf-8")).hexdigest() if post.raw else None
        )
        capture.status = capture_status(post, all_media)
        capture.error = (
            post.status_reason if post.status != POST_OK else capture_notes(post, all_media)
        )
        capture.warc_file = self.writer.warc_file()
        capture.finished_at = utc_now()
        rows = PostRows(([(quoted, quoted_media)] if quoted is not None else []) + [(post, media)])
        rows.manifest_extra = {"render": shots.manifest} if shots is not None else None
        timestamps = self.writer.commit(capture, rows)
        return CaptureResult(
            url=capture.url, status=capture.status, capture_id=capture.id,
            post_ids=[post.db_id] + ([quoted.db_id] if quoted else []),
            media_sha256s=[m.sha256 for _, m, _ in all_media if m is not None],
            error=capture.error, warc_file=capture.warc_file, changed=list(rows.changes),
            changes=rows.changes, timestamps=timestamps,
            post_details={p.db_id: p.details for p in (post, quoted) if p is not None and p.details},
        )  # fmt: skip


def video_sources(post: Post) -> list[MediaRef]:
    """The post's own URL, for yt-dlp to find its video at, when its platform says it has one."""
    platform = platforms.platform_named(post.platform)
    wanted = platform.video_by_ytdlp if platform is not None else None
    if wanted is None or not wanted(post):
        return []
    return [MediaRef(url=post.url, type=VIDEO_OF_POST)]


# -- a post the platform would not give ---------------------------------------------


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


def split_author(author: str | None) -> tuple[str | None, str | None]:
    """'Thomas van Linge (@ThomasVLinge)' -> ('Thomas van Linge', 'ThomasVLinge')."""
    if not author:
        return None, None
    m = re.match(r"^\s*(.*?)\s*\(@([^)]+)\)\s*$", author)
    return (m.group(1) or None, m.group(2)) if m else (author.strip(), None)


def capture_status(post: Post, media: list[Downloaded]) -> str:
    """A post capture's status: deleted, partial (article copy, oEmbed only, a file missing or
    not whole: a live stream), ..."""
    if post.status == POST_DELETED:
        return CAPTURE_DELETED
    if post.source == "article":
        return CAPTURE_PARTIAL
    if post.status == POST_UNAVAILABLE:
        return CAPTURE_UNAVAILABLE
    if post.source == "oembed" or media_incomplete(media):
        return CAPTURE_PARTIAL
    if incomplete(post):
        return CAPTURE_PARTIAL
    return CAPTURE_OK


def incomplete(post: Post) -> str | None:
    """What the platform said it could not give yet (`details["incomplete"]`: media still
    processing), which makes the capture partial although every file it named was kept."""
    said = post.details.get("incomplete") if isinstance(post.details, dict) else None
    return said if isinstance(said, str) and said else None


def capture_notes(post: Post, media: list[Downloaded]) -> str | None:
    """A post capture's error line: what the platform could not give, then failed downloads."""
    notes = [note for note in (incomplete(post), media_errors(media)) if note]
    return "; ".join(notes) or None
