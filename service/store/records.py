"""Between the domain records of `graph.models` and the rows of `service.tables`.

Points are EPSG:4326 (lon, lat in degrees), written bit-exact as WKB. Shared by every feature
that writes records (the partner routes, the importers, the demo loader).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely import Point
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from graph.inputs import STORED
from graph.models import OpportunityFields, PartnerFields, RelationFields, dump
from service.errors import ConflictError
from service.store.queries import provenance_of
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
            "organisation_id": row.organisation_id,
        },
        context=STORED,
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
        "organisation_id": record.organisation_id,
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
        found = session.scalar(provenance_of(row.source, source_id))
    if found is None:
        session.add(Provenance(partner=row, source=row.source, source_id=source_id))
    elif found.partner_id != row.id:
        raise ConflictError("Un partenaire de même provenance (source, source_id) existe déjà.")


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
        },
        context=STORED,
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


# -- relations ------------------------------------------------------------------------------


def relation_record(row: Relation) -> RelationFields:
    return RelationFields.model_validate(
        {"kind": row.kind, "since": row.since, "until": row.until, "note": row.note},
        context=STORED,
    )


def apply_relation(row: Relation, record: RelationFields) -> None:
    row.kind = record.kind
    row.since = record.since
    row.until = record.until
    row.note = record.note
    row.updated_at = now()
