"""An article's embeds: each resolved to the post it shows, archived through the post path (or
linked, when that post is archived already). Nothing here writes the page: the outcomes go
into the page capture, which commits after its last embed (page.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archiver.errors import StorageError
from archiver.fetch.client import Fetcher
from archiver.models import (
    CAPTURE_DELETED,
    CAPTURE_OK,
    CAPTURE_PARTIAL,
    CAPTURE_UNAVAILABLE,
    Capture,
    Embed,
    Progress,
)
from archiver.pipeline.capture_rows import EmbedRow
from archiver.pipeline.failures import ErrorLog
from archiver.pipeline.post import PostPath
from archiver.pipeline.resolve import resolve_embed
from archiver.pipeline.results import CaptureResult

UNRESOLVED = "no link in the article leads to the post"


@dataclass
class EmbedOutcome:
    """What became of one embed: its row in the page capture and what its post capture kept."""

    row: EmbedRow
    post_ids: list[str] = field(default_factory=list)  # the post, and the post it quotes
    media_sha256s: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Its entry in CaptureResult.embeds (`--json`)."""
        embed = self.row.embed
        return {
            "position": embed.position, "platform": embed.platform, "post_url": embed.post_url,
            "post_id": self.row.post_db_id, "found_by": embed.found_by, "status": self.row.status,
            "error": self.row.error,
        }  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class EmbedPath:
    """Archives the post each embed shows, through the post path."""

    fetcher: Fetcher
    posts: PostPath
    archived: Callable[[str], bool]  # the post (by id) is in the archive already
    errors: ErrorLog  # the reason a failure records; a bug's traceback
    progress: Progress

    def archive_all(
        self, embeds: list[Embed], page: Capture
    ) -> tuple[list[EmbedOutcome], str | None]:
        """Each embed archived in turn while the URL's budget lasts, the rest recorded as not
        archived; and a note saying how many were left out and why (None if none was)."""
        budget = self.fetcher.current_budget()
        outcomes: list[EmbedOutcome] = []
        left_out, why = 0, None
        for embed in embeds:
            why = budget.spent() if budget is not None else None
            if why is None:
                outcomes.append(self.archive(embed, page))
                continue
            left_out += 1
            outcomes.append(EmbedOutcome(EmbedRow(embed, "failed", None, f"not archived: {why}")))
        if not left_out:
            return outcomes, None
        return outcomes, f"{left_out:,} of {len(embeds):,} embedded posts not archived: {why}"

    def archive(self, embed: Embed, page: Capture) -> EmbedOutcome:
        """Archive the post `embed` shows (its own capture, child of `page`), or link it if kept already.

        Whatever fails here fails this embed (its row says why), never the article.
        """
        try:
            ref = resolve_embed(embed, self.fetcher, self.progress, found_at=page.final_url)
            if ref is None:
                reason = embed.unresolved_reason or UNRESOLVED
                return EmbedOutcome(EmbedRow(embed, "unresolved", None, reason))
            # A public article may not send us into a private network through its embeds.
            self.fetcher.check_named(page.final_url, ref.url)
        except StorageError:
            raise
        except Exception as exc:
            reason = self.errors.reason(embed.post_url or page.final_url or page.url, exc)
            return EmbedOutcome(EmbedRow(embed, "failed", None, reason))
        if self.archived(ref.db_id):
            # Already archived: link the article's copy to it rather than fetch again.
            return EmbedOutcome(EmbedRow(embed, "archived", ref.db_id), post_ids=[ref.db_id])
        with self.fetcher.found_on(page.final_url):
            result = self.posts.archive(
                embed.post_url or ref.url, ref, embed=embed, parent_id=page.id
            )
        post_db_id = result.post_ids[0] if result.post_ids else None
        return EmbedOutcome(
            EmbedRow(embed, embed_status(result), post_db_id, result.error),
            post_ids=result.post_ids,
            media_sha256s=result.media_sha256s,
        )


def embed_status(result: CaptureResult) -> str:
    """An embed's status from its post's capture: archived, deleted, unavailable or failed."""
    return {
        CAPTURE_OK: "archived",
        CAPTURE_PARTIAL: "archived",
        CAPTURE_DELETED: "deleted",
        CAPTURE_UNAVAILABLE: "unavailable",
    }.get(result.status, "failed")
