"""The platform registry: every registered platform's own URL cases, labels and embed codes.

The cases live in each platform's module (`Platform.accepts` / `Platform.rejects`),
so a new platform's URLs are tested here without editing this file.
"""

from __future__ import annotations

import re

import pytest

from archiver.discovery.embeds import discover_in_html
from archiver.platforms import PLATFORMS, genre_of, identify, label_of, platform_named

ACCEPTED = [
    pytest.param(platform, case, id=f"{platform.name}:{case.url}")
    for platform in PLATFORMS
    for case in platform.accepts
]
REJECTED = [
    pytest.param(url, id=f"{platform.name}:{url}")
    for platform in PLATFORMS
    for url in platform.rejects
]


@pytest.mark.parametrize(("platform", "case"), ACCEPTED)
def test_every_accepted_url_names_its_post(platform, case):
    ref = identify(case.url)
    assert ref is not None, case.url
    assert (ref.platform, ref.post_id, ref.url) == (platform.name, case.post_id, case.canonical)
    # The canonical URL names the same post again.
    assert identify(ref.url).db_id == ref.db_id


@pytest.mark.parametrize("url", REJECTED)
def test_urls_that_name_no_post_are_not_claimed(url):
    assert identify(url) is None


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)
def test_every_platform_declares_what_users_see(platform):
    assert platform.accepts, "a platform needs URL cases that prove its patterns"
    assert platform.label and label_of(platform.name) == platform.label
    assert genre_of(platform.name) == platform.genre
    assert platform.fetch_post is not None
    assert platform_named(platform.name) is platform


def test_names_are_unique_and_any_host_platforms_are_asked_last():
    names = [platform.name for platform in PLATFORMS]
    assert len(set(names)) == len(names)
    hosted = [bool(platform.hosts) for platform in PLATFORMS]
    assert hosted == sorted(hosted, reverse=True)
    assert names[-1] == "mastodon"


def test_labels_and_genres_of_known_platforms():
    assert [label_of(n) for n in ("x", "soundcloud", "youtube", "tiktok")] == [
        "X", "SoundCloud", "YouTube", "TikTok",
    ]  # fmt: skip
    assert [genre_of(n) for n in ("x", "reddit", "vimeo", "facebook")] == [
        "Post", "Online forum post", "Video", "Status update",
    ]  # fmt: skip
    # A platform archived before it was dropped from the registry still has a name.
    assert (label_of("myspace"), genre_of("myspace")) == ("Myspace", "Post")


def test_another_platforms_host_is_never_taken_for_a_mastodon_instance():
    for platform in PLATFORMS:
        for host in platform.hosts:
            ref = identify(f"https://{host}/@someone/1234567890")
            assert ref is None or ref.platform == platform.name, host


WIDGETS = [
    pytest.param(platform, widget, id=f"{platform.name}:{widget.element}")
    for platform in PLATFORMS
    for widget in platform.widgets
]


@pytest.mark.parametrize(("platform", "widget"), WIDGETS)
def test_discovery_recognises_every_registered_widget(platform, widget):
    case = platform.accepts[0]
    # The value a widget carries: the post's id, or its URL.
    value = case.post_id if widget.to_url else case.canonical
    element = "div" if widget.element == "*" else widget.element  # "*": on any element
    html = f'<p>Before</p><{element} {widget.attribute}="{value}"></{element}>'
    [embed] = discover_in_html(html)
    assert (embed.platform, embed.post_id, embed.found_by) == (
        platform.name,
        case.post_id,
        "widget",
    )


MARKUP = [
    pytest.param(platform, code, id=f"{platform.name}:{code.tag}.{code.css_class}")
    for platform in PLATFORMS
    for code in platform.markup
]


@pytest.mark.parametrize(("platform", "code"), MARKUP)
def test_discovery_recognises_every_registered_markup_code(platform, code):
    case = platform.accepts[0]
    # The least an embed code carries: its class and a link to the post.
    html = (
        f'<{code.tag} class="{code.css_class}" data-href="{case.canonical}" cite="{case.canonical}">'
        f'<p>What the article shows</p><a href="{case.canonical}">Link</a></{code.tag}>'
    )
    [embed] = discover_in_html(html)
    assert (embed.platform, embed.post_id) == (platform.name, case.post_id)
    # Escaped in a script's JSON state, as some pages keep it, it is found too.
    escaped = html.replace("<", "\\u003c").replace('"', '\\"')
    [in_script] = discover_in_html(f'<script>window.state = {{"body": "{escaped}"}}</script>')
    assert (in_script.platform, in_script.post_id, in_script.found_by) == (
        platform.name,
        case.post_id,
        "script-json",
    )


def test_an_iframe_of_every_platform_with_a_player_url_is_recognised():
    found = 0
    for platform in PLATFORMS:
        for case in platform.accepts:
            if "embed" not in case.url and "player" not in case.url:
                continue
            [embed] = discover_in_html(f'<iframe src="{case.url}"></iframe>')
            assert (embed.platform, embed.post_id, embed.found_by) == (
                platform.name,
                case.post_id,
                "iframe",
            )
            found += 1
    assert found >= 5


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)
def test_url_patterns_read_ascii_only(platform):
    # Unicode \d takes fullwidth and Arabic-Indic digits, and re.I lets [a-z] take the
    # long s and the Kelvin sign: each would name a second, never-existing post.
    for pattern in platform.url_patterns:
        assert pattern.flags & re.ASCII, pattern.pattern
