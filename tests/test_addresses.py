"""Which hosts count as private, in every spelling a resolver accepts, without asking DNS."""

from __future__ import annotations

import socket

import pytest

from archiver.fetch.addresses import private_address


@pytest.mark.parametrize(
    "host,address",
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("10.1.2.3", "10.1.2.3"),
        ("172.16.0.1", "172.16.0.1"),
        ("192.168.1.1", "192.168.1.1"),
        ("169.254.169.254", "169.254.169.254"),
        ("100.64.0.1", "100.64.0.1"),  # carrier-grade NAT
        ("0.0.0.0", "0.0.0.0"),
        ("fe80::1", "fe80::1"),
        ("fd00::1", "fd00::1"),
        # IPv6 forms that carry an IPv4 address are judged by the address inside.
        ("[64:ff9b::7f00:1]", "64:ff9b::7f00:1"),  # NAT64, well-known prefix
        ("[64:ff9b:1::a00:1]", "64:ff9b:1::a00:1"),  # NAT64, local-use prefix
        ("[2002:7f00:1::]", "2002:7f00:1::"),  # 6to4 of 127.0.0.1
        ("[2002:a9fe:a9fe::1]", "2002:a9fe:a9fe::1"),  # 6to4 of 169.254.169.254
        ("[::7f00:1]", "::7f00:1"),  # IPv4-compatible (deprecated)
        ("[::ffff:a9fe:a9fe]", "::ffff:a9fe:a9fe"),
        (
            "[2001:0:4136:e378:8000:63bf:f5ff:fffe]",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
        ),  # Teredo
        ("localhost", "localhost"),
        ("LOCALHOST.", "localhost"),
        ("metadata.localhost", "metadata.localhost"),
    ],
)
def test_private_addresses_are_recognised_without_dns(host, address, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    assert private_address(host, resolve=True) == address


@pytest.mark.parametrize(
    "host",
    ["8.8.8.8", "2606:4700::1", "x.com", "pbs.twimg.com", "[64:ff9b::808:808]", "[2002:808:808::]"],
)
def test_public_hosts_pass_when_not_resolved(host, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    assert private_address(host, resolve=False) is None


def test_a_name_is_judged_by_every_address_it_resolves_to(monkeypatch):
    answers = {"mixed.example": ["93.184.216.34", "10.0.0.7"], "public.example": ["93.184.216.34"]}

    def getaddrinfo(host, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror("unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert private_address("mixed.example", resolve=True) == "10.0.0.7"
    assert private_address("public.example", resolve=True) is None
    assert private_address("nowhere.example", resolve=True) is None  # the request will say so


def _no_dns(*args, **kwargs):
    raise AssertionError("no DNS query for a literal address")
