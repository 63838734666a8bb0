"""What each kind of capture writes besides its captures row: a post's, a page's, a media file's.

Each is plain data until `write` puts it in the store, inside the capture's one
transaction (commit.py), and returns the media its manifest lists, per post or page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlite_utils import Database

from archiver.media.download import Downloaded
from archiver.models import Embed, MediaRef, Post, StoredMedia
from archiver.store.changes import what_changed
from archiver.store.queries import post_exists
from archiver.store.writes import (
    save_embed,
    save_media,
    save_page,
    save_page_media,
    save_post,
)

ManifestMedia = list[tuple[str | None, list[Downloaded]]]
"""The media a capture kept, per post or page id: what its manifest lists (evidence.manifests)."""


class CaptureRows(Protocol):
    def write(self, db: Database, capture_id: str) -> ManifestMedia:
        """Write the rows inside the capture's transaction; the media its manifest lists."""
        ...


@dataclass
class PostRows:
    """A post and the post it quotes (quoted first), each with its media."""

    posts: list[tuple[Post, list[Downloaded]]]
    manifest_extra: dict | None = None  # {"render": ...} with --screenshot
    # Filled by write: posts seen before whose content or status moved, and what moved.
    changes: dict[str, list[str]] = field(default_factory=dict)

    def write(self, db: Database, capture_id: str) -> ManifestMedia:
        for post, media in self.posts:
            seen_before = post_exists(db, post.db_id)
            if save_post(db, post, capture_id, media) and seen_before:
                self.changes[post.db_id] = what_changed(db, post.db_id)
        return [(post.db_id, media) for post, media in self.posts]


@dataclass
class EmbedRow:
    """An embed of the page and what became of the post it shows (archived, failed, ...)."""

    embed: Embed
    status: str
    post_db_id: str | None = None
    error: str | None = None


@dataclass
class PageRows:
    """A page: its metadata, its own media (a main image) and its embeds, in order."""

    url: str
    meta: dict
    html_sha256: str | None
    media: list[Downloaded] = field(default_factory=list)
    embeds: list[EmbedRow] = field(default_factory=list)
    manifest_extra: dict | None = None  # {"render": ...} with --screenshot

    def write(self, db: Database, capture_id: str) -> ManifestMedia:
        page_id = save_page(db, capture_id, self.url, self.meta, self.html_sha256)
        save_page_media(db, page_id, capture_id, self.media)
        for row in self.embeds:
            save_embed(db, page_id, row.embed, row.status, row.post_db_id, row.error)
        return [(f"page:{page_id}", self.media)]


@dataclass
class MediaFileRows:
    """A URL that served a media file, kept as it is."""

    url: str
    media: StoredMedia

    def write(self, db: Database, capture_id: str) -> ManifestMedia:
        save_media(db, self.media)
        return [(None, [(MediaRef(self.url, "file"), self.media, None)])]
