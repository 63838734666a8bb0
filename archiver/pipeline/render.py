"""--screenshot: the page of a post (or the article) as Chromium rendered it, kept with its capture.

The render (media/render.py) gives a PNG and a PDF; both go to the blob store under their
SHA-256 and become media of the post (post_media) or of the page (page_media), of type
`screenshot` and `pdf`. Each is also written into the capture's WARC as a `resource` record,
named as Webrecorder's tools name theirs (models.RENDER_RECORDS), WARC-Concurrent-To the
page's response, so a WARC or WACZ reader has it and `archiver verify` re-reads it like any
record. What the render did (requests answered, refused, the consent dialog clicked, what it
could not do) goes into the capture's manifest under "render". With no browser here,
captures go on without a render: the run says so once, and each manifest says why it has none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from archiver.fetch.client import Fetcher
from archiver.media.download import Downloaded, MediaDownloader
from archiver.media.render import Rendered, Renderer, browser_missing, file_sha256, find_chromium
from archiver.models import PDF, RENDER_RECORDS, SCREENSHOT, MediaRef, Progress
from archiver.settings import Settings


@dataclass
class PageRender:
    """What a render added to a capture: its files as media, its manifest entry, the DOM."""

    media: list[Downloaded] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    dom: str | None = None


class RenderStep:
    """Renders the pages of a run's captures, or says once why it cannot."""

    def __init__(
        self,
        settings: Settings,
        fetcher: Fetcher,
        media: MediaDownloader,
        *,
        progress: Progress,
        notice: Progress,
    ):
        self.media = media
        self.recorder = fetcher.recorder
        self.progress = progress
        self.missing = browser_missing(settings.chromium_path)
        self.renderer = None
        if self.missing is None:
            chromium = find_chromium(settings.chromium_path)
            # A logged-in session (--cookies) is the browser's too: its own Cookie header then
            # carries the session beside whatever the page sets (a consent cookie, say).
            cookies = fetcher.cookies.for_browser() if fetcher.cookies else ()
            self.renderer = Renderer(
                fetcher, chromium=chromium, timeout=settings.render_timeout, cookies=cookies
            )
        self._notice = notice
        self._said = threading.Event()

    def render(self, url: str) -> PageRender:
        """The page at `url` rendered and kept; without a browser, only the reason why not."""
        if self.renderer is None:
            if not self._said.is_set():
                self._said.set()
                self._notice(f"no screenshots in this run: {self.missing}")
            return PageRender(manifest={"url": url, "error": self.missing})
        self.progress(f"rendering {url} in Chromium")
        rendered = self.renderer.render(url)
        if rendered.error:
            self.progress(f"no screenshot: {rendered.error}")
        try:
            return PageRender(self._keep(rendered), manifest_entry(rendered), rendered.dom)
        finally:
            rendered.discard()

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.close()

    def _keep(self, rendered: Rendered) -> list[Downloaded]:
        kept: list[Downloaded] = []
        for kind, path in ((SCREENSHOT, rendered.screenshot), (PDF, rendered.pdf)):
            if path is None or not path.is_file():
                continue
            prefix, content_type = RENDER_RECORDS[kind]
            # Into the WARC first: keeping the file moves it into the blob store.
            self.recorder.resource(
                prefix + rendered.url, path, content_type, made_from=rendered.final_url
            )
            stored = self.media.keep_file(path, file_sha256(path), rendered.url)
            kept.append((MediaRef(url=rendered.url, type=kind), stored, None))
        return kept


def manifest_entry(rendered: Rendered) -> dict:
    """The manifest's "render": how the page was rendered and what happened on the way."""
    entry: dict = {
        "url": rendered.url,
        "browser": "Chromium (Playwright), every request through the archiver's client",
        "requests_answered": rendered.requests,
        "requests_refused": rendered.refused,
        "consent_clicked": rendered.consent_clicked,
    }
    if rendered.notes:
        entry["notes"] = rendered.notes
    if rendered.error:
        entry["error"] = rendered.error
    return entry
