"""X / Twitter: the media of a syndication answer, as MediaRefs.

Photos at their original size (`name=orig`), a video or GIF as its best MP4 variant with its
poster; the newer `mediaDetails` shape, else the older flattened `photos[]` / `video{}`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from archiver.models import MediaRef
from archiver.platforms.shapes import integer, items, media_url, number, obj, text


def media_refs(data: dict) -> list[MediaRef]:
    """The post's photos, videos and GIFs (with their posters) from a syndication answer."""
    details = items(data.get("mediaDetails"))
    refs = [ref for item in details for ref in _media_detail(item)]
    if details:
        return refs
    # Older responses carry only the flattened photos[] / video{} shapes.
    for photo in items(data.get("photos")):
        if url := text(photo.get("url")):
            refs.append(
                MediaRef(
                    url=original_photo_url(url), type="photo",
                    width=integer(photo.get("width")), height=integer(photo.get("height")),
                )
            )  # fmt: skip
    video = obj(data.get("video"))
    if best := best_mp4(items(video.get("variants")), "src", "type", None):
        refs.append(MediaRef(url=best, type="video", duration_ms=integer(video.get("durationMs"))))
    if poster := text(video.get("poster")):
        refs.append(MediaRef(url=poster, type="poster"))
    return refs


def _media_detail(item: dict) -> list[MediaRef]:
    """One mediaDetails entry: a photo, or a video or GIF (its best MP4 and its poster)."""
    kind = item.get("type")
    info = obj(item.get("original_info"))
    width, height = integer(info.get("width")), integer(info.get("height"))
    # Not refused here when it is no usable URL: checked_post refuses it, and says so.
    url = text(item.get("media_url_https"))
    if kind == "photo":
        return [
            MediaRef(
                url=original_photo_url(url), type="photo", alt_text=text(item.get("ext_alt_text")),
                width=width, height=height,
            )
        ] if url else []  # fmt: skip
    if kind not in ("video", "animated_gif"):
        return []
    video = obj(item.get("video_info"))
    best = best_mp4(items(video.get("variants")), "url", "content_type", "bitrate")
    refs = [
        MediaRef(
            url=best, type="video" if kind == "video" else "gif", width=width, height=height,
            duration_ms=integer(video.get("duration_millis")),
        )
    ] if best else []  # fmt: skip
    return refs + ([MediaRef(url=url, type="poster")] if url else [])


def best_mp4(
    variants: list[dict], url_key: str, type_key: str, bitrate_key: str | None
) -> str | None:
    """The highest-bitrate MP4 variant (HLS playlists are not a file we can hash as one)."""
    mp4s = [v for v in variants if v.get(type_key) == "video/mp4" and media_url(v.get(url_key))]
    if not mp4s:
        return None
    if bitrate_key:
        return max(mp4s, key=lambda v: number(v.get(bitrate_key)) or 0)[url_key]
    # Without bitrates, the resolution in the path (/vid/886x546/) tells.
    return max(mp4s, key=lambda v: _pixels(v[url_key]))[url_key]


def _pixels(url: str) -> int:
    m = re.search(r"/([0-9]{1,6})x([0-9]{1,6})/", url)
    return int(m.group(1)) * int(m.group(2)) if m else 0


def original_photo_url(url: str) -> str:
    """pbs.twimg.com/media/ABC.jpg -> pbs.twimg.com/media/ABC?format=jpg&name=orig (full size)."""
    if media_url(url) is None:
        return url  # checked_post refuses it, with the reason
    parts = urlsplit(url)
    if not (parts.hostname or "").endswith("twimg.com"):
        return url
    query = dict(parse_qsl(parts.query))
    path = parts.path
    m = re.match(r"^(.*)\.(jpe?g|png|webp|gif)$", path)
    if m:
        path = m.group(1)
        query.setdefault("format", m.group(2))
    query["name"] = "orig"
    return f"{parts.scheme}://{parts.netloc}{path}?{urlencode(query)}"
