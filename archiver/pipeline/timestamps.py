"""Asking the configured Time Stamp Authorities to sign a capture's manifest (RFC 3161)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archiver.models import Progress
from archiver.settings import Settings
from archiver.store.eventlog import utc_now

if TYPE_CHECKING:
    from archiver.evidence.tsa import Stamp


class Stamper:
    """The TSAs of the settings, their trusted roots loaded once; no TSA configured, no request."""

    def __init__(self, settings: Settings, progress: Progress):
        self.urls = settings.tsa_urls
        self.timeout = settings.tsa_timeout
        self.roots_path = settings.tsa_roots
        self.progress = progress
        self._roots = None

    def request(self, capture_id: str, manifest: bytes) -> tuple[str, list[Stamp]]:
        """(when asked, one Stamp per TSA); a TSA's failure is a Stamp that says so, never raised."""
        # Loaded only when a TSA is configured: the TSA code and its roots are not needed otherwise.
        from archiver.evidence.tsa import load_roots, stamp_all

        if self._roots is None:
            self._roots = load_roots(self.roots_path)
        requested_at = utc_now()
        self.progress(f"timestamping capture {capture_id}")
        stamps = stamp_all(self.urls, manifest, timeout=self.timeout, roots=self._roots)
        return requested_at, stamps


def stamp_summary(stamps: list[Stamp]) -> list[dict]:
    """CaptureResult.timestamps: one entry per TSA asked."""
    return [
        {"tsa": s.tsa_url, "status": s.status, "gen_time": s.gen_time, "error": s.error}
        for s in stamps
    ]
