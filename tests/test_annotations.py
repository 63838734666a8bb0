"""Annotations: the model's rules, the append-only log, derived state, targets and the CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
from annotated_archive import NEAR_ID, REPOST_ID, build_annotated_archive
from click.testing import CliRunner
from served_archive import POST_ID

from annotations import (
    Draft,
    add_annotation,
    add_annotations,
    check_log,
    edit_annotation,
    post_targets,
    render_note,
    retract_annotation,
    target_state,
)
from archiver.cli.commands import main
from archiver.errors import InvalidAnnotation, UsageError
from archiver.platforms import db_id_of
from archiver.store.connection import open_db
from archiver.store.eventlog import check_chain
from archiver.store.targets import Target, resolve_target

POST = Target("post", POST_ID)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_annotated_archive(tmp_path_factory.mktemp("annotated"))


@pytest.fixture
def archive(built, tmp_path):
    """A fresh copy of the built archive for each test (tests write to it)."""
    settings = built.settings.with_(db_path=tmp_path / "archive.db")
    source = open_db(built.settings.db_path)
    source.conn.execute("vacuum into ?", [str(settings.db_path)])
    source.close()
    return built, settings


@pytest.fixture
def db(archive):
    db = open_db(archive[1].db_path)
    yield db
    db.close()


def counts(db) -> tuple[int, int]:
    return (
        db.execute("select count(*) from annotations").fetchone()[0],
        db.execute("select count(*) from events").fetchone()[0],
    )


def test_every_kind_is_written_and_becomes_the_current_state(db):
    before_events = counts(db)[1]
    written = add_annotations(
        db,
        POST,
        [
            Draft("note", body="Seen from the **north** gate"),
            Draft("tag", tag="  flag   raising "),
            Draft("verification", verification="verified", body="Skyline matches"),
            Draft("geolocation", latitude=22.9665, longitude=97.7525, precision_m=50, body="Sat"),
            Draft("chronolocation", event_time="2024-08-03T08:00", event_time_end="2024-08-03"),
        ],
        "alice",
    )
    state = target_state(db, POST)
    assert state.verification.verification == "verified"
    assert state.verification.body == "Skyline matches"
    assert (state.geolocation.latitude, state.geolocation.longitude) == (22.9665, 97.7525)
    assert state.geolocation.precision_m == 50.0
    assert state.chronolocation.event_time == "2024-08-03T08:00:00Z"  # no zone given: UTC
    assert state.chronolocation.event_time_end == "2024-08-03"
    assert [t.tag for t in state.tags] == ["flag raising"]
    assert [n.body for n in state.notes] == ["Seen from the **north** gate"]
    assert {a.author for a in written} == {"alice"}
    # One event per row, each naming the row, and the chain holds.
    assert counts(db) == (5, before_events + 5)
    events = db.execute("select actor, action, target from events order by seq desc limit 5")
    assert sorted(events) == sorted(("alice", "annotate", f"annotation:{a.id}") for a in written)
    assert check_chain(db) == [] and check_log(db) == []


@pytest.mark.parametrize(
    "draft, message",
    [
        (Draft("verification", verification="verified"), "needs a rationale"),
        (Draft("verification", verification="probably", body="x"), "must be one of"),
        (Draft("geolocation", latitude=91, longitude=0), "latitude must be between -90 and 90"),
        (Draft("geolocation", latitude=0, longitude=-180.5), "longitude must be between"),
        (Draft("geolocation", latitude=float("nan"), longitude=0), "latitude must be between"),
        (Draft("geolocation", latitude=10), "needs both latitude and longitude"),
        (Draft("geolocation", latitude=1, longitude=1, precision_m=-5), "precision must be"),
        (Draft("chronolocation", event_time="yesterday"), "event time must be a date"),
        (
            Draft("chronolocation", event_time="2024-08-03T10:00Z", event_time_end="2024-08-02"),
            "end time is before",
        ),
        (Draft("note", body="   "), "a note needs text"),
        (Draft("note", body="x" * 20_001), "the limit is 20,000"),
        (Draft("tag", tag="x" * 101), "at most 100"),
        (Draft("sighting", body="x"), "unknown annotation kind"),
        (Draft("note", body="x", latitude=1.0), "latitude does not belong in a note"),
    ],
)
def test_a_bad_value_is_a_clear_error_and_nothing_is_written(db, draft, message):
    before = counts(db)
    with pytest.raises(InvalidAnnotation, match=message):
        add_annotation(db, POST, draft, "alice")
    assert counts(db) == before


def test_several_drafts_are_all_or_nothing(db):
    before = counts(db)
    with pytest.raises(InvalidAnnotation, match="latitude"):
        add_annotations(
            db, POST, [Draft("tag", tag="ok"), Draft("geolocation", latitude=100, longitude=0)], "a"
        )
    assert counts(db) == before


def test_author_and_target_are_required(db):
    with pytest.raises(InvalidAnnotation, match="say who is annotating"):
        add_annotation(db, POST, Draft("tag", tag="x"), "  ")
    with pytest.raises(InvalidAnnotation, match="has no post"):
        add_annotation(db, Target("post", "x:404"), Draft("tag", tag="x"), "alice")
    with pytest.raises(InvalidAnnotation, match="already tagged"):
        add_annotations(db, POST, [Draft("tag", tag="Flag"), Draft("tag", tag="flag")], "alice")


def test_edits_supersede_and_retractions_keep_the_history(db):
    first = add_annotation(db, POST, Draft("verification", verification="verified", body="a"), "al")
    second = add_annotation(
        db, POST, Draft("verification", verification="disputed", body="b"), "bo"
    )
    assert second.supersedes == first.id  # one status per target: the new one replaces the old
    note = add_annotation(db, POST, Draft("note", body="draft"), "al")
    edited = edit_annotation(db, POST, note.id, Draft("note", body="final"), "al")
    assert edited.supersedes == note.id
    gone = retract_annotation(db, POST, second.id, "bo", reason="wrong post")
    assert (gone.retracts, gone.kind, gone.body) == (second.id, "verification", "wrong post")

    state = target_state(db, POST)
    assert state.verification is None  # retracting the current status does not revive the old
    assert [n.body for n in state.notes] == ["final"]
    fates = {e.annotation.id: (e.superseded_by, e.retracted_by) for e in state.history}
    assert fates[first.id] == (second.id, None)
    assert fates[second.id] == (None, gone.id)
    assert fates[note.id] == (edited.id, None)
    assert len(state.history) == 5  # nothing was deleted or updated

    with pytest.raises(InvalidAnnotation, match="not current"):
        edit_annotation(db, POST, note.id, Draft("note", body="again"), "al")
    with pytest.raises(InvalidAnnotation, match="not current"):
        retract_annotation(db, POST, second.id, "bo")
    with pytest.raises(InvalidAnnotation, match="is a note, not a tag"):
        edit_annotation(db, POST, edited.id, Draft("tag", tag="x"), "al")
    with pytest.raises(InvalidAnnotation, match="not about"):
        retract_annotation(db, Target("post", REPOST_ID), edited.id, "al")
    assert check_log(db) == [] and check_chain(db) == []


def test_an_annotation_on_a_file_follows_it_to_every_post_that_shows_it(db, archive):
    built, _ = archive
    photo = Target("media", built.photo_sha256)
    add_annotations(db, photo, [Draft("tag", tag="recycled"), Draft("note", body="2019")], "al")
    # The original post and the repost both list the file among their targets.
    for post_id in (POST_ID, REPOST_ID):
        targets = post_targets(db, post_id)
        assert photo in targets
        state = target_state(db, photo)
        assert [t.tag for t in state.tags] == ["recycled"]
    overview = dict(db.execute("select post, tags from posts_overview").fetchall())
    assert json.loads(overview[POST_ID]) == json.loads(overview[REPOST_ID]) == ["recycled"]
    assert json.loads(overview[NEAR_ID]) == []  # a near duplicate is a different file


def test_overview_verification_defaults_to_unverified(db):
    add_annotation(db, POST, Draft("verification", verification="false", body="staged"), "al")
    status = dict(db.execute("select post, verification from posts_overview").fetchall())
    assert status[POST_ID] == "false" and status[REPOST_ID] == "unverified"


def test_check_log_finds_a_changed_or_removed_row(db):
    a = add_annotation(db, POST, Draft("geolocation", latitude=1.5, longitude=2.5), "al")
    b = add_annotation(db, POST, Draft("note", body="kept"), "al")
    assert check_log(db) == []
    db.execute("update annotations set latitude = 1.6 where id = ?", [a.id])
    db.execute("delete from annotations where id = ?", [b.id])
    db.conn.commit()
    assert check_log(db) == [
        f"annotation #{a.id} was changed after it was written",
        f"annotation:{b.id} is in the log but its row is gone",
    ]


def test_notes_render_as_markdown_with_nothing_live():
    html = render_note(
        "**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
        "[bad](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) "
        "![pixel](https://tracker.example/p.png) [ok](https://example.org/a?b=1)"
    )
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert '<a href="https://example.org/a?b=1" rel="noopener noreferrer nofollow"' in html


def test_resolve_target_accepts_every_documented_form(db, archive):
    built, _ = archive
    capture_id = db.execute("select id from captures where post_db_id = ?", [POST_ID]).fetchone()[0]
    page_id = db.execute("select id from pages").fetchone()[0]
    url = "https://x.com/ThomasVLinge/status/1819675899329130543?s=20"
    assert resolve_target(db, POST_ID) == POST
    assert resolve_target(db, url, db_id_of) == POST  # any form of the post's URL
    assert resolve_target(db, built.photo_sha256.upper()) == Target("media", built.photo_sha256)
    assert resolve_target(db, capture_id) == Target("capture", capture_id)
    assert resolve_target(db, f"page:{page_id}") == Target("page", str(page_id))
    assert resolve_target(db, "https://news.example/2024/08/lashio") == Target("page", str(page_id))
    for unknown in ["x:404", "0" * 64, "page:999", "https://x.com/a/status/5", ""]:
        with pytest.raises(UsageError):
            resolve_target(db, unknown)


def run(args, env=None):
    return CliRunner().invoke(main, args, env=env or {}, catch_exceptions=False)


def test_cli_annotates_and_lists_current_state_and_history(archive):
    _, settings = archive
    db = ["--db", str(settings.db_path)]
    result = run(
        ["annotate", POST_ID, *db, "--verification", "verified", "--rationale", "Matches",
         "--lat", "22.97", "--lon", "97.75", "--precision", "30", "--source", "Shadows", "--tag", "mndaa"],
        env={"ARCHIVER_AUTHOR": "carol"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "verification: verified on post:x:1819675899329130543 by carol" in result.output
    verified_id = int(result.output.split("verification: verified")[0].split("#")[-1])
    result = run(
        ["annotate", POST_ID, *db, "--verification", "disputed", "--rationale", "Old photo",
         "--author", "dan", "--json"]
    )  # fmt: skip
    disputed = json.loads(result.output)
    assert disputed["supersedes"] == verified_id and disputed["author"] == "dan"

    listing = run(["annotations", POST_ID, *db, "--json"])
    post_state = json.loads(listing.output)["targets"][0]
    assert post_state["verification"]["verification"] == "disputed"
    assert post_state["geolocation"]["precision_m"] == 30.0
    assert [h["status"] for h in post_state["history"] if h["kind"] == "verification"] == [
        f"superseded by #{disputed['id']}",
        "current",
    ]
    text = run(["annotations", POST_ID, *db]).output
    assert "verification: disputed" in text and "[superseded by" in text and "history:" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tag", "x"], "say who is annotating"),
        (["--lat", "95", "--lon", "0", "--author", "a"], "latitude must be between -90 and 90"),
        (["--verification", "verified", "--author", "a"], "needs a rationale"),
        (["--rationale", "why", "--author", "a"], "--rationale goes with --verification"),
        (["--author", "a"], "nothing to annotate"),
    ],
)
def test_cli_bad_annotations_exit_2_and_write_nothing(archive, args, message):
    _, settings = archive
    result = CliRunner().invoke(
        main,
        ["annotate", POST_ID, "--db", str(settings.db_path), *args],
        env={"ARCHIVER_AUTHOR": ""},
    )
    assert result.exit_code == 2 and message in result.output
    db = open_db(settings.db_path)
    assert counts(db)[0] == 0
    db.close()


def test_cli_unknown_target_and_missing_archive(tmp_path, archive):
    _, settings = archive
    result = CliRunner().invoke(
        main, ["annotate", "x:404", "--db", str(settings.db_path), "--tag", "a", "--author", "a"]
    )
    assert result.exit_code == 2 and "nothing in the archive matches 'x:404'" in result.output
    result = CliRunner().invoke(main, ["annotations", "x:1", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no archive at" in result.output


# -- its place in the layers: annotations depends on the store, never the reverse ------------

VIEWS = {"current_annotations", "posts_overview"}
# Each way the archiver opens an archive for people, as a script run in a fresh interpreter
# (this test process has imported annotations long ago).
OPENERS = {
    "archive": "from archiver.pipeline.archive import Archiver\nwith Archiver(SETTINGS): pass",
    "serve": "from archiver.web.serve import make_datasette\nmake_datasette(SETTINGS)",
    "verify": "from archiver.evidence.verify import verify_path\nverify_path(SETTINGS)",
    "cite, export, annotate": (
        "from archiver.cli.options import archive_db\nwith archive_db(SETTINGS): pass"
    ),
}


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def views_in(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {
            row[0] for row in conn.execute("select name from sqlite_master where type = 'view'")
        }


@pytest.mark.parametrize("opener", OPENERS)
def test_every_way_of_opening_an_archive_gives_it_the_annotation_views(opener, tmp_path):
    path = tmp_path / "archive.db"
    run_python(f"from archiver.store.connection import open_db\nopen_db({str(path)!r}).close()")
    assert views_in(path) == set()  # the store alone knows nothing of annotations
    (tmp_path / "blobs").mkdir()
    settings = f"Settings(db_path=Path({str(path)!r}), blobs_dir=Path({str(tmp_path / 'blobs')!r}))"
    run_python(
        "from pathlib import Path\nfrom archiver.settings import Settings\n"
        f"SETTINGS = {settings}\n{OPENERS[opener]}"
    )
    assert views_in(path) == VIEWS


def test_importing_annotations_imports_neither_httpx_nor_numpy():
    """The annotation model and its reads are light: no HTTP client, no image maths."""
    loaded = run_python(
        "import sys\nimport annotations\n"
        "print(' '.join(m for m in ('httpx', 'numpy') if m in sys.modules))"
    )
    assert loaded.split() == []
