"""`archiver queue status`: how many jobs are queued, running, waiting to be committed, done, failed."""

from __future__ import annotations

import json
from collections import Counter

from redis import Redis
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from archiver.queue.connection import BUNDLES, DONE, REFUSED, job_queue

STATES = ("queued", "running", "committing", "done", "failed")


def requeue_abandoned(conn: Redis) -> None:
    """Jobs whose worker stopped giving signs of life go back on the queue (RQ's retry), or fail."""
    StartedJobRegistry(queue=job_queue(conn)).cleanup()


def pending_work(conn: Redis) -> bool:
    """A job is queued, being taken, running, or its bundle waits for the writer."""
    queue = job_queue(conn)
    return bool(
        queue.count
        or conn.llen(queue.intermediate_queue_key)
        or StartedJobRegistry(queue=queue).count
        or conn.xlen(BUNDLES)
    )


def queue_status(conn: Redis) -> dict:
    """Counts by state, and by platform and state; the last refusals with their reasons."""
    requeue_abandoned(conn)
    queue = job_queue(conn)
    by_platform: dict[str, Counter] = {}

    def count(state: str, ids: list[str]) -> int:
        for job in Job.fetch_many(ids, connection=conn, serializer=JSONSerializer):
            platform = (job.meta.get("platform") if job else None) or "unknown"
            by_platform.setdefault(platform, Counter())[state] += 1
        return len(ids)

    refused = {
        job_id.decode(): json.loads(value) for job_id, value in conn.hgetall(REFUSED).items()
    }
    failed_ids = set(FailedJobRegistry(queue=queue).get_job_ids()) - set(refused)
    for item in refused.values():
        by_platform.setdefault(item["platform"], Counter())["failed"] += 1
    done = {key.decode(): int(value) for key, value in conn.hgetall(DONE).items()}
    for platform, n in done.items():
        by_platform.setdefault(platform, Counter())["done"] += n
    totals = {
        "queued": count("queued", queue.get_job_ids()),
        "running": count("running", StartedJobRegistry(queue=queue).get_job_ids()),
        "committing": conn.xlen(BUNDLES),
        "done": sum(done.values()),
        "failed": count("failed", sorted(failed_ids)) + len(refused),
    }
    return totals | {
        "by_platform": {
            platform: {state: counts.get(state, 0) for state in STATES if state != "committing"}
            for platform, counts in sorted(by_platform.items())
        },
        "refused": [{"job": job_id, **item} for job_id, item in list(refused.items())[-20:]],
    }
