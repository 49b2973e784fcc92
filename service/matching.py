"""Matching for the service: the request bodies, where the person starts from, and the
in-memory snapshot of the territory's offer that `graph.matching` runs on.

The snapshot (offers and support sites as column tables, relations as an index) is built from
the store once and rebuilt when the store revision changes (a trigger bumps it on every write,
whoever writes). A person's profile is read for one request: it is never stored and never
logged — not here, not in the access log (the body is not logged), not in an error message
(validation errors never echo the input).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from geoalchemy2.shape import to_shape
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph.eligibility import Situation
from graph.matching import (
    Offer,
    OfferTable,
    PartnerSite,
    Profile,
    RelationIndex,
    SupportTable,
    TravelMode,
    Wishes,
)
from graph.models import CodeInsee, Eligibility, HoursPerWeek, OpeningHours
from service.errors import InvalidInputError
from service.tables import Commune, Opportunity, Partner, Relation, StoreRevision

MAX_BATCH = 200


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PointLocation(_Body):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude WGS84, degrés")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude WGS84, degrés")


class PartnerLocation(_Body):
    partner_id: uuid.UUID = Field(description="la structure référente de la personne")


class CommuneLocation(_Body):
    code_insee: CodeInsee = Field(description="commune : départ de sa mairie")


class MatchRequest(_Body):
    """One person's request. Unknown situation fields mean « non renseigné », never « non »."""

    location: PointLocation | PartnerLocation | CommuneLocation
    modes: list[TravelMode] = Field(min_length=1, max_length=4)
    wishes: Wishes = Field(default_factory=Wishes)
    hours_per_week: HoursPerWeek | None = None
    available: OpeningHours | None = None
    situation: Situation = Field(default_factory=Situation)
    limit: int = Field(20, ge=1, le=100)


class BatchRequest(_Body):
    """A cohort (a platform's monthly session): at most 200 persons."""

    persons: Annotated[list[MatchRequest], Field(min_length=1, max_length=MAX_BATCH)]
    alternatives: int = Field(3, ge=0, le=10, description="autres propositions par personne")


@dataclass(frozen=True, slots=True)
class Origin:
    lon: float
    lat: float
    referent_id: str | None


def resolve_location(session: Session, location: Any) -> Origin:
    """Where the person's trips start, EPSG:4326; a referent structure also brings relations."""
    if isinstance(location, PointLocation):
        return Origin(location.lon, location.lat, None)
    if isinstance(location, PartnerLocation):
        partner = session.get(Partner, location.partner_id)
        if partner is None:
            raise InvalidInputError(
                f"location.partner_id : aucun partenaire {location.partner_id}."
            )
        point = to_shape(partner.geom)
        return Origin(point.x, point.y, str(partner.id))
    row = session.execute(
        select(
            func.ST_X(func.coalesce(Commune.town_hall, func.ST_PointOnSurface(Commune.geom))),
            func.ST_Y(func.coalesce(Commune.town_hall, func.ST_PointOnSurface(Commune.geom))),
        ).where(Commune.code_insee == location.code_insee)
    ).first()
    if row is None:
        raise InvalidInputError(
            f"location.code_insee : commune {location.code_insee} absente du territoire chargé."
        )
    return Origin(float(row[0]), float(row[1]), None)


def to_profile(request: MatchRequest, origin: Origin) -> Profile:
    return Profile(
        lon=origin.lon,
        lat=origin.lat,
        referent_id=origin.referent_id,
        modes=request.modes,
        wishes=request.wishes,
        hours_per_week=request.hours_per_week,
        available=request.available,
        situation=request.situation,
        limit=request.limit,
    )


# -- the snapshot ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The territory's offer at one store revision, ready for `graph.matching.match`."""

    revision: int
    offers: OfferTable
    supports: SupportTable
    relations: RelationIndex


def store_revision(session: Session) -> int:
    return int(session.scalar(select(StoreRevision.revision).where(StoreRevision.id == 1)) or 0)


def build_snapshot(session: Session) -> Snapshot:
    """Read every partner, opportunity and relation once into column tables."""
    revision = store_revision(session)
    sites: dict[uuid.UUID, PartnerSite] = {}
    rows = session.execute(
        select(
            Partner.id,
            Partner.name,
            Partner.kind,
            func.ST_X(Partner.geom),
            func.ST_Y(Partner.geom),
            Partner.thematiques,
            Partner.available_places,
            Partner.capacity,
            Partner.opening_hours,
            Partner.eligibility,
            Partner.organisation_id,
        )
        .where(Partner.status == "open")  # closed structures propose nothing, support no one
        .order_by(Partner.id)
    )
    for pid, name, kind, lon, lat, thematiques, places, capacity, hours, elig, org in rows:
        sites[pid] = PartnerSite(
            id=str(pid),
            name=name,
            kind=kind,
            lon=float(lon),
            lat=float(lat),
            thematiques=tuple(thematiques or ()),
            available_places=places,
            capacity=capacity,
            opening_hours=hours,
            eligibility=Eligibility.model_validate(elig or {}),
            organisation_id=str(org) if org else None,
        )
    # plain columns rather than ORM entities: ~3x faster on 50,000 opportunities; requirements
    # repeat a lot, so each distinct JSON document is validated once
    requirements: dict[str, Eligibility] = {}

    def eligibility(document: dict[str, Any] | None) -> Eligibility:
        key = json.dumps(document or {}, sort_keys=True)
        if key not in requirements:
            requirements[key] = Eligibility.model_validate(document or {})
        return requirements[key]

    columns = (
        Opportunity.id,
        Opportunity.title,
        Opportunity.kind,
        Opportunity.partner_id,
        Opportunity.contract,
        Opportunity.rome_code,
        Opportunity.hours_min,
        Opportunity.hours_max,
        Opportunity.schedule,
        Opportunity.atypical_hours,
        Opportunity.places,
        Opportunity.requirements,
    )
    offers = [
        Offer(
            id=str(o.id),
            title=o.title,
            kind=o.kind,
            partner=sites[o.partner_id],
            contract=o.contract,
            rome_code=o.rome_code,
            hours_min=o.hours_min,
            hours_max=o.hours_max,
            schedule=o.schedule,
            atypical_hours=o.atypical_hours,
            places=o.places,
            requirements=eligibility(o.requirements),
        )
        for o in session.execute(select(*columns).order_by(Opportunity.id))
        if o.partner_id in sites
    ]
    pairs = session.execute(select(Relation.source_partner_id, Relation.target_partner_id))
    return Snapshot(
        revision=revision,
        offers=OfferTable.from_offers(offers),
        supports=SupportTable.from_sites(list(sites.values())),
        relations=RelationIndex((str(s), str(t)) for s, t in pairs),
    )


class SnapshotCache:
    """The current snapshot, rebuilt when the store revision moves (one rebuild at a time)."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def get(self, session: Session) -> Snapshot:
        revision = store_revision(session)
        current = self._snapshot
        if current is not None and current.revision == revision:
            return current
        with self._lock:
            current = self._snapshot
            if current is None or current.revision != store_revision(session):
                current = build_snapshot(session)
                self._snapshot = current
        return current
