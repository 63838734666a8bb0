"""Embeds only the rendered DOM shows: posts a page's scripts inject (--screenshot).

Discovery runs over the DOM as Chromium rendered it (media/render.py), after the static
discovery over the page as served. A post found there and not in the served page is an
embed of its own, `found_by = rendered`, after the served page's embeds; what the static
discovery found stays as it found it.
"""

from __future__ import annotations

import dataclasses

from archiver.discovery.embeds import MAX_EMBEDS, discover_within
from archiver.models import Embed
from archiver.platforms.soup import MarkupTooLarge

RENDERED = "rendered"


def rendered_embeds(
    static: list[Embed], dom: str | None, page_url: str | None, *, max_chars: int
) -> list[Embed]:
    """The posts the rendered DOM embeds that `static` lacks, numbered after it (none from a DOM
    longer than `max_chars`, as a served page that large is not parsed either)."""
    if not dom or len(dom) > max_chars or len(static) >= MAX_EMBEDS:
        return []
    try:
        found = discover_within(dom, page_url, content_type="text/html").embeds
    except MarkupTooLarge:
        return []
    known = {embed.post_url for embed in static if embed.post_url}
    new = [embed for embed in found if embed.post_url and embed.post_url not in known]
    start = max((embed.position for embed in static), default=-1) + 1
    return [
        dataclasses.replace(embed, found_by=RENDERED, position=start + i)
        for i, embed in enumerate(new[: MAX_EMBEDS - len(static)])
    ]
