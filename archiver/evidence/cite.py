"""Citations of an archived post in six styles, each naming the archived copy.

Every style gives the author (name and handle), the post's date, its text cut
by the style's own rule, the platform and the original URL, then the archived
copy: when it was captured (UTC), its archive id (the capture id), the SHA-256
of its main media file (or of the post's raw JSON when it has none), its RFC
3161 timestamps, and with a base URL the archived-copy page. A deleted post is
cited by its archived copy, saying the original is gone. The rules each part
follows are named in tests/test_cite.py beside a worked example.

This module gathers what is cited from a capture (`cited_post`) and picks the style;
the styles themselves are written out in archiver/evidence/citation_styles.py.
"""

from __future__ import annotations

import hashlib
import re

from archiver.errors import UsageError
from archiver.evidence.archived import ArchivedCapture, PostAsCaptured
from archiver.evidence.citation_names import split_personal_name
from archiver.evidence.citation_styles import RENDERERS, STYLE_NAMES, STYLES
from archiver.evidence.cited import Citation, CitedPost

__all__ = [
    "STYLES", "STYLE_NAMES", "Citation", "CitedPost", "archive_url", "cite", "cite_all",
    "cited_post", "post_page_url", "split_personal_name",
]  # fmt: skip


def cited_post(
    archived: ArchivedCapture, post_db_id: str | None = None, base_url: str | None = None
) -> CitedPost:
    """The citation facts of one post in one capture (the capture's own post by default)."""
    post: PostAsCaptured | None = archived.post
    if post_db_id and archived.quoted is not None and archived.quoted.db_id == post_db_id:
        post = archived.quoted
    if post is None:
        raise UsageError(
            f"capture {archived.id} is a {archived.capture['kind']} capture, not a post: "
            "cite one of the posts it found"
        )
    label, sha256 = archived.main_hash if post is archived.post else _post_hash(post)
    gone = archived.current_status if archived.original_gone else None
    if post.status != "ok" and gone is None:
        gone = post.status
    return CitedPost(
        author_name=post.author_name, author_handle=post.author_handle, created_at=post.created_at,
        text=post.text, platform=post.platform_name, platform_id=post.platform, url=post.url,
        post_db_id=post.db_id, media_types=[m.type for m in post.media if m.type != "poster"],
        capture_id=archived.id, captured_at=archived.capture["started_at"],
        hash_label=label, sha256=sha256, archive_url=archive_url(base_url, archived.id),
        gone_status=gone, gone_since=archived.status_since if gone else None,
        timestamps=[
            (_authority(t["tsa_name"], t["tsa_url"]), t["gen_time"])
            for t in archived.timestamps if t["status"] == "stamped"
        ],
        wayback=next(
            ((w["wayback_url"], w["archived_at"]) for w in archived.wayback_saved), None
        ),
    )  # fmt: skip


def _post_hash(post: PostAsCaptured) -> tuple[str, str | None]:
    for item in post.media:
        if item.type != "poster":
            return item.type, item.sha256
    raw = post.raw.encode("utf-8") if post.raw else None
    return "post JSON", hashlib.sha256(raw).hexdigest() if raw else None


def archive_url(base_url: str | None, capture_id: str) -> str | None:
    """The archived-copy page of a capture under a served archive's base URL."""
    return f"{base_url.rstrip('/')}/-/archive/{capture_id}" if base_url else None


def post_page_url(base_url: str, post_db_id: str) -> str:
    """The post's own page under a served archive's base URL."""
    return f"{base_url.rstrip('/')}/-/post/{post_db_id}"


def cite(post: CitedPost, style: str) -> Citation:
    """The citation of `post` in `style` (one of STYLES)."""
    render = RENDERERS.get(style)
    if render is None:
        raise UsageError(f"unknown citation style {style!r}: choose one of {', '.join(STYLES)}")
    return render(post)


def cite_all(post: CitedPost) -> list[Citation]:
    """The citation of `post` in every style, in the order of STYLES."""
    return [cite(post, style) for style in STYLES]


def _authority(name: str | None, url: str) -> str:
    if name:
        match = re.search(r"CN=([^,]+)", name)
        if match:
            return match.group(1)
    return re.sub(r"^https?://", "", url).split("/")[0]
