"""HTML parsed with bounded work: how deep a tree gets and how many elements it may hold.

Every page and every platform answer that is markup is parsed here. A tree nested
deeper than MAX_HTML_DEPTH is flattened as browsers do (Chromium's parser stops nesting
at 512): deeper elements become siblings at that depth, so an embed inside 50,000
unclosed <div>s is still found, and nothing that walks the tree recurses without bound.
A document of more than MAX_HTML_ELEMENTS elements is not parsed at all (MarkupTooLarge):
the parsed tree costs about 1.2 KB an element, and past that count a page is no article.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

from archiver.errors import ParseError

# Elements nested deeper than this are made siblings at this depth (as Chromium does).
MAX_HTML_DEPTH = 512
# A document with more elements than this is refused: about 250 MB of parsed tree.
MAX_HTML_ELEMENTS = 200_000


class MarkupTooLarge(ParseError):
    """A document with more elements than MAX_HTML_ELEMENTS: refused before it costs memory."""


class _BoundedSoup(BeautifulSoup):
    """A BeautifulSoup whose tree never nests past MAX_HTML_DEPTH nor grows past MAX_HTML_ELEMENTS."""

    def reset(self) -> None:
        super().reset()
        self._elements = 0

    def handle_starttag(self, name, *args, **kwargs):  # noqa: ANN001, ANN201 (bs4's signature)
        self._elements += 1
        if self._elements > MAX_HTML_ELEMENTS:
            raise MarkupTooLarge(
                f"the document has more than {MAX_HTML_ELEMENTS:,} elements; it is kept, not parsed"
            )
        if len(self.tagStack) > MAX_HTML_DEPTH:
            self.endData()
            self.popTag()  # the deepest element closes: the new one becomes its sibling
        return super().handle_starttag(name, *args, **kwargs)


def parse_html(markup: str | bytes, parser: str = "lxml") -> BeautifulSoup:
    """The document's tree, flattened past MAX_HTML_DEPTH; MarkupTooLarge past MAX_HTML_ELEMENTS."""
    return _BoundedSoup(markup, parser)


def release(soup: BeautifulSoup) -> None:
    """Free a tree now rather than at the next cycle collection (its nodes point at each other)."""
    soup.decompose()
