"""A small archive written through archiver.store, for the Datasette tests: one ordinary post, one hostile."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from factories import jpeg_bytes, mp4_bytes, photo

from archiver.media.blobstore import BlobStore
from archiver.models import POST_DELETED, Capture, Embed, MediaRef, Post, StoredMedia
from archiver.settings import Settings
from archiver.store.connection import open_db
from archiver.store.transaction import transaction
from archiver.store.writes import new_capture_id, save_capture, save_embed, save_page, save_post

POST_ID = "x:1819675899329130543"
HOSTILE_ID = "x:666"
ARTICLE_URL = "https://news.example/2024/08/lashio"
POST_TEXT = "MNDAA forces raise their flag over the regional command in #Lashio.\nSecond line."
ARTICLE_COPY = (
    "MNDAA forces raise their flag over the Northeastern command #Lashio pic.twitter.com/ZY8SlS26sJ"
)
HOSTILE_MARKUP = (
    "<script>alert(1)</script>\n"
    "<img src=x onerror=alert(1)>\n"
    '<a href="javascript:alert(1)">click</a> javascript:alert(1)\n'
    '"><svg onload=alert(1)>\n'
)
HOSTILE_TEXT = HOSTILE_MARKUP + "A" * 1_000_000
HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
    b"<script>alert(2)</script></svg>"
)


@dataclass
class ServedArchive:
    settings: Settings
    photo_sha256: str
    photo_bytes: bytes
    video_sha256: str
    video_bytes: bytes
    svg_sha256: str


def stored(sha256: str, path: Path, root: Path, **fields) -> StoredMedia:
    return StoredMedia(
        sha256=sha256, bytes=path.stat().st_size, blob_path=str(path.relative_to(root)), **fields
    )


def build_served_archive(root: Path) -> ServedArchive:
    settings = Settings(db_path=root / "archive.db", blobs_dir=root / "blobs")
    blobs = BlobStore(settings.blobs_dir)

    photo_bytes = jpeg_bytes(seed=3, size=(480, 270))
    photo_sha, photo_path = blobs.put_bytes(photo_bytes)
    thumb = (
        settings.blobs_dir / "thumbs" / photo_sha[:2] / f"{photo_sha}.jpg"
    )  # as archiver.media lays them out
    thumb.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    photo(seed=3, size=(160, 90)).save(out, "JPEG")
    thumb.write_bytes(out.getvalue())
    video_bytes = mp4_bytes(mdat_size=300_000)
    video_sha, video_path = blobs.put_bytes(video_bytes)
    svg_sha, svg_path = blobs.put_bytes(HOSTILE_SVG)

    photo_media = stored(
        photo_sha, photo_path, settings.blobs_dir, mime="image/jpeg", width=480, height=270,
        phash="c3c3c3c33c3c3c3c", dhash="0f0f0f0ff0f0f0f0", pdq="ab" * 32, pdq_quality=93,
        exif={"Make": "Canon", "Model": "<b>EOS</b>"}, thumbnail_path=str(thumb.relative_to(settings.blobs_dir)),
        first_url="https://pbs.twimg.com/media/GUDemoLashioFlag.jpg",
    )  # fmt: skip
    video_media = stored(
        video_sha, video_path, settings.blobs_dir, mime="video/mp4", width=886, height=546
    )
    svg_media = stored(svg_sha, svg_path, settings.blobs_dir, mime="image/svg+xml")

    db = open_db(settings.db_path)
    with transaction(db):
        page_capture = Capture(
            id=new_capture_id(), url=ARTICLE_URL, kind="page", started_at="2024-08-04T09:00:00Z"
        )
        save_capture(db, page_capture)
        page_id = save_page(
            db, page_capture.id, ARTICLE_URL,
            {"title": "Rebels take Lashio <script>alert(1)</script>", "site_name": "News Example", "text": "Article body"},
            "0" * 64,
        )  # fmt: skip

    post = Post(
        platform="x", post_id="1819675899329130543", url="https://twitter.com/ThomasVLinge/status/1819675899329130543",
        author_handle="ThomasVLinge", author_name="Thomas van Linge", text=POST_TEXT,
        created_at="2024-08-03T10:05:17Z", lang="en", raw='{"id_str": "1819675899329130543"}', source="syndication",
        media=[MediaRef(url=photo_media.first_url, type="photo"), MediaRef(url="https://video.twimg.com/v.mp4", type="video")],
    )  # fmt: skip
    hostile = Post(
        platform="x", post_id="666", url="javascript:alert(1)", author_handle="<script>alert(1)</script>",
        author_name='"><img src=x onerror=alert(1)>', text=HOSTILE_TEXT, created_at="2024-08-05T00:00:00Z",
        raw='{"text": "<script>alert(1)</script>"}', source="syndication",
        media=[MediaRef(url="javascript:alert(1)", type="photo", alt_text='"><script>alert(1)</script>')],
    )  # fmt: skip
    for item, media in [
        (post, [(post.media[0], photo_media, None), (post.media[1], video_media, None)]),
        (hostile, [(hostile.media[0], svg_media, None)]),
    ]:
        capture = Capture(
            id=new_capture_id(), url=item.url, final_url=item.url, kind="post", platform="x",
            started_at="2024-08-04T09:00:01Z", finished_at="2024-08-04T09:00:02Z", source="syndication",
            warc_file="archiver-20240804.warc.gz", parent_id=page_capture.id, post_db_id=item.db_id,
        )  # fmt: skip
        with transaction(db):
            save_capture(db, capture)
            save_post(db, item, capture.id, media)

    # The hostile post is then found deleted.
    with transaction(db):
        gone = Capture(id=new_capture_id(), url=hostile.url, final_url=hostile.url, kind="post", platform="x",
                       started_at="2024-08-06T00:00:00Z", status="deleted", post_db_id=hostile.db_id)  # fmt: skip
        save_capture(db, gone)
        hostile.status, hostile.status_reason = POST_DELETED, "Tweet <b>removed</b>"
        save_post(db, hostile, gone.id, [])

    with transaction(db):
        for position, (item, copy) in enumerate([(post, ARTICLE_COPY), (hostile, HOSTILE_MARKUP)]):
            embed = Embed(
                platform="x", found_by="blockquote", post_url=item.url, post_id=item.post_id,
                article_text=copy, article_author="Thomas van Linge (@ThomasVLinge)",
                article_date="August 3, 2024", position=position,
            )  # fmt: skip
            save_embed(db, page_id, embed, "archived", item.db_id, None)
    db.close()
    return ServedArchive(settings, photo_sha, photo_bytes, video_sha, video_bytes, svg_sha)
