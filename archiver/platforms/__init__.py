"""The platform registry: every `archiver/platforms/<name>.py` that exports `PLATFORM`.

Adding a platform = adding its module (with its fixtures and tests); the registry
finds it. Discovery, citations, the archived copy and the pipeline ask the
registry, never a platform's module by name.
"""

from __future__ import annotations

import importlib
import pkgutil

from archiver.platforms.base import Platform, PostRef, StoredAlias


def _registered() -> list[Platform]:
    """Every module of this package that declares a PLATFORM, in the order URLs are tried."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        platform = getattr(module, "PLATFORM", None)
        if isinstance(platform, Platform):
            found.append(platform)
    # A platform on any host (Mastodon's instances) is tried last: any URL a platform
    # with hosts of its own recognises is that platform's.
    return sorted(found, key=lambda platform: (not platform.hosts, platform.name))


PLATFORMS: list[Platform] = _registered()
_BY_NAME = {platform.name: platform for platform in PLATFORMS}


def identify(url: str) -> PostRef | None:
    """The post a URL points to, on any platform we know, or None."""
    for platform in PLATFORMS:
        ref = platform.parse_url(url)
        # A platform on any host never takes another's: x.com/@a/1 has a Mastodon
        # status's shape, but x.com is X's.
        if ref is not None and (platform.hosts or not any(p.owns(url) for p in PLATFORMS)):
            return ref
    return None


def db_id_of(url: str) -> str | None:
    """The archive id ("x:1819...") of the post a URL points to, or None."""
    ref = identify(url)
    return ref.db_id if ref else None


def platform_named(name: str) -> Platform | None:
    """The registered platform called `name` (posts.platform), or None."""
    return _BY_NAME.get(name)


def label_of(name: str) -> str:
    """How citations and pages name a platform: "X", "SoundCloud"."""
    platform = _BY_NAME.get(name)
    return platform.label if platform else name.title()


def genre_of(name: str) -> str:
    """The word citations use for one post of the platform: "Post", "Video"."""
    platform = _BY_NAME.get(name)
    return platform.genre if platform else "Post"


def media_hosts() -> frozenset[str]:
    """Every platform's media CDN hosts (each with its subdomains): the fetcher never paces them."""
    return frozenset(host for platform in PLATFORMS for host in platform.media_hosts)


def stored_alias(ref: PostRef) -> StoredAlias | None:
    """Where else the post `ref` names may be archived (see StoredAlias), or None."""
    platform = _BY_NAME.get(ref.platform)
    return platform.stored_alias(ref) if platform and platform.stored_alias else None


__all__ = [
    "PLATFORMS",
    "Platform",
    "PostRef",
    "db_id_of",
    "genre_of",
    "identify",
    "label_of",
    "media_hosts",
    "platform_named",
    "stored_alias",
]
