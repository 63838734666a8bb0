"""What the platform tests share: archive one URL and read back its post and media."""

from __future__ import annotations

import pytest

from archiver.pipeline.archive import Archiver


@pytest.fixture
def archive_one(settings):
    """archive_one(url) -> (CaptureResult, the first post's row or None, every post_media row)."""

    def run(url: str, *, with_settings=None):
        with Archiver(with_settings or settings) as archiver:
            result = archiver.archive(url)
            post = archiver.db["posts"].get(result.post_ids[0]) if result.post_ids else None
            media = list(archiver.db.query("select * from post_media order by post_id, position"))
        return result, post, media

    return run
