"""The annotation form's server side in Datasette: who may write, and the write itself.

Only a signed-in actor may annotate (anonymous visitors read); Datasette's CSRF
protection guards the POST. Writes run in Datasette's single write thread, and the
browser is sent back to the page it came from, where a message says what happened.
"""

from __future__ import annotations

from sqlite_utils import Database

from annotations.log import add_annotation, edit_annotation, retract_annotation
from annotations.model import Annotation, Draft
from archiver.errors import InvalidAnnotation
from archiver.store.targets import TARGET_TYPES, Target

ANNOTATE_PATH = "/-/annotate"
PERMISSION = "archiver-annotate"  # a permission_allowed plugin may refuse it to some actors


async def can_annotate(datasette, actor: dict | None) -> bool:
    """A signed-in actor with an id, unless a permission plugin says otherwise."""
    if not actor or not str(actor.get("id") or "").strip():
        return False
    return bool(await datasette.permission_allowed(actor, PERMISSION, default=True))


def author_of(actor: dict) -> str:
    return str(actor["id"])


def safe_return_path(path: str | None) -> str | None:
    """A path on this server to go back to; anything that could leave the site is refused.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    `/<tab>/other.site` leaves the site as `//other.site` would: any control character,
    space or backslash refuses the path outright.
    """
    if not path or not path.startswith("/") or path.startswith("//"):
        return None
    if any(ord(c) <= 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\\" for c in path):
        return None
    if "://" in path.split("?", 1)[0]:
        return None
    return path


def parse_target(text: str | None) -> Target:
    kind, sep, rest = (text or "").partition(":")
    if not sep or kind not in TARGET_TYPES or not rest:
        raise InvalidAnnotation(f"unknown target {text!r}")
    return Target(kind, rest)


def write_from_form(db: Database, form: dict, author: str) -> Annotation:
    """Add, edit or retract, as the form's `action` says; InvalidAnnotation on a bad value."""
    target = parse_target(form.get("target"))
    action = form.get("action") or "add"
    if action not in ("add", "edit", "retract"):
        raise InvalidAnnotation(f"unknown action {action!r}")
    if action == "add":
        return add_annotation(db, target, Draft.from_form(form), author)
    try:
        annotation_id = int(form.get("annotation_id") or "")
    except ValueError:
        raise InvalidAnnotation("which annotation? (annotation_id is missing)") from None
    if action == "retract":
        return retract_annotation(db, target, annotation_id, author, form.get("body") or None)
    return edit_annotation(db, target, annotation_id, Draft.from_form(form), author)


async def save_form(datasette, database: str, form: dict, actor: dict) -> Annotation:
    """Write in Datasette's write thread; a validation error comes back raised, not logged."""

    def write(conn):
        try:
            return write_from_form(Database(conn), form, author_of(actor))
        except InvalidAnnotation as exc:
            return exc  # returned, so Datasette does not print it as a server error

    result = await datasette.get_database(database).execute_write_fn(write)
    if isinstance(result, InvalidAnnotation):
        raise result
    return result
