"""The Redis a scale-out run shares, and the names of what it keeps there.

Jobs are RQ jobs on one queue (JSON-serialized: a job is a URL, never a pickle).
Finished captures come back on a Redis stream read by one consumer group, so a
bundle is acknowledged only once the writer has committed it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer

from archiver.errors import ArchiveError, UsageError

QUEUE_NAME = "archiver"
BUNDLES = "archiver:bundles"  # the stream of finished captures
COLLECTORS = "archiver-collect"  # its consumer group: the one writer
COLLECTOR = "writer"  # the group's one consumer: on restart it reads its own unacknowledged first
DONE = "archiver:done"  # hash: platform -> bundles committed
REFUSED = "archiver:refused"  # hash: job id -> why its bundle was refused
BUNDLED_TTL = 30 * 86_400  # how long a job remembers that its bundle was sent


def bundled_key(job_id: str) -> str:
    """Set, with the bundle, when a job's bundle is sent: a redelivered job sends none again."""
    return f"archiver:bundled:{job_id}"


def connect(url: str | None) -> Redis:
    """The Redis at `url` (redis://HOST:PORT/DB), answering; a clear error if it is not."""
    if not url:
        raise UsageError("no queue: give --queue redis://HOST:PORT/DB or set ARCHIVER_QUEUE")
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise UsageError(f"--queue expects redis://HOST:PORT/DB, got {url!r}")
    try:
        conn = Redis.from_url(url, socket_connect_timeout=10, health_check_interval=30)
        conn.ping()
    except (RedisError, ValueError) as exc:
        raise ArchiveError(f"cannot reach the queue at {url}: {exc}") from exc
    return conn


def job_queue(conn: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=conn, serializer=JSONSerializer)
