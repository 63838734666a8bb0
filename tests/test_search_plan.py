"""A search matching much of the archive is planned differently and answers the same."""

from __future__ import annotations

import asyncio

import pytest
from annotated_archive import build_annotated_archive

from archiver.store import search_plan
from archiver.web.serve import make_datasette

SEARCHES = [
    "_search=flag",
    "_search=flag&_sort=created_at",
    "_search=flag&_sort_desc=created_at&_size=1",
    "_search=flag&_sort=author_handle",
    "_search=the&platform=x",
    "_search=flag+picture",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_annotated_archive(tmp_path_factory.mktemp("search"))


def answer(ds, query: str) -> dict:
    path = f"/archive/posts.json?{query}&_shape=objects"
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_broad_search_answers_as_a_narrow_one_does(archive, monkeypatch, archive_statements):
    narrow = make_datasette(archive.settings)
    expected = {query: answer(narrow, query) for query in SEARCHES}
    archive_statements.clear()
    monkeypatch.setattr(search_plan, "BROAD_MATCHES", 1)  # every search here is broad
    broad = make_datasette(archive.settings)

    for query in SEARCHES:
        got = answer(broad, query)
        want = expected[query]
        assert [r["id"] for r in got["rows"]] == [r["id"] for r in want["rows"]], query
        assert (
            got["filtered_table_rows_count"] == want["filtered_table_rows_count"]
            and got["next_url"] == want["next_url"]
        ), query

    assert [r["id"] for r in expected["_search=flag"]["rows"]] == [
        "x:2000000000000000001",
        "x:1819675899329130543",
    ]  # newest first, as the posts table is ordered
    walked = [s for s in archive_statements if "+rowid in (select rowid from posts_fts" in s]
    assert any("order by created_at desc" in s for s in walked)
    assert not any("order by author_handle" in s for s in walked)  # no index to walk
    # The count of a search alone comes from the full-text index.
    assert "select count(*) from posts_fts where posts_fts match escape_fts('flag')" in (
        archive_statements
    )


def test_a_broad_search_lists_its_facets_as_timed_out(archive, monkeypatch):
    narrow = make_datasette(archive.settings)
    assert set(answer(narrow, "_search=flag")["facet_results"]) == {
        "platform",
        "author_handle",
        "status",
    }
    monkeypatch.setattr(search_plan, "BROAD_MATCHES", 1)
    walked = make_datasette(archive.settings)
    assert set(answer(walked, "_search=flag")["facet_results"]) == {
        "platform",
        "author_handle",
        "status",
    }  # walking the rows leaves the facets be
    monkeypatch.setattr(search_plan, "FACETS_UP_TO", 1)
    broad = make_datasette(archive.settings)
    assert answer(broad, "_search=flag")["facet_results"] == {}
    page = asyncio.run(broad.client.get("/archive/posts?_search=flag")).text
    assert "These facets timed out: platform, author_handle, status" in page
    assert "x:2000000000000000001" in page and "x:1819675899329130543" in page


def test_a_malformed_search_is_answered_as_before(archive, monkeypatch):
    path = '/archive/posts.json?_search="unclosed&_searchmode=raw'
    before = asyncio.run(make_datasette(archive.settings).client.get(path))
    monkeypatch.setattr(search_plan, "BROAD_MATCHES", 1)
    after = asyncio.run(make_datasette(archive.settings).client.get(path))
    assert after.status_code == before.status_code == 400
    assert after.json()["error"] == before.json()["error"] == "unterminated string"
