"""HLS playlists: variants best first, segments in order with the init segment, encryption refused."""

from __future__ import annotations

import hashlib

import pytest
from factories import ts_bytes

from archiver.errors import ArchiveError
from archiver.fetch.client import Fetcher
from archiver.media.hls import join_video, parse_master, parse_media

MASTER = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=700000,RESOLUTION=640x360
360p/video.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2800000,AVERAGE-BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
720p/video.m3u8?session=1
"""


def test_variants_come_best_first_with_absolute_urls():
    variants = parse_master(MASTER, "https://video.example/watch/abc/playlist.m3u8")
    assert [(v.url, v.bandwidth, v.resolution) for v in variants] == [
        ("https://video.example/watch/abc/720p/video.m3u8?session=1", 2000000, "1280x720"),
        ("https://video.example/watch/abc/360p/video.m3u8", 700000, "640x360"),
    ]


def test_media_playlist_lists_segments_init_and_duration():
    media = parse_media(
        '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg0.m4s\n#EXTINF:2.5,\n/abs/seg1.m4s\n',
        "https://video.example/v/720p/video.m3u8",
    )
    assert media.init == "https://video.example/v/720p/init.mp4"
    assert media.segments == [
        "https://video.example/v/720p/seg0.m4s",
        "https://video.example/abs/seg1.m4s",
    ]
    assert media.duration == 6.5 and not media.encrypted


def test_a_media_playlist_is_joined_with_its_init_segment(replay, settings, tmp_path):
    parts = [b"init" * 50, ts_bytes(10, seed=1), ts_bytes(10, seed=2)]
    for name, body in zip(("init.mp4", "a.ts", "b.ts"), parts, strict=True):
        replay.add(f"https://video.example/v/{name}", body)
    text = '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:1,\na.ts\n#EXTINF:1,\nb.ts\n'
    with Fetcher(settings, tmp_dir=tmp_path) as fetcher:
        joined = join_video(fetcher, "https://video.example/v/p.m3u8", text, 10_000_000)
    assert joined.sha256 == hashlib.sha256(b"".join(parts)).hexdigest()
    assert joined.path.read_bytes() == b"".join(parts)


def test_encrypted_segments_are_not_joined(settings, tmp_path):
    text = '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:1,\na.ts\n'
    with (
        Fetcher(settings, tmp_dir=tmp_path) as fetcher,
        pytest.raises(ArchiveError, match="encrypted"),
    ):
        join_video(fetcher, "https://video.example/v/p.m3u8", text, 10_000_000)
