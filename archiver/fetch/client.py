"""One HTTP client for a run: host mapping, redirects, retries, politeness, WARC recording.

How hard each host is pressed (in-flight limits, a fixed delay or an adaptive rate) is
politeness.py's.

Every exchange (each redirect hop and each failed attempt included) is handed to
the recorder, with the raw bytes as served. How a body is read, capped, decoded
and kept is exchange.py's.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from archiver.errors import FetchError
from archiver.fetch.addresses import private_address
from archiver.fetch.budget import Budget
from archiver.fetch.cookies import SessionCookies
from archiver.fetch.exchange import BodyLimits, Fetched, Recorder, read_body, record_exchange
from archiver.fetch.politeness import Politeness
from archiver.fetch.scopes import RequestScopes
from archiver.fetch.scratch import ScratchDir
from archiver.fetch.transport import MappedTransport, PinningBackend
from archiver.fetch.urls import check_url, location_text, uri_form
from archiver.settings import Settings

RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class Fetcher(RequestScopes):
    """The run's HTTP client, shared by its threads: get() and get_ok() return a Fetched.

    `media_hosts`: the media CDN hosts of the platform registry (subdomains included),
    which the adaptive politeness never paces.
    """

    def __init__(
        self,
        settings: Settings,
        recorder: Recorder | None = None,
        *,
        tmp_dir: Path | None = None,
        media_hosts: Iterable[str] = (),
    ):
        self.settings = settings
        # The run's logged-in session, if any: the one place yt-dlp and the browser take it from.
        self.cookies = SessionCookies.load(settings.cookies_file) if settings.cookies_file else None
        self.recorder = recorder or Recorder()
        # .on: the thread's current request may only reach public addresses (PinningBackend).
        self._pinned = threading.local()
        # .url: the public document the thread's current work was led to by (found_on).
        self._led_by = threading.local()
        # .current: the Budget of the URL the thread is archiving (budget, charging).
        self._budgets = threading.local()
        self._open_budgets: set[Budget] = set()  # of every thread, for halt()
        inner = httpx.HTTPTransport(retries=0)
        # httpx does not pass a network backend through to its httpcore.ConnectionPool.
        inner._pool._network_backend = PinningBackend(inner._pool._network_backend, self._pinned)
        transport = MappedTransport(dict(settings.connect_to), inner)
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 15.0)),
            follow_redirects=False,
            headers={
                "User-Agent": settings.user_agent,
                # Only encodings we can decode with a size guard.
                "Accept-Encoding": "gzip, deflate",
            },
        )
        # Inside the blob store by default, so a downloaded body is renamed, not copied, into it;
        # in this run's own directory there, which a killed run leaves for the next to remove.
        self._scratch = None if tmp_dir else ScratchDir(settings.blobs_dir / "tmp")
        self._tmp_dir = tmp_dir
        self.politeness = Politeness(
            settings.per_host_concurrency, settings.host_delay, media_hosts
        )
        # Requests in flight across all threads: a bulk run keeps `concurrency` downloads
        # going while other threads hash and store what has arrived.
        self._network = threading.BoundedSemaphore(max(1, settings.concurrency))
        self._lock = threading.Lock()

    @property
    def tmp_dir(self) -> Path:
        """Where bodies in flight are written (made on first use)."""
        if self._tmp_dir is None:
            with self._lock:
                if self._tmp_dir is None:
                    self._tmp_dir = self._scratch.claim()
        return self._tmp_dir

    def close(self) -> None:
        self.client.close()
        if self._scratch is not None:
            self._scratch.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- public API ---------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
        stop_redirect: Callable[[str], bool] | None = None,
        found_at: str | None = None,
    ) -> Fetched:
        """GET a URL, following redirects (unless `stop_redirect(location)` says stop there).

        `found_at` is the URL of the document that named this one (a post's JSON for
        its media, a page for its links): what a public document names may not lead
        into a private network, as a redirect may not.

        Any status is returned; errors are only raised for transport failures
        that outlast the retries, redirect loops and bodies past the size cap.
        """
        asked, url = url, uri_form(url)
        check_url(url)
        named_by = found_at or getattr(self._led_by, "url", None)
        pin = self.check_named(named_by, url) if named_by is not None else False
        cap = max_bytes or self.settings.max_document_bytes
        redirects: list[str] = []
        current = url
        for _ in range(self.settings.max_redirects + 1):
            fetched = self._get_with_retries(current, headers or {}, cap, pin)
            location = fetched.headers.get("location")
            if fetched.status in REDIRECT_STATUSES and location:
                next_url = uri_form(urljoin(current, location_text(location)))
                redirects.append(next_url)
                if stop_redirect and stop_redirect(next_url):
                    fetched.url, fetched.redirects = asked, redirects
                    fetched.final_url = next_url
                    return fetched
                fetched.close()
                if next_url in redirects[:-1] or next_url == url:
                    raise FetchError(f"redirect loop at {next_url}", url=url)
                check_url(next_url)
                pin = self._refuse_private(current, next_url, url)
                current = next_url
                continue
            fetched.url, fetched.final_url, fetched.redirects = asked, current, redirects
            return fetched
        raise FetchError(f"more than {self.settings.max_redirects} redirects", url=url)

    def get_ok(self, url: str, **kwargs) -> Fetched:
        """GET and require a 2xx answer."""
        fetched = self.get(url, **kwargs)
        if not fetched.ok:
            fetched.close()
            raise FetchError(
                f"HTTP {fetched.status} from {fetched.final_url}", url=url, status=fetched.status
            )
        return fetched

    def post(
        self,
        url: str,
        data: dict[str, str] | None = None,
        *,
        content: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fetched:
        """POST a form (`data`: Save Page Now) or a raw body (`content`, sent as `content_type`:
        an extractor's JSON API), recorded with its body; a redirect is not followed, but named
        (`redirects`, `final_url`) as get() names one it was told to stop at.

        Checked as get() is (a URL the thread's document led to may not be private), charged
        to the URL's budget and paced. Sent again only when the server said it did not take
        it and when to come back (429 or 503 with a Retry-After within max_retry_after):
        otherwise a POST may have done its work before its answer was lost.
        """
        url = uri_form(url)
        check_url(url)
        led_by = getattr(self._led_by, "url", None)
        pin = self.check_named(led_by, url) if led_by is not None else False
        headers = dict(headers or {})
        if content is None:
            body = {"data": data or {}}
        else:
            body = {"content": content}
            if content_type:
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                headers["Content-Type"] = content_type
        cap, attempts = self.settings.max_document_bytes, self.settings.max_retries + 1
        for attempt in range(attempts):
            try:
                fetched = self._send("POST", url, headers, cap, pin, **body)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if (budget := self.current_budget()) is not None:
                    budget.check_time(url)
                message = f"{_describe_transport_error(exc)} posting to {url}"
                raise FetchError(message, url=url) from exc
            except httpx.InvalidURL as exc:
                raise FetchError(f"cannot request {url[:200]}: {exc}", url=url) from None
            wait = _retry_after(fetched.headers.get("retry-after"))
            said_when = fetched.status in (429, 503) and wait is not None
            if said_when and wait <= self.settings.max_retry_after and attempt < attempts - 1:
                fetched.close()
                self._sleep(wait)
                continue
            break
        fetched.url = fetched.final_url = url
        location = fetched.headers.get("location")
        if fetched.status in REDIRECT_STATUSES and location:
            fetched.final_url = uri_form(urljoin(url, location_text(location)))
            fetched.redirects = [fetched.final_url]
        return fetched

    def check_named(self, found_at: str, url: str) -> bool:
        """FetchError if a public document (`found_at`) names a private address (`url`).

        True when the request must then connect only to public addresses (PinningBackend).
        """
        return self._refuse_private(found_at, url, url, how=f"{url}, named by {found_at}")

    # -- internals ----------------------------------------------------------

    def _refuse_private(
        self, source: str, target: str, asked: str, *, how: str | None = None
    ) -> bool:
        """A public URL may not lead us to a private address, unless the user mapped that host.

        It leads there by redirecting, or by naming the address (a media URL in a post's
        JSON, a link in a page); a local file the user gave (file://) is trusted as a
        private source is. Returns True when the target was found public by resolving
        its name, so the request must connect only to public addresses (PinningBackend).

        A host is mapped deliberately when it is itself a key of connect_to; the
        '*' mapping is not deliberate about any one host. Under '*' the name is
        not resolved (every request goes to the mapped base, and tests stay
        offline), so only literal addresses and localhost are refused there.
        """
        mapping = self.settings.connect_to
        host = (urlsplit(target).hostname or "").lower()
        if host in mapping:
            return False
        resolve = "*" not in mapping
        address = private_address(host, resolve=resolve)
        if address is None:
            return resolve  # public when resolved now: keep it so when connecting
        # What the user asked for: the source, or the document that led to the work (found_on).
        asked_for = urlsplit(getattr(self._led_by, "url", None) or source)
        if asked_for.scheme not in ("http", "https"):
            return False  # named in the user's own file
        asked_host = (asked_for.hostname or "").lower()
        if asked_host not in mapping and private_address(asked_host, resolve=resolve):
            return False  # already inside a private network the user asked for
        how = how or f"the redirect from {source} to {target}"
        raise FetchError(
            f"refused {how}: {host} is a private address "
            f"({address}); map it with --connect-to {host}=BASE_URL if it is meant",
            url=asked,
        )

    def _limits(self, cap: int, budget: Budget | None) -> BodyLimits:
        s = self.settings
        return BodyLimits(cap, s.max_decode_ratio, s.min_transfer_rate, s.transfer_grace, budget)

    def _timeout(self, url: str, budget: Budget | None) -> httpx.Timeout:
        """The client's timeouts, shortened to what is left of the URL's deadline."""
        wait = self.settings.timeout
        if budget is not None:
            budget.check_time(url)
            wait = max(0.01, min(wait, budget.remaining()))
        return httpx.Timeout(wait, connect=min(wait, 15.0))

    def _sleep(self, seconds: float) -> None:
        """Wait before a retry, no longer than the URL's deadline allows."""
        budget = self.current_budget()
        time.sleep(min(seconds, budget.remaining()) if budget is not None else seconds)

    def _wait_turn(self, host: str, url: str, budget: Budget | None) -> float:
        """Wait until the host's politeness lets a request start; the time it started."""
        while True:
            wait, started = self.politeness.claim(host)
            if not wait:
                return started
            self._sleep(wait)
            if budget is not None:
                budget.check_time(url)

    def _get_with_retries(
        self, url: str, headers: dict[str, str], cap: int, pin: bool = False
    ) -> Fetched:
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            last_try = attempt == attempts - 1
            try:
                fetched = self._send("GET", url, headers, cap, pin)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if (budget := self.current_budget()) is not None:
                    budget.check_time(url)  # a read cut by the deadline: say so, not "timed out"
                if last_try:
                    raise FetchError(
                        f"{_describe_transport_error(exc)} fetching {url}", url=url
                    ) from exc
                self._sleep_backoff(attempt)
                continue
            except httpx.InvalidURL as exc:  # past what check_url sees: too long once encoded
                raise FetchError(f"cannot request {url[:200]}: {exc}", url=url) from None
            if fetched.status in RETRY_STATUSES and not last_try:
                wait = _retry_after(fetched.headers.get("retry-after"))
                if wait is not None and wait > self.settings.max_retry_after:
                    return fetched  # the caller sees the 429/503 and says so
                fetched.close()
                if wait is not None:
                    self._sleep(wait)
                else:
                    self._sleep_backoff(attempt)
                continue
            return fetched
        raise AssertionError("unreachable")

    def _sleep_backoff(self, attempt: int) -> None:
        delay = self.settings.backoff_base * (2**attempt)
        self._sleep(delay * (0.75 + random.random() / 2))

    def _send(
        self, method: str, url: str, headers: dict[str, str], cap: int, pin: bool, **content
    ) -> Fetched:
        host = urlsplit(url).hostname or ""
        budget = self.current_budget()
        headers = self._with_cookies(url, headers)
        if budget is not None:
            budget.charge(url)
        started = self._wait_turn(host, url, budget)
        self._pinned.on = pin
        try:
            with (
                # The host's slot first: a thread queued for a busy host must not hold one of
                # the run's network slots meanwhile, which requests to other hosts could use.
                self.politeness.slot(host),
                self._network,
                # Evaluated once the slots are ours: waiting for them spends the deadline too.
                self.client.stream(
                    method, url, headers=headers, timeout=self._timeout(url, budget), **content
                ) as response,
            ):
                body = read_body(response, url, self._limits(cap, budget), self.tmp_dir)
        finally:
            self._pinned.on = False
        self.politeness.observe(host, response.status_code, started)
        # Recorded after the connection and its slots are given back.
        return record_exchange(response, url, body, self.recorder)

    def _with_cookies(self, url: str, headers: dict[str, str]) -> dict[str, str]:
        """The request's headers with the session's cookies for this URL (each hop its own),
        unless the caller sends its own (yt-dlp or a browser given them from `cookies`)."""
        if self.cookies is None or any(k.lower() == "cookie" for k in headers):
            return headers
        cookie = self.cookies.header_for(url)
        return {**headers, "Cookie": cookie} if cookie else headers


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _describe_transport_error(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection broke mid-response ({exc})"
    return f"network error ({exc})"
