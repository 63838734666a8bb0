"""A page as a browser rendered it: Chromium, driven by Playwright, every request through our fetcher.

Each request the page makes is routed (`context.route`) to the archiver's client, which
fetches it (host mapping, the private-address rules, politeness, budgets, size caps) and
records it in the WARC; the browser is handed those bytes. So the render is made of
exactly what the WARC holds, and nothing else leaves the browser: only GET and HEAD are
fetched, WebSockets are closed unopened, service workers are blocked, and Chromium runs
with its own networking (background updates, DNS prefetch, WebRTC) turned off and a proxy
that answers nothing behind it, so whatever escaped the routing would find no way out.

Common cookie-consent dialogs are dismissed by their known "accept" buttons (never a link
that leaves the page), and what was clicked is reported, for the capture's manifest.
The result is a full-page PNG (cut at MAX_HEIGHT pixels) and a PDF, in temporary files,
and the rendered DOM. One Chromium serves a run, from a thread of its own (Playwright's sync
API keeps to the thread that started it), one page at a time, each in a fresh browser context;
each page's requests carry the calling thread's budget and WARC capture (Fetcher.handover).
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from archiver.fetch.client import Fetcher
from archiver.fetch.warc_index import stream_sha256

# Chromium's own traffic off; a dead proxy behind whatever the routing does not take.
BROWSER_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--no-first-run",
    "--no-pings",
    "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
VIEWPORT = {"width": 1280, "height": 900}
MAX_HEIGHT = 16_000  # pixels of a full-page screenshot; a longer page is cut there
SETTLE_SECONDS = 5.0  # after the load event, how long the network may take to go quiet
# Request headers the browser's requests keep when our client makes them.
FORWARDED_HEADERS = ("accept", "accept-language", "cookie", "referer")
# Response headers that describe bytes as sent, not the decoded body the browser is handed.
DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}

# The accept buttons of the common consent platforms (their own ids and classes): clicking
# one only records consent. Nothing else on a page is ever clicked.
CONSENT_BUTTONS = (
    ("OneTrust", "#onetrust-accept-btn-handler"),
    ("Didomi", "#didomi-notice-agree-button"),
    ("Cookiebot", "#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll"),
    ("Cookiebot", "#CybotCookiebotDialogBodyButtonAccept"),
    ("Quantcast", ".qc-cmp2-summary-buttons button[mode='primary']"),
    ("TrustArc", "#truste-consent-button"),
    ("Sourcepoint", "button.sp_choice_type_11"),
    ("Usercentrics", "button[data-testid='uc-accept-all-button']"),
    ("Osano", "button.osano-cm-accept-all"),
    ("CookieYes", "button.cky-btn-accept"),
    ("Complianz", "button.cmplz-accept"),
    ("iubenda", "button.iubenda-cs-accept-btn"),
    ("Klaro", "button.cm-btn-accept-all"),
    ("Civic", "#ccc-recommended-settings"),
    ("Termly", "button[data-tid='banner-accept']"),
    ("Borlabs", "a._brlbs-btn-accept-all[href='#']"),
)


@dataclass
class Rendered:
    """What one render kept: files in the fetcher's temporary directory, the DOM, what happened."""

    url: str
    # Where the page's own document came from after redirects (its response in the WARC).
    final_url: str | None = None
    screenshot: Path | None = None
    pdf: Path | None = None
    dom: str | None = None
    consent_clicked: list[dict] = field(default_factory=list)
    requests: int = 0  # answered through the fetcher
    refused: list[str] = field(default_factory=list)  # not let out, and why
    notes: list[str] = field(default_factory=list)  # what the render could not do in full
    error: str | None = None  # no render at all, and why

    def discard(self) -> None:
        for path in (self.screenshot, self.pdf):
            if path is not None:
                path.unlink(missing_ok=True)


@dataclass
class _Job:
    """One page for the browser's thread, with what its requests belong to (Fetcher.handover)."""

    rendered: Rendered
    carried: Callable[[], AbstractContextManager[None]]
    done: threading.Event = field(default_factory=threading.Event)
    started: float | None = None  # time.monotonic() when the browser's thread took it

    def failed(self, exc: Exception) -> None:
        self.rendered.discard()
        self.rendered.screenshot = self.rendered.pdf = None
        self.rendered.error = (
            f"the browser could not render {self.rendered.url}: {_first_line(exc)}"
        )


def find_chromium(configured: Path | None) -> Path | None:
    """The Chromium to drive: the configured one, else one on PATH."""
    if configured is not None:
        return configured if configured.is_file() else None
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return Path(found)
    return None


def browser_missing(configured: Path | None) -> str | None:
    """Why no render can be made here (Playwright or Chromium missing); None when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install 'archiver[screenshot]')"
    if find_chromium(configured) is None:
        where = f" at {configured}" if configured else " (install Debian's chromium)"
        return f"Chromium was not found{where}; set ARCHIVER_CHROMIUM to its path"
    return None


class Renderer:
    """Renders pages in Chromium through `fetcher`; `cookies` (Playwright's cookie dicts), when
    given, are set in the browser before the page loads (a logged-in session)."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        chromium: Path,
        timeout: float,
        cookies: Sequence[dict] = (),
    ):
        self.fetcher = fetcher
        self.chromium = chromium
        self.timeout = timeout
        self.cookies = list(cookies)
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._broken: str | None = None  # no render can be made any more, and why

    def render(self, url: str) -> Rendered:
        """Load `url`, let it settle, dismiss a consent dialog, keep a PNG, a PDF and the DOM."""
        if self._broken is not None:
            return Rendered(url, error=self._broken)
        job = _Job(Rendered(url), self.fetcher.handover())
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="archiver-browser", daemon=True
                )
                self._thread.start()
        self._jobs.put(job)
        # Each step has its timeout; this is for a browser that stops answering Playwright
        # (counted from when the page's turn came: renders queue for the one browser).
        while not job.done.wait(1.0):
            if self._broken is not None:
                return Rendered(url, error=self._broken)
            if job.started is not None and time.monotonic() - job.started > self.timeout * 4 + 30:
                self._broken = f"the browser stopped answering while rendering {url}"
                return Rendered(url, error=self._broken)
        return job.rendered

    def close(self) -> None:
        """Close the browser (a render in progress finishes first)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join(self.timeout + 30)

    def _serve(self) -> None:
        """The browser's thread: one Playwright and one Chromium for the run, a fresh context
        (no cookies, no cache) for each page; a browser that crashed is started again."""
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = None
                while (job := self._jobs.get()) is not None:
                    job.started = time.monotonic()
                    try:
                        if browser is None or not browser.is_connected():
                            browser = p.chromium.launch(
                                executable_path=str(self.chromium), headless=True,
                                args=list(BROWSER_ARGS),
                            )  # fmt: skip
                        with job.carried():
                            self._render(browser, job.rendered)
                    except Exception as exc:  # the capture goes on without a render
                        job.failed(exc)
                    finally:
                        job.done.set()
                if browser is not None:
                    browser.close()
        except Exception as exc:  # Playwright itself would not start
            self._broken = f"the browser could not be started: {_first_line(exc)}"
            while (job := self._jobs.get()) is not None:
                job.failed(exc)
                job.done.set()

    def _render(self, browser, rendered: Rendered) -> None:
        context = browser.new_context(
            viewport=VIEWPORT, service_workers="block", accept_downloads=False
        )
        try:
            if self.cookies:
                context.add_cookies(self.cookies)
            context.route("**/*", lambda route: self._answer(route, rendered))
            context.route_web_socket("**/*", lambda ws: _refuse_socket(ws, rendered))
            self._shoot(context.new_page(), rendered)
        finally:
            context.close()

    def _shoot(self, page, rendered: Rendered) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        page.set_default_timeout(self.timeout * 1000)
        try:
            page.goto(rendered.url, wait_until="load", timeout=self.timeout * 1000)
        except PlaywrightTimeout:
            rendered.notes.append(f"the page had not finished loading after {self.timeout:g} s")
        _settle(page)
        rendered.consent_clicked = dismiss_consent(page)
        if rendered.consent_clicked:
            _settle(page)
        height = page.evaluate("() => document.documentElement.scrollHeight") or 0
        clip = None
        if height > MAX_HEIGHT:
            rendered.notes.append(f"the screenshot is cut at {MAX_HEIGHT:,} of {height:,} pixels")
            clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": MAX_HEIGHT}
        stem = self.fetcher.tmp_dir / f"render-{threading.get_ident()}-{time.monotonic_ns()}"
        rendered.screenshot = stem.with_suffix(".png")
        page.screenshot(path=rendered.screenshot, full_page=True, clip=clip)
        rendered.dom = page.content()
        page.emulate_media(media="screen")
        rendered.pdf = stem.with_suffix(".pdf")
        page.pdf(path=rendered.pdf, print_background=True, format="A4")

    def _answer(self, route, rendered: Rendered) -> None:
        """Fetch what the browser asks for through our client and hand it the bytes kept."""
        request = route.request
        url = request.url
        if request.method not in ("GET", "HEAD") or not url.startswith(("http://", "https://")):
            rendered.refused.append(f"{request.method} {url[:300]}: only GET is fetched")
            route.abort("blockedbyclient")
            return
        if request.resource_type == "media":  # a stream to play: the picture needs its poster
            rendered.refused.append(f"{url[:300]}: audio and video are not loaded for the render")
            route.abort("blockedbyclient")
            return
        headers = request.headers
        sent = {k: v for k, v in headers.items() if k.lower() in FORWARDED_HEADERS}
        # The page the user asked for is theirs; what it names may not lead into a private network.
        found_at = None if url == rendered.url else rendered.url
        try:
            fetched = self.fetcher.get(url, headers=sent, found_at=found_at)
        except Exception as exc:
            rendered.refused.append(f"{url[:300]}: {_first_line(exc)}")
            route.abort("blockedbyclient")
            return
        with fetched:
            if _is_the_page(request):
                rendered.final_url = fetched.final_url
            served = {k: v for k, v in fetched.headers.items() if k.lower() not in DROPPED_HEADERS}
            rendered.requests += 1
            with contextlib.suppress(Exception):  # the page went away meanwhile
                route.fulfill(status=fetched.status, headers=served, body=fetched.read())


def dismiss_consent(page) -> list[dict]:
    """Click the accept button of a known consent dialog, in any frame; what was clicked."""
    clicked: list[dict] = []
    everything = ", ".join(selector for _, selector in CONSENT_BUTTONS)
    for frame in page.frames:
        try:  # one look per frame first: most pages show no known dialog
            if not frame.locator(everything).count():
                continue
        except Exception:
            continue
        for cmp, selector in CONSENT_BUTTONS:
            try:
                button = frame.locator(selector).first
                if not button.count() or not button.is_visible():
                    continue
                text = (button.inner_text(timeout=2000) or "").strip()[:200]
                button.click(timeout=2000, no_wait_after=True)
            except Exception:  # gone meanwhile, covered, a frame navigated: not clicked
                continue
            clicked.append({"cmp": cmp, "selector": selector, "text": text, "frame": frame.url})
            break
    return clicked


def _settle(page) -> None:
    """Wait, a little, for the network to go quiet (a page that polls never does)."""
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=SETTLE_SECONDS * 1000)


def _is_the_page(request) -> bool:
    """The request loads the page's own document (its main frame's navigation)."""
    try:
        return request.is_navigation_request() and request.frame.parent_frame is None
    except Exception:  # a request of no frame (a worker's)
        return False


def _refuse_socket(ws, rendered: Rendered) -> None:
    rendered.refused.append(f"{ws.url[:300]}: WebSockets are not opened")
    ws.close(code=1008, reason="the archiver's browser opens no WebSocket")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return stream_sha256(f)
