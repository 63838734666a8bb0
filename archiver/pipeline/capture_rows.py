"""What each kind of capture writes besides its captures row: a post's, a page's, a media file's.

Each is plain data until `write` puts it in the store, inside the capture's one
transaction (commit.py), and returns the media its manifest lists, per post or page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlite_utils import Database

from archiver.media.blobstore import blob_relpath
from archiver.media.download import Downloaded
from archiver.models import Capture, Embed, MediaRef, Post, StoredMedia
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


@dataclass(frozen=True)
class NamedFile:
    """A file a capture's rows name: where it is in the blob store and what it must hash to."""

    relpath: str  # sha256/ab/cd/<sha256>, or a thumbnail's path
    sha256: str


def capture_files(capture: Capture, rows: CaptureRows | None) -> dict[str, NamedFile]:
    """Every blob and thumbnail a capture and its rows name (a page's body included), by relpath."""
    named: dict[str, NamedFile] = {}
    if capture.kind == "page" and capture.body_sha256:
        relpath = blob_relpath(capture.body_sha256)
        named[relpath] = NamedFile(relpath, capture.body_sha256)
    for stored in stored_media(rows):
        named[stored.blob_path] = NamedFile(stored.blob_path, stored.sha256)
        if stored.thumbnail_path and stored.thumbnail_sha256:
            named[stored.thumbnail_path] = NamedFile(stored.thumbnail_path, stored.thumbnail_sha256)
    return named


def stored_media(rows: CaptureRows | None) -> list[StoredMedia]:
    """The files a capture's rows keep (failed downloads have none)."""
    kept: ManifestMedia = []
    if isinstance(rows, PostRows):
        kept = [(post.db_id, media) for post, media in rows.posts]
    elif isinstance(rows, PageRows):
        kept = [(None, rows.media)]
    elif isinstance(rows, MediaFileRows):
        return [rows.media]
    return [stored for _, media in kept for _, stored, _ in media if stored is not None]
