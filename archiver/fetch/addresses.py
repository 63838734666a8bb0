"""Which hosts are private: loopback, private networks, link-local and other non-public addresses.

A public page must not be able to send the archiver into the network it runs
in (a cloud metadata service at 169.254.169.254, a router's admin page at
192.168.1.1): `fetch` refuses such redirects unless the user mapped the host.
"""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def private_address(host: str, *, resolve: bool) -> str | None:
    """The non-public address `host` names or (with resolve) resolves to; None when it is public.

    Literal addresses are recognised in every form a resolver accepts
    (`127.1`, `2130706433`, `0x7f.0.0.1`, `[::ffff:127.0.0.1]`) without a DNS
    query. A name that does not resolve counts as public: the request itself
    will then fail with its own error.
    """
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return name  # resolvers answer these with loopback without asking DNS (RFC 6761)
    literal = literal_address(name)
    if literal is not None:
        return None if is_public(literal) else str(literal)
    if not resolve or not name:
        return None
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not is_public(address):
            return str(address)
    return None


def literal_address(name: str) -> IPAddress | None:
    """The address a host that is an IP literal stands for, in any of its spellings; else None."""
    try:
        return ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        pass
    try:
        # inet_aton takes the legacy forms (decimal, hex, octal, short) that
        # getaddrinfo would also turn into an address, and never queries DNS.
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except (OSError, UnicodeError, ValueError):
        return None


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses; an IPv6 address that carries an IPv4
    address (mapped, compatible, NAT64, 6to4, Teredo) is public only if that one is too."""
    if not (address.is_global and not address.is_multicast):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return all(is_public(inner) for inner in embedded_ipv4(address))
    return True


# RFC 6052's well-known NAT64 prefix and RFC 8215's local-use one: the last 32 bits are the
# IPv4 address a translator connects to. The standard library has no property for these.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (RFC 4291 2.5.5.1)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, 6to4, Teredo, NAT64 or compatible."""
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in network for network in _NAT64) or address in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [inner for inner in found if inner is not None]


def resolve_all(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for a TCP connection, in the resolver's order."""
    seen: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen
