"""From an embed to the post it shows: its own URL, or its short links followed to a post URL.

Also `list_embeds`, what `archiver embeds` prints: discovery and resolution, nothing stored.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict
from pathlib import Path

from archiver import platforms
from archiver.discovery.embeds import discover_embeds
from archiver.errors import ArchiveError
from archiver.fetch.client import Fetcher
from archiver.fetch.exchange import Fetched
from archiver.models import Embed, Progress
from archiver.pipeline.inputs import content_type_for, local_path, read_local, validate_target
from archiver.platforms.base import PostRef
from archiver.settings import Settings


def resolve_embed(
    embed: Embed, fetcher: Fetcher, progress: Progress | None = None, *, found_at: str
) -> PostRef | None:
    """The post an embed shows: from its URL, else by following its short links (t.co).

    `found_at` is the page the embed is in (see Fetcher.get)."""
    if embed.post_url:
        ref = platforms.identify(embed.post_url)
        if ref is not None:
            return ref
    for link in embed.short_links:
        try:
            with fetcher.get(
                link,
                stop_redirect=lambda u: platforms.identify(u) is not None,
                found_at=found_at,
            ) as fetched:
                target = (
                    fetched.final_url if fetched.final_url != link else meta_refresh_target(fetched)
                )
        except ArchiveError as exc:
            if progress:
                progress(f"could not follow {link}: {exc}")
            continue
        ref = platforms.identify(target) if target else None
        if ref is not None:
            embed.post_url, embed.post_id = ref.url, ref.post_id
            embed.unresolved_reason = None
            return ref
    return None


def list_embeds(target: str, settings: Settings, *, resolve: bool = True) -> list[dict]:
    """What `archiver embeds` prints: the posts a page or file embeds, fetched but not archived."""
    validate_target(target)
    with (
        tempfile.TemporaryDirectory(prefix="archiver-") as tmp,
        Fetcher(settings, tmp_dir=Path(tmp), media_hosts=platforms.media_hosts()) as fetcher,
        fetcher.budget(target),  # one URL, as `archive` bounds it
    ):
        path = local_path(target)
        if path is not None:
            document = read_local(path).decode("utf-8", errors="replace")
            page_url, content_type = path.resolve().as_uri(), content_type_for(path)
        else:
            with fetcher.get_ok(target) as fetched:
                document, page_url, content_type = (
                    fetched.text(),
                    fetched.final_url,
                    fetched.content_type,
                )
        found = discover_embeds(document, page_url, content_type=content_type)
        for embed in found:
            if resolve and not embed.post_url:
                resolve_embed(embed, fetcher, found_at=page_url)
    return [asdict(embed) for embed in found]


def meta_refresh_target(fetched: Fetched) -> str | None:
    """Some redirectors answer 200 with <meta http-equiv=refresh content="0;URL=...">."""
    if not fetched.ok or "html" not in fetched.content_type or fetched.size > 1_000_000:
        return None
    m = re.search(
        r"""http-equiv=["']?refresh["']?[^>]*content=["'][^"']*?url=([^"'>]+)""",
        fetched.text(),
        re.I,
    )
    return m.group(1).strip() if m else None
