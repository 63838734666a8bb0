"""The post page is the archive's own route: a handful of statements, the same page as before."""

from __future__ import annotations

import asyncio
import re

import pytest
from annotated_archive import build_annotated_archive
from datasette import hookimpl
from datasette.plugins import pm
from markupsafe import escape
from served_archive import ARTICLE_COPY, POST_ID

from annotations import Draft, Target, add_annotation
from archiver.evidence.archived import load_capture
from archiver.evidence.copy_page import citations_for
from archiver.store.connection import open_db
from archiver.store.queries import latest_content_capture
from archiver.web.serve import make_datasette

POST_PAGE = "/archive/posts/x~3A1819675899329130543"


@pytest.fixture
def archive(tmp_path):
    archive = build_annotated_archive(tmp_path)
    db = open_db(archive.settings.db_path)
    photo = Target("media", archive.photo_sha256)
    add_annotation(
        db,
        Target("post", POST_ID),
        Draft("verification", verification="verified", body="Geolocated by two analysts."),
        "al",
    )
    add_annotation(db, photo, Draft("tag", tag="flag-raising"), "al")
    db.close()
    return archive


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def test_the_post_page_runs_at_most_ten_statements(archive, archive_statements):
    ds = make_datasette(archive.settings)
    for _ in range(3):  # open the connections of Datasette's SQL threads (their pragmas)
        get(ds, POST_PAGE)
    # Each request counted alone; the fewest is the page's own. A loaded machine can add a
    # connection's pragmas or Datasette's schema check to a request, never take one away.
    counts = []
    for _ in range(3):
        archive_statements.clear()
        page = get(ds, POST_PAGE)
        statements = [s for s in archive_statements if not s.startswith("--")]
        counts.append((len(statements), statements))
    fewest, statements = min(counts, key=lambda c: c[0])

    assert page.status_code == 200
    html = page.text
    # All of it: text, media, the article's copy, annotations of the post and of its photo,
    # the citations, captures, versions and similar posts.
    assert "over the regional command in #Lashio." in html and ARTICLE_COPY in html
    assert f'<img src="/-/media/{archive.photo_sha256}"' in html
    assert "archiver-verification-verified" in html and "flag-raising" in html
    assert "Cite this post" in html and "The same media elsewhere (2)" in html
    assert 'name="csrftoken"' not in html  # an anonymous reader gets no form
    assert 0 < fewest <= 10, "\n".join(s[:120] for s in statements)


def test_the_post_pages_citations_are_those_of_its_latest_capture_read_whole(archive):
    db = open_db(archive.settings.db_path)
    capture_id = latest_content_capture(db, POST_ID)
    whole = citations_for(load_capture(db, capture_id), "http://localhost")
    db.close()

    html = get(make_datasette(archive.settings), POST_PAGE).text

    assert f"Cites capture <code>{capture_id}</code>" in html
    shown = re.findall(r'<textarea class="archiver-cite-plain"[^>]*>(.*?)</textarea>', html, re.S)
    assert shown == [str(escape(c["text"])) for c in whole]


def test_other_rows_and_the_posts_json_stay_datasettes(archive):
    ds = make_datasette(archive.settings)
    as_json = get(ds, POST_PAGE + ".json?_shape=objects")
    assert as_json.json()["rows"][0]["id"] == POST_ID
    capture = get(ds, "/archive/posts.json?_shape=objects&id=" + POST_ID).json()["rows"][0]
    row_page = get(ds, "/archive/captures/" + capture["last_capture_id"])
    assert row_page.status_code == 200 and "Links from other tables" in row_page.text
    assert get(ds, "/archive/posts/x~3A404").status_code == 404


class PostsForAnalystsOnly:
    """A permission plugin hiding the posts table from anonymous readers."""

    __name__ = "test_posts_for_analysts_only"

    @hookimpl
    def permission_allowed(self, actor, action, resource):
        if action == "view-table" and resource == ("archive", "posts") and not actor:
            return False
        return None


def test_the_post_page_keeps_datasettes_permissions(archive):
    pm.register(PostsForAnalystsOnly(), name="test-posts-for-analysts-only")
    try:
        ds = make_datasette(archive.settings)
        assert get(ds, POST_PAGE).status_code == 403
        analyst = {"ds_actor": ds.sign({"a": {"id": "alice"}}, "actor")}
        page = asyncio.run(ds.client.get(POST_PAGE, cookies=analyst))
    finally:
        pm.unregister(name="test-posts-for-analysts-only")
    assert page.status_code == 200 and ARTICLE_COPY in page.text
    assert page.text.count('name="csrftoken"') >= 2  # the annotation forms, for a signed-in actor
