"""Datasette with the project's configuration (metadata, templates, static files, plugin)."""

from __future__ import annotations

import functools
import secrets
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import yaml
from datasette.app import Datasette

import annotations  # noqa: F401  (registers its views: part of every archive served)
from archiver.evidence.copy_page import datasette_dir
from archiver.settings import Settings
from archiver.store.connection import open_db, use_memory_map

SIGN_IN_PATH = "/-/sign-in"

# Datasette reads the archive through memory-mapped I/O (SQLite caps the size at its build's
# maximum, 2 GiB by default; the rest of a larger file is read as before). A table page runs
# its rows, count and facet queries over the same pages, one after another on Datasette's
# three read connections; without the map each of them copies those pages again from the OS
# into its connection's own 2 MB cache. On 1 M posts a search page's SQL took about a third
# less time (bench/README.md). Only Datasette's connections use it, not the archiver's writes.
MMAP_SIZE = 2**31
# The largest string or blob a query on Datasette's connections may make (SQLite's length
# limit): `select zeroblob(300000000)` three at once took the server to 12 GB. Nothing the
# archive stores in a row is larger than a parsed document (Settings.max_document_bytes).
READ_LENGTH_LIMIT = 64 * 1024**2
# The longest SQL text a query may send (canned queries are a few KB).
READ_SQL_LIMIT = 100_000


class ArchiveDatasette(Datasette):
    """Datasette with one hot spot mended: absolute URLs are joined from plain strings.

    `Datasette.absolute_url` hands `urljoin` the PrefixedUrlString that `urls.path` returns,
    whose every string method goes through a Python `__getattribute__`. A table page calls it
    once per facet value (about 90 times on the posts page): a sixth of the page's Python time
    on a search of 1 M posts (bench/README.md). The URL is the same.
    """

    def absolute_url(self, request, path):
        return super().absolute_url(request, str(path))


def load_metadata(settings: Settings) -> dict:
    config = datasette_dir()
    metadata = yaml.safe_load((config / "metadata.yml").read_text("utf-8")) or {}
    database = settings.db_path.stem
    # The file's name is the database's name in Datasette; the metadata is written for "archive".
    dbs = metadata.get("databases", {})
    if "archive" in dbs and database != "archive":
        dbs[database] = dbs.pop("archive")
    if "description_html" in metadata:  # its links name the database
        metadata["description_html"] = metadata["description_html"].replace("{database}", database)
    # The blob store's path stays off the metadata, which /-/metadata.json shows to anyone:
    # make_datasette keeps it on the instance (archive_config).
    metadata.setdefault("plugins", {}).setdefault("archiver", {})["database"] = database
    return metadata


class Archive(NamedTuple):
    """The archive a Datasette serves, as load_metadata configured it for the plugins."""

    database: str
    blobs_dir: Path


def archive_config(datasette) -> Archive | None:
    """The database and blob store `archiver serve` configured; None in any other Datasette.

    make_datasette keeps it on the instance; a Datasette configured by hand names both in
    its metadata's plugins.archiver (read once: each lookup of Datasette's configuration
    deep-copies its metadata, and cell hooks ask once per row).
    """
    try:
        return datasette._archiver_archive
    except AttributeError:
        pass
    config = datasette.plugin_config("archiver") or {}
    archive = None
    if config.get("database") and config.get("blobs_dir"):
        archive = Archive(config["database"], Path(config["blobs_dir"]))
    datasette._archiver_archive = archive
    return archive


def archive_database(datasette) -> str | None:
    """The name of the database `archiver serve` configured; None in any other Datasette."""
    archive = archive_config(datasette)
    return archive.database if archive else None


def tune_connection(conn: sqlite3.Connection) -> None:
    """Set up one of Datasette's connections to the archive: memory-mapped reads, and bounds
    on what any one query can make."""
    use_memory_map(conn, MMAP_SIZE)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, READ_LENGTH_LIMIT)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, READ_SQL_LIMIT)


def sign_in_tokens(names: Iterable[str]) -> dict[str, str]:
    """A fresh secret token for each analyst name: {name: token}, valid while the server runs."""
    return {name: secrets.token_urlsafe(24) for name in names}


def sign_in_path(token: str) -> str:
    return f"{SIGN_IN_PATH}?token={token}"


def make_datasette(
    settings: Settings, *, sign_in: Mapping[str, str] | None = None, **kwargs
) -> Datasette:
    """Datasette on the archive; `sign_in` ({name: token}) lets those analysts annotate."""
    if settings.db_path.exists():
        open_db(settings.db_path).close()  # bring an older archive's schema up to date
    config = datasette_dir()
    ds = ArchiveDatasette(
        files=[str(settings.db_path)],
        metadata=load_metadata(settings),
        template_dir=str(config / "templates"),
        plugins_dir=str(config / "plugins"),
        static_mounts=[("archiver-static", str(config / "static"))],
        # No facet suggestions: on a large archive they are dozens of extra queries per
        # table page, most cut off at their time limit (bench/README.md); the useful
        # facets are configured in metadata.yml.
        settings={"sql_time_limit_ms": 3000, "default_page_size": 50, "suggest_facets": False},
        **kwargs,
    )
    # Kept on the instance, never in metadata (which /-/metadata.json shows to anyone).
    ds.archiver_sign_in = {token: name for name, token in (sign_in or {}).items()}
    ds._archiver_archive = Archive(settings.db_path.stem, settings.blobs_dir.resolve())
    # With a TSA configured, an annotation saved in the browser is sealed as a CLI batch is.
    ds.archiver_seal = (
        functools.partial(seal_after_annotation, settings) if settings.tsa_urls else None
    )
    return ds


def seal_after_annotation(settings: Settings) -> list[str]:
    """Checkpoint the chain's head through its own connection (the TSA round trip holds no
    Datasette connection); the checkpoint in lines for people."""
    from archiver.evidence.checkpoints import describe, seal_if_stamping

    db = open_db(settings.db_path)
    try:
        checkpoint = seal_if_stamping(db, settings)
    finally:
        db.close()
    return describe(checkpoint) if checkpoint else []


def quiet_error_pages() -> None:
    """Keep the server's terminal for real failures.

    Datasette prints every error page it answers, a 404 for a mistyped post id too, as a
    rich traceback with its local variables (175 lines, archived text among them) when
    `rich` is installed, as it is here for the progress bars. Without it, Datasette prints
    nothing for a 4xx and a plain traceback for a 500.
    """
    import datasette.handle_exception

    datasette.handle_exception.rich = None


def run_server(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    on_ready=None,
    sign_in: Mapping[str, str] | None = None,
) -> None:
    """Serve until interrupted; `on_ready(url)` is called once the port is bound."""
    import uvicorn

    ds = make_datasette(settings, sign_in=sign_in)
    quiet_error_pages()
    config = uvicorn.Config(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    if on_ready is not None:
        original = server.startup

        async def startup(sockets=None):
            await original(sockets=sockets)
            on_ready(f"http://{host}:{port}/")

        server.startup = startup
    else:
        print(f"Serving the archive at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        for name, token in (sign_in or {}).items():
            print(f"Sign in as {name!r} to annotate: http://{host}:{port}{sign_in_path(token)}")
    server.run()
