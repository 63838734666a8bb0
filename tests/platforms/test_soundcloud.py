"""SoundCloud: a real oEmbed answer (oscarotero/Embed, 2024): title, artist, description, artwork hashed."""

from __future__ import annotations

import hashlib

from click.testing import CliRunner
from factories import jpeg_bytes
from recorded import serve_oembed

from archiver.cli.commands import main
from archiver.platforms import identify

TRACK = "https://soundcloud.com/zedsdead/zeds-dead-twin-shadow-lost-you-feat-dangelo-lacy"


def serve_track(replay) -> bytes:
    serve_oembed(
        replay,
        "https://soundcloud.com/oembed",
        TRACK,
        "oembed",
        "soundcloud_oembed_zedsdead_lost_you.json",
    )
    art = jpeg_bytes(seed=75, size=(500, 500))
    replay.add(
        "https://i1.sndcdn.com/artworks-fdcKTkNSeA5J-0-t500x500.jpg", art, content_type="image/jpeg"
    )
    return art


def test_soundcloud_track(replay, archive_one):
    art = serve_track(replay)
    result, post, media = archive_one(TRACK + "?in=zedsdead/sets/x")
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


def test_citations_spell_soundcloud_as_soundcloud_does(replay, archive_one, settings):
    serve_track(replay)
    _, post, _ = archive_one(TRACK)
    cited = CliRunner().invoke(
        main, ["cite", post["id"], "--style", "apa", "--db", str(settings.db_path)]
    )
    assert cited.exit_code == 0, cited.output
    assert f"[Post]. SoundCloud. {TRACK}" in cited.output
