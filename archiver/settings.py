"""One Settings object built from flags and the environment, passed down to every step."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from archiver import __version__
from archiver.errors import UsageError

USER_AGENT = (
    f"archiver/{__version__} (evidence archiver; +https://github.com/archiver-project/archiver)"
)

# The variables that set the budgets of one URL (budgets name them when they run out).
DEADLINE_SETTING = "ARCHIVER_URL_DEADLINE"
REQUESTS_SETTING = "ARCHIVER_MAX_REQUESTS"

# The on/off variables and the Settings field each sets; all read by `parse_boolean`.
BOOLEAN_SETTINGS = {
    "ARCHIVER_VIDEO": "video",
    "ARCHIVER_SCREENSHOT": "screenshot",
    "ARCHIVER_WAYBACK": "wayback",
}
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("archive.db")
    blobs_dir: Path = Path("blobs")
    # WARC files sit beside the blob store unless told otherwise.
    warc_dir: Path | None = None
    connect_to: Mapping[str, str] = field(default_factory=dict)
    user_agent: str = USER_AGENT
    timeout: float = 30.0
    max_redirects: int = 10
    max_retries: int = 3
    backoff_base: float = 0.5
    max_retry_after: float = 60.0
    max_response_bytes: int = 4 * 1024**3  # media may be long videos
    max_document_bytes: int = 64 * 1024**2  # HTML and JSON we parse in memory
    # A page larger than this is kept (bytes, WARC) but not parsed for embeds and
    # metadata: parsing costs about 1.3 s and 35 MB of memory per MB of HTML.
    max_parse_bytes: int = 16 * 1024**2
    # A compressed body may expand this many times its size on the wire (past its first MiB).
    max_decode_ratio: int = 200
    # A body arriving slower than this (bytes a second on average, after the grace seconds) is
    # cut: a server dripping a byte every few seconds never trips the per-read timeout.
    min_transfer_rate: int = 1024
    transfer_grace: float = 15.0
    # An image decoding to more pixels than this is kept byte for byte, its analysis skipped.
    max_analysis_pixels: int = 32_000_000
    # What one URL asked for may cost, its embedded posts and all media included (fetch/budget.py):
    # seconds from its start (a request in flight is cut when they run out), and requests (enough
    # for a video of a thousand HLS segments, or a page's embeds each with a few photos).
    url_deadline: float = 300.0
    max_requests_per_capture: int = 2000
    # Requests in flight to one host: Scrapy's CONCURRENT_REQUESTS_PER_DOMAIN. Below
    # --concurrency it would leave a list of one platform's posts (one API host) waiting on
    # it, as 4 did (bench/archive_throughput.py); the adaptive rate guards the host.
    per_host_concurrency: int = 8
    # Video through yt-dlp (media/ytdlp_video.py): on unless ARCHIVER_VIDEO=0; the chosen
    # format(s) of one video may be this large.
    video: bool = True
    max_video_bytes: int = 2 * 1024**3
    # A live stream's playlist is followed for this many seconds of its segments at most.
    max_live_seconds: int = 1800
    # Politeness (fetch/politeness.py): seconds between request starts to one host, or
    # None (the default) for a per-host rate that adapts to 429/503 answers.
    host_delay: float | None = None
    concurrency: int = 4
    author: str | None = None
    # RFC 3161 Time Stamp Authorities that stamp each capture's manifest (none: off).
    tsa_urls: tuple[str, ...] = ()
    tsa_timeout: float = 15.0
    tsa_roots: Path | None = None  # PEM roots to trust for TSA signatures
    # OpenTimestamps calendars that anchor each checkpoint in Bitcoin (none: off).
    ots_calendars: tuple[str, ...] = ()
    # A Netscape cookies.txt of a logged-in browser (fetch/cookies.py): loaded once per run by
    # the Fetcher, whose `cookies` every request, yt-dlp's and the browser's too, is given from.
    cookies_file: Path | None = None
    # Save Page Now (evidence/wayback.py): submit each archived URL to the Wayback Machine;
    # with keys ("access:secret", never printed) through the authenticated SPN2 API.
    wayback: bool = False
    wayback_keys: str | None = field(default=None, repr=False)
    wayback_poll: float = 5.0  # seconds between status polls of a Save Page Now job
    wayback_wait: float = 180.0  # seconds a job may take before it is recorded as failed
    # --screenshot: each post's page (or the article) rendered in Chromium, kept as PNG and PDF.
    screenshot: bool = False
    chromium_path: Path | None = None  # else chromium on PATH (media/render.py)
    render_timeout: float = 60.0  # seconds for the page to load before it is shot as it is
    # Blobs, thumbnails and WARC files on S3-compatible storage (s3://BUCKET/PREFIX) instead of
    # blobs_dir, for archive, the queue's workers and writer, serve, verify and export (media/s3blobs.py).
    blob_url: str | None = None
    # The Redis of a scale-out run (archiver/queue/): redis://HOST:PORT/DB.
    queue_url: str | None = None

    @property
    def warcs(self) -> Path:
        return self.warc_dir if self.warc_dir is not None else self.blobs_dir.parent / "warcs"

    @property
    def error_log(self) -> Path:
        """Where the tracebacks of unexpected errors go: beside the database, appended."""
        return self.db_path.parent / "archiver-errors.log"

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Defaults, then ARCHIVER_* variables, then explicit overrides (None means unset)."""
        env = os.environ if env is None else env
        values: dict = {}
        if env.get("ARCHIVER_DB"):
            values["db_path"] = Path(env["ARCHIVER_DB"])
        if env.get("ARCHIVER_BLOBS"):
            values["blobs_dir"] = env["ARCHIVER_BLOBS"]
        if env.get("ARCHIVER_WARCS"):
            values["warc_dir"] = Path(env["ARCHIVER_WARCS"])
        if env.get("ARCHIVER_QUEUE"):
            values["queue_url"] = env["ARCHIVER_QUEUE"]
        if env.get("ARCHIVER_AUTHOR"):
            values["author"] = env["ARCHIVER_AUTHOR"]
        if env.get("ARCHIVER_DELAY"):
            values["host_delay"] = _non_negative_float("ARCHIVER_DELAY", env["ARCHIVER_DELAY"])
        if env.get("ARCHIVER_RETRIES"):
            values["max_retries"] = _non_negative_int("ARCHIVER_RETRIES", env["ARCHIVER_RETRIES"])
        if env.get(DEADLINE_SETTING):
            values["url_deadline"] = _non_negative_float(
                DEADLINE_SETTING, env[DEADLINE_SETTING], least=1.0, most=7 * 86_400.0
            )
        if env.get(REQUESTS_SETTING):
            values["max_requests_per_capture"] = _non_negative_int(
                REQUESTS_SETTING, env[REQUESTS_SETTING], least=1
            )
        for name, key in BOOLEAN_SETTINGS.items():
            if env.get(name):
                values[key] = parse_boolean(name, env[name])
        if env.get("ARCHIVER_MAX_VIDEO_BYTES"):
            values["max_video_bytes"] = _non_negative_int(
                "ARCHIVER_MAX_VIDEO_BYTES", env["ARCHIVER_MAX_VIDEO_BYTES"], least=1
            )
        if env.get("ARCHIVER_MAX_LIVE_SECONDS"):
            values["max_live_seconds"] = _non_negative_int(
                "ARCHIVER_MAX_LIVE_SECONDS", env["ARCHIVER_MAX_LIVE_SECONDS"], least=1
            )
        if env.get("ARCHIVER_TSA"):
            values["tsa_urls"] = tuple(split_env_list(env["ARCHIVER_TSA"]))
        if env.get("ARCHIVER_OTS"):
            values["ots_calendars"] = tuple(split_env_list(env["ARCHIVER_OTS"]))
        if env.get("ARCHIVER_CHROMIUM"):
            values["chromium_path"] = Path(env["ARCHIVER_CHROMIUM"])
        if env.get("ARCHIVER_TSA_ROOTS"):
            values["tsa_roots"] = Path(env["ARCHIVER_TSA_ROOTS"])
        if env.get("ARCHIVER_COOKIES"):
            values["cookies_file"] = Path(env["ARCHIVER_COOKIES"])
        if env.get("ARCHIVER_WAYBACK_KEYS"):
            values["wayback_keys"] = parse_wayback_keys(env["ARCHIVER_WAYBACK_KEYS"])
        mapping = parse_connect_to(split_env_list(env.get("ARCHIVER_CONNECT_TO", "")))
        extra_mapping = overrides.pop("connect_to", None) or {}
        values["connect_to"] = {**mapping, **extra_mapping}
        values.update({k: v for k, v in overrides.items() if v is not None})
        if str(values.get("blobs_dir", "")).lower().startswith("s3://"):
            values["blob_url"] = str(values.pop("blobs_dir"))
        elif "blobs_dir" in values:
            values["blobs_dir"] = Path(values["blobs_dir"])
        if "blobs_dir" not in values and "db_path" in values:
            # An archive is its database and the blob store beside it: `--db dir/archive.db`
            # alone must not look for the files in the current directory.
            values["blobs_dir"] = values["db_path"].parent / "blobs"
        return cls(**values)


def parse_boolean(name: str, value: str) -> bool:
    """An on/off variable: 1/true/yes/on or 0/false/no/off, any case; anything else is refused,
    so a typo ("ture", "2") never quietly means one or the other."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise UsageError(
        f"{name} must be {'/'.join(TRUE_WORDS)} or {'/'.join(FALSE_WORDS)}, got {value!r}"
    )


def _non_negative_int(name: str, value: str, least: int = 0) -> int:
    """A whole number of at least `least`, in ASCII digits."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or int(value) < least:
        raise UsageError(f"{name} must be a whole number from {least}, got {value!r}")
    return int(value)


def _non_negative_float(name: str, value: str, least: float = 0.0, most: float = 60.0) -> float:
    """A number of seconds from `least` to `most`; nan and inf are refused (nan would turn a delay off)."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not least <= number <= most:
        raise UsageError(
            f"{name} must be a number of seconds from {least:g} to {most:g}, got {value!r}"
        )
    return number


def split_env_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_connect_to(items: Iterable[str]) -> dict[str, str]:
    """Parse HOST=BASE_URL pairs; HOST may be '*' for every host."""
    mapping: dict[str, str] = {}
    for item in items:
        host, sep, base = item.partition("=")
        host, base = host.strip().lower(), base.strip()
        if not sep or not host or not base:
            raise UsageError(f"--connect-to expects HOST=BASE_URL, got {item!r}")
        if not base.startswith(("http://", "https://")):
            raise UsageError(
                f"--connect-to base URL must start with http:// or https://, got {base!r}"
            )
        mapping[host] = base.rstrip("/")
    return mapping


def parse_wayback_keys(value: str) -> str:
    """ARCHIVER_WAYBACK_KEYS: the Internet Archive's S3-like "ACCESS:SECRET" pair."""
    access, sep, secret = value.strip().partition(":")
    if not sep or not access or not secret or any(c.isspace() for c in access + secret):
        raise UsageError(
            "ARCHIVER_WAYBACK_KEYS expects ACCESS:SECRET (your keys at archive.org/account/s3.php)"
        )
    return f"{access}:{secret}"
