"""A logged-in session: the cookies of a Netscape cookies.txt, sent only to the hosts they belong to.

The file is the one yt-dlp and gallery-dl take (`--cookies`), exported from a browser
where the user is logged in to Instagram, Facebook or Threads. The run loads it once
(Fetcher.cookies); every request of the run, yt-dlp's and the browser's included, gets
the cookies the jar's own domain, path, secure and expiry rules give its URL, and the
WARC keeps the request with the cookie's value redacted (exchange.redact_credentials).
"""

from __future__ import annotations

import http.cookiejar
import urllib.request
from pathlib import Path

from archiver.errors import UsageError

# What a redacted header's value is replaced by in the WARC: says what was there, not what.
REDACTED = "[redacted by archiver: logged-in session]"


class SessionCookies:
    """A loaded cookies.txt: the Cookie header for a URL, and the hosts it logs in to."""

    def __init__(self, path: Path, jar: http.cookiejar.MozillaCookieJar):
        self.path = path
        self.jar = jar

    @classmethod
    def load(cls, path: Path) -> SessionCookies:
        """Read a Netscape cookies.txt; UsageError (one line) if it is missing or malformed."""
        jar = http.cookiejar.MozillaCookieJar(str(path))
        try:
            jar.load(ignore_discard=True, ignore_expires=True)
        except http.cookiejar.LoadError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            raise UsageError(
                f"--cookies {path}: not a Netscape cookies.txt file ({first[:200]})"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(f"--cookies {path}: cannot read it ({reason})") from None
        _drop_expired(jar)
        if not len(jar):
            raise UsageError(f"--cookies {path}: the file holds no cookies (or only expired ones)")
        return cls(Path(path), jar)

    def header_for(self, url: str) -> str | None:
        """The Cookie header a browser would send to `url` from this jar; None if none applies."""
        request = urllib.request.Request(url)
        self.jar.add_cookie_header(request)
        return request.get_header("Cookie")

    @property
    def domains(self) -> list[str]:
        """The domains the file has cookies for (never their values), as the manifest may name them."""
        return sorted({cookie.domain.lstrip(".") for cookie in self.jar})

    def for_browser(self) -> list[dict]:
        """The cookies in Playwright's `context.add_cookies` form (for a browser render)."""
        return [
            {
                "name": c.name, "value": c.value or "", "domain": c.domain, "path": c.path or "/",
                "secure": bool(c.secure), "httpOnly": bool(c.has_nonstandard_attr(http.cookiejar.HTTPONLY_ATTR)),
                **({"expires": float(c.expires)} if c.expires else {}),
            }
            for c in self.jar
        ]  # fmt: skip


def _drop_expired(jar: http.cookiejar.CookieJar) -> None:
    """Expired cookies out; an expiry of 0 (browser exports write it for a session cookie,
    the login itself often) kept as a session cookie, as yt-dlp reads it."""
    for cookie in list(jar):
        if cookie.expires == 0:
            cookie.expires, cookie.discard = None, True
        elif cookie.is_expired():
            jar.clear(cookie.domain, cookie.path, cookie.name)
