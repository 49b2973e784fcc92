"""``maillage network``: build, register, list and remove travel networks."""

from __future__ import annotations

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
    mode: Annotated[str, typer.Option(help="walk, bike, car (avec --osm) ou transit (--gtfs)")],
    out: Annotated[Path, typer.Option(help="répertoire où écrire le réseau")],
    osm: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="fichier .osm.pbf/.osm/.osm.bz2"),
    ] = None,
    gtfs: Annotated[
        Path | None, typer.Option(exists=True, help="flux GTFS (zip ou répertoire)")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="nom du territoire ; avec --register, l'inscrit en base")
    ] = None,
    register: Annotated[
        bool, typer.Option("--register", help="inscrire le réseau en base (il sert aux recherches)")
    ] = False,
) -> None:
    """Construire un réseau (tableaux compacts, chargés en moins d'une seconde) et l'inscrire."""
    if mode not in MODES:
        err.print(f"[red]Mode inconnu « {mode} » :[/red] {', '.join(MODES)}.")
        raise typer.Exit(2)
    if (mode == "transit") != (gtfs is not None) or (mode != "transit") != (osm is not None):
        err.print("[red]--osm va avec walk, bike ou car ; --gtfs va avec transit.[/red]")
        raise typer.Exit(2)
    source = gtfs if mode == "transit" else osm
    assert source is not None
    try:
        network, path = _build_network(source, mode, out)
    except ValueError as exc:
        err.print(f"[red]Réseau non construit :[/red] {exc}")
        raise typer.Exit(2) from exc
    lon, _ = network_points(network)
    console.print(f"✓ réseau {mode} : {len(lon)} nœuds, écrit dans {path}")
    if register:
        _register(name or source.name.split(".")[0], mode, path, source, network)


def _build_network(source: Path, mode: str, out: Path) -> tuple[Any, Path]:
    out.mkdir(parents=True, exist_ok=True)
    if mode == "transit":
        from geodata.transit import TransitNetwork

        with console.status(f"Lecture du GTFS {source.name}…"):
            transit = TransitNetwork.from_gtfs(source)
        return transit, transit.save(out / "transit.npz")
    from geodata.network import build_network

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"Réseau {mode}", total=1.0)

        def progress(step: str, fraction: float) -> None:
            bar.update(task, description=f"Réseau {mode} : {step}", completed=fraction)

        street = build_network(source, mode, progress=progress)
    return street, street.save(out / f"{mode}.npz")


def network_points(network: Any) -> tuple[Any, Any]:
    """Node (street) or served stop (transit) coordinates, EPSG:4326."""
    if hasattr(network, "node_lon"):
        return network.node_lon, network.node_lat
    served = network.served & np.isfinite(network.stop_lon) & np.isfinite(network.stop_lat)
    return network.stop_lon[served], network.stop_lat[served]


def _register(name: str, mode: str, path: Path, source: Path, network: Any) -> None:
    from shapely import box

    from service.store import queries
    from service.store.records import geometry

    lon, lat = network_points(network)
    bbox = geometry(box(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())))
    values = {
        "name": name,
        "mode": mode,
        "path": str(path.resolve()),
        "source_file": str(source.resolve()),
        "node_count": len(lon),
        "bbox": bbox,
    }
    with database(load_settings()) as (engine, _), Session(engine) as session:
        session.execute(queries.register_network(values))
        session.commit()
    console.print(
        f"✓ inscrit en base : « {name} » ({mode}) ; redémarrez le service pour qu'il le charge"
    )


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
    _register(name, mode, path, path, network)


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
