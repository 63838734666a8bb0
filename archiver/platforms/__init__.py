"""Pick the platform module for a URL. Adding a platform = one module listed here."""

from __future__ import annotations

from types import ModuleType

from archiver.platforms import (
    bluesky,
    facebook,
    instagram,
    mastodon,
    reddit,
    soundcloud,
    telegram,
    threads,
    tiktok,
    vimeo,
    x,
    youtube,
)
from archiver.platforms.base import PostRef

# Order matters only where patterns could overlap: X first, Mastodon (any host) last.
PLATFORMS: list[ModuleType] = [
    x,
    bluesky,
    telegram,
    reddit,
    youtube,
    tiktok,
    instagram,
    facebook,
    threads,
    vimeo,
    soundcloud,
    mastodon,
]


def identify(url: str) -> PostRef | None:
    """The post a URL points to, on any platform we know, or None."""
    for module in PLATFORMS:
        ref = module.parse_url(url)
        if ref is not None:
            return ref
    return None


def db_id_of(url: str) -> str | None:
    """The archive id ("x:1819...") of the post a URL points to, or None."""
    ref = identify(url)
    return ref.db_id if ref else None


def module_for(platform: str) -> ModuleType | None:
    for module in PLATFORMS:
        if platform == module.NAME:
            return module
    return None


__all__ = ["PLATFORMS", "PostRef", "db_id_of", "identify", "module_for"]
