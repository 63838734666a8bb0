"""The disk fills up while a blob or a WARC record is being written: a clear error, nothing half-kept."""

from __future__ import annotations

import builtins
import errno
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories import jpeg_bytes
from faults import blob_files, query, serve_photo_post
from warcio.archiveiterator import ArchiveIterator

import archiver.fetch.exchange
import archiver.fetch.warc


class FullDisk:
    """A file that takes `room` more bytes, then fails the way a full disk does (ENOSPC)."""

    def __init__(self, file, room: int):
        self._file = file
        self.room = room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            self._file.write(data[: self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()


def fill_disk_for(monkeypatch, module, room: int, opened_with: str) -> None:
    """Files that `module` opens with mode `opened_with` get `room` bytes each, then ENOSPC."""

    def open_(file, mode="r", *args, **kwargs):
        opened = builtins.open(file, mode, *args, **kwargs)  # noqa: SIM115 -- handed to the caller
        return FullDisk(opened, room) if mode == opened_with else opened

    monkeypatch.setattr(module, "open", open_, raising=False)


def test_disk_full_while_a_photo_streams_in(
    replay, settings, archive_cli, earlier, monkeypatch, tmp_path
):
    photo = jpeg_bytes(seed=21, size=(1600, 1200))
    url = serve_photo_post(replay, "1500000000000000021", photo)
    # The post's JSON (a few kB) fits; the photo does not.
    fill_disk_for(monkeypatch, archiver.fetch.exchange, room=50_000, opened_with="wb")
    urls = tmp_path / "urls.txt"
    urls.write_text(url + "\n")

    run = archive_cli("--input", str(urls))

    assert run.status == 1
    assert f"FAILED {url}: disk full while writing to {settings.blobs_dir / 'tmp'}" in run.out
    assert "nothing was stored under a final name" in run.out
    sha256 = hashlib.sha256(photo).hexdigest()
    assert sha256 not in {p.name for p in blob_files(settings.blobs_dir)}
    assert list((settings.blobs_dir / "tmp").iterdir()) == []  # no partial file either
    assert query(settings, "select count(*) from posts where id = 'x:1500000000000000021'") == [
        (0,)
    ]
    earlier.assert_intact()

    # Space is freed: the same list, run again, archives the post whole.
    monkeypatch.undo()
    rerun = archive_cli("--input", str(urls), "--json")
    assert rerun.status == 0
    assert rerun.json_lines()[0]["media_sha256s"] == [sha256]


def test_disk_full_while_writing_the_warc_keeps_the_warc_readable(
    replay, settings, archive_cli, earlier, monkeypatch
):
    url = serve_photo_post(replay, "1500000000000000022", jpeg_bytes(seed=22, size=(1600, 1200)))
    # Room for the WARC's header and the post's JSON exchange, not for the photo's.
    fill_disk_for(monkeypatch, archiver.fetch.warc, room=20_000, opened_with="xb")

    run = archive_cli(url)

    assert run.status == 1
    assert f"FAILED {url}: disk full while writing to {settings.warcs}" in run.out
    assert query(settings, "select count(*) from posts where id = 'x:1500000000000000022'") == [
        (0,)
    ]
    assert list((settings.blobs_dir / "tmp").iterdir()) == []
    # Every WARC file (the earlier run's and this one's) reads to its end: no half record.
    uris = []
    for warc in sorted(settings.warcs.glob("*.warc.gz")):
        with open(warc, "rb") as f:
            uris += [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(f)]
    assert any("id=1500000000000000022" in (u or "") for u in uris)  # the JSON exchange is kept
    assert not any("R1500000000000000022" in (u or "") for u in uris)  # the photo's is not
    earlier.assert_intact()
    # The run's WARC, cut back to its last whole record, is sealed as it now is: verify holds.
    monkeypatch.undo()
    checked = subprocess.run(
        [sys.executable, "-m", "archiver", "verify", "--db", str(settings.db_path),
         "--blobs", str(settings.blobs_dir)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _tmpfs_works() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _tmpfs_works(), reason="needs unshare and a tmpfs mount (Linux)")
def test_a_really_full_blob_store_on_a_small_tmpfs(replay, settings, tmp_path):
    """The same fault from a real filesystem: the blob store on a 256 kB tmpfs, in its own namespace."""
    photo = jpeg_bytes(seed=23, size=(2400, 1800))
    assert len(photo) > 256 * 1024
    url = serve_photo_post(replay, "1500000000000000023", photo)
    blobs = tmp_path / "small-blobs"
    blobs.mkdir()
    archive = [
        sys.executable, "-m", "archiver", "archive", "--db", str(settings.db_path),
        "--blobs", str(blobs), "--connect-to", f"*={replay.base_url}", "--delay", "0", url,
    ]  # fmt: skip
    script = (
        f'mount -t tmpfs -o size=256k tmpfs "{blobs}" || exit 99\n'
        f'{" ".join(archive)} 2>&1; echo "exit=$?"\n'
        f'echo "files:"; cd "{blobs}" && find . -type f | sort\n'
    )

    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=60
    )

    out = done.stdout
    assert "exit=1" in out, out + done.stderr
    assert f"FAILED {url}: disk full while writing to {blobs / 'tmp'}" in out
    assert "Traceback" not in out
    files = out.split("files:", 1)[1].split()
    assert not any(f.startswith("./sha256/") for f in files), files  # no blob under a final name
    assert not any(f.startswith("./tmp/") for f in files), files  # and no partial one
    assert query(settings, "pragma integrity_check") == [("ok",)]
    assert Path(settings.db_path).exists()
