"""Notes are Markdown, rendered so that nothing in them can run or reach out.

markdown-it-py with raw HTML off (it is shown as text), images off (an image would load
from anywhere when the page opens), and links only to http(s) and mailto, opened with
rel="noopener noreferrer nofollow".
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:  # imported when a note is first rendered: archiving never renders one
    from markdown_it import MarkdownIt

SAFE_SCHEMES = ("http://", "https://", "mailto:")


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = lambda url: url.strip().lower().startswith(SAFE_SCHEMES)

    def link_open(renderer, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        tokens[idx].attrSet("referrerpolicy", "no-referrer")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def render_note(text: str | None) -> Markup:
    """A note's Markdown as HTML that is safe to put in a page."""
    return Markup(_markdown().render(text or ""))
