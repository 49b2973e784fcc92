"""``maillage network``: build, register, list and remove travel networks; purge the
orientation counts past their retention."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from geodata.modes import TRAVEL_MODES as MODES
from service.cli.common import console, database, err, load_settings

app = typer.Typer(
    help="Réseaux de déplacement : rues (OpenStreetMap) et transports en commun (GTFS).",
    no_args_is_help=True,
)


@app.command("build")
def network_build(
    *,
    mode: Annotated[
        str | None, typer.Option(help="walk, bike, car (avec --osm) ou transit (--gtfs)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="répertoire où écrire le réseau (avec --territory : FROM/reseaux)"),
    ] = None,
    osm: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="fichier .osm.pbf/.osm/.osm.bz2"),
    ] = None,
    gtfs: Annotated[
        list[Path] | None,
        typer.Option(
            exists=True,
            help="flux GTFS (zip ou répertoire) ; répétée, les flux sont fusionnés en un réseau",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="nom du territoire ; avec --register ou --territory, l'inscrit en base"),
    ] = None,
    register: Annotated[
        bool, typer.Option("--register", help="inscrire le réseau en base (il sert aux recherches)")
    ] = False,
    territory: Annotated[
        str | None,
        typer.Option(
            help="code du département : construit et inscrit chaque mode de --modes à partir "
            "des fichiers de « territory fetch »"
        ),
    ] = None,
    modes: Annotated[
        str, typer.Option(help="avec --territory : modes séparés par des virgules")
    ] = "walk,bike,car,transit",
    source_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            exists=True,
            file_okay=False,
            help="avec --territory : répertoire de « territory fetch » "
            "(défaut : MAILLAGE_HOME/territoires/CODE)",
        ),
    ] = None,
) -> None:
    """Construire un réseau (tableaux compacts, chargés en moins d'une seconde) et l'inscrire ;
    avec --territory, tous les modes d'un département d'un coup, avec durée et mémoire."""
    if territory is not None:
        if mode is not None or osm is not None:
            err.print("[red]--territory remplace --mode et --osm : utilisez --modes.[/red]")
            raise typer.Exit(2)
        from service.cli.territory_networks import build_territory

        build_territory(territory, modes, source_dir=source_dir, out=out, name=name, gtfs=gtfs)
        return
    if mode is None or out is None:
        err.print("[red]--mode et --out sont requis (ou --territory CODE).[/red]")
        raise typer.Exit(2)
    if mode not in MODES:
        err.print(f"[red]Mode inconnu « {mode} » :[/red] {', '.join(MODES)}.")
        raise typer.Exit(2)
    if (mode == "transit") != bool(gtfs) or (mode != "transit") != (osm is not None):
        err.print("[red]--osm va avec walk, bike ou car ; --gtfs va avec transit.[/red]")
        raise typer.Exit(2)
    sources = gtfs if mode == "transit" and gtfs else [osm]
    source = sources[0]
    assert source is not None
    try:
        network, path = _build_network([s for s in sources if s is not None], mode, out)
    except ValueError as exc:
        err.print(f"[red]Réseau non construit :[/red] {exc}")
        raise typer.Exit(2) from exc
    lon, _ = network_points(network)
    console.print(f"✓ réseau {mode} : {len(lon)} nœuds, écrit dans {path}")
    if register:
        register_networks([(name or source.name.split(".")[0], mode, path, source, network)])


def _build_network(sources: list[Path], mode: str, out: Path) -> tuple[Any, Path]:
    out.mkdir(parents=True, exist_ok=True)
    if mode == "transit":
        from geodata.transit import TransitNetwork
        from service.cli.territory_networks import transit_network

        names = ", ".join(source.name for source in sources)
        with console.status(f"Lecture du GTFS {names}…"):
            transit: TransitNetwork = (
                TransitNetwork.from_gtfs(sources[0])
                if len(sources) == 1
                else transit_network(sources, None)
            )
        return transit, transit.save(out / "transit.npz")
    from geodata.network import build_network
    from geodata.osm_addresses import save_addresses

    with progress_bar(f"Réseau {mode}") as progress:
        street = build_network(sources[0], mode, progress=progress)
    path = street.save(out / f"{mode}.npz")
    try:
        with console.status(f"Adresses de {sources[0].name} (géocodage hors ligne)…"):
            count = save_addresses(sources[0], out)
        console.print(f"✓ {count} adresses numérotées (addr:*) pour le géocodage hors ligne")
    except ValueError as exc:
        err.print(f"[yellow]Adresses non lues :[/yellow] {exc}")
    return street, path


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[str, float], None]]:
    """A transient progress bar on stderr; yields ``progress(step, fraction)``."""
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=1.0)

        def progress(step: str, fraction: float) -> None:
            bar.update(task, description=f"{label} : {step}", completed=fraction)

        yield progress


def network_points(network: Any) -> tuple[Any, Any]:
    """Node (street) or served stop (transit) coordinates, EPSG:4326."""
    if hasattr(network, "node_lon"):
        return network.node_lon, network.node_lat
    served = network.served & np.isfinite(network.stop_lon) & np.isfinite(network.stop_lat)
    return network.stop_lon[served], network.stop_lat[served]


Built = tuple[str, str, Path, Path, Any]
"""A network to register: (territory name, mode, file, source file, network)."""


def register_networks(built: list[Built]) -> None:
    """Register networks in the database, in one transaction."""
    from shapely import box

    from service.store import queries
    from service.store.records import geometry

    with database(load_settings()) as (engine, _), Session(engine) as session:
        for name, mode, path, source, network in built:
            lon, lat = network_points(network)
            bbox = box(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
            values = {
                "name": name,
                "mode": mode,
                "path": str(path.resolve()),
                "source_file": str(source.resolve()),
                "node_count": len(lon),
                "bbox": geometry(bbox),
            }
            session.execute(queries.register_network(values))
        session.commit()
    for name, mode, *_ in built:
        console.print(f"✓ inscrit en base : « {name} » ({mode})")
    console.print("Redémarrez le service pour qu'il charge les réseaux inscrits.")


@app.command("register")
def network_register(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="fichier .npz")],
    mode: Annotated[str, typer.Option(help="walk, bike, car ou transit")],
    name: Annotated[str, typer.Option(help="nom du territoire")],
) -> None:
    """Inscrire en base un réseau déjà construit."""
    from service.travel import load_any_network

    if mode not in MODES:
        err.print(f"[red]Mode inconnu « {mode} » :[/red] {', '.join(MODES)}.")
        raise typer.Exit(2)
    try:
        network = load_any_network(path, mode)
    except (OSError, ValueError) as exc:
        err.print(f"[red]Réseau illisible :[/red] {exc}")
        raise typer.Exit(2) from exc
    register_networks([(name, mode, path, path, network)])


@app.command("list")
def network_list() -> None:
    """Lister les réseaux inscrits."""
    from service.store import queries

    with database(load_settings()) as (engine, _), Session(engine) as session:
        rows = list(session.scalars(queries.networks()))
    table = Table(title=f"{len(rows)} réseau(x)")
    for column in ("nom", "mode", "nœuds", "construit le", "fichier"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.name, row.mode, str(row.node_count), f"{row.built_at:%Y-%m-%d %H:%M}", row.path
        )
    console.print(table)


@app.command("remove")
def network_remove(
    name: Annotated[str, typer.Argument(help="nom du territoire")],
    mode: Annotated[str, typer.Argument(help="walk, bike, car ou transit")],
) -> None:
    """Retirer un réseau de la base (le fichier reste sur le disque)."""
    from sqlalchemy import CursorResult

    from service.store import queries

    with database(load_settings()) as (engine, _), Session(engine) as session:
        result = session.execute(queries.remove_network(name, mode))
        deleted = cast(CursorResult[Any], result).rowcount
        session.commit()
    if not deleted:
        err.print(f"[red]Aucun réseau « {name} » ({mode}).[/red]")
        raise typer.Exit(1)
    console.print(f"✓ réseau « {name} » ({mode}) retiré")


@app.command("purge-flows")
def network_purge_flows() -> None:
    """Effacer les comptes d'orientations plus anciens que la durée de conservation
    (MAILLAGE_FLOW_RETENTION_MONTHS mois, 36 par défaut)."""
    from service.flows.retention import purge_expired

    settings = load_settings()
    with database(settings) as (engine, _), Session(engine) as session:
        deleted, cutoff = purge_expired(session, settings.flow_retention_months)
        session.commit()
    console.print(
        f"✓ {deleted} période(s) de comptes d'orientations effacée(s) : celles finies avant le "
        f"{cutoff:%d/%m/%Y} (conservation : {settings.flow_retention_months} mois)"
    )
