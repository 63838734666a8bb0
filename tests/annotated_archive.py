"""The served test archive plus posts that reuse its photo: the same file, and a near duplicate."""

from __future__ import annotations

from factories import jpeg_bytes
from served_archive import ServedArchive, build_served_archive

from archiver.media.blobstore import BlobStore
from archiver.models import Capture, MediaRef, Post, StoredMedia
from archiver.store.connection import open_db
from archiver.store.transaction import transaction
from archiver.store.writes import new_capture_id, save_capture, save_post

REPOST_ID = "x:2000000000000000001"  # the very same photo file
NEAR_ID = "x:2000000000000000002"  # a re-encoded copy: other bytes, pHash 2 bits away
UNRELATED_ID = "x:2000000000000000003"  # a different picture


def build_annotated_archive(root) -> ServedArchive:
    archive = build_served_archive(root)
    blobs = BlobStore(archive.settings.blobs_dir)
    near_sha, near_path = blobs.put_bytes(jpeg_bytes(seed=3, size=(470, 264)))
    other_sha, other_path = blobs.put_bytes(jpeg_bytes(seed=9, size=(300, 200)))
    root_dir = archive.settings.blobs_dir

    def stored(sha, path, phash, pdq) -> StoredMedia:
        return StoredMedia(
            sha256=sha, bytes=path.stat().st_size, blob_path=str(path.relative_to(root_dir)),
            mime="image/jpeg", phash=phash, pdq=pdq, pdq_quality=90,
        )  # fmt: skip

    same = StoredMedia(
        sha256=archive.photo_sha256,
        bytes=len(archive.photo_bytes),
        mime="image/jpeg",
        blob_path="x",
    )
    near = stored(near_sha, near_path, "c3c3c3c33c3c3c3f", "ab" * 31 + "a8")
    other = stored(other_sha, other_path, "0123456789abcdef", "55" * 32)
    db = open_db(archive.settings.db_path)
    for post_id, handle, text, media in [
        (REPOST_ID, "reposter", "Old flag photo, reposted as new", same),
        (NEAR_ID, "recycler", "The same picture, recompressed", near),
        (UNRELATED_ID, "someone", "Another place entirely", other),
    ]:
        post = Post(
            platform="x", post_id=post_id.split(":")[1], url=f"https://x.com/{handle}/status/{post_id[2:]}",
            author_handle=handle, author_name=handle.title(), text=text,
            created_at="2024-08-06T12:00:00Z", raw="{}", source="syndication",
            media=[MediaRef(url=f"https://pbs.twimg.com/media/{handle}.jpg", type="photo")],
        )  # fmt: skip
        capture = Capture(
            id=new_capture_id(), url=post.url, final_url=post.url, kind="post", platform="x",
            started_at="2024-08-06T13:00:00Z", post_db_id=post.db_id,
        )  # fmt: skip
        with transaction(db):
            save_capture(db, capture)
            save_post(db, post, capture.id, [(post.media[0], media, None)])
    db.close()
    return archive
