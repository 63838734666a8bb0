"""The annotation commands of `archiver`: annotate a target, and list what analysts say about it.

Both write and read through the `annotations` package (append-only, logged), the same
path the Datasette form uses.
"""

from __future__ import annotations

import json

import click

from archiver.cli.options import archive_db, db_option, json_flag, settings_from_params
from archiver.errors import UsageError


@click.command()
@click.argument("target")
@click.option("--note", help="A note, in Markdown")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable)")
@click.option(
    "--verification",
    type=click.Choice(["unverified", "verified", "disputed", "false"]),
    help="Verification status (needs --rationale)",
)
@click.option("--rationale", help="Why: required with --verification")
@click.option("--lat", type=float, help="Latitude, -90 to 90 (with --lon)")
@click.option("--lon", type=float, help="Longitude, -180 to 180 (with --lat)")
@click.option("--precision", type=float, help="How precise the location is, in metres")
@click.option("--event-time", help="When the event happened: a date or ISO 8601 time (UTC)")
@click.option("--event-end", help="The end of the event's time window")
@click.option("--source", help="How the location or time was established")
@click.option("--edit", "edit_id", type=int, metavar="ID", help="Replace annotation ID")
@click.option("--retract", "retract_id", type=int, metavar="ID", help="Retract annotation ID")
@click.option("--reason", help="Why, with --retract")
@click.option("--author", help="Who is annotating [ARCHIVER_AUTHOR]")
@db_option
@json_flag("Print each annotation made as a JSON object")
@click.pass_context
def annotate(ctx, target, edit_id, retract_id, reason, as_json, **options):
    """Annotate a post id, post URL, capture id or media SHA-256 (append-only, logged)."""
    from annotations import add_annotations, edit_annotation, retract_annotation
    from annotations.report import annotation_dict
    from archiver.evidence.checkpoints import describe, seal_if_stamping
    from archiver.platforms import db_id_of
    from archiver.store.targets import resolve_target

    settings = settings_from_params(ctx.params)
    drafts = annotation_drafts(options)
    if options["rationale"] and not options["verification"]:
        raise UsageError("--rationale goes with --verification")
    if retract_id is not None and drafts:
        raise UsageError("--retract takes no new values (only --reason)")
    if edit_id is not None and len(drafts) != 1:
        raise UsageError("--edit takes exactly one new value (a note, tag, status, place or time)")
    with archive_db(settings) as db:
        found = resolve_target(db, target, db_id_of)
        if retract_id is not None:
            written = [retract_annotation(db, found, retract_id, settings.author, reason)]
        elif edit_id is not None:
            written = [edit_annotation(db, found, edit_id, drafts[0], settings.author)]
        else:
            written = add_annotations(db, found, drafts, settings.author)
        checkpoint = seal_if_stamping(db, settings)  # with a TSA, every batch is anchored
    for annotation in written:
        if as_json:
            click.echo(json.dumps(annotation_dict(annotation), ensure_ascii=False))
        else:
            click.echo(f"#{annotation.id} {annotation.summary()} on {found} by {annotation.author}")
    if checkpoint is not None and not as_json:
        click.echo("\n".join(describe(checkpoint)), err=True)


def annotation_drafts(options: dict) -> list:
    """One draft per kind the options give; validation happens in `annotations`."""
    from annotations import Draft

    drafts = [Draft("note", body=options["note"])] if options["note"] is not None else []
    drafts += [Draft("tag", tag=tag) for tag in options["tags"]]
    if options["verification"]:
        drafts.append(
            Draft("verification", verification=options["verification"], body=options["rationale"])
        )
    if any(options[k] is not None for k in ("lat", "lon", "precision")):
        drafts.append(
            Draft("geolocation", latitude=options["lat"], longitude=options["lon"],
                  precision_m=options["precision"], body=options["source"])
        )  # fmt: skip
    if options["event_time"] or options["event_end"]:
        drafts.append(
            Draft("chronolocation", event_time=options["event_time"],
                  event_time_end=options["event_end"], body=options["source"])
        )  # fmt: skip
    return drafts


@click.command("annotations")
@click.argument("target")
@db_option
@json_flag("Print the annotations and their history as JSON")
@click.pass_context
def list_annotations(ctx, target, as_json, **_):
    """Show what analysts say about a target now, and the history; a post includes its media."""
    from annotations import post_targets, target_state
    from annotations.report import state_dict, state_lines
    from archiver.platforms import db_id_of
    from archiver.store.targets import resolve_target

    with archive_db(settings_from_params(ctx.params)) as db:
        found = resolve_target(db, target, db_id_of)
        targets = post_targets(db, found.id) if found.type == "post" else [found]
        states = [target_state(db, t) for t in targets]
    if as_json:
        click.echo(json.dumps({"targets": [state_dict(s) for s in states]}, ensure_ascii=False))
        return
    click.echo("\n".join(line for state in states for line in state_lines(state)))


COMMANDS = [annotate, list_annotations]
