"""The queue's jobs: `enqueue_targets` adds one per URL; `capture_job` is what a worker runs.

A job sends its bundle and marks itself bundled in one Redis script, so a job
delivered again after its worker died (RQ retries abandoned jobs) sends no second
bundle; the writer acknowledges the bundle only after it has committed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rq import Retry, get_current_job

from archiver import platforms
from archiver.errors import UsageError
from archiver.pipeline.bundle import encode_bundle
from archiver.pipeline.database import SessionDatabase
from archiver.pipeline.inputs import local_path, validate_target
from archiver.pipeline.remote import capture_bundle, platform_of
from archiver.queue.connection import BUNDLED_TTL, BUNDLES, bundled_key, connect, job_queue
from archiver.settings import Settings

RETRIES = 3  # deliveries after the first, when a worker dies or the job raises
RESULT_TTL = 7 * 86_400
FAILURE_TTL = 365 * 86_400

# KEYS: the job's bundled marker, the bundles stream; ARGV: job id, platform, bundle, marker TTL.
_SEND_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[4]) then
  return redis.call('XADD', KEYS[2], '*', 'job', ARGV[1], 'platform', ARGV[2], 'bundle', ARGV[3])
end
return false
"""

# The worker process's settings, set before it takes jobs (RQ calls jobs by name, with their arguments only).
worker_settings: Settings | None = None


@dataclass
class Enqueued:
    """What `archiver enqueue` did: how many jobs it added, what it skipped or could not queue."""

    queued: int = 0
    skipped: list[str] = field(default_factory=list)  # archived already (whole)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (target, why)

    def to_json(self) -> dict:
        return {
            "queued": self.queued, "skipped": len(self.skipped),
            "refused": [{"url": url, "error": why} for url, why in self.refused],
        }  # fmt: skip


def enqueue_targets(settings: Settings, targets: list[str], *, refresh: bool = False) -> Enqueued:
    """One job per URL, skipping posts archived whole in settings.db_path unless `refresh`."""
    conn = connect(settings.queue_url)
    done = Enqueued()
    database = SessionDatabase(settings.db_path) if settings.db_path.exists() else None
    wanted: list[tuple[str, str]] = []
    try:
        for target in targets:
            try:
                if not refresh and database and _archived(database, target):
                    done.skipped.append(target)
                    continue
                wanted.append((target, _queueable(target)))
            except UsageError as exc:
                done.refused.append((target, str(exc)))
    finally:
        if database is not None:
            database.close()
    queue = job_queue(conn)
    timeout = int(settings.url_deadline) + 120  # the URL's own budget cuts it first
    jobs = [
        queue.prepare_data(
            capture_job,
            args=[target],
            timeout=timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            description=target,
            meta={"platform": platform},
            retry=Retry(max=RETRIES),
        )  # fmt: skip
        for target, platform in wanted
    ]
    for start in range(0, len(jobs), 500):
        queue.enqueue_many(jobs[start : start + 500])
    done.queued = len(jobs)
    return done


def _archived(database: SessionDatabase, target: str) -> bool:
    try:
        ref = platforms.identify(target)
    except Exception:
        return False
    return ref is not None and database.complete_post_id(ref) is not None


def _queueable(target: str) -> str:
    """The target's platform ("page" if it names no post); UsageError if no worker could take it."""
    if local_path(target) is not None:
        raise UsageError(
            f"{target} is a local file: a worker on another machine cannot read it"
            " (archive it with `archiver archive`)"
        )
    validate_target(target)
    return platform_of(target)


def capture_job(target: str) -> dict:
    """Run by a worker: archive `target` into a bundle and send it to the writer, once."""
    job = get_current_job()
    conn = job.connection
    if conn.exists(bundled_key(job.id)):
        return {"bundle": "sent before"}  # delivered again after its worker died: sent already
    settings = worker_settings or Settings.from_env()
    bundle = capture_bundle(target, settings, job_id=job.id)
    bundle.platform = job.meta.get("platform", bundle.platform)
    sent = conn.eval(
        _SEND_ONCE, 2, bundled_key(job.id), BUNDLES,
        job.id, bundle.platform, encode_bundle(bundle), BUNDLED_TTL,
    )  # fmt: skip
    return {"bundle": "sent" if sent else "sent before", "captures": len(bundle.entries)}
