"""A public page may not redirect the archiver into the network it runs in, unless the user mapped the host."""

from __future__ import annotations

import socket

import pytest
from faults import query

PAGE = "<html><head><title>Inside</title></head><body><p>internal</p></body></html>"


@pytest.mark.parametrize(
    "location,address",
    [
        ("http://127.0.0.1:8080/admin", "127.0.0.1"),
        ("http://10.0.0.5/", "10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]/", "::1"),
        ("http://2130706433/", "127.0.0.1"),  # 127.0.0.1 written as one number
        ("http://localhost/", "localhost"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    replay, settings, archive_cli, earlier, location, address
):
    replay.redirect("https://news.example/story", location, 302)
    before = len(replay.requests)

    run = archive_cli("https://news.example/story")

    assert run.status == 1
    assert f"FAILED https://news.example/story: refused the redirect from https://news.example/story to {location}" in run.out  # fmt: skip
    assert f"private address ({address})" in run.out
    assert "--connect-to" in run.out  # and how to allow it, if it is meant
    assert [r.host for r in replay.requests[before:]] == ["news.example"]  # nothing sent there
    assert query(settings, "select status from captures where url = ?", [
        "https://news.example/story"
    ]) == [("error",)]  # fmt: skip
    earlier.assert_intact()


def test_a_private_host_mapped_deliberately_is_followed(replay, settings, archive_cli):
    replay.redirect("https://news.example/story", "http://10.0.0.5/story", 302)
    replay.add("http://10.0.0.5/story", PAGE, content_type="text/html")

    run = archive_cli(
        "--json",
        "https://news.example/story",
        mapping=[f"*={replay.base_url}", f"10.0.0.5={replay.base_url}"],
    )

    assert run.status == 0, run.out
    assert run.json_lines()[0]["status"] == "ok"
    assert [r.host for r in replay.requests] == ["news.example", "10.0.0.5"]


def test_redirects_inside_a_private_network_the_user_asked_for_are_followed(replay, archive_cli):
    replay.redirect("http://10.0.0.5/old", "http://10.0.0.6/new", 302)
    replay.add("http://10.0.0.6/new", PAGE, content_type="text/html")

    run = archive_cli("http://10.0.0.5/old")

    assert run.status == 0, run.out


@pytest.fixture
def intranet_dns(monkeypatch):
    """Resolve intranet.example to a private address, without asking any DNS server."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_redirect_to_a_name_that_resolves_privately_is_refused(replay, archive_cli, intranet_dns):
    # No '*' mapping here: the name would really be resolved and connected to.
    replay.redirect("https://news.example/story", "http://intranet.example/wiki", 302)

    run = archive_cli("https://news.example/story", mapping=[f"news.example={replay.base_url}"])

    assert run.status == 1
    assert "intranet.example is a private address (10.1.2.3)" in run.out
    assert replay.requested("intranet.example") == []


def test_a_name_that_resolves_privately_is_followed_when_mapped(replay, archive_cli, intranet_dns):
    replay.redirect("https://news.example/story", "http://intranet.example/wiki", 302)
    replay.add("http://intranet.example/wiki", PAGE, content_type="text/html")

    run = archive_cli(
        "https://news.example/story",
        mapping=[f"news.example={replay.base_url}", f"intranet.example={replay.base_url}"],
    )

    assert run.status == 0, run.out
    assert len(replay.requested("intranet.example")) == 1


def test_a_public_post_naming_a_private_address_for_its_media_is_not_fetched(
    replay, settings, archive_cli, earlier
):
    """The platform's JSON is hostile input: a media URL into the cloud's metadata service."""
    import json

    from faults import PHOTO_FIXTURE, post_url
    from recorded import fixture_json, serve_syndication

    metadata = "http://169.254.169.254/latest/meta-data/iam"
    recorded = fixture_json(*PHOTO_FIXTURE)
    detail = dict(recorded["mediaDetails"][0], media_url_https=f"{metadata}.jpg")
    post = json.dumps(dict(recorded, id_str="1500000000000000042", mediaDetails=[detail]))
    serve_syndication(replay, "1500000000000000042", post.encode())
    url = post_url("1500000000000000042")

    run = archive_cli("--json", url)

    line = run.json_lines()[0]
    assert line["status"] == "partial"  # the post is kept, its text and JSON
    assert f"refused {metadata}.jpg, named by {url}" in line["error"]
    assert "169.254.169.254 is a private address" in line["error"]
    assert [r.host for r in replay.requests if r.host == "169.254.169.254"] == []
    assert query(
        settings, "select sha256, error is not null from post_media where post_id = ?",
        ["x:1500000000000000042"],
    ) == [(None, 1)]  # fmt: skip
    earlier.assert_intact()


def archive_article_embedding(replay, archive_cli, host: str) -> list[dict]:
    """Archive a public article that embeds a Mastodon post on `host`; its `--json` embeds.

    No '*' mapping: `host` is really resolved (tests fake the resolver) and connected to.
    """
    article = (
        "<html><head><title>Story</title></head><body><p>The story.</p>"
        f"<iframe src='https://{host}/@admin/109999999999999999/embed'"
        " class='mastodon-embed'></iframe></body></html>"
    )
    replay.add("https://news.example/story", article, content_type="text/html")
    run = archive_cli(
        "--json", "https://news.example/story", mapping=[f"news.example={replay.base_url}"]
    )
    return run.json_lines()[0]["embeds"]


def test_a_public_article_cannot_point_its_embeds_into_the_private_network(
    replay, archive_cli, intranet_dns
):
    embeds = archive_article_embedding(replay, archive_cli, "intranet.example")

    assert [(e["status"], e["error"]) for e in embeds] == [
        (
            "failed",
            "refused https://intranet.example/@admin/109999999999999999, named by "
            "https://news.example/story: intranet.example is a private address (10.1.2.3); map"
            " it with --connect-to intranet.example=BASE_URL if it is meant",
        )
    ]
    assert {r.host for r in replay.requests} == {"news.example"}  # nothing sent inside


def test_a_public_article_cannot_point_its_image_into_the_private_network(
    replay, settings, archive_cli
):
    article = (
        "<html><head><title>Story</title>"
        "<meta property='og:image' content='http://10.0.0.5/internal.jpg'></head>"
        "<body><p>The story.</p></body></html>"
    )
    replay.add("https://news.example/story", article, content_type="text/html")

    run = archive_cli("--json", "https://news.example/story")

    line = run.json_lines()[0]
    assert line["status"] == "partial"
    assert (
        "refused http://10.0.0.5/internal.jpg, named by https://news.example/story"
        in (line["error"])
    )
    assert {r.host for r in replay.requests} == {"news.example"}
    assert query(settings, "select count(*) from media") == [(0,)]


@pytest.fixture
def rebinding_dns(monkeypatch):
    """rebind.example answers a public address `public` times, then 10.1.2.3 (DNS rebinding).

    Call it with `public`; it returns the list of the addresses connections were opened to.
    """

    def install(public: int) -> list[str]:
        answers = iter(["93.184.216.34"] * public)
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
        connected: list[str] = []

        def getaddrinfo(host, port, *args, **kwargs):
            if host == "rebind.example":
                address = next(answers, "10.1.2.3")
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]
            return real_getaddrinfo(host, port, *args, **kwargs)

        def create_connection(address, *args, **kwargs):
            connected.append(address[0])
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)
        return connected

    return install


def test_a_name_that_rebinds_to_a_private_address_after_the_check_is_not_connected_to(
    replay, archive_cli, rebinding_dns
):
    """DNS rebinding: public when checked, private when connecting. The connection is refused."""
    connected = rebinding_dns(public=1)  # the redirect's check
    replay.redirect("https://news.example/story", "http://rebind.example/wiki", 302)

    run = archive_cli("https://news.example/story", mapping=[f"news.example={replay.base_url}"])

    assert run.status == 1
    assert "rebind.example resolved to a private address (10.1.2.3) when connecting" in run.out
    assert "10.1.2.3" not in connected and "rebind.example" not in connected


def test_an_embed_on_a_name_that_rebinds_after_the_check_is_not_connected_to(
    replay, archive_cli, rebinding_dns
):
    """The article names the post; its platform's API is on a host the article only implied."""
    connected = rebinding_dns(public=2)  # the embed's check and the API request's

    (embed,) = archive_article_embedding(replay, archive_cli, "rebind.example")

    assert embed["status"] == "failed"
    assert (
        "rebind.example resolved to a private address (10.1.2.3) when connecting"
        in (embed["error"])
    )
    assert "10.1.2.3" not in connected and "rebind.example" not in connected
    assert {r.host for r in replay.requests} == {"news.example"}
