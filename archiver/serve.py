"""Datasette with the project's configuration (metadata, templates, static files, plugin)."""

from __future__ import annotations

from pathlib import Path

import yaml
from datasette.app import Datasette

from .settings import Settings


def datasette_dir() -> Path:
    """The `datasette/` configuration: inside the installed package, or at the source tree's top."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_datasette", package.parent / "datasette"):
        if (candidate / "metadata.yml").exists():
            return candidate
    raise FileNotFoundError(
        "the archiver's datasette/ configuration is missing from this installation"
    )


def load_metadata(settings: Settings) -> dict:
    config = datasette_dir()
    metadata = yaml.safe_load((config / "metadata.yml").read_text("utf-8")) or {}
    database = settings.db_path.stem
    # The file's name is the database's name in Datasette; the metadata is written for "archive".
    dbs = metadata.get("databases", {})
    if "archive" in dbs and database != "archive":
        dbs[database] = dbs.pop("archive")
    plugin = metadata.setdefault("plugins", {}).setdefault("archiver", {})
    plugin["blobs_dir"] = str(settings.blobs_dir.resolve())
    plugin["database"] = database
    return metadata


def make_datasette(settings: Settings, **kwargs) -> Datasette:
    config = datasette_dir()
    return Datasette(
        files=[str(settings.db_path)],
        metadata=load_metadata(settings),
        template_dir=str(config / "templates"),
        plugins_dir=str(config / "plugins"),
        static_mounts=[("archiver-static", str(config / "static"))],
        settings={"sql_time_limit_ms": 3000, "default_page_size": 50},
        **kwargs,
    )


def run_server(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 8001, on_ready=None
) -> None:
    """Serve until interrupted; `on_ready(url)` is called once the port is bound."""
    import uvicorn

    ds = make_datasette(settings)
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
    server.run()
