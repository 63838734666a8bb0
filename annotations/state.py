"""Reading annotations: a target's current state and history, and the SQL views derived from them.

The current state is never stored: it is derived from the append-only rows (a row is
current unless superseded, retracted, or itself a retraction). The views below give
Datasette the same derivation, so facets and canned queries agree with the post page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from annotations.log import CURRENT_SQL, dict_rows
from annotations.model import Annotation
from archiver.store.queries import post_media_sha256s
from archiver.store.schema_extensions import register_schema_extension
from archiver.store.targets import Target
from archiver.store.transaction import transaction

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

VIEWS = {
    "current_annotations": f"select a.* from annotations a where {CURRENT_SQL}",
    # One row per post with what analysts said about it, for facets: verification status
    # (the post's own; 'unverified' until someone says otherwise) and tags (the post's and its
    # media files', as a JSON array).
    "posts_overview": """
        select
          p.id as post, p.platform, p.author_handle, p.author_name, p.created_at, p.status,
          coalesce((select v.verification from current_annotations v
                    where v.target_type = 'post' and v.target_id = p.id
                      and v.kind = 'verification' order by v.id desc limit 1),
                   'unverified') as verification,
          (select json_group_array(tag) from (
             select distinct t.tag from current_annotations t
             where t.kind = 'tag' and (
               (t.target_type = 'post' and t.target_id = p.id)
               or (t.target_type = 'media' and t.target_id in
                   (select sha256 from post_media where post_id = p.id)))
             order by t.tag)) as tags,
          (select count(*) from post_media pm where pm.post_id = p.id) as media,
          p.text, p.url, p.rowid as post_rowid
        from posts p
    """,
}
# The views look these up on every row.
INDEXES = [["supersedes"], ["retracts"], ["kind", "target_id"]]


def ensure_views(db: Database) -> None:
    """Create the derived views (replacing any whose SQL changed) and their indexes; cheap when
    nothing changed, as every open of the archive calls it."""
    wanted = {name: f"CREATE VIEW {name} AS {sql.strip()}" for name, sql in VIEWS.items()}
    have = dict(db.execute("select name, sql from sqlite_master where type = 'view'").fetchall())
    stale = [name for name, sql in wanted.items() if have.get(name) != sql]
    indexed = {tuple(index.columns) for index in db["annotations"].indexes}
    if not stale and all(tuple(columns) in indexed for columns in INDEXES):
        return
    with transaction(db):
        for columns in INDEXES:
            db["annotations"].create_index(columns, if_not_exists=True)
        for name in stale:
            db.execute(f"drop view if exists {name}")
            db.execute(wanted[name])


# The views are part of every archive: the store creates them on each open once imported.
register_schema_extension(ensure_views)


@dataclass
class HistoryEntry:
    """An annotation row with what became of it."""

    annotation: Annotation
    superseded_by: int | None = None
    retracted_by: int | None = None

    @property
    def current(self) -> bool:
        a = self.annotation
        return not a.is_retraction and self.superseded_by is None and self.retracted_by is None


@dataclass
class TargetState:
    """What analysts currently say about one target, and everything they said before."""

    target: Target
    current: list[Annotation] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)

    def _one(self, kind: str) -> Annotation | None:
        found = [a for a in self.current if a.kind == kind]
        return found[-1] if found else None

    @property
    def verification(self) -> Annotation | None:
        return self._one("verification")

    @property
    def geolocation(self) -> Annotation | None:
        return self._one("geolocation")

    @property
    def chronolocation(self) -> Annotation | None:
        return self._one("chronolocation")

    @property
    def tags(self) -> list[Annotation]:
        return [a for a in self.current if a.kind == "tag"]

    @property
    def notes(self) -> list[Annotation]:
        return [a for a in self.current if a.kind == "note"]


def target_state(db: Database, target: Target) -> TargetState:
    """The target's current annotations and its full history, oldest first."""
    return targets_states(db, [target])[0]


def targets_states(db: Database, targets: list[Target]) -> list[TargetState]:
    """`target_state` of each target, read in one statement."""
    if not targets:
        return []
    wanted = " or ".join(["(target_type = ? and target_id = ?)"] * len(targets))
    params = [value for target in targets for value in (target.type, target.id)]
    rows = dict_rows(db, f"select * from annotations where {wanted} order by id", params)
    by_target: dict[Target, list[dict]] = {target: [] for target in targets}
    for row in rows:
        by_target[Target(row["target_type"], row["target_id"])].append(row)
    return [_state_of(target, by_target[target]) for target in targets]


def _state_of(target: Target, rows: list[dict]) -> TargetState:
    entries = {row["id"]: HistoryEntry(Annotation.from_row(row)) for row in rows}
    for entry in entries.values():
        a = entry.annotation
        if a.supersedes in entries:
            entries[a.supersedes].superseded_by = a.id
        if a.retracts in entries:
            entries[a.retracts].retracted_by = a.id
    history = list(entries.values())
    return TargetState(target, [e.annotation for e in history if e.current], history)


def post_targets(db: Database, post_id: str) -> list[Target]:
    """The post and each media file it shows: an annotation on a file follows it to every post."""
    return targets_of_post(post_id, post_media_sha256s(db, post_id))


def targets_of_post(post_id: str, media_sha256s: list[str]) -> list[Target]:
    """`post_targets` from the post's media files already read (each once, in order)."""
    return [Target("post", post_id), *(Target("media", sha256) for sha256 in media_sha256s)]


def geolocated(db: Database) -> list[dict]:
    """Every current geolocation, with the posts it concerns (a media file's are its posts)."""
    return dict_rows(
        db,
        """
        select a.id, a.target_type, a.target_id, a.latitude, a.longitude, a.precision_m,
               a.body, a.author, a.created_at,
               case a.target_type
                 when 'post' then a.target_id
                 when 'media' then (select min(post_id) from post_media where sha256 = a.target_id)
                 when 'capture' then (select post_db_id from captures where id = a.target_id)
               end as post
        from current_annotations a
        where a.kind = 'geolocation'
        order by a.created_at desc
        """,
    )
