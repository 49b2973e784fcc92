"""``/v1/coverage`` and ``/v1/gaps`` with ``departements=``: the loaded national results.

``maillage national coverage`` computes every département × mode × category × budget on
Dask; ``maillage national load`` copies the zones and gaps into ``national_zone`` and
``national_gap``. With ``departements=30,977`` (or ``all``) these routes serve those rows
instead of computing on the loaded territory: the same indicators (E2SFCA with the budget's
bands, places per 1,000 persons), the same gap sentences, plus per département whether the
mode's times came from a registered network (``real``) or the flagged estimate.

Units: minutes; accessibility in places per 1,000 persons of demand; EPSG:4326 lon/lat.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from graph.coverage import bands_for_budget, e2sfca_sentence
from service.coverage import queries
from service.coverage.exports import GAP_COLUMNS, csv_bytes
from service.coverage.parameters import ACCESSIBILITY_UNIT, CoverageParams, GapsQuery
from service.coverage.responses import GapItem, minutes_or_none, rounded
from service.errors import InvalidInputError

NATIONAL_SOURCE = (
    "résultats nationaux chargés (maillage national coverage puis maillage national load)"
)
NOTHING_LOADED = (
    "departements : aucun résultat national chargé pour ces départements, ce mode, cette "
    "catégorie et ce budget ; lancez maillage national coverage puis maillage national load."
)
NO_GPKG = "departements : les résultats nationaux se servent en geojson ou csv, pas en gpkg."
LEVEL_NEEDS_DEPARTEMENTS = "level : departements demande le paramètre departements (ex. all)."


class NationalDepartement(BaseModel):
    code: str
    run_id: str = Field(description="identifiant du calcul national chargé")
    real: bool = Field(description="temps du mode calculés sur un réseau inscrit (sinon estimés)")
    estimated: bool = Field(description="au moins un temps de trajet est une estimation")
    zones: int
    demand_total: float
    demand_covered: float
    share_covered: float | None


class NationalMetadata(BaseModel):
    source: str = NATIONAL_SOURCE
    category: str
    mode: str
    max_minutes: float
    departements: list[NationalDepartement]
    demand_total: float
    demand_covered: float
    share_covered: float | None = Field(description="part de la demande couverte, 0 à 1")
    accessibility_unit: str = ACCESSIBILITY_UNIT
    e2sfca_explanation: str


class NationalGapItem(GapItem):
    departement: str
    real: bool = Field(description="temps calculés sur un réseau inscrit (sinon estimés)")


class NationalGapsResponse(BaseModel):
    items: list[NationalGapItem]
    total: int = Field(description="nombre de manques avant la limite")
    metadata: NationalMetadata


def _metadata(session: Session, params: CoverageParams) -> NationalMetadata:
    rows = session.execute(queries.national_shards(params.departement_list(), **_key(params))).all()
    if not rows:
        raise InvalidInputError(NOTHING_LOADED)
    departements = [
        NationalDepartement(
            code=code,
            run_id=run,
            real=bool(real),
            estimated=bool(estimated),
            zones=int(zones),
            demand_total=rounded(total or 0.0, 2),
            demand_covered=rounded(covered or 0.0, 2),
            share_covered=rounded((covered or 0.0) / total, 4) if total else None,
        )
        for code, run, real, zones, total, covered, estimated in rows
    ]
    total = sum(d.demand_total for d in departements)
    covered = sum(d.demand_covered for d in departements)
    return NationalMetadata(
        category=params.category,
        mode=params.mode,
        max_minutes=params.max_minutes,
        departements=departements,
        demand_total=rounded(total, 2),
        demand_covered=rounded(covered, 2),
        share_covered=rounded(covered / total, 4) if total else None,
        e2sfca_explanation=e2sfca_sentence(bands_for_budget(params.max_minutes)),
    )


def _key(params: CoverageParams) -> dict[str, Any]:
    return {
        "mode": params.mode,
        "category": params.category,
        "max_minutes": float(params.max_minutes),
    }


_ZONE_FIELDS = (
    "departement", "zone_id", "zone_name", "demand", "nearest_minutes", "nearest_site_id",
    "nearest_site_name", "reachable_sites", "reachable_supply", "covered", "e2sfca",
    "two_sfca", "gap", "gap_severity", "estimated", "real",
)  # fmt: skip


def _zone_properties(zone: Any) -> dict[str, Any]:
    row = {name: getattr(zone, name) for name in _ZONE_FIELDS}
    row["name"] = row.pop("zone_name")
    row["nearest_minutes"] = minutes_or_none(row["nearest_minutes"])
    for name in ("demand", "reachable_supply"):
        row[name] = rounded(row[name], 2)
    for name in ("e2sfca", "two_sfca"):
        row[name] = rounded(row[name], 4)
    if row["gap_severity"] is not None:
        row["gap_severity"] = rounded(row["gap_severity"], 4)
    row["covered"], row["estimated"] = int(row["covered"]), int(row["estimated"])
    return row


def coverage_geojson(session: Session, params: CoverageParams) -> bytes:
    """The loaded zones as a FeatureCollection (EPSG:4326) with a ``metadata`` member."""
    head = _metadata(session, params)
    parts = []
    for zone, geometry in session.execute(
        queries.national_zones(params.departement_list(), **_key(params))
    ):
        properties = json.dumps(_zone_properties(zone), ensure_ascii=False, allow_nan=False)
        ident = json.dumps(f"{zone.departement}:{zone.zone_id}")
        parts.append(
            f'{{"type":"Feature","id":{ident},"geometry":{geometry},"properties":{properties}}}'
        )
    meta = json.dumps(head.model_dump(), ensure_ascii=False, allow_nan=False)
    body = f'{{"type":"FeatureCollection","metadata":{meta},"features":[{",".join(parts)}]}}'
    return body.encode("utf-8")


def coverage_csv(session: Session, params: CoverageParams) -> bytes:
    """The loaded zones as CSV (``;``, UTF-8 with BOM), without geometry."""
    _metadata(session, params)
    rows = [
        _zone_properties(zone)
        for zone, _ in session.execute(
            queries.national_zones(params.departement_list(), **_key(params))
        )
    ]
    columns = ["name" if c == "zone_name" else c for c in _ZONE_FIELDS]
    return csv_bytes(columns, rows)


def departements_geojson(session: Session, params: CoverageParams) -> bytes:
    """One feature per loaded département: its outline (EPSG:4326) and its share of the demand
    within the budget, for a map of France; ``metadata`` as for the zones."""
    head = _metadata(session, params)
    parts = []
    for row, geometry in session.execute(
        queries.national_departements(params.departement_list(), **_key(params))
    ):
        properties = {
            "departement": row.departement,
            "name": row.name,
            "real": row.real,
            "zones": row.zones,
            "sites": row.sites,
            "demand_total": rounded(row.demand_total, 2),
            "demand_within": rounded(row.demand_within, 2),
            "share_within": None if row.share_within is None else rounded(row.share_within, 4),
            "median_e2sfca": None if row.median_e2sfca is None else rounded(row.median_e2sfca, 4),
            "gaps": row.gaps,
            "estimated_share": rounded(row.estimated_share, 4),
        }
        text = json.dumps(properties, ensure_ascii=False, allow_nan=False)
        ident = json.dumps(row.departement)
        parts.append(f'{{"type":"Feature","id":{ident},"geometry":{geometry},"properties":{text}}}')
    meta = json.dumps(head.model_dump(), ensure_ascii=False, allow_nan=False)
    body = f'{{"type":"FeatureCollection","metadata":{meta},"features":[{",".join(parts)}]}}'
    return body.encode("utf-8")


def gaps_response(session: Session, params: GapsQuery) -> NationalGapsResponse:
    """The loaded gaps, ranked across the départements, the first ``limit``."""
    head = _metadata(session, params)
    found = list(
        session.scalars(
            queries.national_gaps(params.departement_list(), kind=params.kind, **_key(params))
        )
    )
    items = [
        NationalGapItem(
            rank=rank,
            departement=gap.departement,
            real=gap.real,
            zone_id=gap.zone_id,
            zone_name=gap.zone_name,
            kind=gap.kind,
            severity=rounded(gap.severity, 4),
            people_affected=rounded(gap.people_affected, 2),
            nearest_site_id=gap.nearest_site_id,
            nearest_site_name=gap.nearest_site_name,
            nearest_minutes=minutes_or_none(gap.nearest_minutes),
            e2sfca=rounded(gap.e2sfca, 4),
            threshold=rounded(gap.threshold, 4),
            lon=gap.lon,
            lat=gap.lat,
            message=gap.message,
        )
        for rank, gap in enumerate(found[: params.limit], start=1)
    ]
    return NationalGapsResponse(items=items, total=len(found), metadata=head)


def gaps_csv(response: NationalGapsResponse) -> bytes:
    columns = ["departement", "real", *GAP_COLUMNS]
    return csv_bytes(columns, [item.model_dump() for item in response.items])
