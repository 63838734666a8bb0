"""yt-dlp's network, replaced by ours: every request it makes goes through the run's Fetcher.

`FetcherHandler` is a yt-dlp request handler (`yt_dlp.networking.common.RequestHandler`)
that sends each GET and POST (an extractor's JSON API) through
`archiver.fetch.client.Fetcher`, so host mapping, the
private-address rules, politeness, retries, budgets, size caps and the WARC recording
apply to yt-dlp as to any other request. `request_director` builds a director that holds
only this handler: yt-dlp's own handlers (urllib, requests, curl_cffi, websockets) are
never asked, so a request ours declines fails instead of reaching the network another way.
(`register_rh` would add ours beside them, to every YoutubeDL of the process, and the
director would still fall back to theirs.)
"""

from __future__ import annotations

import hashlib
import io
import urllib.request
from email.message import Message

from yt_dlp.networking._helper import get_redirect_method
from yt_dlp.networking.common import RequestDirector, RequestHandler, Response
from yt_dlp.networking.exceptions import HTTPError, TransportError, UnsupportedRequest

from archiver.errors import ArchiveError
from archiver.fetch.client import Fetcher
from archiver.fetch.exchange import Fetched
from archiver.media.video_sources import Preloaded

# Headers the Fetcher sets itself: its truthful User-Agent, and only the encodings it decodes.
_OURS = frozenset({"user-agent", "accept-encoding"})
# Headers that describe the body as served, not the decoded body handed to yt-dlp.
_AS_SERVED = frozenset({"content-encoding", "transfer-encoding", "content-length"})
# What the body of one of yt-dlp's POSTs may hold (an API's query: a few kilobytes); it is
# held in memory and recorded with the request.
MAX_POST_BODY = 1024 * 1024


class FetcherHandler(RequestHandler):
    """Sends yt-dlp's GET and POST requests through the Fetcher; anything else is unsupported."""

    RH_KEY = "ArchiverFetcher"
    RH_NAME = "archiver-fetcher"
    _SUPPORTED_URL_SCHEMES = ("http", "https")
    _SUPPORTED_PROXY_SCHEMES = ()
    _SUPPORTED_FEATURES = ()

    def __init__(
        self,
        *,
        fetcher: Fetcher,
        max_bytes: int,
        preloaded: dict[str, Preloaded] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.fetcher = fetcher
        self.max_bytes = max_bytes
        self.preloaded = preloaded or {}
        self.errors: list[ArchiveError] = []  # ours, as raised: the caller reports the first
        # Of each 2xx body handed to yt-dlp, in order: the WARC responses a file was made from.
        self.bodies_sha256: list[str] = []

    def _check_extensions(self, extensions):
        super()._check_extensions(extensions)
        # The Fetcher keeps its own timeouts; cookies are read from the jar in _send.
        for name in ("cookiejar", "timeout", "legacy_ssl", "keep_header_casing"):
            extensions.pop(name, None)

    def _validate(self, request):
        if request.method not in ("GET", "POST") or (
            request.method == "GET" and request.data is not None
        ):
            raise UnsupportedRequest(
                f"{request.method} requests are not sent"
                " (the archiver's fetcher sends GET and POST only)"
            )
        super()._validate(request)

    def _send(self, request) -> Response:
        preloaded = self.preloaded.get(request.url) if request.method == "GET" else None
        if preloaded is not None:
            self.bodies_sha256.append(hashlib.sha256(preloaded.body).hexdigest())
            body = io.BytesIO(preloaded.body)
            return _response(request.url, preloaded.status, preloaded.headers, body)
        headers = {
            k: v for k, v in self._merge_headers(request.headers).items() if k.lower() not in _OURS
        }
        jar = self._get_cookiejar(request)
        url, method, data = request.url, request.method, _body_bytes(request.data)
        # Redirects are followed here, a hop at a time, so each hop carries its own host's
        # cookies only; each is checked by the Fetcher as a URL the document led to. A POST
        # redirected by 301, 302 or 303 becomes a GET, as yt-dlp's own handlers make it.
        for _ in range(self.fetcher.settings.max_redirects + 1):
            fetched = self._hop(url, method, data, headers, jar)
            if not fetched.redirects:
                break
            fetched.close()
            url = fetched.final_url
            if (method := get_redirect_method(method, fetched.status)) == "GET":
                data = None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        else:
            fetched.close()
            raise TransportError(f"more than {self.fetcher.settings.max_redirects} redirects")
        served = {k: v for k, v in fetched.headers.items() if k.lower() not in _AS_SERVED}
        served["Content-Length"] = str(fetched.size)
        # Opened, then unlinked: the body lives while yt-dlp reads it and is gone once it is closed.
        body = open(fetched.body_path, "rb")  # noqa: SIM115
        fetched.close()
        response = _response(fetched.final_url, fetched.status, served, body)
        if not 200 <= fetched.status < 300:
            raise HTTPError(response)
        self.bodies_sha256.append(fetched.body_sha256)
        return response

    def _hop(
        self, url: str, method: str, data: bytes | None, headers: dict[str, str], jar
    ) -> Fetched:
        """One request, stopped at a redirect: the jar's cookies for this URL, its Set-Cookie kept.

        The jar holds what yt-dlp's extractors set and the run's --cookies session; with no
        cookie of the jar for the URL, the Fetcher adds the session's itself. A POST is sent
        with the body and the content type yt-dlp gave it, nothing added.
        """
        hop = dict(headers)
        if jar is not None and (cookie := jar.get_cookie_header(url)):
            hop["Cookie"] = cookie
        try:
            if method == "POST":
                fetched = self.fetcher.post(url, content=data or b"", headers=hop)
            else:
                fetched = self.fetcher.get(
                    url, headers=hop, max_bytes=self.max_bytes, stop_redirect=lambda _next: True
                )
        except ArchiveError as exc:
            self.errors.append(exc)
            raise TransportError(str(exc), cause=exc) from exc
        if jar is not None:
            served = Message()
            for key, value in fetched.headers.multi_items():
                served[key] = value
            jar.extract_cookies(_CookieSource(served), urllib.request.Request(url))
        return fetched


def request_director(logger, handler: FetcherHandler) -> RequestDirector:
    """A director with our handler alone: a request it cannot send fails."""
    director = RequestDirector(logger=logger)
    director.add_handler(handler)
    return director


def _body_bytes(data) -> bytes | None:
    """A request's body as yt-dlp gives it (bytes, a file, or an iterable of bytes), as bytes."""
    if data is None or isinstance(data, bytes):
        body = data
    elif hasattr(data, "read"):
        body = data.read(MAX_POST_BODY + 1)
    else:
        body = b""
        for chunk in data:
            body += chunk
            if len(body) > MAX_POST_BODY:
                break
    if body is not None and len(body) > MAX_POST_BODY:
        raise UnsupportedRequest(f"a request body over {MAX_POST_BODY:,} bytes is not sent")
    return body


def _response(url: str, status: int, headers: dict[str, str], body) -> Response:
    return Response(body, url=url, headers=headers, status=status)


class _CookieSource:
    """What http.cookiejar reads Set-Cookie headers from (a urllib response's info())."""

    def __init__(self, headers: Message):
        self._headers = headers

    def info(self) -> Message:
        return self._headers
