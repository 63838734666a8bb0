"""Telegram: the embed widget page and the channel preview, on real tgme_widget_message markup.

No recorded `?embed=1` page exists. tme_embed_*_constructed.html are built: an
HTML shell modelled on the widget page, holding a real message block copied
from t.me/s/tchantest (PythonicCafe/tchan recordings), or the widget's
"Post not found" error. The t.me/s fallback is tested with the real blocks
served as they are (the live page wraps them in the channel page's markup).
"""

from __future__ import annotations

import hashlib
import json

import pytest
from bs4 import BeautifulSoup
from factories import jpeg_bytes, mp4_bytes
from recorded import fixture_json, fixture_path, serve_fixture

from archiver.pipeline.archive import Archiver
from archiver.platforms.shapes import checked_post
from archiver.platforms.soup import parse_html
from archiver.platforms.telegram import find_message, parse_message

ALBUM_PHOTOS = [
    "https://cdn1.telegram-cdn.org/file/QMvda1Z9IET0DA4-jsfevuguTxnTpn6omRRA7gfRfYs6VCmxjsZdeX4R6k4n7rYe7skLclk-A1G7Dw4UuYzV5Ogj9KkYlLSsJD2x_WQDRqmUDauUWEAGa-JNACCFBH2zRJeFwb6OvAD6itpb05MbvyMVvsR18sw8Qe4VcPvODZmfKGxQ7ioslSsxTKoLz8KEAIcvPqVLkJKjkPVERS6u8QBSS-ZPOWu6RvJsS0_fS7oCTSfLjTmn3EfGlU3BvRAmNcVCQv7Jz-CPNBgXHUk5Bru05WNpsdaoCVfX9PzeDycLIoHm5S55H_TV9zocKvg_ZX0NVyLE_Em_wO7nbDwDRQ.jpg",
    "https://cdn1.telegram-cdn.org/file/CrsaR3dLCwSaTunI7l4nSUu5G7du7049yHXuZwbiOjAfSDEMrJaKiJ9-ly6RJOJf7wSYPGjpUppSBuqLkTbMIl_CMEpS_9nVLvNusCJTRXbhJbU4UFsTxiM89YyDE_9bapVEjoS9vhRS7qw1zSCbV2K42W3TZvvQ8scfiI2xiMIsRkw-YzpIVxbkzpeWz3-US6fi7DswlIobEgCG0uxmHdr6q2FEFOn9BCpfQHlrDqq8rCA9kBteMinAEkALObzktjJ76PMFWQZbQCcKIofW9oOThEJRAdFrRaho9PwBOQIcrSf_2MQmyqg8zA79k04ME76FsNNw3xr7xA160MHckA.jpg",
]


def block_of(name: str):
    html = fixture_path("telegram", name).read_text("utf-8")
    soup = BeautifulSoup(html, "lxml")
    return soup.select_one("div.tgme_widget_message[data-post]")


def test_album_from_the_embed_widget(replay, settings):
    page = serve_fixture(
        replay,
        "https://t.me/tchantest/14?embed=1",
        "telegram",
        "tme_embed_tchantest_14_album_constructed.html",
    )
    photos = [jpeg_bytes(seed=41), jpeg_bytes(seed=42)]
    for url, body in zip(ALBUM_PHOTOS, photos, strict=True):
        replay.add(url, body, content_type="image/jpeg")

    with Archiver(settings) as archiver:
        result = archiver.archive("https://t.me/s/tchantest/14")
        post = archiver.db["posts"].get("telegram:tchantest/14")
        media = list(archiver.db.query("select * from post_media order by position"))

    assert result.status == "ok", result.error
    assert post["text"] == "Multiple pics"
    assert post["author_handle"] == "tchantest" and post["author_name"] == "tchan's test channel 👍"
    assert post["created_at"] == "2023-02-24T07:34:20Z"
    assert post["source"] == "widget" and post["raw"] == page.read_text("utf-8")
    assert json.loads(post["metrics"]) == {"views": 2}
    assert [(m["type"], m["url"], m["sha256"]) for m in media] == [
        ("photo", url, hashlib.sha256(body).hexdigest())
        for url, body in zip(ALBUM_PHOTOS, photos, strict=True)
    ]
    # The widget was asked for exactly this post.
    assert replay.requested("t.me")[0].query == {"embed": "1", "mode": "tme"}


def test_post_not_found_is_deleted(replay, settings):
    serve_fixture(
        replay,
        "https://t.me/tchantest/999?embed=1",
        "telegram",
        "tme_embed_post_not_found_constructed.html",
    )
    with Archiver(settings) as archiver:
        result = archiver.archive("https://t.me/tchantest/999")
        post = archiver.db["posts"].get("telegram:tchantest/999")
    assert result.status == "deleted" and post["status"] == "deleted"
    assert post["status_reason"] == "Telegram says: Post not found"


@pytest.mark.parametrize(
    "fixture,post_id",
    [
        ("tme_s_message_video_tchantest_18.html", "tchantest/18"),
        ("tme_s_message_forwarded_tchantest_89.html", "tchantest/89"),
        ("tme_s_message_link_preview_tchantest_94.html", "tchantest/94"),
    ],
)
def test_channel_preview_markup_when_the_widget_has_no_message(replay, settings, fixture, post_id):
    # The widget page answers without the message; the t.me/s/ preview has it.
    replay.add(
        f"https://t.me/{post_id}?embed=1", "<html><body></body></html>", content_type="text/html"
    )
    serve_fixture(replay, f"https://t.me/s/{post_id}", "telegram", fixture)
    block = block_of(fixture)
    files = {}
    for ref in parse_message(block).media:
        files[ref.url] = (
            mp4_bytes(seed=len(files)) if ref.type == "video" else jpeg_bytes(seed=50 + len(files))
        )
        replay.add(ref.url, files[ref.url])

    with Archiver(settings) as archiver:
        result = archiver.archive(f"https://t.me/{post_id}")
        post = archiver.db["posts"].get(f"telegram:{post_id}")
        media = list(archiver.db.query("select * from post_media order by position"))

    assert result.status == "ok", result.error
    assert post["source"] == "channel-preview"
    assert [m["sha256"] for m in media] == [
        hashlib.sha256(files[m["url"]]).hexdigest() for m in media
    ]
    details = json.loads(post["details"] or "{}")
    if post_id == "tchantest/18":
        assert [m["type"] for m in media] == ["video", "poster"]
        assert post["text"] == "Video by telegram camera"
    elif post_id == "tchantest/89":
        assert details["forwarded_from"] == {"name": "Some user", "url": "https://t.me/some_user"}
        assert post["text"] == ";)"
    else:
        assert [m["type"] for m in media] == ["card"]
        assert (
            details["card"]["title"]
            == "Operação Guardiões do Bioma apreende 23,9 toneladas de minério"
        )
        assert details["card"]["site_name"] == "Agência Brasil"


def test_no_public_copy_anywhere_is_unavailable(replay, settings):
    fragments = fixture_json("telegram", "tme_s_message_fragments_tchantest.json")
    replay.add(
        "https://t.me/s/privatechan/5",
        fragments["test_parse_no_posts_found"],
        content_type="text/html",
    )
    with Archiver(settings) as archiver:
        result = archiver.archive("https://t.me/privatechan/5")
        post = archiver.db["posts"].get("telegram:privatechan/5")
    assert result.status == "unavailable" and not result.failed
    assert "no public copy" in post["status_reason"]


def test_every_real_message_block_parses():
    fragments = fixture_json("telegram", "tme_s_message_fragments_tchantest.json")
    parsed = {}
    for name, html in fragments.items():
        soup = BeautifulSoup(html, "lxml")
        for block in soup.select("div.tgme_widget_message[data-post]"):
            post = parse_message(block)
            assert post.created_at and post.author_handle, name
            parsed[name] = post
    assert len(parsed) == len(fragments) - 1  # the "No posts found" page has no message

    big = parsed["test_parse_video_big"]
    assert [m.type for m in big.media] == ["poster"]  # "Media is too big": only the thumbnail
    assert big.details["media_not_served"] == ["Media is too big"]
    assert big.metrics == {"views": 436600}
    assert parsed["test_parse_poll"].details["poll"]["options"][:2] == ["Opt1", "Opt2"]
    signed = parsed["test_parse_signed_edited_text_message"]
    assert signed.details == {"signed_by": "Álvaro Justen", "edited": True}
    assert signed.text == "Hello! Signed and edited message"
    assert parsed["test_parse_text_reply_to_video"].reply_to == "telegram:tchantest/19"
    assert [m.type for m in parsed["test_parse_round_video_single"].media] == ["video", "poster"]
    assert [m.type for m in parsed["test_parse_audio_message"].media] == ["audio"]
    assert [m.alt_text for m in parsed["test_parse_sticker_message"].media] == ["sticker"]
    assert parsed["test_parse_text_message_multiline"].text.count("\n") >= 1


def test_find_message_picks_the_asked_post_on_a_channel_page():
    fragments = fixture_json("telegram", "tme_s_message_fragments_tchantest.json")
    page = BeautifulSoup("".join(fragments.values()), "lxml")
    assert find_message(page, "TCHANTEST/94")["data-post"] == "tchantest/94"
    assert find_message(page, "tchantest/100000") is None


def test_a_hostile_message_block_keeps_what_is_readable():
    html = fixture_path("telegram", "tme_s_message_photo_single_tchantest_16.html").read_text(
        "utf-8"
    )
    nested = "<span>" * 5000 + "deep" + "</span>" * 5000
    opening = 'class="tgme_widget_message_text js-message_text" dir="auto">'
    html = html.replace(opening, opening + nested, 1)
    html = html.replace(
        "background-image:url('https://cdn1", "background-image:url('https://\tcdn1"
    )
    block = find_message(parse_html(html), "tchantest/16")

    post = checked_post(parse_message(block))

    # Nested past 512 levels, flattened, and still read with the rest of the text.
    assert post.text.startswith("deep") and "Picture by telegram camera" in post.text
    assert [m.type for m in post.media] == []
    assert post.details["dropped"] == ["photo media: a URL with whitespace or control characters"]
