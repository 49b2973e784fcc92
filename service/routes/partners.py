"""``/v1/partners``: search, read and edit the partners of the territory."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import func, select

from graph.models import PartnerFields, dump
from service import store
from service.auth import Principal, check_can_write_partner
from service.deps import PartnerDep, SessionDep, TravelDep, WriterDep
from service.errors import PermissionDeniedError
from service.parameters import PartnerQuery
from service.schemas import (
    OpportunityOut,
    Page,
    PartnerCreate,
    PartnerDetail,
    PartnerPatch,
    PartnerSummary,
    RelationOut,
    Travel,
)
from service.tables import Opportunity, Partner

router = APIRouter(prefix="/v1/partners", tags=["partenaires"])

# Upper bounds on speed (km/h) by mode: a straight-line prefilter that can never drop a partner
# the network would reach in time (car: motorway limit; transit: regional trains).
MAX_SPEED_KMH = {"walk": 4.5, "bike": 15.0, "car": 130.0, "transit": 160.0}

_DUPLICATE = "Un partenaire de même provenance (source, source_id) existe déjà."


def _stale_after_days(request: Request) -> int:
    """``MAILLAGE_STALE_AFTER_DAYS`` of the running app (days)."""
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "stale_after_days", 365))


StaleAfterDep = Annotated[int, Depends(_stale_after_days)]


@router.get("", summary="Rechercher des partenaires")
def list_partners(
    session: SessionDep,
    travel: TravelDep,
    stale_after_days: StaleAfterDep,
    params: Annotated[PartnerQuery, Query()],
) -> Page[PartnerSummary]:
    """Partenaires filtrés par typologie, famille, thématique, public ou texte ; autour d'un
    point (``lat``, ``lon``), triés par distance à vol d'oiseau (``distance_m``, en mètres),
    dans un rayon ``radius_km`` (200 km au plus).

    Avec ``mode`` (walk, bike, car, transit), triés par temps de trajet réel sur le réseau du
    territoire (``travel.minutes``) et, avec ``max_minutes``, limités à ce temps ; sans réseau
    pour ce mode à cet endroit, le temps est estimé à vol d'oiseau (``travel.estimated``).

    Les partenaires fermés (retirés de toutes les sources qui les listaient) sont cachés, sauf
    avec ``status=closed`` ou ``status=all`` ; ``stale=true`` ne garde que les fiches anciennes
    (ni mises à jour ni datées par leur source depuis ``MAILLAGE_STALE_AFTER_DAYS`` jours)."""
    if params.mode is not None:
        return _by_travel_time(session, travel, params, stale_after_days)
    stmt = store.partners_query(params, stale_after_days=stale_after_days)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(params.size).offset(params.offset)).all()
    items = [store.partner_summary(r[0], r.lon, r.lat, r.distance_m) for r in rows]
    return Page(items=items, total=total or 0, page=params.page, size=params.size)


@router.get("/{partner_id}", summary="Lire la fiche d'un partenaire")
def read_partner(partner: PartnerDep) -> PartnerDetail:
    """La fiche complète, avec son état (``status``, ``closed_at``) et toutes ses provenances :
    une même structure listée par deux sources est un seul partenaire à deux provenances."""
    return store.partner_detail(partner)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Créer un partenaire")
def create_partner(session: SessionDep, writer: WriterDep, body: PartnerCreate) -> PartnerDetail:
    record = _own(writer, body)
    row = Partner(id=uuid.uuid4())
    if record.source_id is None:  # every partner can be exported and re-imported
        record = record.model_copy(update={"source_id": str(row.id)})
    store.apply_partner(row, record)
    session.add(row)
    store.ensure_provenance(session, row)
    store.commit(session, conflict=_DUPLICATE)
    return store.partner_detail(row)


@router.patch("/{partner_id}", summary="Modifier un partenaire")
def update_partner(
    session: SessionDep, writer: WriterDep, partner: PartnerDep, body: PartnerPatch
) -> PartnerDetail:
    check_can_write_partner(session, writer, partner)
    merged: dict[str, Any] = dump(store.partner_record(partner))
    merged.update(body.model_dump(exclude_unset=True))
    record = PartnerFields.model_validate(merged)
    if writer.role == "editor" and record.organisation_id != (
        str(partner.organisation_id) if partner.organisation_id else None
    ):
        raise PermissionDeniedError("Accès refusé : seul un administrateur change l'organisation.")
    store.apply_partner(partner, record)
    store.ensure_provenance(session, partner)
    store.commit(session, conflict=_DUPLICATE)
    return store.partner_detail(partner)


@router.delete("/{partner_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Supprimer")
def delete_partner(session: SessionDep, writer: WriterDep, partner: PartnerDep) -> Response:
    check_can_write_partner(session, writer, partner)
    if writer.role == "editor" and partner.id == writer.organisation_id:
        raise PermissionDeniedError(
            "Accès refusé : seul un administrateur supprime la fiche de l'organisation."
        )
    session.delete(partner)
    store.commit(session, conflict=_DUPLICATE)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{partner_id}/opportunities", summary="Offres d'un partenaire")
def partner_opportunities(session: SessionDep, partner: PartnerDep) -> list[OpportunityOut]:
    rows = session.scalars(
        select(Opportunity)
        .where(Opportunity.partner_id == partner.id)
        .order_by(Opportunity.title, Opportunity.id)
    )
    return [store.opportunity_out(o, partner.name) for o in rows]


@router.get("/{partner_id}/relations", summary="Relations d'un partenaire (dans les deux sens)")
def partner_relations(session: SessionDep, partner: PartnerDep) -> list[RelationOut]:
    rows = session.execute(store.relations_query(partner.id)).all()
    return [store.relation_out(r[0], r[1], r[2]) for r in rows]


def _by_travel_time(
    session: SessionDep, travel: TravelDep, params: PartnerQuery, stale_after_days: int
) -> Page[PartnerSummary]:
    """Partners reachable from the point by the mode, sorted by minutes then name."""
    assert params.mode is not None
    assert params.lat is not None
    assert params.lon is not None
    reach_km = None
    if params.max_minutes is not None:  # nothing beyond this straight line can be reached
        reach_km = params.max_minutes / 60 * MAX_SPEED_KMH[params.mode] + 1.0
    radius = (
        min(r for r in (params.radius_km, reach_km) if r is not None)
        if (params.radius_km or reach_km)
        else None
    )
    rows = session.execute(
        store.partners_query(
            params.model_copy(update={"radius_km": radius}), stale_after_days=stale_after_days
        )
    ).all()
    result = travel.times(
        params.mode,
        params.lon,
        params.lat,
        np.array([(r.lon, r.lat) for r in rows], dtype=np.float64).reshape(-1, 2),
        max_minutes=params.max_minutes,
        departure=params.departure,
        window_minutes=params.window_minutes,
    )
    limit = params.max_minutes if params.max_minutes is not None else np.inf
    kept = [
        (float(result.minutes[i]), bool(result.estimated[i]), rows[i])
        for i in range(len(rows))
        if np.isfinite(result.minutes[i]) and result.minutes[i] <= limit
    ]
    kept.sort(key=lambda t: (t[0], t[2][0].name, str(t[2][0].id)))
    page = kept[params.offset : params.offset + params.size]
    items = []
    for minutes, estimated, row in page:
        item = store.partner_summary(row[0], row.lon, row.lat, row.distance_m)
        item.travel = Travel(mode=params.mode, minutes=round(minutes, 1), estimated=estimated)
        items.append(item)
    return Page(items=items, total=len(kept), page=params.page, size=params.size)


def _own(writer: Principal, body: PartnerFields) -> PartnerFields:
    """An editor's new partner belongs to its organisation."""
    if writer.role != "editor":
        return body
    org = str(writer.organisation_id)
    if body.organisation_id not in (None, org):
        raise PermissionDeniedError(
            "Accès refusé : un éditeur ne crée des fiches que pour son organisation."
        )
    return body.model_copy(update={"organisation_id": org})
