"""SoundCloud: a real oEmbed answer (oscarotero/Embed, 2024): title, artist, description, artwork hashed."""

from __future__ import annotations

import hashlib

from factories import jpeg_bytes
from recorded import serve_oembed

from archiver.platforms import identify


def test_soundcloud_track(replay, archive_one):
    url = "https://soundcloud.com/zedsdead/zeds-dead-twin-shadow-lost-you-feat-dangelo-lacy"
    serve_oembed(
        replay,
        "https://soundcloud.com/oembed",
        url,
        "oembed",
        "soundcloud_oembed_zedsdead_lost_you.json",
    )
    art = jpeg_bytes(seed=75, size=(500, 500))
    replay.add(
        "https://i1.sndcdn.com/artworks-fdcKTkNSeA5J-0-t500x500.jpg", art, content_type="image/jpeg"
    )
    result, post, media = archive_one(url + "?in=zedsdead/sets/x")
    assert post["id"] == "soundcloud:zedsdead/zeds-dead-twin-shadow-lost-you-feat-dangelo-lacy"
    assert post["text"].startswith(
        "Zeds Dead feat. Twin Shadow & D'Angelo Lacy - Lost You by Zeds Dead\n\nMUSIC VIDEO"
    )
    assert post["author_handle"] == "zedsdead"
    assert media[0]["sha256"] == hashlib.sha256(art).hexdigest()
    assert not result.failed


def test_only_track_urls_are_posts():
    assert (
        identify("https://m.soundcloud.com/zedsdead/lost-you").db_id
        == "soundcloud:zedsdead/lost-you"
    )
    for url in (
        "https://soundcloud.com/zedsdead/sets",
        "https://soundcloud.com/discover/sets/x",
        "https://soundcloud.com/zedsdead",
    ):
        assert identify(url) is None, url
