"""What every command group shares: the consoles, the settings, the database (migrated) and
the API server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from service.settings import Settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def load_settings() -> Settings:
    """The settings from the environment; exit 2 with a French message when invalid."""
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]Configuration invalide :[/red] {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def database(
    settings: Settings, *, migrate: bool = True, supervise: bool = False
) -> Iterator[tuple[Engine, str]]:
    """An engine on DATABASE_URL, or on the embedded cluster in MAILLAGE_HOME.

    The embedded cluster is started when needed and stopped afterwards, unless it was
    already running (a demo serving in another terminal keeps its cluster). With
    ``supervise``, a cluster started here is restarted whenever its server dies
    (`service.embedded.ClusterSupervisor`), until the block ends.
    """
    from service.db import make_engine
    from service.embedded import EmbeddedPostgres
    from service.migrate import upgrade

    cluster = None
    url = settings.database_url
    if not url:
        embedded = EmbeddedPostgres(settings.home / "postgres")
        # a cluster already running (a demo in another terminal) is reused and left running
        cluster = None if embedded.running() else embedded
        if cluster is not None:
            err.print(f"→ base embarquée dans {embedded.data_dir}")
        url = embedded.start()
    engine = make_engine(url)
    supervisor = cluster.supervise() if cluster is not None and supervise else None
    try:
        if migrate:
            upgrade(engine)
        yield engine, url
    finally:
        engine.dispose()
        if supervisor is not None:
            supervisor.stop()  # before the cluster, or it would start it again
        if cluster is not None:
            cluster.stop()


def serve_api(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the API of ``settings`` with uvicorn (query strings dropped from access logs)."""
    import uvicorn

    from service.app import create_app
    from service.logs import DropQueryString

    config = uvicorn.Config(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
    )
    server = uvicorn.Server(config)  # the log configuration is applied by Config above
    logging.getLogger("uvicorn.access").addFilter(DropQueryString())
    server.run()


def counting_bar() -> Progress:
    """A transient progress bar on stderr: description, bar, ``done/total``, time elapsed."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=err, transient=True)
