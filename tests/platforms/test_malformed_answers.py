"""Platform answers of the wrong shape: every field of real recorded answers replaced, in turn,
by a value of another shape. An adapter keeps what is usable or raises one of the archiver's
own errors, never anything else; what it keeps has the types the archive stores."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from recorded import fixture_json, fixture_path

from archiver.errors import ArchiveError, ParseError
from archiver.models import MediaRef, Post
from archiver.platforms import (
    bluesky,
    instagram,
    mastodon,
    reddit,
    telegram,
    tiktok,
    truthsocial,
    x,
)
from archiver.platforms.base import Answer, Platform, PostRef, iso_utc
from archiver.platforms.oembed import parse_oembed
from archiver.platforms.pages import page_metadata
from archiver.platforms.shapes import checked_post, integer, media_url, number
from archiver.platforms.soup import parse_html
from archiver.platforms.x_media import original_photo_url

# What a hostile or broken server puts where an object, a list, a string or a number belongs.
HOSTILE = ["x", [1], 1e20, -1e20, None, {}, True, 0, "\t", "a" * 65_536, [[[]]], "1.2.3"]
MAX_PATHS = 400


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:3]):
            yield (*prefix, index)
            yield from _paths(inner, (*prefix, index))


def _replaced(data, path, value):
    data = copy.deepcopy(data)
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


def _post_answer(document) -> dict:
    return document["thread"]["post"]


def _reddit_post(document) -> dict:
    return document[0]["data"]["children"][0]["data"]


def _tiktok_item(page: str) -> dict:
    return tiktok.page_item(page)


def _tiktok_page(item: dict) -> Post:
    """The page state around `item`, read into the post oEmbed gave."""
    state = {"__DEFAULT_SCOPE__": {"webapp.video-detail": {"itemInfo": {"itemStruct": item}}}}
    page = (
        '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
        f"{json.dumps(state)}</script>"
    )
    post = Post(platform="tiktok", post_id="6806030056956251397", url="https://www.tiktok.com/")
    tiktok._read_page(Answer(200, post.url, "text/html", page), {}, post)
    return post


def _truth(status: dict) -> Post:
    post = mastodon.parse_status(status, truthsocial.HOST, naming=truthsocial.NAMING)
    truthsocial.add_quote(post, status)
    return post


CASES = [
    (("x", "syndication", "tweet-result_1641086480675225601_photo.json"), None, x.parse_syndication),
    (("x", "syndication", "tweet-result_1641895049427550208_quote.json"), None, x.parse_syndication),
    (("x", "syndication", "tweet-result_1684218600456876032_video.json"), None, x.parse_syndication),
    (("x", "syndication", "tweet-result_1629262255744503809_card.json"), None, x.parse_syndication),
    (("bluesky", "getPostThread_recordWithMedia_images_quote.json"), _post_answer,
     bluesky.parse_post_view),
    (("bluesky", "getPostThread_video_constructed.json"), _post_answer, bluesky.parse_post_view),
    (("mastodon", "status_POST_with_quote.json"), None,
     lambda d: mastodon.parse_status(d, "mastodon.social")),
    (("mastodon", "status_POST_poll.json"), None,
     lambda d: mastodon.parse_status(d, "mastodon.social")),
    (("mastodon", "docs_status_gargron_103270115826048975_card.json"), None,
     lambda d: mastodon.parse_status(d, "mastodon.social")),
    (("truthsocial", "status_113154513611419835_image.json"), None, _truth),
    (("reddit", "comments_json_crafts_13opkyi_gallery.json"), _reddit_post, reddit.parse_post),
    (("reddit", "comments_json_awwwtf_xxp051_crosspost_parent_deleted.json"), _reddit_post,
     reddit.parse_post),
    (("reddit", "comments_json_oddlysatisfying_151unk5_video_removed.json"), _reddit_post,
     reddit.parse_post),
    (("tiktok", "tiktok_video_page_a3noticias_6806030056956251397.html"), None, None),
    (("oembed", "tiktok_oembed_a3noticias_6806030056956251397.json"), None,
     lambda d: parse_oembed(d, PostRef("tiktok", "1", "https://www.tiktok.com/@/video/1"),
                            name="tiktok", raw="{}")),
]  # fmt: skip


def _assert_storable(post: Post) -> None:
    for name in ("author_handle", "author_name", "author_id", "text", "created_at", "lang"):
        assert getattr(post, name) is None or isinstance(getattr(post, name), str), name
    assert all(isinstance(ref, MediaRef) and media_url(ref.url) for ref in post.media)
    json.dumps(post.details), json.dumps(post.metrics)
    if post.quoted is not None:
        _assert_storable(post.quoted)


@pytest.mark.parametrize(("parts", "extract", "parse"), CASES, ids=lambda c: str(c)[:60])
def test_every_field_of_the_wrong_shape_is_dropped_or_an_archive_error(parts, extract, parse):
    if parts[0] == "tiktok":  # the page's state, not a JSON answer
        answer, parse = _tiktok_item(fixture_path(*parts).read_text("utf-8")), _tiktok_page
    else:
        answer = fixture_json(*parts)
        answer = extract(answer) if extract else answer
    paths = list(_paths(answer))[:MAX_PATHS]
    for path in paths:
        for value in HOSTILE:
            try:
                post = checked_post(parse(_replaced(answer, path, value)))
            except ArchiveError:
                continue
            except Exception as exc:  # noqa: BLE001 - the point of the test
                pytest.fail(f"{'/'.join(map(str, path))} = {str(value)[:20]!r}: {exc!r}")
            _assert_storable(post)


def test_the_issues_x_answer_keeps_the_post_without_what_is_wrong():
    recorded = fixture_json("x", "syndication", "tweet-result_1641086480675225601_photo.json")
    photo = recorded["mediaDetails"][0]
    answer = dict(
        recorded, user="x", created_at=1e20,
        mediaDetails=[1, {k: v for k, v in photo.items() if k != "media_url_https"},
                      dict(photo, media_url_https="https://pbs.twimg.com/media/a\tb.jpg"),
                      dict(photo, media_url_https="https://pbs.twimg.com/media/a\x00b.jpg"),
                      dict(photo, media_url_https="https://pbs.twimg.com/" + "a" * 65_536),
                      photo],
    )  # fmt: skip

    post = checked_post(x.parse_syndication(answer))

    assert (post.post_id, post.text) == (recorded["id_str"], recorded["text"])
    assert (post.author_handle, post.created_at) == (None, None)
    assert [ref.url for ref in post.media] == [original_photo_url(photo["media_url_https"])]


@pytest.mark.parametrize(
    "url",
    ["https://a.example/x\ty", "https://a.example/\x00", "https://a.example/" + "a" * 65_536,
     "javascript:alert(1)", "data:image/png;base64,AAAA", "https://[::1/x", "//a.example/x",
     "https://a.example/\x85", "https://a.example/a b", 7, None],
)  # fmt: skip
def test_media_urls_that_are_no_plain_http_url_are_refused(url):
    assert media_url(url) is None


@pytest.mark.parametrize("value", [1e20, -1e20, float("nan"), float("inf"), True, "9" * 200,
                                   "9999-12-31T23:59:59-05:00", [1], {"a": 1}])  # fmt: skip
def test_dates_past_the_calendar_or_of_another_shape_are_none(value):
    assert iso_utc(value) is None


def test_a_page_state_nested_past_the_stack_is_no_page_state():
    deep = "[" * 1_000_000 + "]" * 1_000_000
    page = (
        f'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{deep}</script>'
    )
    assert tiktok.page_item(page) is None


def test_details_nested_past_the_bound_are_dropped_and_said_so():
    deep: list = []
    for _ in range(900):  # within json.loads' reach, past what json.dumps may manage later
        deep = [deep]
    post = Post(platform="x", post_id="1", url="https://x.com/i/status/1", details={"card": deep})

    checked = checked_post(post)

    assert checked.details == {"dropped": ["details.card: nested deeper than 32 levels"]}


def test_json_ld_nested_past_the_bound_is_not_read():
    deep = "[" * 900 + "]" * 900
    page = (
        '<html><head><script type="application/ld+json">{"headline": "Deep", "x": '
        f"{deep}}}</script></head><body><p>Text</p></body></html>"
    )
    meta = page_metadata(page, is_html=True, url="https://news.example/a")
    assert meta["title"] is None and "json_ld" not in meta["meta"]


def test_a_shape_no_accessor_foresaw_is_a_parse_error_naming_it():
    def fetch_post(ref, fetcher):
        return {"user": "x"}["user"]["name"]  # what an adapter without the accessors does

    platform = Platform(
        name="t", label="T", url_patterns=(), canonical_url=str, fetch_post=fetch_post
    )
    ref = PostRef("t", "1", "https://t.example/1")

    with pytest.raises(ParseError, match=r"^T's answer for https://t.example/1 is not in a shape"):
        platform.fetch_post(ref, None)
    # Declared again (dataclasses.replace), the check is not stacked twice.
    assert dataclasses.replace(platform).fetch_post is platform.fetch_post


def test_figures_of_other_shapes_are_kept_as_shown_or_dropped():
    assert telegram._count("1.2.3K") == "1.2.3K" and telegram._count("436.6K") == 436_600
    span = parse_html("<time>\u00b2:10</time>").time  # a superscript two is a digit to isdigit()
    assert telegram._duration_ms(span) is None
    assert number(2**70) is None and integer(1e300) is None and number(float("nan")) is None


def test_an_instagram_card_with_json_ld_of_other_shapes_keeps_its_caption():
    card = {"meta": {"json_ld": [1, {"caption": {"a": 1}}, {"caption": "Whole", "author": "x"}]}}
    assert instagram.read_card(card)["text"] == "Whole"


def test_json_nested_past_the_stack_is_no_json():
    deep = "[" * 1_000_000 + "]" * 1_000_000
    assert Answer(200, "https://a.example/", "application/json", deep).json() is None
