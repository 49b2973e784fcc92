"""What every command group shares: the consoles, the settings, the database (migrated) and
the API server."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from service.settings import Settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

T = TypeVar("T")


def load_settings() -> Settings:
    """The settings from the environment; exit 2 with a French message when invalid."""
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]Configuration invalide :[/red] {exc}")
        raise typer.Exit(2) from exc


def or_exit(read: Callable[[], T]) -> T:
    """``read()``, or exit 2 with its French `ValueError` message (a file that cannot be read)."""
    try:
        return read()
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
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
    engine = make_engine(url, connect_timeout_s=settings.db_connect_timeout_seconds)
    supervisor = cluster.supervise() if cluster is not None and supervise else None
    try:
        if migrate:
            _when_reachable(lambda: upgrade(engine), settings)
        yield engine, url
    finally:
        engine.dispose()
        if supervisor is not None:
            supervisor.stop()  # before the cluster, or it would start it again
        if cluster is not None:
            cluster.stop()


def _when_reachable(step: Callable[[], object], settings: Settings) -> None:
    """Run ``step`` (the migrations), waiting up to ``settings.db_startup_wait_seconds`` for a
    database that does not answer yet; past that, a French message and exit status 1."""
    import time

    from service.errors import is_database_outage

    deadline = time.monotonic() + settings.db_startup_wait_seconds
    told = False
    while True:
        try:
            step()
            return
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            if time.monotonic() >= deadline:
                err.print(
                    f"[red]Base de données injoignable[/red] ({type(exc).__name__}) depuis "
                    f"{settings.db_startup_wait_seconds:.0f} s : arrêt. Vérifiez DATABASE_URL "
                    "et que PostgreSQL tourne (MAILLAGE_DB_STARTUP_WAIT_SECONDS règle l'attente)."
                )
                raise typer.Exit(1) from None
            if not told:
                told = True
                err.print(
                    f"Base de données injoignable ({type(exc).__name__}) : nouvel essai chaque "
                    f"seconde pendant {settings.db_startup_wait_seconds:.0f} s au plus…"
                )
        time.sleep(1.0)


def serve_api(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the API of ``settings`` with uvicorn: query strings dropped from access logs, and
    uvicorn's own tracebacks (« Exception in ASGI application », a failed startup) masked — the
    app's `UnexpectedErrors` answers and logs every 500 itself, so uvicorn sees none of them."""
    import uvicorn

    from service.app import create_app
    from service.logs import DropQueryString, MaskTracebacks

    config = uvicorn.Config(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
    )
    server = uvicorn.Server(config)  # the log configuration is applied by Config above
    logging.getLogger("uvicorn.access").addFilter(DropQueryString())
    logging.getLogger("uvicorn.error").addFilter(MaskTracebacks())
    server.run()


def counting_bar() -> Progress:
    """A transient progress bar on stderr: description, bar, ``done/total``, time elapsed."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=err, transient=True)
