"""An archive of posts that show more than text and media, archived through the replay server:
an X post with a link card, a Reddit poll, a Bluesky post whose author asked not to be shown to
logged-out readers, a Reddit gallery still processing, and (a fault) an X card full of markup."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from factories import jpeg_bytes
from recorded import fixture_json, serve_fixture, serve_syndication

from archiver.pipeline.archive import Archiver

CARD_POST = "x:1629262255744503809"
CARD_IMAGE = "https://pbs.twimg.com/card_img/1639232954701594625/7ayIAMcm?format=png&name=orig"
POLL_POST = "reddit:13opkyi"
LABELLED_DID = "did:plc:yf6b2cgjhxo5wevddebvklna"
LABELLED_POST = f"bluesky:{LABELLED_DID}/3lhmgh4f5es2q"
WAITING_POST = "reddit:116mn1j"
HOSTILE_POST = "x:1629262255744503800"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@dataclass
class DetailsArchive:
    statuses: dict[str, str]  # post id -> the capture's status


def hostile_card_answer() -> bytes:
    """The real card post with its card's title and link replaced by markup and a script URL."""
    data = fixture_json("x", "syndication", "tweet-result_1629262255744503809_card.json")
    data["id_str"] = HOSTILE_POST.split(":")[1]
    data["entities"]["urls"] = []
    values = data["card"]["binding_values"]
    values["title"]["string_value"] = HOSTILE
    values["description"]["string_value"] = '"><svg onload=alert(3)>'
    data["card"]["url"] = "javascript:alert(4)"
    return json.dumps(data).encode()


def build_details_archive(replay, settings) -> DetailsArchive:
    serve_syndication(replay, "1629262255744503809", "tweet-result_1629262255744503809_card.json")
    replay.add(CARD_IMAGE, jpeg_bytes(seed=7, size=(1080, 567)), content_type="image/jpeg")
    serve_syndication(replay, HOSTILE_POST.split(":")[1], hostile_card_answer())
    serve_fixture(
        replay, "https://www.reddit.com/r/crafts/comments/13opkyi.json", "reddit",
        "comments_json_crafts_13opkyi_poll_constructed.json",
    )  # fmt: skip
    serve_fixture(
        replay, "https://www.reddit.com/r/MTB/comments/116mn1j.json", "reddit",
        "comments_json_mtb_116mn1j_video_processing_derived.json",
    )  # fmt: skip
    uri = f"at://{LABELLED_DID}/app.bsky.feed.post/3lhmgh4f5es2q"
    serve_fixture(
        replay,
        f"https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri={quote(uri, safe='')}",
        "bluesky", "getPostThread_no_unauthenticated_extracted.json",
    )  # fmt: skip
    urls = {
        CARD_POST: "https://x.com/i/status/1629262255744503809",
        HOSTILE_POST: f"https://x.com/i/status/{HOSTILE_POST.split(':')[1]}",
        POLL_POST: "https://www.reddit.com/r/crafts/comments/13opkyi/which_costume/",
        WAITING_POST: "https://www.reddit.com/r/MTB/comments/116mn1j/meanwhile/",
        LABELLED_POST: f"https://bsky.app/profile/{LABELLED_DID}/post/3lhmgh4f5es2q",
    }
    with Archiver(settings) as archiver:
        statuses = {post: archiver.archive(url).status for post, url in urls.items()}
    return DetailsArchive(statuses=statuses)
