"""The partners feature's SQL: composable ``Select`` objects that routes execute or paginate.

Distances are metres on the WGS84 spheroid (``geography``), found with ``ST_DWithin`` and
ordered by ``ST_Distance``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from service.db import AnySelect
from service.errors import NotFoundError
from service.partners.parameters import OpportunityQuery, PartnerQuery
from service.store.queries import freshness
from service.store.records import GEOGRAPHY, point
from service.tables import Opportunity, Partner, Provenance, Relation


def get_partner(session: Session, partner_id: uuid.UUID) -> Partner:
    row = session.get(Partner, partner_id)
    if row is None:
        raise NotFoundError("Partenaire introuvable.")
    return row


def get_opportunity(session: Session, opportunity_id: uuid.UUID) -> Opportunity:
    row = session.get(Opportunity, opportunity_id)
    if row is None:
        raise NotFoundError("Offre introuvable.")
    return row


def get_relation(session: Session, relation_id: uuid.UUID) -> Relation:
    row = session.get(Relation, relation_id)
    if row is None:
        raise NotFoundError("Relation introuvable.")
    return row


def _lonlat() -> tuple[Any, Any]:
    return func.ST_X(Partner.geom).label("lon"), func.ST_Y(Partner.geom).label("lat")


def geocoding() -> Any:
    """How a partner's point was obtained: the ``geocoding`` of its canonical provenance's
    record (``source``, ``swapped``, ``commune``); ``source`` for a point written in maillage
    (API, GeoJSON), which has no source record."""
    recorded = (
        select(Provenance.record["geocoding"].astext)
        .where(
            Provenance.partner_id == Partner.id,
            Provenance.source == Partner.source,
            Provenance.source_id == Partner.source_id,
        )
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(recorded, "source")


def partners_query(params: PartnerQuery, *, stale_after_days: int = 365) -> AnySelect:
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
    stmt = _categories(stmt, params)
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
    if params.geocoding is not None:
        stmt = stmt.where(geocoding() == params.geocoding)
    if params.stale:
        limit = func.now() - dt.timedelta(days=stale_after_days)
        stmt = stmt.where(freshness() < limit)
    if params.q:
        for word in params.q.split():
            pattern = "%" + word.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
            haystack = func.unaccent(
                func.concat_ws(
                    " ",
                    Partner.name,
                    func.array_to_string(Partner.aliases, " "),
                    Partner.address,
                    Partner.code_insee,
                )
            )
            stmt = stmt.where(haystack.ilike(func.unaccent(pattern)))
    return stmt


def _categories(stmt: AnySelect, params: PartnerQuery) -> AnySelect:
    """Kinds, families, thematiques and publics (any of each list)."""
    if params.kinds:
        stmt = stmt.where(Partner.kind.in_(params.kinds))
    if params.families:
        stmt = stmt.where(Partner.family.in_(params.families))
    if params.thematiques:
        stmt = stmt.where(Partner.thematiques.overlap(params.thematiques))
    if params.publics:
        stmt = stmt.where(Partner.publics.overlap(params.publics))
    return stmt


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


def count_of(stmt: AnySelect) -> AnySelect:
    """How many rows ``stmt`` would return, without its ordering (a page's ``total``)."""
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def opportunities_of(partner_id: uuid.UUID) -> AnySelect:
    """A partner's opportunities, by title."""
    return (
        select(Opportunity)
        .where(Opportunity.partner_id == partner_id)
        .order_by(Opportunity.title, Opportunity.id)
    )
