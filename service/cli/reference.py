"""``maillage reference``: load the national repertoires the API searches (ROME job titles)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from service.cli.common import console, database, load_settings, or_exit

app = typer.Typer(help="Référentiels nationaux : métiers (ROME).", no_args_is_help=True)


@app.command("load-rome")
def load_rome_command(
    directory: Annotated[
        Path,
        typer.Argument(
            file_okay=False,
            help="répertoire des fichiers CSV de France Travail "
            "(unix_referentiel_appellation_v*_utf8.csv, unix_referentiel_code_rome_v*_utf8.csv)",
        ),
    ],
    published: Annotated[
        str | None,
        typer.Option(help="mois de publication pour la mention de la source, ex. « sept. 2025 »"),
    ] = None,
) -> None:
    """Charger (ou remplacer) les intitulés de métiers du ROME 4.0 que cherche
    GET /v1/reference/jobs."""
    from geodata.sources.rome import read_rome
    from service.reference.jobs import load_rome

    release = or_exit(lambda: read_rome(directory, published=published))
    with database(load_settings()) as (engine, _), Session(engine) as session:
        count = load_rome(session, release)
        session.commit()
    console.print(f"✓ {count} intitulés de métiers chargés (ROME 4.0 {release.version})")
    console.print(release.credit)
