"""A queue worker's bundle: what crosses Redis comes back whole, and nothing else comes back."""

from __future__ import annotations

import json

import pytest
from queue_support import serve_posts

from archiver.pipeline.bundle import MalformedBundle, decode_bundle, encode_bundle
from archiver.pipeline.remote import capture_bundle


def test_a_post_bundle_crosses_as_json_and_comes_back_equal(settings, replay):
    [url] = serve_posts(replay, 1)
    bundle = capture_bundle(url, settings, job_id="job-1")
    [entry] = bundle.entries
    assert entry.capture.status == "ok" and entry.records
    again = decode_bundle(encode_bundle(bundle))
    assert again == bundle
    [(post, [(ref, stored, _)])] = again.entries[0].rows.posts
    assert post.post_id == "1900000000000000000" and stored.sha256 in {
        f.sha256 for f in again.files()
    }
    assert [w["name"] for w in again.warcs] == [entry.capture.warc_file]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"__type__": "Popen", "fields": {"args": "sh"}}),  # not a type a bundle holds
        json.dumps(
            {
                "__type__": "Bundle",
                "fields": {
                    "job_id": {"__dict__": {}},
                    "target": "x",
                    "platform": "x",
                    "context": {"__dict__": {}},
                },
            }
        ),  # fmt: skip
        json.dumps(
            {
                "__type__": "Capture",
                "fields": {"id": "1", "url": "u", "kind": "post", "started_at": "t"},
            }
        ),  # fmt: skip  (a capture, not a bundle)
        "{not json",
    ],
)
def test_what_is_not_a_bundle_is_refused(text):
    with pytest.raises(MalformedBundle):
        decode_bundle(text)


def test_a_platform_dict_with_a_type_key_stays_a_dict():
    from archiver.pipeline.bundle import _decode, _encode

    details = {"__type__": "Bundle", "fields": {}}
    assert _decode(_encode(details)) == details
