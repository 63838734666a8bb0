"""`archiver export`: a WACZ that `wacz validate` accepts and whose records replay through warcio,
and static archived-copy pages with their media beside them."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from evidence_archive import POST_ID, build_demo_archive
from warcio.archiveiterator import ArchiveIterator

from archiver.cli.commands import main
from archiver.store.connection import open_db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_archive(tmp_path_factory.mktemp("export-demo"))


def export(demo, *args: str):
    return CliRunner().invoke(
        main,
        ["export", *args, "--db", str(demo.settings.db_path), "--blobs", str(demo.settings.blobs_dir)],
    )  # fmt: skip


def test_the_demo_wacz_passes_wacz_validate(demo, tmp_path):
    out = tmp_path / "out" / "demo.wacz"
    result = export(demo, "--wacz", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 2 capture(s), 8 WARC records" in result.output
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "the passed WACZ is valid" in check.stdout


def test_a_wacz_record_replays_through_warcio(demo, tmp_path):
    out = tmp_path / "post.wacz"
    assert export(demo, "--wacz", str(out), POST_ID).exit_code == 0
    db = open_db(demo.settings.db_path)
    raw = db["posts"].get(POST_ID)["raw"]
    db.close()
    with zipfile.ZipFile(out) as wacz:
        names = wacz.namelist()
        datapackage = json.loads(wacz.read("datapackage.json"))
        # datapackage.json carries the SHA-256 of every file in the package.
        for resource in datapackage["resources"]:
            assert (
                resource["hash"]
                == "sha256:" + hashlib.sha256(wacz.read(resource["path"])).hexdigest()
            )
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        warc = wacz.read(next(n for n in names if n.startswith("archive/")))
    assert "indexes/index.cdx.gz" in names
    assert pages[1]["id"] == demo.post_capture and pages[1]["title"].startswith(
        "@ThomasVLinge: #Myanmar"
    )
    bodies, metadata = {}, None
    for record in ArchiveIterator(io.BytesIO(warc)):
        if record.rec_type == "response":
            bodies[record.rec_headers.get_header("WARC-Target-URI")] = (
                record.content_stream().read()
            )
        elif record.rec_type == "metadata":
            body = json.loads(record.content_stream().read())
            metadata = body if "capture_id" in body else metadata  # not the chain head's
    photo = next(body for url, body in bodies.items() if "pbs.twimg.com" in url)
    assert hashlib.sha256(photo).hexdigest() == demo.result.media_sha256s[0]
    syndication = next(body for url, body in bodies.items() if "tweet-result" in url)
    assert syndication.decode("utf-8") == raw  # the post's JSON, exactly as served
    # The capture's collection record travels with it.
    assert metadata["capture_id"] == demo.post_capture
    manifest = metadata["manifest"].encode("utf-8")
    assert hashlib.sha256(manifest).hexdigest() == metadata["manifest_sha256"]


def test_static_html_pages_with_media_beside_them(demo, tmp_path):
    out = tmp_path / "html"
    result = export(demo, "--html", str(out), POST_ID)
    assert result.exit_code == 0, result.output
    page = (out / f"{demo.post_capture}.html").read_text("utf-8")
    photo = demo.result.media_sha256s[0]
    assert f'src="media/{photo}.jpg"' in page
    assert hashlib.sha256((out / "media" / f"{photo}.jpg").read_bytes()).hexdigest() == photo
    assert "Archived copy</strong> — captured" in page and "Content-Security-Policy" in page
    assert f'href="{demo.post_capture}.html"' in (out / "index.html").read_text("utf-8")


def test_export_needs_a_format_and_a_known_target(demo, tmp_path):
    assert export(demo).exit_code == 2
    missing = export(demo, "--wacz", str(tmp_path / "x.wacz"), "x:404")
    assert missing.exit_code == 2 and "nothing in the archive matches" in missing.output


def test_serve_answers_the_archived_copy_page(demo):
    """The route itself (the browser tests look at the rendering): self-contained, locked down."""
    import asyncio

    from archiver.web.serve import make_datasette

    ds = make_datasette(demo.settings)
    page = asyncio.run(ds.client.get(f"/-/archive/{demo.post_capture}"))
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "img-src 'self'" in policy
    assert "unsafe-inline" not in policy  # the inline style and script are allowed by hash only
    assert f'src="/-/media/{demo.result.media_sha256s[0]}"' in page.text
    assert "http://" not in page.text.split("<body>")[0].replace("http-equiv", "")  # no outside CSS
    assert asyncio.run(ds.client.get("/-/archive/nope")).status_code == 404
    post = asyncio.run(ds.client.get(f"/-/post/{POST_ID}", follow_redirects=True))
    assert "Cite this post" in post.text and f"/-/archive/{demo.post_capture}" in post.text
    # The seed article's plain text runs the post's line break into "center.#MNDAA": not a
    # difference. Its link is one: X shows the post's t.co link as pic.twitter.com.
    diff = post.text.split('<div class="archiver-text archiver-diff">')[1].split("</div>")[0]
    assert re.findall(r"<(ins|del) [^>]*>([^<]*)<", diff) == [
        ("ins", "https://t.co/ZY8SlS26sJ"),
        ("del", "pic.twitter.com/ZY8SlS26sJ"),
    ]


def test_citations_read_at_a_private_address_say_readers_cannot_open_it(demo):
    import asyncio

    from archiver.web.serve import make_datasette

    ds = make_datasette(demo.settings)
    path = f"/-/post/{POST_ID}"
    local = asyncio.run(ds.client.get(path, follow_redirects=True)).text
    public = asyncio.run(
        ds.client.get(path, follow_redirects=True, headers={"host": "archive.example.org"})
    ).text

    warning = "which readers elsewhere cannot open"
    assert warning in local and "<code>localhost</code>" in local
    assert f"archiver cite {demo.post_capture} --base-url URL" in local
    assert warning not in public
    assert f"http://archive.example.org/-/archive/{demo.post_capture}" in public


def test_exports_are_on_the_record_and_verify_rehashes_them(demo, tmp_path):
    copy = demo.copy_to(tmp_path / "archive")
    out, pages = tmp_path / "out" / "post.wacz", tmp_path / "pages"
    assert export(copy, "--wacz", str(out), POST_ID).exit_code == 0
    assert export(copy, "--html", str(pages), POST_ID).exit_code == 0
    db = open_db(copy.settings.db_path)
    rows = list(db.query("select kind, path, files, captures from exports order by id"))[-2:]
    db.close()
    assert [r["kind"] for r in rows] == ["wacz", "html"]
    assert json.loads(rows[0]["files"]) == {
        "post.wacz": hashlib.sha256(out.read_bytes()).hexdigest()
    }
    assert json.loads(rows[0]["captures"]) == [copy.post_capture]
    args = ["verify", "--db", str(copy.settings.db_path), "--blobs", str(copy.settings.blobs_dir)]
    checked = CliRunner().invoke(main, args)
    assert checked.exit_code == 0 and " exports" in checked.output, checked.output
    with open(out, "ab") as f:
        f.write(b"appended")  # the package was changed after it left the archive
    page = pages / f"{copy.post_capture}.html"
    page.write_text(page.read_text("utf-8").replace("ThomasVLinge", "someone"), "utf-8")
    changed = CliRunner().invoke(main, args)
    assert changed.exit_code == 1
    assert "post.wacz changed after it was exported" in changed.output
    assert f"{copy.post_capture}.html changed after it was exported" in changed.output
    out.unlink()
    moved = CliRunner().invoke(main, args)
    assert "is no longer there (moved or deleted): not checked" in moved.output
