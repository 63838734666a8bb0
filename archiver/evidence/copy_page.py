"""The archived-copy page of a capture, as HTML that needs nothing outside the archive.

`archiver serve` answers `/-/archive/<capture id>` with it (media from
`/-/media/<sha256>`); `archiver export --html` writes the same page beside
copies of its media files. Its style and script are inlined and allowed by
hash in its Content-Security-Policy, so nothing else can load or run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from sqlite_utils import Database

from archiver import __version__
from archiver.evidence.archived import ArchivedCapture, MediaItem, load_capture
from archiver.evidence.cite import STYLE_NAMES, cite_all, cited_post, post_page_url
from archiver.media.blobstore import blob_relpath
from archiver.media.s3blobs import S3BlobStore
from archiver.store.queries import capture_row, page_of_capture

EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
    "video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov", "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a", "application/vnd.apple.mpegurl": ".m3u8",
}  # fmt: skip


@dataclass(frozen=True)
class PageAssets:
    css: str
    js: str

    def policy(self, *, static: bool) -> str:
        """The page's Content-Security-Policy: its own style and script, media from the archive."""
        own = "'self' file:" if static else "'self'"
        return "; ".join(
            [
                "default-src 'none'",
                f"img-src {own}",
                f"media-src {own}",
                f"style-src '{_csp_hash(self.css)}'",
                f"script-src '{_csp_hash(self.js)}'",
                "base-uri 'none'",
                "form-action 'none'",
            ]
        )


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def page_assets() -> PageAssets:
    static = datasette_dir() / "static"
    return PageAssets(
        css=(static / "archived-copy.css").read_text("utf-8")
        + (static / "archiver-cite.css").read_text("utf-8"),
        js=(static / "archiver-cite.js").read_text("utf-8"),
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(datasette_dir() / "templates")),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters["breakable"] = breakable
    return env


LONG_WORD = re.compile(r"(\S{80,})")


def breakable(text: str | None) -> Markup:
    """Escaped text whose very long words may wrap (a <wbr> every 80 characters)."""
    out = []
    for part in LONG_WORD.split(text or ""):
        if LONG_WORD.fullmatch(part):
            chunks = (escape(part[i : i + 80]) for i in range(0, len(part), 80))
            out.append(Markup("<wbr>").join(chunks))
        else:
            out.append(escape(part))
    return Markup("").join(out)


def citations_for(archived: ArchivedCapture, base_url: str | None) -> list[dict]:
    """Every style's citation of the capture's post, shaped for the citation block."""
    if archived.post is None:
        return []
    post = cited_post(archived, base_url=base_url)
    return [
        {"style": c.style, "name": STYLE_NAMES[c.style], "text": c.text, "html": c.html}
        for c in cite_all(post)
    ]


def render_archived_copy(
    archived: ArchivedCapture,
    *,
    media_href: Callable[[MediaItem], str],
    base_url: str | None,
    static: bool,
    page: dict | None = None,
    assets: PageAssets | None = None,
) -> tuple[str, str]:
    """(HTML, Content-Security-Policy) of the archived-copy page."""
    assets = assets or page_assets()
    policy = assets.policy(static=static)
    html = (
        _environment()
        .get_template("archived_copy.html")
        .render(
            a=archived, c=archived.capture, p=archived.post, mf=archived.manifest or {},
            page=page, media_href=media_href, citations=citations_for(archived, base_url),
            post_page_url=post_page_url(base_url, archived.post.db_id)
            if base_url and archived.post and not static else None,
            manifest_json=json.dumps(archived.manifest, ensure_ascii=False, indent=2, sort_keys=True),
            css=assets.css, js=assets.js, csp_meta=policy if static else None,
            tool_version=__version__,
            rendered_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    )  # fmt: skip
    return html, policy


def media_filename(item: MediaItem) -> str:
    return item.sha256 + EXTENSIONS.get(item.mime or "", "")


def export_html(
    db: Database, blobs_dir: Path | S3BlobStore, capture_ids: list[str], out_dir: Path
) -> list[Path]:
    """Write each capture's archived-copy page to out_dir/<capture id>.html, its media to
    out_dir/media/ (from the blob directory or S3), and an index.html listing them; returns
    the pages written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    media_dir = out_dir / "media"
    assets = page_assets()
    written = []
    for capture_id in capture_ids:
        archived = load_capture(db, capture_id)
        for item in _all_media(archived):
            target = media_dir / media_filename(item)
            if not target.exists():
                media_dir.mkdir(exist_ok=True)
                if isinstance(blobs_dir, S3BlobStore):
                    blobs_dir.download(blob_relpath(item.sha256), target)
                else:
                    shutil.copyfile(blobs_dir / blob_relpath(item.sha256), target)
        html, _ = render_archived_copy(
            archived, media_href=lambda m: f"media/{media_filename(m)}", base_url=None,
            static=True, page=page_of_capture(db, capture_id), assets=assets,
        )  # fmt: skip
        path = out_dir / f"{_safe_name(capture_id)}.html"
        path.write_text(html, "utf-8")
        written.append(path)
    _write_index(out_dir, db, capture_ids)
    return written


def _all_media(archived: ArchivedCapture) -> list[MediaItem]:
    posts = [p for p in (archived.post, archived.quoted) if p is not None]
    return [item for post in posts for item in post.media] + archived.renders


def _safe_name(capture_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in capture_id)


def _write_index(out_dir: Path, db: Database, capture_ids: list[str]) -> None:
    env = _environment()
    found = (capture_row(db, capture_id) for capture_id in capture_ids)
    rows = [row | {"file": f"{_safe_name(row['id'])}.html"} for row in found if row is not None]
    template = env.from_string(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Archived copies</title></head><body><h1>Archived copies</h1><ul>"
        '{% for r in rows %}<li><a href="{{ r.file }}">{{ r.post_db_id or r.url }}</a> '
        "captured {{ r.started_at }} ({{ r.kind }}, {{ r.status }})</li>{% endfor %}</ul></body></html>"
    )
    (out_dir / "index.html").write_text(template.render(rows=rows), "utf-8")


def datasette_dir() -> Path:
    """The `datasette/` configuration: inside the installed package, or at the source tree's top."""
    package = Path(__file__).resolve().parents[1]  # archiver/
    for candidate in (package / "_datasette", package.parent / "datasette"):
        if (candidate / "metadata.yml").exists():
            return candidate
    raise FileNotFoundError(
        "the archiver's datasette/ configuration is missing from this installation"
    )
