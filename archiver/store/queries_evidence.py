"""The archive's named reads of its evidence: a capture's WARC records, manifest and timestamps,
and everything `archiver verify` walks (each table's rows against the events that logged them).

The archived-copy page, the WACZ export and verify read these, so they agree on what a
capture holds. Reads of posts and captures themselves are in queries.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

# The event that logs a post's row and media list as they stand after each capture of it.
POST_STATE = "post_state"
# What verify compares with a manifest's list of records: the same keys, in capture order.
RECORD_HASH_COLUMNS = ("offset", "length", "record_id", "sha256")


# -- one capture's evidence ------------------------------------------------------


def capture_warc_records(db: Database, capture_id: str) -> list[dict]:
    """The capture's warc_records rows, in the order they were written."""
    return list(
        db.query("select * from warc_records where capture_id = ? order by id", [capture_id])
    )


def capture_record_hashes(db: Database, capture_id: str) -> list[dict]:
    """Where each of the capture's WARC records is and its hash (RECORD_HASH_COLUMNS), in order."""
    columns = ", ".join(RECORD_HASH_COLUMNS)
    sql = f"select {columns} from warc_records where capture_id = ? order by id"
    return list(db.query(sql, [capture_id]))


def capture_manifest(db: Database, capture_id: str) -> dict | None:
    """The capture's manifests row (its canonical JSON and SHA-256); None if it has none."""
    return next(db.query("select * from manifests where capture_id = ?", [capture_id]), None)


def capture_timestamps(db: Database, capture_id: str) -> list[dict]:
    """Every TSA's answer for the capture's manifest, failures included, in the order asked."""
    return list(db.query("select * from timestamps where capture_id = ? order by id", [capture_id]))


def capture_wayback_copies(db: Database, capture_id: str) -> list[dict]:
    """The capture's Save Page Now submissions (archive --wayback), failures included, in order."""
    if not db["wayback_copies"].exists():
        return []
    sql = "select * from wayback_copies where capture_id = ? order by id"
    return list(db.query(sql, [capture_id]))


def post_wayback_copies(db: Database, post_db_id: str) -> list[dict]:
    """The Wayback copies of a post made with any of its captures, newest first, failures included."""
    sql = (
        "select w.* from wayback_copies w join captures c on c.id = w.capture_id"
        " where c.post_db_id = ? order by w.submitted_at desc, w.id desc"
    )
    return list(db.query(sql, [post_db_id]))


# -- what verify walks -----------------------------------------------------------


def has_media(db: Database) -> bool:
    """Whether any media file was kept."""
    return db.execute("select exists (select 1 from media)").fetchone()[0] == 1


def row_count(db: Database, table: str) -> int:
    """How many rows the table has."""
    return db.execute(f"select count(*) from [{table}]").fetchone()[0]


def table_rows(db: Database, table: str) -> Iterator[dict]:
    """Every row of the table, as stored."""
    return db.query(f"select * from [{table}]")


def row_keys(db: Database, table: str, key: str) -> Iterator[str]:
    """Every row's `key` column, as text (as events name rows)."""
    return (str(row[0]) for row in db.execute(f"select [{key}] from [{table}]"))


def media_sha256s(db: Database) -> list[str]:
    """The SHA-256 of every media row, sorted."""
    return [row[0] for row in db.execute("select sha256 from media order by sha256")]


def media_thumbnails(db: Database) -> Iterator[tuple[str, str, str]]:
    """(media sha256, thumbnail path, thumbnail sha256) for every thumbnail whose hash was kept."""
    return db.execute(
        "select sha256, thumbnail_path, thumbnail_sha256 from media"
        " where thumbnail_path is not null and thumbnail_sha256 is not null"
    )


def logged_payload_hashes(db: Database, action: str, prefix: str) -> dict[str, set[str]]:
    """For each row key the `action` events name as `prefix:<key>`, the payload hashes they logged."""
    logged: dict[str, set[str]] = {}
    for target, digest in db.execute(
        "select target, payload_sha256 from events where action = ? and target like ?",
        [action, f"{prefix}:%"],
    ):
        logged.setdefault(target.split(":", 1)[1], set()).add(digest)
    return logged


def events_for_target(db: Database, action: str, target: str) -> list[dict]:
    """The `action` events naming `target`, latest first: seq, payload_sha256 and columns."""
    return list(
        db.query(
            "select seq, payload_sha256, columns from events where action = ? and target = ?"
            " order by seq desc",
            [action, target],
        )
    )


def post_state(db: Database, post_db_id: str) -> dict:
    """A post's row and its post_media rows (by position), as one payload: {"post", "media"}."""
    post = next(db.query("select * from posts where id = ?", [post_db_id]), None)
    media = list(
        db.query("select * from post_media where post_id = ? order by position", [post_db_id])
    )
    return {"post": post, "media": media}


def first_post_state_capture_seq(db: Database) -> int | None:
    """The seq of the capture event whose transaction logged the first post state; None if
    none did (an archive written before post states were logged)."""
    row = db.execute(
        "select max(seq) from events where action = 'capture' and seq <"
        " (select min(seq) from events where action = ?)",
        [POST_STATE],
    ).fetchone()
    return row[0] if row else None


def latest_post_states(db: Database) -> dict[str, tuple[int, str]]:
    """For each post a post_state event names: (its latest such event's seq, payload hash)."""
    return {
        target.split(":", 1)[1]: (seq, digest)
        for seq, target, digest in db.execute(
            "select seq, target, payload_sha256 from events where action = ? and seq in"
            " (select max(seq) from events where action = ? group by target)",
            [POST_STATE, POST_STATE],
        )
    }


def post_ids_with_last_capture_seq(db: Database) -> Iterator[tuple[str, int | None]]:
    """(post id, seq of the event that logged the post's last capture) for every post."""
    logged = {
        target: seq
        for target, seq in db.execute("select target, seq from events where action = 'capture'")
    }
    for post_id, capture_id in db.execute("select id, last_capture_id from posts"):
        yield post_id, logged.get(f"capture:{capture_id}")


def posts_with_latest_version(db: Database) -> Iterator[tuple]:
    """(post id, text, status, latest version's text, latest version's status) per versioned post."""
    return db.execute(
        "select p.id, p.text, p.status, v.text, v.status from posts p join post_versions v"
        " on v.id = (select max(id) from post_versions where post_id = p.id)"
    )


def warc_records_in_file_order(db: Database) -> Iterator[dict]:
    """Every warc_records row, by file and offset (each WARC file read front to back)."""
    return db.query("select * from warc_records order by warc_file, offset")


def captures_in_order(db: Database) -> Iterator[dict]:
    """Every capture's row, oldest first."""
    return db.query("select * from captures order by started_at")


def manifests_by_capture(db: Database) -> dict[str, dict]:
    """Every manifests row, by capture id."""
    return {row["capture_id"]: row for row in db.query("select * from manifests")}


def all_timestamps(db: Database) -> list[dict]:
    """Every timestamps row, in the order asked."""
    return list(db.query("select * from timestamps order by id"))


def chain_head(db: Database) -> tuple[int, str] | None:
    """(seq, hash) of the last event; None when nothing was ever written."""
    row = db.execute("select seq, hash from events order by seq desc limit 1").fetchone()
    return (row[0], row[1]) if row else None


def event_hash_at(db: Database, seq: int) -> str | None:
    """The hash of the event at `seq`; None when there is none."""
    row = db.execute("select hash from events where seq = ?", [seq]).fetchone()
    return row[0] if row else None


def all_checkpoints(db: Database) -> list[dict]:
    """Every checkpoints row, oldest first."""
    return list(db.query("select * from checkpoints order by id"))


def all_anchors(db: Database) -> list[dict]:
    """Every anchors row (OpenTimestamps proofs of checkpoints), oldest first."""
    return list(db.query("select * from anchors order by id"))


def all_exports(db: Database) -> list[dict]:
    """Every exports row (what `archiver export` wrote), oldest first."""
    return list(db.query("select * from exports order by id"))


def sealed_warc_files(db: Database) -> list[dict]:
    """Every warc_files row: each closed WARC file's length and SHA-256."""
    return list(db.query("select * from warc_files order by warc_file"))


def warc_file_sealed(db: Database, warc_file: str) -> bool:
    """The WARC file (as captures.warc_file names it) has its seal already."""
    return (
        db.execute("select 1 from warc_files where warc_file = ?", [warc_file]).fetchone()
        is not None
    )


def warc_file_names(db: Database) -> list[str]:
    """Every WARC file a record row names."""
    return [row[0] for row in db.execute("select distinct warc_file from warc_records")]


def media_match_rows(db: Database, block: int = 100_000) -> Iterator[list[tuple]]:
    """Every media_matches row, (sha256, other_sha256, pdq_distance, phash_distance), in blocks."""
    cursor = db.execute(
        "select sha256, other_sha256, pdq_distance, phash_distance from media_matches"
    )
    while rows := cursor.fetchmany(block):
        yield rows


def media_hash_rows(db: Database) -> Iterator[tuple]:
    """Every media row's (sha256, pdq, pdq_quality, phash)."""
    return db.execute("select sha256, pdq, pdq_quality, phash from media")


def media_index_rows(db: Database) -> list[tuple]:
    """Every media_hashes row: (id, sha256, pdq, pdq_quality, phash)."""
    return db.execute("select id, sha256, pdq, pdq_quality, phash from media_hashes").fetchall()


def media_index_chunks(db: Database, block: int = 500_000) -> Iterator[list[tuple]]:
    """Every media_hash_chunks row, (key, id), in blocks."""
    cursor = db.execute("select key, id from media_hash_chunks")
    while rows := cursor.fetchmany(block):
        yield rows
