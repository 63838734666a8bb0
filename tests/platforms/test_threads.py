"""Threads: the public page's card (constructed page: no recording exists), else unavailable with the reason.

The real Threads embed markup is covered by tests/test_embeds.py; here the post
page is a constructed one carrying the link-card tags Threads pages serve.
"""

from __future__ import annotations

import hashlib

from factories import jpeg_bytes
from recorded import serve_fixture

POST = "https://www.threads.com/@zuck/post/C8Y0K8UJbGx"


def test_card_gives_text_author_and_image(replay, archive_one):
    serve_fixture(replay, POST, "threads", "threads_post_page_constructed.html")
    photo = jpeg_bytes(seed=95)
    replay.add(
        "https://scontent.cdninstagram.com/v/t51.2885-15/449000000_000000000000000_0000000000000000000_n.jpg",
        photo,
        content_type="image/jpeg",
    )
    result, post, media = archive_one("https://www.threads.net/@zuck/post/C8Y0K8UJbGx")
    assert result.status == "ok", result.error
    assert post["id"] == "threads:C8Y0K8UJbGx"
    assert (post["author_name"], post["author_handle"]) == ("Mark Zuckerberg", "zuck")
    assert post["text"] == "Big day for Threads: 175M monthly actives."
    assert media[0]["sha256"] == hashlib.sha256(photo).hexdigest()


def test_page_without_a_card_is_unavailable(replay, archive_one):
    replay.add(
        POST,
        "<html><head><title>Threads</title></head><body></body></html>",
        content_type="text/html",
    )
    result, post, _ = archive_one(POST)
    assert result.status == "unavailable"
    assert "Threads shows no post without login" in post["status_reason"]


def test_deleted_post_is_404(replay, archive_one):
    replay.add(POST, "<html><title>Threads</title></html>", status=404, content_type="text/html")
    result, post, _ = archive_one(POST)
    assert result.status == "deleted" and post["status"] == "deleted"
