"""``/v1/coverage``, ``/v1/gaps``, ``/v1/siting``: where the territorial offer is missing.

Role ``viewer`` or higher (``platform``, ``editor``, ``admin``). Results are computed by
`service.coverage.compute` and cached until the store changes; every answer says whether its travel
times are straight-line estimates (``metadata.estimated``).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from graph.coverage import ISOLATED_AHI_DEFINITION, UNLINKED_AHI_DEFINITION
from service.coverage import national
from service.coverage.compute import (
    CoverageCache,
    CoverageResult,
    compute_coverage,
    compute_isolated,
    count_unlinked,
    demand_choices,
)
from service.coverage.exports import coverage_csv, gaps_csv, geojson_bytes, write_gpkg
from service.coverage.parameters import (
    SITING_EXAMPLES,
    CoverageQuery,
    GapsQuery,
    SitingRequest,
)
from service.coverage.responses import (
    DemandItem,
    DemandsResponse,
    GapsResponse,
    SitingResponse,
    gap_items,
    isolated_items,
    metadata,
    siting_response,
)
from service.coverage.siting import compute_siting
from service.deps import SessionDep, SnapshotDep, TravelDep, ViewerDep
from service.errors import InvalidInputError

router = APIRouter(prefix="/v1", tags=["couverture"])

GEOJSON = "application/geo+json"
CSV = "text/csv; charset=utf-8"
GPKG = "application/geopackage+sqlite3"
CSV_FORMATS = {"csv": "csv", "csv-fr": "excel-fr.csv"}
"""The CSV formats and the end of their file names (the French one says it is for Excel)."""

_COVERAGE_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "GeoJSON (EPSG:4326), CSV ou GeoPackage selon « format »",
        "content": {GEOJSON: {}, "text/csv": {}, GPKG: {}},
    }
}
_GAPS_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON ou CSV selon « format »", "content": {"text/csv": {}}}
}


def _cache(request: Request) -> CoverageCache:
    """The application's `CoverageCache` (``app.state.coverage``, made by `create_app`)."""
    cache: CoverageCache = request.app.state.coverage
    return cache


CacheDep = Annotated[CoverageCache, Depends(_cache)]


def _siting_time_limit(request: Request) -> float | None:
    """``MAILLAGE_SITING_TIME_LIMIT_SECONDS`` of the running app (seconds)."""
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "siting_time_limit_seconds", None)


TimeLimitDep = Annotated[float | None, Depends(_siting_time_limit)]


def _filename(result: CoverageResult, what: str, extension: str) -> str:
    spec = result.spec
    return f"{what}-{spec.category}-{spec.mode}-{spec.max_minutes:g}min-{spec.zones}.{extension}"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/coverage",
    summary="Couverture d'une catégorie d'offre, par zone",
    response_class=Response,
    responses=_COVERAGE_FORMATS,
)
def coverage(
    _: ViewerDep,
    session: SessionDep,
    snapshot: SnapshotDep,
    cache: CacheDep,
    travel: TravelDep,
    params: Annotated[CoverageQuery, Query()],
) -> Response:
    """Pour chaque zone (commune ou carreau de 1 km) : la demande, le site le plus proche et
    son temps de trajet, les sites et l'offre atteignables dans le budget, couverte ou non
    (0/1), l'accessibilité 2SFCA et E2SFCA (places pour 1 000 personnes) et le manque
    signalé. ``metadata`` donne la part de la demande couverte, l'accessibilité médiane et
    dit si les temps sont estimés à vol d'oiseau. Le même calcul est servi depuis le cache
    tant que la base n'a pas changé. Avec ``departements=30,977`` (ou ``all``) : les résultats
    nationaux chargés de ces départements (``maillage national load``), en GeoJSON ou CSV,
    avec pour chaque département si les temps viennent d'un réseau inscrit (``real``) ;
    avec ``level=departements``, une entité par département (part de la demande dans le budget,
    contour) pour une carte de France."""
    if params.departements is not None:
        return _national_coverage(session, params)
    if params.level == "departements":
        raise InvalidInputError(national.LEVEL_NEEDS_DEPARTEMENTS)
    result = compute_coverage(snapshot, cache, travel, params.spec())
    if params.format in CSV_FORMATS:
        name = _filename(result, "couverture", CSV_FORMATS[params.format])
        body = coverage_csv(result, french=params.format == "csv-fr")
        return Response(body, media_type=CSV, headers=_attachment(name))
    if params.format == "gpkg":
        return _geopackage(result)
    return Response(geojson_bytes(result), media_type=GEOJSON)


def _national_coverage(session: SessionDep, params: CoverageQuery) -> Response:
    if params.format == "gpkg":
        raise InvalidInputError(national.NO_GPKG)
    if params.level == "departements":
        return Response(national.departements_geojson(session, params), media_type=GEOJSON)
    if params.format == "csv":
        name = f"couverture-nationale-{params.category}-{params.mode}-{params.max_minutes:g}min.csv"
        return Response(national.coverage_csv(session, params), media_type=CSV,
                        headers=_attachment(name))  # fmt: skip
    return Response(national.coverage_geojson(session, params), media_type=GEOJSON)


def _geopackage(result: CoverageResult) -> FileResponse:
    directory = Path(tempfile.mkdtemp(prefix="maillage-"))
    try:
        path = write_gpkg(result, directory / "couverture.gpkg")
    except Exception:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=GPKG,
        filename=_filename(result, "couverture", "gpkg"),
        background=BackgroundTask(shutil.rmtree, directory, ignore_errors=True),
    )


@router.get("/coverage/demands", summary="Les demandes que la couverture peut peser")
def demands(_: ViewerDep, snapshot: SnapshotDep) -> DemandsResponse:
    """Les valeurs de ``demand=`` de ``/v1/coverage``, ``/v1/gaps`` et ``/v1/siting`` :
    la population (Insee), les habitants des QPV, les enfants de 0 à 3 ans (tranches d'âge
    de Filosofi), les places d'hébergement (AHI), puis chaque couche importée
    (``maillage import demand``). Une demande connue mais absente de la base
    (``available`` faux) dit pourquoi et comment la charger (``reason``)."""
    return DemandsResponse(
        items=[DemandItem(**asdict(choice)) for choice in demand_choices(snapshot)]
    )


@router.get(
    "/gaps",
    summary="Manques classés : zones sans offre atteignable ou à offre faible",
    response_model=GapsResponse | national.NationalGapsResponse,
    responses=_GAPS_FORMATS,
)
def gaps(
    _: ViewerDep,
    session: SessionDep,
    snapshot: SnapshotDep,
    cache: CacheDep,
    travel: TravelDep,
    params: Annotated[GapsQuery, Query()],
) -> Any:
    """Les zones où la demande n'atteint aucun site de la catégorie dans le budget, ou
    seulement une offre faible (E2SFCA sous une fraction de la médiane du territoire), de la
    plus grande population touchée à la plus petite, chacune avec une phrase en français ;
    et les structures d'hébergement (AHI) isolées de l'emploi : sans relation avec une SIAE ou
    un employeur **et** sans aucun à portée dans le budget. Elles sont une partie des structures
    sans lien avec l'emploi que liste ``/v1/network/isolated`` (sans condition de distance) :
    ``ahi_without_link`` les compte, et les deux définitions sont dans la réponse. Avec
    ``departements=30,977`` (ou ``all``) : les manques des résultats nationaux chargés, classés
    ensemble (population touchée, puis gravité), chacun avec son département et ``real``."""
    if params.departements is not None:
        found = national.gaps_response(session, params)
        if params.format == "csv":
            name = f"manques-nationaux-{params.category}-{params.mode}.csv"
            return Response(national.gaps_csv(found), media_type=CSV, headers=_attachment(name))
        return found
    spec = params.spec()
    result = compute_coverage(snapshot, cache, travel, spec)
    items, total = gap_items(result, params.kind, params.limit)
    if params.format in CSV_FORMATS:
        name = _filename(result, "manques", CSV_FORMATS[params.format])
        body = gaps_csv(items, french=params.format == "csv-fr")
        return Response(body, media_type=CSV, headers=_attachment(name))
    isolated = compute_isolated(snapshot, cache, travel, spec)
    return GapsResponse(
        items=items,
        total=total,
        isolated_ahi=isolated_items(isolated, snapshot),
        isolated_definition=ISOLATED_AHI_DEFINITION,
        ahi_without_link=count_unlinked(snapshot, spec),
        without_link_definition=UNLINKED_AHI_DEFINITION,
        metadata=metadata(result),
    )


@router.post("/siting", summary="Où ouvrir k sites pour couvrir le plus de demande")
def siting(
    _: ViewerDep,
    snapshot: SnapshotDep,
    cache: CacheDep,
    travel: TravelDep,
    time_limit: TimeLimitDep,
    body: Annotated[SitingRequest, Body(openapi_examples=SITING_EXAMPLES)],
) -> SitingResponse:
    """Parmi des lieux candidats (mairies, centres des communes ou points donnés), les ``k``
    qui couvriraient le plus de demande encore non couverte dans le budget, les sites
    existants étant gardés (problème de couverture maximale, résolu exactement). Chaque site
    proposé vient avec la demande et les zones qu'il couvrirait. Le solveur s'arrête après
    MAILLAGE_SITING_TIME_LIMIT_SECONDS secondes (5 par défaut) : la réponse dit alors que
    l'optimum n'est pas prouvé (``optimal``) et borne l'écart (``bound``)."""
    result = compute_siting(snapshot, cache, travel, body, time_limit=time_limit)
    return siting_response(result)
