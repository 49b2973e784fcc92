"""The territory at a glance, read-only: commune polygons, figures and isolated AHI structures.

``/v1/communes`` serves the loaded communes as GeoJSON for maps and pickers (simplified
polygons, cached per store revision: any write to the store, communes included, bumps it).
``/v1/stats`` counts partners by family and tells how fresh the records are.
``/v1/network/isolated`` lists the hosting (AHI) structures with no relation to any employer,
the seed's central finding, each with its nearest SIAE: a partnership worth creating. It is the
network half of `graph.coverage.isolated_ahi` (same families), without its travel-time half.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import and_, cast, exists, func, or_, select, text, true
from sqlalchemy.orm import Session, aliased

from graph import vocabulary
from graph.coverage import AHI_FAMILY, EMPLOYER_FAMILIES
from service.deps import SessionDep
from service.matching import store_revision
from service.store import GEOGRAPHY
from service.tables import Commune, Opportunity, Partner, Relation

router = APIRouter(prefix="/v1", tags=["territoire"])

SIMPLIFY_DEGREES = 0.0005
"""Tolerance of ``ST_SimplifyPreserveTopology`` on commune polygons, in degrees (≈ 40–55 m)."""

COORDINATE_DECIMALS = 5
"""Decimals kept in GeoJSON coordinates (1e-5° ≈ 1 m)."""

FRESH_MONTHS = 12
"""A record updated within this many months counts as fresh in ``/v1/stats``."""

DEPARTEMENT_PATTERN = r"^(0[1-9]|[1-8]\d|9[0-5]|2[AaBb]|97[1-8])$"

GEOJSON = "application/geo+json"


# -- communes ---------------------------------------------------------------------------------


class _CommuneCache:
    """Serialised FeatureCollections by (departement, store revision), one build at a time."""

    def __init__(self) -> None:
        self._entries: dict[str | None, tuple[int, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, departement: str | None) -> tuple[int, bytes]:
        revision = store_revision(session)
        entry = self._entries.get(departement)
        if entry is not None and entry[0] == revision:
            return entry
        with self._lock:
            entry = self._entries.get(departement)
            if entry is None or entry[0] != revision:
                entry = (revision, _communes_geojson(session, departement))
                self._entries[departement] = entry
        return entry


def _commune_cache(request: Request) -> _CommuneCache:
    cache = getattr(request.app.state, "commune_cache", None)
    if cache is None:  # created on first use, one per application (and so per database)
        cache = _CommuneCache()
        request.app.state.commune_cache = cache
    return cache


def _communes_geojson(session: Session, departement: str | None) -> bytes:
    """The FeatureCollection, built by PostGIS in one query (EPSG:4326, lon/lat degrees)."""
    sql = text(
        """
        SELECT json_build_object(
          'type', 'FeatureCollection',
          'features', coalesce(json_agg(f ORDER BY code_insee), '[]'::json)
        )::text
        FROM (
          SELECT code_insee, json_build_object(
            'type', 'Feature',
            'id', code_insee,
            'geometry', ST_AsGeoJSON(
              ST_Multi(ST_SimplifyPreserveTopology(geom, :tolerance)), :decimals
            )::json,
            'properties', json_build_object(
              'code_insee', code_insee,
              'name', name,
              'population', population,
              'departement', departement,
              'epci', epci,
              'lon', round(ST_X(coalesce(town_hall, ST_PointOnSurface(geom)))::numeric, :decimals),
              'lat', round(ST_Y(coalesce(town_hall, ST_PointOnSurface(geom)))::numeric, :decimals)
            )
          ) AS f
          FROM commune
          WHERE CAST(:departement AS text) IS NULL OR departement = :departement
        ) AS features
        """
    )
    params: dict[str, Any] = {
        "tolerance": SIMPLIFY_DEGREES,
        "decimals": COORDINATE_DECIMALS,
        "departement": departement,
    }
    body: str = session.execute(sql, params).scalar_one()
    return body.encode()


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
    request: Request,
    session: SessionDep,
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
    revision, body = _commune_cache(request).get(session, code)
    etag = f'W/"communes-{code or "toutes"}-{revision}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match == etag:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=GEOJSON, headers=headers)


# -- figures ----------------------------------------------------------------------------------


class FamilyCount(BaseModel):
    code: str
    label: str
    count: int = Field(description="nombre de partenaires de la famille")


class SourceCount(BaseModel):
    source: str
    count: int


class Freshness(BaseModel):
    oldest: dt.datetime | None = Field(description="mise à jour la plus ancienne")
    newest: dt.datetime | None = Field(description="mise à jour la plus récente")
    fresh_share: float | None = Field(
        description="part des fiches mises à jour depuis 12 mois, entre 0 et 1"
    )
    fresh_months: int = Field(FRESH_MONTHS, description="le seuil, en mois")


class TerritoryStats(BaseModel):
    partners: int
    families: list[FamilyCount] = Field(
        description="toutes les familles, dans l'ordre du référentiel"
    )
    freshness: Freshness
    sources: list[SourceCount]
    opportunities: int
    relations: int
    communes: int
    departements: list[str] = Field(description="départements dont les communes sont chargées")
    demo: bool = Field(description="vrai quand des partenaires de démonstration (fictifs) sont là")


def demo_present(session: Session) -> bool:
    """Whether the store holds the fictitious demo partners (source ``demo``)."""
    return bool(session.scalar(select(exists().where(Partner.source == "demo"))))


@router.get("/stats", summary="Le territoire en chiffres")
def stats(session: SessionDep) -> TerritoryStats:
    """Partenaires par famille, provenance des fiches et fraîcheur des données (plus ancienne
    et plus récente mise à jour, part des fiches mises à jour depuis 12 mois), nombres d'offres,
    de relations et de communes chargées."""
    by_family = dict(
        session.execute(select(Partner.family, func.count()).group_by(Partner.family)).all()
    )
    families = [
        FamilyCount(code=code, label=term.label, count=int(by_family.get(code, 0)))
        for code, term in vocabulary.families().items()
    ]
    threshold = func.now() - func.make_interval(0, FRESH_MONTHS)  # (years, months)
    total, oldest, newest, fresh = session.execute(
        select(
            func.count(),
            func.min(Partner.updated_at),
            func.max(Partner.updated_at),
            func.count().filter(Partner.updated_at >= threshold),
        )
    ).one()
    sources = session.execute(
        select(Partner.source, func.count())
        .group_by(Partner.source)
        .order_by(func.count().desc(), Partner.source)
    ).all()
    departements = session.scalars(
        select(Commune.departement).distinct().order_by(Commune.departement)
    ).all()
    return TerritoryStats(
        partners=int(total),
        families=families,
        freshness=Freshness(
            oldest=oldest,
            newest=newest,
            fresh_share=round(fresh / total, 4) if total else None,
        ),
        sources=[SourceCount(source=s, count=int(c)) for s, c in sources],
        opportunities=int(session.scalar(select(func.count()).select_from(Opportunity)) or 0),
        relations=int(session.scalar(select(func.count()).select_from(Relation)) or 0),
        communes=int(session.scalar(select(func.count()).select_from(Commune)) or 0),
        departements=list(departements),
        demo=any(s == "demo" for s, _ in sources),
    )


# -- isolated AHI structures ------------------------------------------------------------------


class NearestSiae(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    distance_m: float = Field(description="distance à vol d'oiseau, en mètres")


class IsolatedStructure(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    address: str | None
    code_insee: str | None
    lon: float
    lat: float
    relations: int = Field(description="relations de la structure (tous partenaires confondus)")
    nearest_siae: NearestSiae | None = Field(
        description="la SIAE la plus proche : un partenariat à créer"
    )


class IsolatedStructures(BaseModel):
    hosting: int = Field(description="structures d'hébergement (AHI) du territoire")
    items: list[IsolatedStructure]


@router.get("/network/isolated", summary="Structures d'hébergement isolées de l'emploi")
def isolated(session: SessionDep) -> IsolatedStructures:
    """Les structures d'hébergement (famille AHI : CHRS, CHU, CPH, CADA, pensions de
    famille…) qui n'ont aucune relation, dans un sens ou dans l'autre, avec un employeur
    (employeurs inclusifs — SIAE, ESAT, EA, GEIQ… — ou employeurs ordinaires), chacune avec la
    SIAE la plus proche (distance à vol d'oiseau, en mètres). Triées par nom."""
    other = aliased(Partner)
    linked_to_employer = exists().where(
        and_(
            or_(
                and_(
                    Relation.source_partner_id == Partner.id, other.id == Relation.target_partner_id
                ),
                and_(
                    Relation.target_partner_id == Partner.id, other.id == Relation.source_partner_id
                ),
            ),
            other.family.in_(sorted(EMPLOYER_FAMILIES)),
        )
    )
    relation_count = (
        select(func.count())
        .select_from(Relation)
        .where(
            or_(Relation.source_partner_id == Partner.id, Relation.target_partner_id == Partner.id)
        )
        .scalar_subquery()
    )
    siae = aliased(Partner)
    nearest = (
        select(siae.id, siae.name, siae.kind, siae.geom)
        .where(siae.kind.in_(sorted(vocabulary.SIAE_KINDS)))
        # on the geography (metres), served by the GiST index on geom::geography
        .order_by(cast(siae.geom, GEOGRAPHY).op("<->")(cast(Partner.geom, GEOGRAPHY)))
        .limit(1)
        .lateral("nearest")
    )
    distance = func.ST_Distance(
        cast(nearest.c.geom, GEOGRAPHY), cast(Partner.geom, GEOGRAPHY)
    ).label("distance_m")
    rows = session.execute(
        select(
            Partner,
            func.ST_X(Partner.geom).label("lon"),
            func.ST_Y(Partner.geom).label("lat"),
            relation_count.label("relations"),
            nearest.c.id.label("siae_id"),
            nearest.c.name.label("siae_name"),
            nearest.c.kind.label("siae_kind"),
            distance,
        )
        .outerjoin(nearest, true())
        .where(Partner.family == AHI_FAMILY, ~linked_to_employer)
        .order_by(Partner.name, Partner.id)
    ).all()
    hosting = session.scalar(
        select(func.count()).select_from(Partner).where(Partner.family == AHI_FAMILY)
    )
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
    return IsolatedStructures(hosting=int(hosting or 0), items=items)
