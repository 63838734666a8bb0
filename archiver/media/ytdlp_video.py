"""The videos a page or a post URL shows, found and downloaded by yt-dlp through our Fetcher.

yt-dlp is used as a library: its extractors (the platforms' and the generic one, which
reads HTML5 `<video>`, HLS and DASH manifests) find the formats; its native downloaders
fetch them; ffmpeg, when installed, merges separate video and audio. Every request goes
through `ytdlp_network.FetcherHandler`; downloaders that would open the network
themselves (ffmpeg or another program given a URL) are refused.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from yt_dlp import YoutubeDL
from yt_dlp.downloader import get_suitable_downloader
from yt_dlp.downloader.dash import DashSegmentsFD
from yt_dlp.downloader.f4m import F4mFD
from yt_dlp.downloader.hls import HlsFD
from yt_dlp.downloader.http import HttpFD
from yt_dlp.downloader.ism import IsmFD
from yt_dlp.networking import Request
from yt_dlp.utils import DownloadError, YoutubeDLError

from archiver.errors import ArchiveError, StorageError
from archiver.fetch.client import Fetcher
from archiver.media.hls import cut_window, is_live
from archiver.media.video_sources import Preloaded, VideoOptions
from archiver.media.ytdlp_network import FetcherHandler, request_director

# yt-dlp's downloaders that fetch through its urlopen (so through our handler). The others
# run a program on the URL (ffmpeg, rtmpdump, aria2c...) that would fetch it itself.
NATIVE_DOWNLOADERS = (HttpFD, HlsFD, DashSegmentsFD, IsmFD, F4mFD)
# Should a native downloader still hand a stream to ffmpeg (HlsFD does, for what it cannot
# join itself), ffmpeg may read local files only: the stream's URL fails.
FFMPEG_INPUT_ARGS = ["-protocol_whitelist", "file,crypto,data"]
LIVE_NOTE = "a live stream: recorded only what it served while archived (partial)"
# Videos taken from one page at most (a gallery page may list hundreds).
MAX_VIDEOS_PER_PAGE = 20


@dataclass
class DownloadedVideo:
    """One video yt-dlp found and downloaded: its file, subtitles and info JSON, in a work dir."""

    url: str  # the media URL of the chosen format (or the page's, for merged formats)
    path: Path
    info_json: bytes  # yt-dlp's info dict, as its --write-info-json writes it
    info: dict
    subtitles: list[tuple[str, str, Path]] = field(default_factory=list)  # language, URL, file
    note: str | None = None  # what a user should know: no ffmpeg to merge, a live stream cut
    partial: bool = False  # a live stream: what its playlist listed while archived, not all of it
    # The bodies (as their WARC responses' payload digests) the video and its subtitles were
    # downloaded from, and those its info was extracted from besides.
    parts_sha256: list[str] = field(default_factory=list)
    info_parts_sha256: list[str] = field(default_factory=list)


@dataclass
class VideoFailure:
    """A video yt-dlp found but could not download, and why (the page's other videos are kept)."""

    url: str
    reason: str


class _ArchiverYDL(YoutubeDL):
    """A YoutubeDL whose network is the Fetcher alone and that runs no network program."""

    def __init__(self, params: dict, handler_args: dict):
        self._handler_args = handler_args
        self.handler: FetcherHandler | None = None
        self.live_notes: list[str] = []  # of the live streams joined since _downloaded last read
        super().__init__(params)

    @functools.cached_property
    def _request_director(self):
        director = self.build_request_director([])
        self.handler = FetcherHandler(
            logger=director.logger,
            headers=self.params["http_headers"].copy(),
            cookiejar=self.cookiejar,
            **self._handler_args,
        )
        return request_director(director.logger, self.handler)

    def load_session(self, cookies) -> None:
        """The run's --cookies session in yt-dlp's jar: its extractors see the login, and each
        request sends the cookies of its own host (never written back to the user's file)."""
        if cookies is not None:
            for cookie in cookies.jar:
                self.cookiejar.set_cookie(cookie)

    def dl(self, name, info, subtitle=False, test=False):
        if str(info.get("protocol", "")).startswith("m3u8"):
            info = self._listed_now(info)
        downloader = get_suitable_downloader(info, self.params, to_stdout=(name == "-"))
        if not issubclass(downloader, NATIVE_DOWNLOADERS):
            raise DownloadError(
                f"this format ({info.get('protocol')}) needs {downloader.get_basename()} to fetch"
                " it, which would bypass the archiver's fetcher; not downloaded"
            )
        return super().dl(name, info, subtitle=subtitle, test=test)

    def _listed_now(self, info: dict) -> dict:
        """An HLS format with its media playlist read once, here (through the Fetcher, as
        HlsFD would read it), joined natively from that text.

        yt-dlp leaves a live stream (one its extractor says is live, or whose playlist has no
        #EXT-X-ENDLIST) to ffmpeg; here the segments its playlist lists now are joined, the
        first `max_live_seconds` of them at most: the stream as it stood when archived, which
        makes the video partial (`live_notes`, read by _downloaded).
        """
        if info.get("hls_media_playlist_data"):
            return info
        request = Request(info["url"], headers=info.get("http_headers") or {})
        with self.urlopen(request) as answer:
            url, text = answer.url, answer.read().decode("utf-8", "ignore")
        listed = {**info, "url": url, "hls_media_playlist_data": text}
        if not (info.get("is_live") or is_live(text)):
            return listed
        cap = self.params["max_live_seconds"]
        window = cut_window(text, cap)
        note = LIVE_NOTE
        if window.kept < window.listed:
            note += (
                f"; its playlist listed {window.listed:g} s, the first {window.kept:g} s were kept"
                f" (max_live_seconds {cap})"
            )
        self.live_notes.append(note)
        return {**listed, "is_live": False, "protocol": "m3u8_native",
                "hls_media_playlist_data": window.text}  # fmt: skip


def download_videos(
    fetcher: Fetcher,
    url: str,
    work_dir: Path,
    options: VideoOptions,
    *,
    follow_links: bool,
    preloaded: dict[str, Preloaded] | None = None,
) -> list[DownloadedVideo | VideoFailure]:
    """Every video yt-dlp finds at `url`, downloaded into work_dir; [] when it finds none.

    `follow_links`: whether a result that only points at another URL (an embedded player
    on a page) is followed; a page's embedded posts are archived as posts instead.
    Raises ArchiveError when yt-dlp finds nothing it can read (StorageError when the disk
    failed); a video it found but could not download is a VideoFailure in the list.
    """
    params = _params(work_dir, options, fetcher.settings.user_agent)
    if not follow_links:
        # A page's own players only (the generic extractor and its HTML5 media reader): asking
        # every site's extractor for its embeds would import them all (55 MB) to find posts
        # the page path archives as posts anyway.
        params["allowed_extractors"] = [r"^(?:generic|html5)$"]
    handler_args = {"fetcher": fetcher, "max_bytes": options.max_bytes, "preloaded": preloaded}
    with _ArchiverYDL(params, handler_args) as ydl:
        ydl.load_session(fetcher.cookies)
        try:
            found = ydl.extract_info(url, download=False, process=False)
        except YoutubeDLError as exc:  # DownloadError, and a request no handler would send
            if "Unsupported URL" in str(exc):
                return []
            raise _failure(exc, ydl) from None
        extracted_from = list(_bodies(ydl))
        downloaded: list[DownloadedVideo | VideoFailure] = []
        for entry in _video_entries(found, follow_links)[:MAX_VIDEOS_PER_PAGE]:
            before, ydl.live_notes = len(_bodies(ydl)), []
            try:
                done = ydl.process_ie_result(entry, download=True)
            except YoutubeDLError as exc:
                failure = _failure(exc, ydl)
                if isinstance(failure, StorageError):
                    raise failure from None
                downloaded.append(VideoFailure(_entry_url(entry, url), str(failure)))
                continue
            video = _downloaded(ydl, done, options, url)
            video.parts_sha256 = list(dict.fromkeys(_bodies(ydl)[before:]))
            video.info_parts_sha256 = list(dict.fromkeys(extracted_from + _bodies(ydl)[before:]))
            downloaded.append(video)
        return downloaded


class _Quiet:
    """yt-dlp's logger: nothing printed (its errors come back as exceptions, said once by us)."""

    def debug(self, message: str) -> None:
        pass

    info = warning = error = debug


def _params(work_dir: Path, options: VideoOptions, user_agent: str) -> dict:
    return {
        "logger": _Quiet(),
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "no_color": True,
        "paths": {"home": str(work_dir), "temp": str(work_dir)},
        "outtmpl": {"default": "video-%(autonumber)s.%(ext)s"},
        "restrictfilenames": True,
        "format": format_spec(options.max_bytes, options.ffmpeg),
        "max_filesize": options.max_bytes,
        # The Fetcher retries; yt-dlp retrying on top would multiply requests.
        "retries": 0,
        "fragment_retries": 0,
        "extractor_retries": 0,
        "file_access_retries": 0,
        "skip_unavailable_fragments": False,
        "noplaylist": True,
        "playlistend": MAX_VIDEOS_PER_PAGE,
        "writesubtitles": True,
        "subtitleslangs": ["all"],
        "subtitlesformat": "vtt/srt/best",
        # The bytes as served (joined, or merged when they come apart): no remuxing fixups.
        "fixup": "never",
        "cachedir": False,
        "continuedl": False,
        "nopart": True,
        "overwrites": True,
        "external_downloader": {"default": "native"},
        "external_downloader_args": {"ffmpeg_i": FFMPEG_INPUT_ARGS},
        "concurrent_fragment_downloads": 1,
        "http_headers": {"User-Agent": user_agent},
        # Ours, read by _ArchiverYDL (yt-dlp ignores a parameter it does not know).
        "max_live_seconds": options.max_live_seconds,
    }


def format_spec(max_bytes: int, merge: bool) -> str:
    """yt-dlp's format selector: the best format(s) whose size, known or estimated, fits the cap.

    With ffmpeg: the best video plus the best audio, merged, else the best single file;
    without: the best single file that has both, else the best with video.
    """
    fits = f"[filesize<?{max_bytes}][filesize_approx<?{max_bytes}]"
    single = f"b{fits}/bv*{fits}/ba{fits}"
    return f"bv*{fits}+ba{fits}/{single}" if merge else single


def _video_entries(found: dict, follow_links: bool) -> list[dict]:
    """The videos of an extraction result, in order: a playlist's entries, flattened."""
    kind = found.get("_type", "video")
    if kind == "video":
        return [found]
    if kind in ("url", "url_transparent"):
        return [found] if follow_links else []
    if kind in ("playlist", "multi_video"):
        entries = []
        for entry in found.get("entries") or []:
            if isinstance(entry, dict):
                entries.extend(_video_entries(entry, follow_links=False))
            if len(entries) >= MAX_VIDEOS_PER_PAGE:
                break
        return entries
    return []


def _entry_url(entry: dict, asked: str) -> str:
    formats = entry.get("formats") or [entry]
    first = formats[0] if isinstance(formats[0], dict) else {}
    return first.get("manifest_url") or first.get("url") or entry.get("webpage_url") or asked


def _bodies(ydl: _ArchiverYDL) -> list[str]:
    return ydl.handler.bodies_sha256 if ydl.handler is not None else []


def _downloaded(
    ydl: _ArchiverYDL, done: dict, options: VideoOptions, asked: str
) -> DownloadedVideo:
    files = done.get("requested_downloads") or []
    path = Path(files[0]["filepath"]) if files and files[0].get("filepath") else None
    if path is None or not path.is_file():
        raise ArchiveError(f"yt-dlp named no video file for {done.get('webpage_url')}")
    formats = done.get("requested_formats") or [done]
    subtitles = [
        (lang, sub.get("url") or "", Path(sub["filepath"]))
        for lang, sub in (done.get("requested_subtitles") or {}).items()
        if sub.get("filepath") and Path(sub["filepath"]).is_file()
    ]
    info = ydl.sanitize_info(done, remove_private_keys=True)
    live, ydl.live_notes = ydl.live_notes, []
    if not live and (done.get("is_live") or done.get("live_status") == "is_live"):
        live = [LIVE_NOTE]
    return DownloadedVideo(
        # The file's own URL; for streams merged or joined, the manifest's (else the page's).
        url=(
            formats[0].get("manifest_url") or formats[0].get("url")
            if len(formats) == 1
            else formats[0].get("manifest_url") or done.get("webpage_url") or asked
        ),
        path=path,
        info_json=json.dumps(info, ensure_ascii=False, indent=1).encode("utf-8"),
        info=info,
        subtitles=subtitles,
        note=_note(done, options, live),
        partial=bool(live),
    )


def _note(done: dict, options: VideoOptions, live: list[str]) -> str | None:
    notes = []
    if not options.ffmpeg and any(
        f.get("vcodec") == "none" or f.get("acodec") == "none" for f in done.get("formats") or []
    ):
        notes.append(
            "ffmpeg is not installed: the best single-file format was kept; separate video"
            " and audio streams were not merged"
        )
    notes.extend(dict.fromkeys(live))
    return "; ".join(notes) or None


def _failure(exc: YoutubeDLError, ydl: _ArchiverYDL) -> ArchiveError:
    """The Fetcher's own error when it caused the failure (a StorageError stays one), else yt-dlp's."""
    ours = ydl.handler.errors if ydl.handler is not None else []
    for error in ours:
        if isinstance(error, StorageError):
            return error
    message = str(exc).removeprefix("ERROR: ").strip()
    if "archiver's fetcher sends GET and POST only" in message:
        message = "the site's extractor sends requests the archiver's fetcher does not send"
    if "Requested format is not available" in message:
        message = "no format of the video fits under the size limit"
    return ArchiveError(f"video not downloaded: {message}")
