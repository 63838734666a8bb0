"""The evidence commands of `archiver`: cite, export (HTML, WACZ), verify and seal.

archiver.cli adds COMMANDS to the `archiver` group; like the rest of the CLI they
parse, call the Python API and print.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from archiver.cli.options import (
    archive_db,
    blobs_option,
    db_option,
    json_flag,
    settings_from_params,
    tsa_options,
    tsa_roots_option,
)
from archiver.errors import UsageError
from archiver.evidence.citation_styles import STYLE_NAMES, STYLES

STYLE_CHOICES = (*STYLES, "all")


@click.command()
@click.argument("target")
@click.option(
    "--style",
    type=click.Choice(STYLE_CHOICES),
    default="apa",
    show_default=True,
    help="Citation style ('all' prints every style)",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Where the archive is served (e.g. https://archive.example.org): the citation then "
    "names the archived-copy page",
)
@db_option
@json_flag("Print the post id, capture id and citations as one JSON object")
@click.pass_context
def cite(ctx, target, style, base_url, as_json, **_):
    """Cite a post (post id, post URL, capture id or media SHA-256) and its archived copy."""
    from archiver.evidence.archived import capture_for_target, load_capture
    from archiver.evidence.cite import cite_all, cited_post

    if base_url and not base_url.lower().startswith(("http://", "https://")):
        raise UsageError(f"--base-url must be an http(s) URL, got {base_url!r}")
    with archive_db(settings_from_params(ctx.params)) as db:
        capture_id, post_id = capture_for_target(db, target)
        post = cited_post(load_capture(db, capture_id), post_id, base_url)
    citations = [c for c in cite_all(post) if style in ("all", c.style)]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "post_id": post.post_db_id,
                    "capture_id": post.capture_id,
                    # CSL-JSON is JSON already: nested as data, not as a string of it.
                    "citations": {
                        c.style: json.loads(c.text) if c.style == "csl-json" else c.text
                        for c in citations
                    },
                },
                ensure_ascii=False,
            )
        )
        return
    for citation in citations:
        if style == "all":
            click.echo(f"== {STYLE_NAMES[citation.style]} ==")
        click.echo(citation.text)
        if style == "all" and citation.style != STYLES[-1]:
            click.echo()


@click.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--wacz",
    "wacz_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a WACZ package (WARC records, CDXJ index, pages, datapackage) to this file",
)
@click.option(
    "--html",
    "html_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each capture's archived-copy page, with its media, into this directory",
)
@click.option("--title", help="The WACZ's title")
@click.option(
    "--signing-url",
    envvar="ARCHIVER_WACZ_SIGNING_URL",
    help="Sign the WACZ through this signing server (authsign's /sign endpoint); "
    "env ARCHIVER_WACZ_SIGNING_URL",
)
@click.option(
    "--signing-token",
    envvar="ARCHIVER_WACZ_SIGNING_TOKEN",
    help="The signing server's token; env ARCHIVER_WACZ_SIGNING_TOKEN",
)
@db_option
@blobs_option
@click.pass_context
def export(ctx, targets, wacz_path, html_dir, title, signing_url, signing_token, **_):
    """Export captures (all of them when no TARGET is given) as WACZ and/or static HTML.

    A TARGET is a post id or URL (all its captures), a capture id or a media SHA-256.
    """
    from archiver.evidence.archived import export_capture_ids
    from archiver.evidence.copy_page import export_html
    from archiver.evidence.exports import record_html, record_wacz
    from archiver.evidence.wacz_export import Signing, export_wacz

    if not wacz_path and not html_dir:
        raise UsageError("say what to export: --wacz OUT.wacz and/or --html DIR")
    if signing_url and not wacz_path:
        raise UsageError("--signing-url signs a WACZ: give --wacz OUT.wacz too")
    signing = Signing(signing_url, signing_token) if signing_url else None
    settings = settings_from_params(ctx.params)
    with archive_db(settings) as db:
        capture_ids = export_capture_ids(db, targets)
        if not capture_ids:
            raise UsageError("nothing to export: the archive has no captures")
        if wacz_path:
            summary = export_wacz(
                db, settings.db_path.resolve().parent, capture_ids, wacz_path, title=title,
                signing=signing,
            )  # fmt: skip
            click.echo(
                f"wrote {summary.path}: {summary.captures} capture(s), {summary.records} WARC "
                f"records, SHA-256 {summary.sha256}"
            )
            if summary.signed_by:
                click.echo(f"  signed by {summary.signed_by} (datapackage-digest.json)")
            packed = [c for c in capture_ids if c not in summary.skipped]
            record_wacz(db, summary.path, summary.sha256, packed, summary.signed_by)
            for capture_id in summary.skipped:
                click.echo(f"  capture {capture_id} has no WARC records; not in the WACZ", err=True)
        if html_dir:
            pages = export_html(db, settings.blobs_dir, capture_ids, html_dir)
            record_html(db, html_dir, capture_ids)
            click.echo(f"wrote {len(pages)} archived-copy page(s) to {html_dir}/ (index.html)")


def parse_head(ctx, param, value: str | None) -> tuple[int, str] | None:
    """SEQ:HASH, as `archiver seal` prints it."""
    if value is None:
        return None
    seq, sep, head = value.strip().partition(":")
    if not (sep and seq.isascii() and seq.isdigit() and re.fullmatch(r"[0-9a-f]{64}", head)):
        raise click.BadParameter(f"expected SEQ:HASH as `archiver seal` prints it, got {value!r}")
    return int(seq), head


@click.command()
@db_option
@blobs_option
@tsa_roots_option
@click.option(
    "--expect-head",
    metavar="SEQ:HASH",
    callback=parse_head,
    help="A head of the event chain kept elsewhere (`archiver seal` prints it): it must still be in the chain",
)
@json_flag("Print the report as one JSON object")
@click.pass_context
def verify(ctx, as_json, expect_head, **_):
    """Re-hash blobs and WARC records, check the event chain, manifests and timestamps.

    Exit status 0 when everything matches, 1 when anything does not (each mismatch is listed).
    """
    from archiver.evidence.verify import verify_path

    report = verify_path(settings_from_params(ctx.params), expect_head)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo("checked: " + ", ".join(f"{n:,} {what}" for what, n in report.checked.items()))
        for note in report.notes:
            click.echo(f"note: {note}")
        for problem in report.problems:
            click.echo(f"MISMATCH {problem.in_words()}")
        click.echo(
            "OK: the archive is as it was captured."
            if report.ok
            else f"{len(report.problems)} mismatch(es): the archive is not as it was captured."
        )
    ctx.exit(0 if report.ok else 1)


@click.command()
@db_option
@tsa_options
@click.option(
    "--ots",
    multiple=True,
    metavar="URL",
    help="OpenTimestamps calendar to anchor the checkpoint in Bitcoin (repeatable) [ARCHIVER_OTS]",
)
@click.option(
    "--upgrade",
    is_flag=True,
    help="Fetch the completed proofs of pending OpenTimestamps anchors (no new checkpoint)",
)
@json_flag("Print the checkpoint (head, time, each TSA's token) as one JSON object")
@click.pass_context
def seal(ctx, upgrade, as_json, **_):
    """Checkpoint the event chain's head, signed by each TSA (--tsa), in the archive and beside it.

    Publish or send the printed head: `archiver verify --expect-head SEQ:HASH` then shows
    that nothing up to that event was rewritten since. With --ots, each calendar's
    OpenTimestamps proof is kept too: pending until `archiver seal --upgrade` finds it in Bitcoin.
    """
    from archiver.evidence.checkpoints import checkpoint_file, describe, upgrade_anchors
    from archiver.evidence.checkpoints import seal as seal_chain
    from archiver.evidence.tsa import check_tsa_urls

    settings = settings_from_params(ctx.params)
    check_tsa_urls(settings.tsa_urls)
    if upgrade:
        with archive_db(settings) as db:
            lines = upgrade_anchors(db, settings)
        click.echo(json.dumps({"upgraded": lines}) if as_json else "\n".join(lines))
        return
    with archive_db(settings) as db:
        checkpoint = seal_chain(db, settings)
    if as_json:
        click.echo(json.dumps(checkpoint.to_json(), ensure_ascii=False))
        return
    click.echo("\n".join(describe(checkpoint)))
    click.echo(f"  kept in the archive and in {checkpoint_file(settings.db_path)}")
    click.echo(
        f"  check it later: archiver verify --expect-head {checkpoint.seq}:{checkpoint.head}"
    )


COMMANDS = [cite, export, verify, seal]
