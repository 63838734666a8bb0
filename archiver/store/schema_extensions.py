"""Parts of the archive's schema that packages above the store add, run on every open.

The store never imports the packages above it. A package whose tables, views or
indexes belong in every archive (annotations' views of the current state) registers a
function here when it is imported; `ensure_schema` runs each one after the store's own
schema. Whatever opens an archive for people (the CLI, the pipeline, `archiver serve`,
`verify`) imports those packages first, so the archive they open is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # handed a Database, never makes one; sqlite_utils imports numpy
    from sqlite_utils import Database

SchemaExtension = Callable[["Database"], None]

_extensions: list[SchemaExtension] = []


def register_schema_extension(extension: SchemaExtension) -> SchemaExtension:
    """Run `extension(db)` on every open of an archive, after the store's own schema.

    It must be cheap when its part is already there (it runs on every open) and take
    its own transaction for any change. Registering the same function again does nothing.
    """
    if extension not in _extensions:
        _extensions.append(extension)
    return extension


def schema_extensions() -> tuple[SchemaExtension, ...]:
    """The registered extensions, in the order they were registered."""
    return tuple(_extensions)
