"""The territory at a glance, read-only: commune polygons, figures and isolated AHI structures.

``/v1/communes`` serves the loaded communes as GeoJSON for maps and pickers (simplified
polygons, cached with the store snapshot: any write to the store, communes included, bumps its
revision).
``/v1/stats`` counts partners by family and tells how fresh the records are.
``/v1/network/isolated`` lists the hosting (AHI) structures with no relation to any employer,
the seed's central finding, each with its nearest SIAE: a partnership worth creating. It is the
network half of `graph.coverage.isolated_ahi` (same families), without its travel-time half.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from graph import vocabulary
from graph.coverage import UNLINKED_AHI_DEFINITION
from service.deps import SessionDep, SnapshotDep, StaleAfterDep
from service.territory import queries
from service.territory.schemas import (
    STALE_RULE,
    FamilyCount,
    Freshness,
    IsolatedStructure,
    IsolatedStructures,
    NearestSiae,
    SourceCount,
    SourceFreshness,
    TerritoryStats,
)

router = APIRouter(prefix="/v1", tags=["territoire"])

# [0-9], not \d: Python and Rust read \d as any Unicode digit, JSON Schema (ECMA-262) as 0-9
DEPARTEMENT_PATTERN = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2[AaBb]|97[1-8])$"

GEOJSON = "application/geo+json"


# -- communes ---------------------------------------------------------------------------------


@router.get(
    "/communes",
    summary="Communes du territoire (GeoJSON)",
    response_class=Response,
    responses={
        200: {
            "content": {GEOJSON: {}},
            "description": "FeatureCollection : un polygone simplifié par commune",
        },
        304: {"description": "inchangé depuis l'ETag donné"},
    },
)
def communes(
    session: SessionDep,
    snapshot: SnapshotDep,
    departement: Annotated[
        str | None,
        Query(
            pattern=DEPARTEMENT_PATTERN,
            description="code du département, ex. 30 ; toutes les communes chargées sinon",
        ),
    ] = None,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Une FeatureCollection GeoJSON (EPSG:4326, longitude puis latitude) : une entité par
    commune chargée, son polygone simplifié (``ST_SimplifyPreserveTopology``, tolérance
    0,0005°) et ses propriétés ``code_insee``, ``name``, ``population`` (Insee),
    ``departement``, ``epci``, et ``lon``/``lat`` de la mairie (d'un point intérieur à défaut),
    d'où partent les trajets d'une personne localisée à la commune. Source : Insee, IGN."""
    code = departement.upper() if departement else None
    revision = snapshot.revision
    body: bytes = snapshot.derive(
        ("communes", code),
        lambda: session.execute(queries.communes_geojson(code)).scalar_one().encode(),
    )
    etag = f'W/"communes-{code or "toutes"}-{revision}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match == etag:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=GEOJSON, headers=headers)


# -- figures ----------------------------------------------------------------------------------


@router.get("/stats", summary="Le territoire en chiffres")
def stats(session: SessionDep, stale_after_days: StaleAfterDep) -> TerritoryStats:
    """Partenaires par famille, provenance des fiches, nombres d'offres, de relations et de
    communes chargées, et fraîcheur des données : pour chaque source, les deux signaux
    séparés — vu dans un extrait de la source (dernier import qui listait ses fiches) et date
    du producteur —, et les fiches à vérifier selon la règle de chaque source."""
    by_family: dict[str, int] = dict(session.execute(queries.partners_by_family()).all())
    families = [
        FamilyCount(code=code, label=term.label, count=int(by_family.get(code, 0)))
        for code, term in vocabulary.families().items()
    ]
    total = int(session.scalar(queries.count_partners()) or 0)
    sources = session.execute(queries.partners_by_source()).all()
    departements = session.scalars(queries.loaded_departements()).all()
    return TerritoryStats(
        partners=total,
        families=families,
        freshness=_freshness(session, stale_after_days),
        sources=[SourceCount(source=s, count=int(c)) for s, c in sources],
        opportunities=int(session.scalar(queries.count_opportunities()) or 0),
        relations=int(session.scalar(queries.count_relations()) or 0),
        communes=int(session.scalar(queries.count_communes()) or 0),
        commune_placed=int(session.scalar(queries.count_commune_placed()) or 0),
        departements=list(departements),
        demo=any(s == "demo" for s, _ in sources),
    )


def _freshness(session: SessionDep, stale_after_days: int) -> Freshness:
    from geodata.sources.provenances import REGISTERS

    _, stale, edited = session.execute(queries.partner_freshness(stale_after_days)).one()
    rows = session.execute(queries.source_freshness(stale_after_days)).all()
    return Freshness(
        stale=int(stale),
        stale_after_days=stale_after_days,
        rule=STALE_RULE.format(days=stale_after_days),
        edited=int(edited),
        sources=[
            SourceFreshness(
                source=source,
                rule="registre" if source in REGISTERS else "annuaire",
                records=int(records),
                last_seen=last_seen,
                oldest_seen=oldest_seen,
                producer_oldest=producer_oldest,
                producer_newest=producer_newest,
                dated=int(dated),
                stale=int(stale_records),
            )
            for (
                source,
                records,
                last_seen,
                oldest_seen,
                producer_oldest,
                producer_newest,
                dated,
                stale_records,
            ) in rows
        ],
    )


# -- isolated AHI structures ------------------------------------------------------------------


@router.get("/network/isolated", summary="Structures d'hébergement isolées de l'emploi")
def isolated(session: SessionDep) -> IsolatedStructures:
    """Les structures d'hébergement (famille AHI : CHRS, CHU, CPH, CADA, pensions de
    famille…) qui n'ont aucune relation, dans un sens ou dans l'autre, avec un employeur
    (employeurs inclusifs — SIAE, ESAT, EA, GEIQ… — ou employeurs ordinaires), chacune avec la
    SIAE la plus proche (distance à vol d'oiseau, en mètres). Triées par nom. Sans condition
    de distance : ``/v1/gaps`` dit, parmi elles, lesquelles sont aussi isolées par la distance
    (aucun employeur à portée dans le budget)."""
    rows = session.execute(queries.isolated_hosting()).all()
    hosting = session.scalar(queries.count_hosting())
    items = [
        IsolatedStructure(
            id=row[0].id,
            name=row[0].name,
            kind=row[0].kind,
            address=row[0].address,
            code_insee=row[0].code_insee,
            lon=row.lon,
            lat=row.lat,
            relations=int(row.relations),
            nearest_siae=None
            if row.siae_id is None
            else NearestSiae(
                id=row.siae_id,
                name=row.siae_name,
                kind=row.siae_kind,
                distance_m=round(float(row.distance_m), 1),
            ),
        )
        for row in rows
    ]
    return IsolatedStructures(
        hosting=int(hosting or 0), definition=UNLINKED_AHI_DEFINITION, items=items
    )
