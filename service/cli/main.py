"""The ``maillage`` command line: demo, server, migrations, API keys, accounts, imports and
exports.

Each command group is a module of `service.cli` (``keys``, ``users``, ``imports``, ``territory``,
``network``, ``reference``, ``national``, ``demo``) that delegates to the features;
`service.cli.common` holds what they share (consoles, settings, the database).
"""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli import demo, imports, keys, national, network, reference, territory, users
from service.cli.common import console, database, load_settings, serve_api

app = typer.Typer(
    help="maillage — le graphe des acteurs de l'inclusion d'un territoire.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys.app, name="apikey")
app.add_typer(users.app, name="user")
app.add_typer(imports.import_app, name="import")
app.add_typer(imports.export_app, name="export")
app.add_typer(territory.app, name="territory")
app.add_typer(network.app, name="network")
app.add_typer(reference.app, name="reference")
app.add_typer(national.app, name="national")


def main() -> None:
    app()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="adresse d'écoute")] = None,
    port: Annotated[int | None, typer.Option(help="port d'écoute")] = None,
) -> None:
    """Migrer la base puis servir l'API."""
    settings = load_settings()
    with database(settings) as (_, url):
        serve_api(settings.model_copy(update={"database_url": url}), host, port)


app.command()(demo.demo)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Appliquer les migrations jusqu'à la dernière version."""
    from service.migrate import current_revision

    with database(load_settings()) as (engine, _):
        console.print(f"✓ base à jour (révision {current_revision(engine)})")
