"""The served archive: metadata, search, the post page, and the media routes (no network, no browser)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil

import pytest
from markupsafe import escape
from served_archive import (
    ARTICLE_COPY,
    HOSTILE_MARKUP,
    POST_ID,
    build_served_archive,
)

from archiver.store.connection import open_db
from archiver.web import serve
from archiver.web.serve import make_datasette

POST_PAGE = "/archive/posts/x~3A1819675899329130543"
HOSTILE_PAGE = "/archive/posts/x~3A666"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_served_archive(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def ds(archive):
    return make_datasette(archive.settings)


def get(ds, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def analyst(ds) -> dict:
    """The cookies of a signed-in analyst: arbitrary SQL is theirs only."""
    return {"ds_actor": ds.sign({"a": {"id": "alice"}}, "actor")}


def test_titles_and_descriptions_come_from_metadata(ds):
    assert "Evidence archive" in get(ds, "/").text
    posts = get(ds, "/archive/posts").text
    assert "Posts</h1>" in posts
    assert "The current state of each archived post" in posts
    assert "how each was found, and the article" in get(ds, "/archive/embeds").text


def test_search_box_finds_a_post_by_its_text(ds):
    page = get(ds, "/archive/posts?_search=flag")
    assert 'name="_search"' in page.text
    rows = get(ds, "/archive/posts.json?_search=flag&_shape=objects").json()["rows"]
    assert [row["id"] for row in rows] == [POST_ID]


def test_post_page_shows_text_author_media_and_the_articles_copy(ds, archive):
    page = get(ds, POST_PAGE)
    assert page.status_code == 200
    html = page.text
    assert "over the regional command in #Lashio.\nSecond line." in html
    assert "Thomas van Linge" in html and "@ThomasVLinge" in html
    assert f'<img src="/-/media/{archive.photo_sha256}"' in html
    assert archive.photo_sha256 in html and "c3c3c3c33c3c3c3c" in html and "ab" * 32 in html
    assert (
        "(quality 93)" in html
        and "480×270" in html
        and f"{len(archive.photo_bytes):,} bytes" in html
    )
    assert f'<video controls preload="metadata" src="/-/media/{archive.video_sha256}"' in html
    assert ARTICLE_COPY in html and "blockquote" in html and "August 3, 2024" in html
    assert "archiver-20240804.warc.gz" in html
    assert "&lt;b&gt;EOS&lt;/b&gt;" in html  # EXIF, escaped


def test_the_post_page_calls_the_posts_id_post_id_not_archive_id(ds):
    # Citations say "archive id <capture id>": the post's own id must not be called that too.
    html = get(ds, POST_PAGE).text
    assert f"· post id <code>{POST_ID}</code>" in html
    assert not re.search(r"archive id\W+(<code>)?x:", html), "the post id called archive id"
    assert re.search(r"archive id \d{8}T\d{9}Z-", html)  # the citations' capture id


def test_post_page_does_not_depend_on_the_database_name(tmp_path, archive):
    renamed = archive.settings.with_(db_path=tmp_path / "evidence.db")
    renamed.db_path.write_bytes(archive.settings.db_path.read_bytes())
    ds = make_datasette(renamed)
    html = get(ds, "/evidence/posts/x~3A1819675899329130543").text
    assert "archiver-post" in html and ARTICLE_COPY in html
    assert get(ds, f"/-/media/{archive.photo_sha256}").status_code == 200
    # The home page's links to where to start name this database too.
    home = get(ds, "/").text.split("Start with the ")[1].split("</div>")[0]
    links = re.findall(r'<a href="(/[^"]*)">', home)
    assert links == ["/evidence/posts", "/evidence/posts_overview", "/evidence/search", "/-/map"]
    assert all(get(ds, link).status_code == 200 for link in links)


def test_post_redirect_names_no_database(ds):
    response = get(ds, "/-/post/x:666")
    assert response.status_code == 302
    assert response.headers["location"] == HOSTILE_PAGE


def test_media_route_serves_exactly_the_blob(ds, archive):
    response = get(ds, f"/-/media/{archive.photo_sha256}")
    assert response.status_code == 200
    assert response.content == archive.photo_bytes
    assert hashlib.sha256(response.content).hexdigest() == archive.photo_sha256
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == f'"{archive.photo_sha256}"'
    head = asyncio.run(ds.client.head(f"/-/media/{archive.photo_sha256}"))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(archive.photo_bytes))


def test_media_route_answers_range_requests(ds, archive):
    video = archive.video_bytes
    part = get(ds, f"/-/media/{archive.video_sha256}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == video[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(video)}"
    tail = get(ds, f"/-/media/{archive.video_sha256}", headers={"Range": "bytes=-10"})
    assert tail.content == video[-10:]
    past = get(ds, f"/-/media/{archive.video_sha256}", headers={"Range": f"bytes={len(video)}-"})
    assert past.status_code == 416


def test_an_archived_svg_is_served_sandboxed(ds, archive):
    response = get(ds, f"/-/media/{archive.svg_sha256}")
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    "path",
    [
        "/-/media/..%2f..%2farchive.db",
        "/-/media/%2e%2e%2farchive.db",
        "/-/media/sha256",
        "/-/media/" + "A" * 64,
        "/-/media/" + "0" * 64,
        "/-/media/" + "0" * 63,
        "/-/media/",
        "/-/thumb/..%2farchive.db",
        "/-/thumb/" + "0" * 64,
    ],
)
def test_media_routes_answer_404_for_anything_but_a_known_hash(ds, path):
    assert get(ds, path).status_code == 404


def test_thumbnail_route(ds, archive):
    response = get(ds, f"/-/thumb/{archive.photo_sha256}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:2] == b"\xff\xd8"
    # The video has no thumbnail.
    assert get(ds, f"/-/thumb/{archive.video_sha256}").status_code == 404


@pytest.mark.parametrize("outside", ["../archive.db", "/etc/passwd"])
def test_thumbnail_paths_outside_the_blob_store_are_refused(tmp_path, outside):
    archive = build_served_archive(tmp_path)
    db = open_db(archive.settings.db_path)
    db.execute(
        "update media set thumbnail_path = ? where sha256 = ?", [outside, archive.photo_sha256]
    )
    db.conn.commit()
    db.close()
    ds = make_datasette(archive.settings)
    assert get(ds, f"/-/thumb/{archive.photo_sha256}").status_code == 404


def test_media_cells_show_a_thumbnail_linking_to_the_file(ds, archive):
    html = get(ds, "/archive/post_media").text
    assert (
        f'<a class="archiver-thumb" href="/-/media/{archive.photo_sha256}"><img src="/-/thumb/{archive.photo_sha256}"'
        in html
    )
    canned = get(ds, "/archive/posts_with_media").text
    assert f'href="/-/media/{archive.photo_sha256}"' in canned
    assert f'<a href="{POST_PAGE}">{POST_ID}</a>' in canned


@pytest.mark.parametrize(
    "query", ["posts_with_media", "embeds_beside_archive", "media_in_several_posts", "gone_posts"]
)
def test_canned_queries_run(ds, query):
    assert get(ds, f"/archive/{query}.json").status_code == 200


def test_the_search_query_has_a_title_hides_its_sql_and_shows_no_rank(ds):
    page = get(ds, "/archive/search", params={"q": "flag"}).text
    assert "<title>Search posts, pages and annotations</title>" in page
    assert '<pre id="sql-query">' not in page and "show</a>)" in page  # hidden, one click away
    columns = re.findall(r'<th class="col-(\w+)" scope="col">', page)
    assert columns == ["found_in", "post", "page", "title", "excerpt"]
    answer = get(ds, "/archive/search.json", params={"q": "flag", "_shape": "objects"}).json()
    assert [(r["found_in"], r["post"]) for r in answer["rows"]] == [("post", POST_ID)]
    assert "rank" not in answer["rows"][0] and "section" not in answer["rows"][0]
    # The SQL is still there for whoever asks; other pages keep Datasette's titles.
    assert "union all" in get(ds, "/archive/search", params={"q": "x", "_show_sql": 1}).text
    assert (
        "<title>archive: select 1</title>"
        in get(ds, "/archive", params={"sql": "select 1"}, cookies=analyst(ds)).text
    )


def test_hostile_post_renders_inert(ds):
    page = get(ds, HOSTILE_PAGE)
    assert page.status_code == 200
    html = page.text
    for live in ["<script>alert", "<img src=x", "<svg onload", 'href="javascript:', "<b>removed"]:
        assert live not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<code>javascript:alert(1)</code>" in html  # the original URL, as text
    assert "A" * 1_000_000 in html  # the whole megabyte, not cut
    assert "archiver-banner" in html and "deleted" in html
    # The article's copy of the hostile post is escaped just the same.
    assert html.count("&lt;svg onload=alert(1)&gt;") >= 2 and HOSTILE_MARKUP not in html


def _table_rows(html: str) -> str:
    """The page's <tbody>, with the whitespace between tags (which templates differ in) removed."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.sub(r">\s+<", "><", body).strip()


def test_table_pages_escape_every_cell(ds):
    html = get(ds, "/archive/posts").text
    rows = _table_rows(html)
    assert (
        '<td class="col-author_handle type-str">&lt;script&gt;alert(1)&lt;/script&gt;</td>' in rows
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in rows
    for live in ["<script>alert", "<img src=x", "<svg onload"]:
        assert live not in html


def test_raw_json_is_a_short_preview_in_table_listings_and_whole_elsewhere(tmp_path):
    archive = build_served_archive(tmp_path)
    raw = {"text": "<script>alert(1)</script>", "card": "<img src=x onerror=alert(2)>"}
    raw["pad"] = "x" * (2500 - len(json.dumps(raw | {"pad": ""})))
    raw = json.dumps(raw)
    assert len(raw) == 2500
    db = open_db(archive.settings.db_path)
    db.execute("update posts set raw = ? where id = 'x:666'", [raw])
    db.execute("update post_versions set raw = ? where post_id = 'x:666'", [raw])
    db.conn.commit()
    db.close()
    ds = make_datasette(archive.settings)

    def raw_cells(path: str) -> list[str]:
        return re.findall(
            r'<td class="col-raw type-str">(.*?)</td>', _table_rows(get(ds, path).text)
        )

    # The first 80 characters, escaped, then the size, linking to the row's JSON.
    preview = (
        '<span class="archiver-raw-preview">{&#34;text&#34;: &#34;&lt;script&gt;alert(1)&lt;/script&gt;'
        "&#34;, &#34;card&#34;: &#34;&lt;img src=x onerror=alert(2)&gt;&#34;, &#34;p"
        '… <a href="/archive/ROW.json" title="All of it, as JSON">(2.4 KB)</a></span>'
    )
    posts = raw_cells("/archive/posts")
    assert preview.replace("ROW", "posts/x~3A666") in posts
    assert "{&#34;id_str&#34;: &#34;1819675899329130543&#34;}" in posts  # short: as it is
    versions = get(ds, "/archive/post_versions.json?_shape=objects&post_id=x:666").json()["rows"]
    version_cells = raw_cells("/archive/post_versions")
    assert versions and all(
        preview.replace("ROW", f"post_versions/{v['id']}") in version_cells for v in versions
    )
    for path in ["/archive/posts", "/archive/post_versions"]:
        html = get(ds, path).text
        assert "x" * 100 not in html
        for live in ["<script>alert", "<img src=x"]:
            assert live not in html
    # The exports and the post page still have all of it (render_cell shapes HTML cells only).
    rows = get(ds, "/archive/posts.json", params={"_shape": "objects", "id": "x:666"}).json()
    assert rows["rows"][0]["raw"] == raw
    assert raw.replace('"', '""') in get(ds, "/archive/posts.csv").text
    page = get(ds, HOSTILE_PAGE).text
    assert str(escape(raw)) in page and "(2500 characters)" in page
    # A query's page is Datasette's own.
    sql = get(
        ds,
        "/archive",
        params={"sql": "select raw from posts where id = 'x:666'"},
        cookies=analyst(ds),
    ).text
    assert "x" * 1000 in sql  # (Datasette cuts any cell at 2,048 characters)


@pytest.mark.parametrize(
    "path", ["/archive/posts", "/archive/post_media", "/archive/captures", "/archive/media"]
)
def test_table_rows_are_datasettes_own_markup(ds, archive, tmp_path, monkeypatch, path):
    # templates/_table.html builds its rows in Python (plugins/table_rows.py), for speed:
    # they must be what Datasette's own template makes, cell for cell.
    stock = tmp_path / "datasette"
    shutil.copytree(serve.datasette_dir(), stock)
    (stock / "templates" / "_table.html").unlink()
    monkeypatch.setattr(serve, "datasette_dir", lambda: stock)
    expected = _table_rows(get(make_datasette(archive.settings), path).text)
    assert expected.count("<td") > 10
    assert _table_rows(get(ds, path).text) == expected


def test_datasette_reads_the_archive_memory_mapped(ds):
    database = ds.get_database("archive")
    assert asyncio.run(database.execute("pragma mmap_size")).rows[0][0] > 0


@pytest.mark.parametrize("base_url", ["/", "/evidence/"])
def test_facet_links_are_datasettes_own(archive, base_url):
    # ArchiveDatasette joins absolute URLs from plain strings, for speed: the facet links
    # must be the ones stock Datasette makes, under a base_url too.
    stock = serve.Datasette(
        files=[str(archive.settings.db_path)],
        metadata=serve.load_metadata(archive.settings),
        settings={"base_url": base_url},
    )
    ours = make_datasette(archive.settings)
    ours._settings["base_url"] = base_url
    path = "/archive/posts.json?_facet=platform&_facet=status"  # the client adds base_url
    toggles = [
        [
            value["toggle_url"]
            for facet in get(d, path).json()["facet_results"].values()
            for value in facet["results"]
        ]
        for d in (stock, ours)
    ]
    assert toggles[0] and toggles[1] == toggles[0]
    assert all(url.startswith("http://localhost/") and "archive/posts" in url for url in toggles[1])


def test_a_search_too_broad_to_finish_in_time_says_how_to_narrow_it(archive, monkeypatch):
    # On 1 M posts a word in most of them cannot be sorted within the time limit
    # (bench/README.md); here the limit is hit by injecting Datasette's own interruption.
    from datasette.database import QueryInterrupted

    ds = make_datasette(archive.settings)
    database = ds.get_database("archive")
    execute = database.execute

    async def slow_search(sql, *args, **kwargs):
        if "posts_fts match" in sql:
            raise QueryInterrupted(None, sql, None)
        return await execute(sql, *args, **kwargs)

    monkeypatch.setattr(database, "execute", slow_search)
    term = "<script>alert(1)</script>"

    page = get(ds, "/archive/posts", params={"_search": term})
    assert page.status_code == 400
    assert "<h1>Search too broad</h1>" in page.text
    assert "matches too many rows to list within the 3-second limit" in page.text
    assert "add another word" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and term not in page.text
    assert "select " not in page.text  # no SQL

    answer = get(ds, "/archive/posts.json", params={"_search": "flag"}).json()
    assert answer["title"] == "Search too broad" and answer["status"] == 400
    assert answer["error"].startswith("The search for “flag” matches too many rows")

    # Any other query that runs out of time keeps Datasette's own page.
    other = get(
        ds,
        "/archive",
        params={"sql": "select * from posts where posts_fts match 1"},
        cookies=analyst(ds),
    )
    assert other.status_code == 400 and "SQL Interrupted" in other.text


def test_the_server_prints_no_traceback_for_a_page_not_found(archive, capfd, monkeypatch):
    import datasette.handle_exception

    monkeypatch.setattr(datasette.handle_exception, "rich", datasette.handle_exception.rich)
    ds = make_datasette(archive.settings)
    serve.quiet_error_pages()

    assert get(ds, "/archive/posts/x~3A123").status_code == 404

    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "NotFound" not in out + err


def test_a_posts_captures_are_labelled_by_when_they_were_made(ds, archive):
    db = open_db(archive.settings.db_path)
    capture_id, started_at, url = db.execute(
        "select c.id, c.started_at, c.url from posts p join captures c on c.id = p.first_capture_id"
        " where p.id = ?",
        [POST_ID],
    ).fetchone()
    db.close()
    cell = re.search(
        r'<td class="col-first_capture_id[^"]*">(.*?)</td>',
        get(ds, "/archive/posts?id=" + POST_ID).text,
        re.S,
    ).group(1)
    assert capture_id in cell and started_at in cell and url not in cell


def test_arbitrary_sql_is_for_analysts_and_bounded_for_them(ds):
    # Anonymous readers have tables, facets, search and canned queries, not their own SQL.
    assert get(ds, "/archive", params={"sql": "select 1"}).status_code == 403
    assert get(ds, "/archive/search", params={"q": "flag"}).status_code == 200
    # Three of these at once took the server to 12 GB: no value may be that large.
    huge = get(
        ds, "/archive.json", params={"sql": "select zeroblob(300000000)"}, cookies=analyst(ds)
    )
    assert huge.status_code == 400 and huge.json()["error"] == "string or blob too big"
    fine = get(
        ds, "/archive.json", params={"sql": "select count(*) from posts"}, cookies=analyst(ds)
    )
    assert fine.status_code == 200


def test_the_server_s_paths_are_not_shown(ds, archive):
    root = str(archive.settings.db_path.parent.resolve())
    for path in ["/-/databases.json", "/-/databases", "/-/metadata.json", "/-/metadata"]:
        page = get(ds, path)
        assert page.status_code == 200 and root not in page.text, path
    assert [db["name"] for db in get(ds, "/-/databases.json").json()] == ["archive"]
