"""A second copy at the Internet Archive: Save Page Now submissions of an archived URL.

Anonymous: GET https://web.archive.org/save/URL. The Wayback Machine answers with a
redirect to the new copy (/web/TIMESTAMP/URL), a Content-Location naming it, or a page
that watches a Save Page Now job (`spn.watchJob("spn2-...")`), whose status is polled.
With keys (Settings.wayback_keys, "ACCESS:SECRET"): the SPN2 API, POST /save with
`Authorization: LOW ACCESS:SECRET`, then GET /save/status/JOB_ID until the job succeeds
or fails. Every request goes through the run's Fetcher (host mapping, WARC; the keys are
redacted there). Whatever goes wrong (timeouts, 429, 5xx, an SPN error in JSON) is a
failed submission with its reason, never a failed capture.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from archiver.errors import ArchiveError, StorageError
from archiver.fetch.client import Fetcher
from archiver.fetch.exchange import Fetched
from archiver.settings import Settings
from archiver.store.eventlog import utc_now

WAYBACK = "https://web.archive.org"
SAVED, FAILED = "saved", "failed"
_COPY = re.compile(r"/web/(\d{14})(?:id_)?/(.+)$")
_JOB = re.compile(r"""watchJob\(\s*["'](spn2-[0-9A-Za-z_-]{1,100})["']""")


@dataclass
class WaybackCopy:
    """One submission to Save Page Now and what came of it (a wayback_copies row, less its ids)."""

    url: str  # what was submitted
    api: str  # anonymous / spn2
    status: str = FAILED  # saved / failed
    wayback_url: str | None = None  # https://web.archive.org/web/TIMESTAMP/URL
    archived_at: str | None = None  # the copy's time (ISO 8601 UTC), from its timestamp
    job_id: str | None = None
    error: str | None = None
    submitted_at: str | None = None
    finished_at: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def copy_url(timestamp: str, url: str, *, original: bool = False) -> str:
    """The Wayback Machine's copy of `url` at `timestamp`; `original`: its bytes as captured (id_)."""
    return f"{WAYBACK}/web/{timestamp}{'id_' if original else ''}/{url}"


def timestamp_time(timestamp: str) -> str | None:
    """'20261207134500' -> '2026-12-07T13:45:00Z'; None for anything else."""
    try:
        moment = datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def submit(fetcher: Fetcher, url: str, settings: Settings) -> WaybackCopy:
    """Ask Save Page Now for a copy of `url`; the outcome, a failure with its reason included."""
    keys = settings.wayback_keys
    copy = WaybackCopy(url=url, api="spn2" if keys else "anonymous", submitted_at=utc_now())
    try:
        job = (
            _submit_keyed(fetcher, url, keys, copy)
            if keys
            else _submit_anonymous(fetcher, url, copy)
        )
        if job is not None:
            copy.job_id = job
            _poll(fetcher, job, keys, settings, copy)
    except StorageError:
        raise  # the WARC cannot be written: the run stops, as for any capture
    except ArchiveError as exc:
        copy.status, copy.error = FAILED, str(exc)
    except Exception as exc:  # a hostile or unforeseen answer fails the submission only
        copy.status, copy.error = (
            FAILED,
            f"unexpected answer from the Wayback Machine ({exc!r:.200})",
        )
    copy.finished_at = utc_now()
    return copy


def _submit_anonymous(fetcher: Fetcher, url: str, copy: WaybackCopy) -> str | None:
    """GET /save/URL: the copy it names (done), or the job it started (to poll)."""
    with fetcher.get(f"{WAYBACK}/save/{url}", stop_redirect=_is_copy) as fetched:
        found = _copy_named(fetched)
        if found is not None:
            _saved(copy, *found)
            return None
        _refuse_failure(fetched)
        job = _JOB.search(fetched.text()[:1_000_000])
        if job is None:
            raise ArchiveError(
                f"the Wayback Machine answered HTTP {fetched.status} naming no copy and no job"
            )
        return job.group(1)


def _submit_keyed(fetcher: Fetcher, url: str, keys: str, copy: WaybackCopy) -> str:
    """POST /save (SPN2): the job it started."""
    with fetcher.post(f"{WAYBACK}/save", {"url": url}, headers=_auth(keys)) as fetched:
        _refuse_failure(fetched)
        answer = _json_object(fetched)
        job = answer.get("job_id")
        if not isinstance(job, str) or not job:
            raise ArchiveError(_spn_error(answer) or "Save Page Now started no job")
        return job


def _poll(
    fetcher: Fetcher, job: str, keys: str | None, settings: Settings, copy: WaybackCopy
) -> None:
    """Ask for the job's status until it succeeds, fails, or Settings.wayback_wait passes."""
    deadline = time.monotonic() + settings.wayback_wait
    while True:
        headers = _auth(keys) if keys else {"Accept": "application/json"}
        with fetcher.get(f"{WAYBACK}/save/status/{job}", headers=headers) as fetched:
            _refuse_failure(fetched)
            status = _json_object(fetched)
        state = status.get("status")
        if state == "success":
            timestamp, original = status.get("timestamp"), status.get("original_url") or copy.url
            if not isinstance(timestamp, str) or timestamp_time(timestamp) is None:
                raise ArchiveError(f"Save Page Now job {job} succeeded without a timestamp")
            _saved(copy, timestamp, str(original))
            return
        if state != "pending":
            raise ArchiveError(_spn_error(status) or f"Save Page Now job {job}: status {state!r}")
        if time.monotonic() + settings.wayback_poll > deadline:
            raise ArchiveError(
                f"Save Page Now job {job} still pending after {settings.wayback_wait:g} s"
            )
        time.sleep(settings.wayback_poll)


def _saved(copy: WaybackCopy, timestamp: str, original: str) -> None:
    copy.status, copy.error = SAVED, None
    copy.wayback_url = copy_url(timestamp, original)
    copy.archived_at = timestamp_time(timestamp)


def _is_copy(location: str) -> bool:
    return urlsplit(location).path.startswith("/web/")


def _copy_named(fetched: Fetched) -> tuple[str, str] | None:
    """(timestamp, URL) of the copy a redirect or Content-Location names."""
    for named in (fetched.final_url, fetched.headers.get("content-location") or ""):
        parts = urlsplit(named)
        if parts.netloc and parts.netloc != urlsplit(WAYBACK).netloc:
            continue
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        match = _COPY.match(target)
        if match:
            return match.group(1), match.group(2)
    return None


def _refuse_failure(fetched: Fetched) -> None:
    """ArchiveError naming what the Wayback Machine said, for an answer that is not a success."""
    runtime = fetched.headers.get("x-archive-wayback-runtime-error")
    if runtime:
        raise ArchiveError(f"the Wayback Machine refused: {runtime[:300]}")
    if fetched.status == 429:
        raise ArchiveError("the Wayback Machine is rate limiting (HTTP 429); try again later")
    if fetched.status == 401 or fetched.status == 403:
        raise ArchiveError(f"the Wayback Machine refused the keys (HTTP {fetched.status})")
    if fetched.status >= 400:
        detail = _spn_error(_json_or_empty(fetched)) if "json" in fetched.content_type else None
        raise ArchiveError(
            f"the Wayback Machine answered HTTP {fetched.status}"
            + (f": {detail}" if detail else "")
        )


def _json_object(fetched: Fetched) -> dict:
    value = fetched.json()
    if not isinstance(value, dict):
        raise ArchiveError(f"Save Page Now answered {type(value).__name__}, not a JSON object")
    return value


def _json_or_empty(fetched: Fetched) -> dict:
    try:
        return _json_object(fetched)
    except ArchiveError:
        return {}


def _spn_error(answer: dict) -> str | None:
    """An SPN error's words: its status_ext (error:too-many-daily-captures) and message."""
    if answer.get("status") != "error" and "status_ext" not in answer:
        return None
    parts = [str(answer.get(k))[:300] for k in ("status_ext", "message") if answer.get(k)]
    return "Save Page Now: " + (" - ".join(parts) if parts else "error")


def _auth(keys: str) -> dict[str, str]:
    return {"Accept": "application/json", "Authorization": f"LOW {keys}"}
