"""`archiver worker`: RQ workers taking capture jobs, `concurrency` processes tied to one command.

Each job runs in a work horse forked for it (RQ's Worker). A worker that stops
giving signs of life for twice its heartbeat interval has its job delivered again
(RQ retries abandoned jobs; see RETRIES in jobs.py). Its processes die with it: a
`kill -9` of the command takes its horses too, as a machine going down would.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal

from rq import Worker
from rq.serializers import JSONSerializer

from archiver.pipeline.remote import warm_up
from archiver.queue import jobs
from archiver.queue.connection import connect, job_queue
from archiver.settings import Settings

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """On Linux, this process is killed when the one that started it dies (no orphans left working)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class CaptureWorker(Worker):
    """RQ's forking worker, with an abandoned job noticed after two heartbeats (RQ waits 60 s more)."""

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = min(job.timeout - working_time, interval)
        return int(interval) + self.job_monitoring_interval

    def main_work_horse(self, job, queue):
        die_with_parent()
        return super().main_work_horse(job, queue)


def run_worker(settings: Settings, *, burst: bool, heartbeat: int) -> None:
    """One RQ worker in this process, until stopped (or, with burst, until the queue is empty)."""
    jobs.worker_settings = settings
    warm_up(settings)
    conn = connect(settings.queue_url)
    worker = CaptureWorker(
        [job_queue(conn)], connection=conn, serializer=JSONSerializer,
        job_monitoring_interval=heartbeat, maintenance_interval=max(heartbeat, 1),
    )  # fmt: skip
    worker.work(
        burst=burst,
        logging_level=os.environ.get("ARCHIVER_WORKER_LOG", "WARNING"),
        with_scheduler=False,
    )


def _child(settings: Settings, burst: bool, heartbeat: int) -> None:
    die_with_parent()
    run_worker(settings, burst=burst, heartbeat=heartbeat)


def run_workers(settings: Settings, *, concurrency: int, burst: bool, heartbeat: int) -> int:
    """`concurrency` workers, each in its own process; returns when all have stopped."""
    connect(settings.queue_url)  # a clear error now, not one per process
    if concurrency <= 1:
        run_worker(settings, burst=burst, heartbeat=heartbeat)
        return 0
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(target=_child, args=(settings, burst, heartbeat), daemon=False)
        for _ in range(concurrency)
    ]
    for child in children:
        child.start()

    def stop(signum, frame):  # a warm stop: each worker finishes its job, then exits
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()
    return max((child.exitcode or 0) for child in children)
