"""Between the domain records of `graph.models` and the rows of `service.tables`.

Queries are returned as composable ``Select`` objects; routes execute or paginate them.
Distances are metres on the WGS84 spheroid (``geography``), found with ``ST_DWithin`` and
ordered by ``ST_Distance``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely import Point
from sqlalchemy import DateTime, Select, cast, exists, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from graph.models import (
    Eligibility,
    OpportunityFields,
    PartnerFields,
    RelationFields,
    dump,
)
from service.errors import ConflictError, NotFoundError
from service.parameters import OpportunityQuery, PartnerQuery
from service.schemas import (
    OpportunityOut,
    PartnerDetail,
    PartnerSummary,
    ProvenanceOut,
    RelationOut,
)
from service.tables import Opportunity, Partner, Provenance, Relation

GEOGRAPHY = Geography(geometry_type=None, spatial_index=False)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def point(lon: float, lat: float) -> Any:
    """A PostGIS point, EPSG:4326, exact to the bit (WKB, no text rounding)."""
    return geometry(Point(lon, lat))


def geometry(shape: Any) -> Any:
    """A shapely geometry as a PostGIS value, EPSG:4326."""
    return from_shape(shape, srid=4326)


def commit(session: Session, *, conflict: str) -> None:
    """Commit, turning a broken constraint into a 409 with a French message."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or ""
        if name.startswith("fk_") and "organisation" in name:
            raise ConflictError("Organisation inconnue : aucun partenaire avec cet id.") from exc
        if name.startswith("fk_"):
            raise ConflictError("Partenaire lié introuvable.") from exc
        if name == "ck_relation_not_self":
            raise ConflictError("Une relation relie deux partenaires différents.") from exc
        raise ConflictError(conflict) from exc


# -- partners -------------------------------------------------------------------------------


def partner_record(row: Partner) -> PartnerFields:
    """The domain record of a stored partner (computed and bookkeeping fields left out)."""
    geom = to_shape(row.geom)
    return PartnerFields.model_validate(
        {
            "name": row.name,
            "kind": row.kind,
            "lon": geom.x,
            "lat": geom.y,
            "siret": row.siret,
            "address": row.address,
            "code_insee": row.code_insee,
            "capacity": row.capacity,
            "available_places": row.available_places,
            "opening_hours": row.opening_hours,
            "publics": list(row.publics or []),
            "thematiques": list(row.thematiques or []),
            "eligibility": row.eligibility or {},
            "contact": row.contact or {},
            "description": row.description,
            "source": row.source,
            "source_id": row.source_id,
            "organisation_id": str(row.organisation_id) if row.organisation_id else None,
        }
    )


def partner_values(record: PartnerFields) -> dict[str, Any]:
    """The column values of a partner row for a validated record, ``geom`` excepted.

    The point is ``record.lon``/``record.lat`` (EPSG:4326); bulk writers build it in SQL.
    """
    return {
        "name": record.name,
        "kind": record.kind,
        "family": record.family,
        "siret": record.siret,
        "address": record.address,
        "code_insee": record.code_insee,
        "capacity": record.capacity,
        "available_places": record.available_places,
        "opening_hours": record.opening_hours,
        "publics": list(record.publics),
        "thematiques": list(record.thematiques),
        "eligibility": dump(record.eligibility),
        "contact": dump(record.contact),
        "description": record.description,
        "source": record.source,
        "source_id": record.source_id,
        "organisation_id": uuid.UUID(record.organisation_id) if record.organisation_id else None,
    }


def apply_partner(row: Partner, record: PartnerFields) -> None:
    """Write a validated record onto a row (new or existing) and stamp ``updated_at``."""
    for name, value in partner_values(record).items():
        setattr(row, name, value)
    row.geom = point(record.lon, record.lat)
    row.updated_at = now()


def ensure_provenance(session: Session, row: Partner) -> None:
    """Give a partner written through the API the provenance row of its ``(source, source_id)``.

    Raises
    ------
    ConflictError
        When that provenance already belongs to another partner (the same record of a source
        cannot describe two partners).
    """
    source_id = row.source_id or str(row.id)
    with session.no_autoflush:  # a duplicate partner must fail at commit, as a 409
        found = session.scalar(
            select(Provenance).where(
                Provenance.source == row.source, Provenance.source_id == source_id
            )
        )
    if found is None:
        session.add(Provenance(partner=row, source=row.source, source_id=source_id))
    elif found.partner_id != row.id:
        raise ConflictError(
            f"Un partenaire de même provenance ({row.source}, {source_id}) existe déjà."
        )


def get_partner(session: Session, partner_id: uuid.UUID) -> Partner:
    row = session.get(Partner, partner_id)
    if row is None:
        raise NotFoundError(f"Partenaire introuvable : {partner_id}.")
    return row


def _lonlat() -> tuple[Any, Any]:
    return func.ST_X(Partner.geom).label("lon"), func.ST_Y(Partner.geom).label("lat")


def freshness() -> Any:
    """When a partner's data was last known true: the newest ``source_updated_on`` of its
    provenances when a source dates its record, else the partner's ``updated_at``."""
    newest = (
        select(func.max(Provenance.source_updated_on))
        .where(Provenance.partner_id == Partner.id)
        .scalar_subquery()
    )
    return func.coalesce(cast(newest, DateTime(timezone=True)), Partner.updated_at)


def partners_query(params: PartnerQuery, *, stale_after_days: int = 365) -> Select[Any]:
    """Partners matching the filters, with ``lon``, ``lat`` and ``distance_m`` columns.

    With a point, results are ordered by straight-line distance (metres, geography);
    with ``radius_km`` too, limited to that radius. Without a point, ordered by name.
    ``status`` keeps open partners by default; ``stale`` keeps those whose `freshness` is
    older than ``stale_after_days`` days; ``source`` matches any provenance of a partner.
    """
    lon, lat = _lonlat()
    distance: Any = literal(None).label("distance_m")
    stmt = select(Partner, lon, lat)
    if params.lat is not None and params.lon is not None:
        # a plain ::geography cast, the expression of the ix_partner_geog index (the typmod
        # cast geography(GEOMETRY,-1) would not match it and scan the table)
        here = cast(point(params.lon, params.lat), GEOGRAPHY)
        geog = cast(Partner.geom, GEOGRAPHY)
        distance = func.ST_Distance(geog, here).label("distance_m")
        if params.radius_km is not None:
            stmt = stmt.where(func.ST_DWithin(geog, here, params.radius_km * 1000.0))
        stmt = stmt.add_columns(distance).order_by(distance, Partner.name, Partner.id)
    else:
        stmt = stmt.add_columns(distance).order_by(Partner.name, Partner.id)
    if params.kinds:
        stmt = stmt.where(Partner.kind.in_(params.kinds))
    if params.families:
        stmt = stmt.where(Partner.family.in_(params.families))
    if params.thematiques:
        stmt = stmt.where(Partner.thematiques.overlap(params.thematiques))
    if params.publics:
        stmt = stmt.where(Partner.publics.overlap(params.publics))
    if params.source:
        stmt = stmt.where(
            or_(
                Partner.source == params.source,
                exists().where(
                    Provenance.partner_id == Partner.id, Provenance.source == params.source
                ),
            )
        )
    if params.status != "all":
        stmt = stmt.where(Partner.status == params.status)
    if params.stale:
        limit = func.now() - dt.timedelta(days=stale_after_days)
        stmt = stmt.where(freshness() < limit)
    if params.q:
        for word in params.q.split():
            pattern = "%" + word.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
            haystack = func.unaccent(
                func.concat_ws(" ", Partner.name, Partner.address, Partner.code_insee)
            )
            stmt = stmt.where(haystack.ilike(func.unaccent(pattern)))
    return stmt


def partner_summary(
    row: Partner, lon: float, lat: float, distance_m: float | None
) -> PartnerSummary:
    return PartnerSummary(
        id=row.id,
        name=row.name,
        kind=row.kind,
        family=row.family,
        lat=lat,
        lon=lon,
        address=row.address,
        code_insee=row.code_insee,
        distance_m=None if distance_m is None else round(float(distance_m), 1),
        capacity=row.capacity,
        available_places=row.available_places,
        source=row.source,
        updated_at=row.updated_at,
        status=row.status,
    )


def partner_detail(row: Partner) -> PartnerDetail:
    geom = to_shape(row.geom)
    return PartnerDetail(
        **partner_summary(row, geom.x, geom.y, None).model_dump(),
        siret=row.siret,
        opening_hours=row.opening_hours,
        publics=list(row.publics or []),
        thematiques=list(row.thematiques or []),
        eligibility=Eligibility.model_validate(row.eligibility or {}),
        contact=row.contact or {},
        description=row.description,
        source_id=row.source_id,
        organisation_id=row.organisation_id,
        created_at=row.created_at,
        closed_at=row.closed_at,
        provenances=[
            ProvenanceOut(
                source=p.source,
                source_id=p.source_id,
                source_updated_on=p.source_updated_on,
                seen_at=p.seen_at,
                gone_at=p.gone_at,
            )
            for p in sorted(row.provenances, key=lambda p: (p.source, p.source_id))
        ],
    )


# -- opportunities --------------------------------------------------------------------------


def opportunity_record(row: Opportunity) -> OpportunityFields:
    hours = None
    if row.hours_min is not None and row.hours_max is not None:
        hours = {"min": row.hours_min, "max": row.hours_max}
    return OpportunityFields.model_validate(
        {
            "title": row.title,
            "kind": row.kind,
            "contract": row.contract,
            "rome_code": row.rome_code,
            "hours_per_week": hours,
            "schedule": row.schedule,
            "places": row.places,
            "requirements": row.requirements or {},
            "description": row.description,
            "starts_on": row.starts_on,
            "ends_on": row.ends_on,
            "source_id": row.source_id,
        }
    )


def apply_opportunity(row: Opportunity, record: OpportunityFields) -> None:
    row.title = record.title
    row.kind = record.kind
    row.contract = record.contract
    row.rome_code = record.rome_code
    row.hours_min = record.hours_per_week.min if record.hours_per_week else None
    row.hours_max = record.hours_per_week.max if record.hours_per_week else None
    row.schedule = record.schedule
    row.atypical_hours = record.atypical_hours
    row.places = record.places
    row.requirements = dump(record.requirements)
    row.description = record.description
    row.starts_on = record.starts_on
    row.ends_on = record.ends_on
    row.source_id = record.source_id
    row.updated_at = now()


def get_opportunity(session: Session, opportunity_id: uuid.UUID) -> Opportunity:
    row = session.get(Opportunity, opportunity_id)
    if row is None:
        raise NotFoundError(f"Offre introuvable : {opportunity_id}.")
    return row


def opportunities_query(params: OpportunityQuery) -> Select[Opportunity, str]:
    stmt = (
        select(Opportunity, Partner.name)
        .join(Partner, Partner.id == Opportunity.partner_id)
        .order_by(Partner.name, Opportunity.title, Opportunity.id)
    )
    if params.partner_id:
        stmt = stmt.where(Opportunity.partner_id == params.partner_id)
    if params.kinds:
        stmt = stmt.where(Opportunity.kind.in_(params.kinds))
    if params.rome_codes:
        stmt = stmt.where(Opportunity.rome_code.in_([c.upper() for c in params.rome_codes]))
    if params.with_places:
        stmt = stmt.where(or_(Opportunity.places.is_(None), Opportunity.places > 0))
    return stmt


def opportunity_out(row: Opportunity, partner_name: str) -> OpportunityOut:
    record = opportunity_record(row)
    return OpportunityOut(
        id=row.id,
        partner_id=row.partner_id,
        partner_name=partner_name,
        **record.model_dump(exclude={"source_id", "atypical_hours"}),
        atypical_hours=row.atypical_hours,
        source_id=row.source_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# -- relations ------------------------------------------------------------------------------


def relation_record(row: Relation) -> RelationFields:
    return RelationFields.model_validate(
        {"kind": row.kind, "since": row.since, "until": row.until, "note": row.note}
    )


def apply_relation(row: Relation, record: RelationFields) -> None:
    row.kind = record.kind
    row.since = record.since
    row.until = record.until
    row.note = record.note
    row.updated_at = now()


def get_relation(session: Session, relation_id: uuid.UUID) -> Relation:
    row = session.get(Relation, relation_id)
    if row is None:
        raise NotFoundError(f"Relation introuvable : {relation_id}.")
    return row


def relations_query(partner_id: uuid.UUID | None = None) -> Select[Relation, str, str]:
    """Relations with their partners' names; for one partner, both directions."""
    source = aliased(Partner)
    target = aliased(Partner)
    stmt = (
        select(Relation, source.name, target.name)
        .join(source, source.id == Relation.source_partner_id)
        .join(target, target.id == Relation.target_partner_id)
        .order_by(Relation.kind, source.name, target.name, Relation.id)
    )
    if partner_id is not None:
        stmt = stmt.where(
            or_(Relation.source_partner_id == partner_id, Relation.target_partner_id == partner_id)
        )
    return stmt


def relation_out(row: Relation, source_name: str, target_name: str) -> RelationOut:
    return RelationOut(
        id=row.id,
        source_partner_id=row.source_partner_id,
        source_name=source_name,
        target_partner_id=row.target_partner_id,
        target_name=target_name,
        kind=row.kind,
        since=row.since,
        until=row.until,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
