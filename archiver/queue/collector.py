"""`archiver collect`: the one writer, committing the workers' bundles as they arrive.

It reads the bundles stream as the one consumer of its group. A bundle is
acknowledged (and counted done) in one Redis transaction after its captures are
committed; killed before that, the writer reads it again on restart, and the
captures committed already are not written twice (collect.py). A bundle whose
files are missing or differ is refused: its job is marked failed with the reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import ResponseError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry
from rq.serializers import JSONSerializer

from archiver.errors import StorageError
from archiver.pipeline.bundle import MalformedBundle, decode_bundle
from archiver.pipeline.collect import BundleCommitter
from archiver.queue.connection import BUNDLES, COLLECTOR, COLLECTORS, DONE, REFUSED, connect
from archiver.queue.status import pending_work, requeue_abandoned
from archiver.settings import Settings

BATCH = 16
REQUEUE_EVERY = 5.0  # seconds between looks for jobs whose worker died


@dataclass
class Collected:
    """What one `collect` run did, as its progress line and its summary say."""

    committed: int = 0  # bundles
    captures: int = 0  # captures new to the archive
    refused: int = 0
    busy: float = 0.0  # seconds spent checking and committing (not waiting for bundles)

    def rate(self) -> float:
        """Bundles committed a second of work: the writer's own limit, whatever fed it."""
        return self.committed / self.busy if self.busy > 0 else 0.0


Report = Callable[[Collected, str], None]


def collect(settings: Settings, *, burst: bool = False, report: Report | None = None) -> Collected:
    """Commit bundles until stopped (with `burst`: until no job is queued, running or waiting)."""
    conn = connect(settings.queue_url)
    report = report or (lambda done, line: None)
    _ensure_group(conn)
    done = Collected()
    committer = BundleCommitter(settings)
    backlog = True  # first, what was delivered to this writer before and never acknowledged
    last_requeue = 0.0
    try:
        while True:
            answer = conn.xreadgroup(
                COLLECTORS, COLLECTOR, {BUNDLES: "0" if backlog else ">"}, count=BATCH,
                block=None if backlog else 1000,
            )  # fmt: skip
            entries = answer[0][1] if answer else []
            for entry_id, fields in entries:
                began = time.monotonic()
                line = _handle(conn, committer, done, entry_id, fields)
                done.busy += time.monotonic() - began
                report(done, line)
            if backlog:
                backlog = bool(entries)
                continue
            if time.monotonic() - last_requeue > REQUEUE_EVERY:
                requeue_abandoned(conn)
                last_requeue = time.monotonic()
            if burst and not entries and not pending_work(conn):
                return done
    finally:
        committer.close()


def _ensure_group(conn: Redis) -> None:
    try:
        conn.xgroup_create(BUNDLES, COLLECTORS, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _handle(conn: Redis, committer: BundleCommitter, done: Collected, entry_id, fields) -> str:
    """Commit or refuse one bundle, then acknowledge it; the progress line to show."""
    fields = {k.decode(): v for k, v in (fields or {}).items()}
    job_id = fields.get("job", b"?").decode()
    platform = fields.get("platform", b"page").decode()
    try:
        bundle = decode_bundle(fields["bundle"]) if "bundle" in fields else None
    except MalformedBundle as exc:
        return _refuse(conn, done, entry_id, job_id, platform, str(exc))
    if bundle is None:
        return _refuse(conn, done, entry_id, job_id, platform, "an empty bundle")
    reason = committer.refusal(bundle)
    if reason is not None:
        return _refuse(conn, done, entry_id, job_id, platform, reason)
    try:
        done.captures += committer.commit(bundle)
    except StorageError:
        raise  # the archive cannot be written: stop, the bundle waits (unacknowledged)
    except Exception as exc:  # a bundle no commit can take must not stop the writer for good
        return _refuse(conn, done, entry_id, job_id, platform, f"could not be committed: {exc!r}")
    with conn.pipeline(transaction=True) as tx:
        tx.hincrby(DONE, bundle.platform, 1)
        tx.xack(BUNDLES, COLLECTORS, entry_id)
        tx.xdel(BUNDLES, entry_id)
        tx.execute()
    done.committed += 1
    return f"committed {bundle.target} ({len(bundle.entries)} capture(s))"


def _refuse(conn: Redis, done: Collected, entry_id, job_id: str, platform: str, reason: str) -> str:
    """The bundle is not committed; its job is marked failed (RQ's failed registry) with the reason."""
    with conn.pipeline(transaction=True) as tx:
        tx.hset(REFUSED, job_id, json.dumps({"platform": platform, "reason": reason}))
        tx.xack(BUNDLES, COLLECTORS, entry_id)
        tx.xdel(BUNDLES, entry_id)
        tx.execute()
    _mark_failed(conn, job_id, reason)
    done.refused += 1
    return f"refused the bundle of job {job_id} ({platform}): {reason}"


def _mark_failed(conn: Redis, job_id: str, reason: str) -> None:
    try:
        job = Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
    except Exception:  # its record expired, or the id was not a job's: the refusal is kept
        return
    with conn.pipeline() as tx:
        FinishedJobRegistry(job.origin, connection=conn).remove(job, pipeline=tx)
        job.set_status(JobStatus.FAILED, pipeline=tx)
        FailedJobRegistry(job.origin, connection=conn).add(
            job, exc_string=f"bundle refused: {reason}", pipeline=tx
        )
        tx.execute()
