"""Byte ranges and content types for served blobs."""

from __future__ import annotations

import pytest

from archiver.web.blobhttp import ByteRange, RangeNotSatisfiable, parse_range, safe_content_type


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("", None),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=900-", ByteRange(900, 999)),
        ("bytes=900-5000", ByteRange(900, 999)),  # clamped to the end
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=5-2", None),  # malformed: the whole file
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header, size", [("bytes=1000-", 1000), ("bytes=-0", 1000), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header, size):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


@pytest.mark.parametrize(
    "mime, expected",
    [
        ("image/jpeg", "image/jpeg"),
        ("Video/MP4", "video/mp4"),
        (None, "application/octet-stream"),
        ("text/html\r\nSet-Cookie: a=b", "application/octet-stream"),
        ("text/html; charset=utf-8", "application/octet-stream"),
    ],
)
def test_safe_content_type(mime, expected):
    assert safe_content_type(mime) == expected
