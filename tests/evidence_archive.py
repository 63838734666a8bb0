"""The demo archive (the Lashio article and the post it embeds), built through the real pipeline
from the demo's replay, optionally stamped by local fake TSAs: what the evidence tests start from."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from archiver.pipeline.archive import Archiver, CaptureResult
from archiver.settings import Settings
from archiver.web.demo import DEMO_ARTICLE_URL, demo_replay

POST_ID = "x:1819675899329130543"
POST_URL = "https://x.com/ThomasVLinge/status/1819675899329130543"


@dataclass
class DemoArchive:
    settings: Settings
    result: CaptureResult
    post_capture: str  # the capture of the post itself
    page_capture: str  # the capture of the article

    def copy_to(self, root: Path) -> DemoArchive:
        """The same archive in another directory (to tamper with it without touching this one)."""
        shutil.copytree(self.settings.db_path.parent, root, dirs_exist_ok=True)
        settings = self.settings.with_(db_path=root / "archive.db", blobs_dir=root / "blobs")
        return DemoArchive(settings, self.result, self.post_capture, self.page_capture)


def build_demo_archive(root: Path, **settings_changes) -> DemoArchive:
    """Archive the demo article into root/ (archive.db, blobs/, warcs/)."""
    root.mkdir(parents=True, exist_ok=True)
    with demo_replay() as replay:
        settings = Settings(
            db_path=root / "archive.db",
            blobs_dir=root / "blobs",
            connect_to={"*": replay.base_url},
            author="test analyst",
            host_delay=0.0,
            backoff_base=0.01,
        ).with_(**settings_changes)
        with Archiver(settings) as archiver:
            result = archiver.archive(DEMO_ARTICLE_URL)
            post_capture = archiver.db.execute(
                "select id from captures where post_db_id = ?", [POST_ID]
            ).fetchone()[0]
    return DemoArchive(settings, result, post_capture, result.capture_id)
