"""URL recognition on every platform: which post a URL names, and which URLs are no post."""

from __future__ import annotations

import pytest

from archiver.platforms import PLATFORMS, identify

# (URL as met in the wild, platform, post id, canonical URL)
POST_URLS = [
    (
        "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k44deefqdk2g",
        "bluesky",
        "did:plc:z72i7hdynmk6r22z27h6tvur/3k44deefqdk2g",
        "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3k44deefqdk2g",
    ),
    (
        "https://bsky.app/profile/stephenking.bsky.social/post/3mddvy5bv6k27",
        "bluesky",
        "stephenking.bsky.social/3mddvy5bv6k27",
        "https://bsky.app/profile/stephenking.bsky.social/post/3mddvy5bv6k27",
    ),
    (
        "https://mastodon.social/@Gargron/113497187538011744/embed",
        "mastodon",
        "mastodon.social/113497187538011744",
        "https://mastodon.social/@Gargron/113497187538011744",
    ),
    (
        "https://mastodon.social/users/Gargron/statuses/103270115826048975",
        "mastodon",
        "mastodon.social/103270115826048975",
        "https://mastodon.social/@Gargron/103270115826048975",
    ),
    (
        "https://chaos.social/web/statuses/110000000000000000",
        "mastodon",
        "chaos.social/110000000000000000",
        "https://chaos.social/web/statuses/110000000000000000",
    ),
    ("https://t.me/s/durov/43", "telegram", "durov/43", "https://t.me/durov/43"),
    (
        "https://www.reddit.com/r/investing/comments/7pfpeq/buffett_on_cyrptocurrencies/?ref=share",
        "reddit",
        "7pfpeq",
        "https://www.reddit.com/r/investing/comments/7pfpeq/",
    ),
    (
        "https://old.reddit.com/r/aww/comments/7pfpeq/slug/ds2n5xk/",
        "reddit",
        "7pfpeq/ds2n5xk",
        "https://www.reddit.com/r/aww/comments/7pfpeq/comment/ds2n5xk/",
    ),
    (
        "https://youtu.be/dQw4w9WgXcQ?t=42",
        "youtube",
        "dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "youtube",
        "dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://www.tiktok.com/embed/v2/7362946149227056416",
        "tiktok",
        "7362946149227056416",
        "https://www.tiktok.com/@/video/7362946149227056416",
    ),
    (
        "https://www.instagram.com/reel/Ci22crtrcRL/?igsh=x",
        "instagram",
        "Ci22crtrcRL",
        "https://www.instagram.com/p/Ci22crtrcRL/",
    ),
    (
        "https://www.facebook.com/permalink.php?story_fbid=pfbid02abc&id=100064",
        "facebook",
        "pfbid02abc",
        "https://www.facebook.com/100064/posts/pfbid02abc",
    ),
    (
        "https://www.facebook.com/watch/?v=1234567890",
        "facebook",
        "1234567890",
        "https://www.facebook.com/watch/?v=1234567890",
    ),
    (
        "https://www.threads.net/@zuck/post/C8Y0K8UJbGx",
        "threads",
        "C8Y0K8UJbGx",
        "https://www.threads.com/@zuck/post/C8Y0K8UJbGx",
    ),
    (
        "https://vimeo.com/channels/staffpicks/76979871",
        "vimeo",
        "76979871",
        "https://vimeo.com/76979871",
    ),
]


@pytest.mark.parametrize(("url", "platform", "post_id", "canonical"), POST_URLS)
def test_post_urls_are_recognised(url, platform, post_id, canonical):
    ref = identify(url)
    assert (ref.platform, ref.post_id, ref.url) == (platform, post_id, canonical)


@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/@someone/1234567890",  # not a Mastodon instance
        "https://www.youtube.com/@channel/1234",
        "https://medium.com/@writer/12345",
        "https://mastodon.social/@Gargron",  # a profile, not a status
        "https://t.me/c/1234567/89",  # a private channel
        "https://www.reddit.com/r/investing/",
        "https://www.youtube.com/embed/videoseries?list=PL123",
        "https://www.facebook.com/plugins/page.php?href=https%3A%2F%2Fwww.facebook.com%2FSPD",
        "https://www.instagram.com/ladygaga/",
    ],
)
def test_urls_that_name_no_post_are_not_claimed(url):
    assert identify(url) is None


def test_x_is_asked_first_and_mastodon_last():
    names = [module.NAME for module in PLATFORMS]
    assert names[0] == "x"
    assert names[-1] == "mastodon"
    assert len(set(names)) == len(names) == 12  # with SoundCloud
