"""``/v1/partners``, ``/v1/opportunities``, ``/v1/relations``: search, read and edit the
partners of the territory, what they offer and who works with whom."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Response, status

from graph.models import OpportunityFields, PartnerFields, RelationFields, dump
from service.auth import (
    Principal,
    check_can_change_fiche,
    check_can_write_partner,
    check_source_claim,
)
from service.deps import SessionDep, StaleAfterDep, TravelDep, WriterDep
from service.errors import PermissionDeniedError
from service.partners import queries, schemas
from service.partners.parameters import OpportunityQuery, PartnerQuery
from service.partners.schemas import (
    OpportunityCreate,
    OpportunityOut,
    OpportunityPatch,
    Page,
    PartnerCreate,
    PartnerDetail,
    PartnerPage,
    PartnerPatch,
    RelationCreate,
    RelationOut,
    RelationPatch,
    Travel,
)
from service.store import records
from service.tables import Opportunity, Partner, Relation


def _partner(session: SessionDep, partner_id: uuid.UUID) -> Partner:
    return queries.get_partner(session, partner_id)


def _opportunity(session: SessionDep, opportunity_id: uuid.UUID) -> Opportunity:
    return queries.get_opportunity(session, opportunity_id)


def _relation(session: SessionDep, relation_id: uuid.UUID) -> Relation:
    return queries.get_relation(session, relation_id)


PartnerDep = Annotated[Partner, Depends(_partner)]
OpportunityDep = Annotated[Opportunity, Depends(_opportunity)]
RelationDep = Annotated[Relation, Depends(_relation)]

partners = APIRouter(prefix="/v1/partners", tags=["partenaires"])

# Upper bounds on speed (km/h) by mode: a straight-line prefilter that can never drop a partner
# the network would reach in time (car: motorway limit; transit: regional trains).
MAX_SPEED_KMH = {"walk": 4.5, "bike": 15.0, "car": 130.0, "transit": 160.0}

_DUPLICATE_PARTNER = "Un partenaire de même provenance (source, source_id) existe déjà."


@partners.get("", summary="Rechercher des partenaires")
def list_partners(
    session: SessionDep,
    travel: TravelDep,
    stale_after_days: StaleAfterDep,
    params: Annotated[PartnerQuery, Query()],
) -> PartnerPage:
    """Partenaires filtrés par typologie, famille, thématique, public ou texte ; autour d'un
    point (``lat``, ``lon``), triés par distance à vol d'oiseau (``distance_m``, en mètres),
    dans un rayon ``radius_km`` (200 km au plus).

    Avec ``mode`` (walk, bike, car, transit), triés par temps de trajet sur le réseau du
    territoire (``travel.minutes``) et, avec ``max_minutes``, limités à ce temps ; sans réseau
    pour ce mode à cet endroit, le temps est estimé (``travel.estimated``). Chaque résultat de
    la page dit son trajet étape par étape (``travel.journey``) ; ``estimated_share`` est la
    part des résultats estimés, ``notice`` ce qu'il faut savoir (date des horaires utilisée
    quand le départ sort de leur période de validité). En transports en commun, la marche
    répond quand elle est plus rapide.

    Les partenaires fermés (retirés de toutes les sources qui les listaient) sont cachés, sauf
    avec ``status=closed`` ou ``status=all`` ; ``stale=true`` ne garde que les fiches anciennes
    (ni mises à jour ni datées par leur source depuis ``MAILLAGE_STALE_AFTER_DAYS`` jours)."""
    if params.mode is not None:
        return _by_travel_time(session, travel, params, stale_after_days)
    stmt = queries.partners_query(params, stale_after_days=stale_after_days)
    total = session.scalar(queries.count_of(stmt))
    rows = session.execute(stmt.limit(params.size).offset(params.offset)).all()
    items = [schemas.partner_summary(r[0], r.lon, r.lat, r.distance_m) for r in rows]
    return PartnerPage(items=items, total=total or 0, page=params.page, size=params.size)


@partners.get("/{partner_id}", summary="Lire la fiche d'un partenaire")
def read_partner(partner: PartnerDep) -> PartnerDetail:
    """La fiche complète, avec son état (``status``, ``closed_at``) et toutes ses provenances :
    une même structure listée par deux sources est un seul partenaire à deux provenances."""
    return schemas.partner_detail(partner)


@partners.post("", status_code=status.HTTP_201_CREATED, summary="Créer un partenaire")
def create_partner(session: SessionDep, writer: WriterDep, body: PartnerCreate) -> PartnerDetail:
    record = _own(writer, body)
    row = Partner(id=uuid.uuid4())
    if record.source_id is None:  # every partner can be exported and re-imported
        record = record.model_copy(update={"source_id": str(row.id)})
    records.apply_partner(row, record)
    session.add(row)
    records.ensure_provenance(session, row)
    records.commit(session, conflict=_DUPLICATE_PARTNER)
    return schemas.partner_detail(row)


@partners.patch("/{partner_id}", summary="Modifier un partenaire")
def update_partner(
    session: SessionDep, writer: WriterDep, partner: PartnerDep, body: PartnerPatch
) -> PartnerDetail:
    check_can_change_fiche(session, writer, partner)
    if "source" in body.model_fields_set:
        check_source_claim(writer, str(getattr(body, "source", "")), current=partner.source)
    merged: dict[str, Any] = dump(records.partner_record(partner))
    merged.update(body.model_dump(exclude_unset=True))
    record = PartnerFields.model_validate(merged)
    if writer.role == "editor" and record.organisation_id != partner.organisation_id:
        raise PermissionDeniedError("Accès refusé : seul un administrateur change l'organisation.")
    records.apply_partner(partner, record)
    records.ensure_provenance(session, partner)
    records.commit(session, conflict=_DUPLICATE_PARTNER)
    return schemas.partner_detail(partner)


@partners.delete("/{partner_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Supprimer")
def delete_partner(session: SessionDep, writer: WriterDep, partner: PartnerDep) -> Response:
    check_can_change_fiche(session, writer, partner)
    if writer.role == "editor" and partner.id == writer.organisation_id:
        raise PermissionDeniedError(
            "Accès refusé : seul un administrateur supprime la fiche de l'organisation."
        )
    session.delete(partner)
    records.commit(session, conflict=_DUPLICATE_PARTNER)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@partners.get("/{partner_id}/opportunities", summary="Offres d'un partenaire")
def partner_opportunities(session: SessionDep, partner: PartnerDep) -> list[OpportunityOut]:
    rows = session.scalars(queries.opportunities_of(partner.id))
    return [schemas.opportunity_out(o, partner.name) for o in rows]


@partners.get("/{partner_id}/relations", summary="Relations d'un partenaire (dans les deux sens)")
def partner_relations(session: SessionDep, partner: PartnerDep) -> list[RelationOut]:
    rows = session.execute(queries.relations_query(partner.id)).all()
    return [schemas.relation_out(r[0], r[1], r[2]) for r in rows]


def _by_travel_time(
    session: SessionDep, travel: TravelDep, params: PartnerQuery, stale_after_days: int
) -> PartnerPage:
    """Partners reachable from the point by the mode, sorted by minutes then name; the
    journeys of the page's partners only."""
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
        queries.partners_query(
            params.model_copy(update={"radius_km": radius}), stale_after_days=stale_after_days
        )
    ).all()
    trips = travel.at(params.departure, params.window_minutes)
    result = trips.times(
        params.mode,
        params.lon,
        params.lat,
        np.array([(r.lon, r.lat) for r in rows], dtype=np.float64).reshape(-1, 2),
        max_minutes=params.max_minutes,
    )
    limit = params.max_minutes if params.max_minutes is not None else np.inf
    kept = [
        (float(result.minutes[i]), bool(result.estimated[i]), rows[i])
        for i in range(len(rows))
        if np.isfinite(result.minutes[i]) and result.minutes[i] <= limit
    ]
    kept.sort(key=lambda t: (t[0], t[2][0].name, str(t[2][0].id)))
    page = kept[params.offset : params.offset + params.size]
    journeys = trips.journeys(
        params.mode,
        params.lon,
        params.lat,
        np.array([(row.lon, row.lat) for _, _, row in page], dtype=np.float64).reshape(-1, 2),
        max_minutes=params.max_minutes,
    )
    items = []
    for (minutes, estimated, row), journey in zip(page, journeys, strict=True):
        item = schemas.partner_summary(row[0], row.lon, row.lat, row.distance_m)
        item.travel = Travel(
            mode=params.mode,
            minutes=round(minutes, 1),
            estimated=estimated or (journey is not None and journey.estimated),
            journey=journey,
        )
        items.append(item)
    return PartnerPage(
        items=items,
        total=len(kept),
        page=params.page,
        size=params.size,
        estimated_share=round(sum(e for _, e, _ in kept) / len(kept), 4) if kept else 0.0,
        notice=result.notice,
    )


def _own(writer: Principal, body: PartnerFields) -> PartnerFields:
    """An editor's new partner belongs to its organisation, under a provenance of its own."""
    check_source_claim(writer, body.source)
    if writer.role != "editor":
        return body
    org = writer.organisation_id
    if body.organisation_id not in (None, org):
        raise PermissionDeniedError(
            "Accès refusé : un éditeur ne crée des fiches que pour son organisation."
        )
    return body.model_copy(update={"organisation_id": org})


# -- opportunities ----------------------------------------------------------------------------

opportunities = APIRouter(prefix="/v1/opportunities", tags=["offres"])

_DUPLICATE_OPPORTUNITY = "Ce partenaire a déjà une offre avec ce source_id."


@opportunities.get("", summary="Lister les offres")
def list_opportunities(
    session: SessionDep, params: Annotated[OpportunityQuery, Query()]
) -> Page[OpportunityOut]:
    stmt = queries.opportunities_query(params)
    total = session.scalar(queries.count_of(stmt))
    rows = session.execute(stmt.limit(params.size).offset(params.offset)).all()
    items = [schemas.opportunity_out(r[0], r[1]) for r in rows]
    return Page(items=items, total=total or 0, page=params.page, size=params.size)


@opportunities.get("/{opportunity_id}", summary="Lire une offre")
def read_opportunity(opportunity: OpportunityDep) -> OpportunityOut:
    return schemas.opportunity_out(opportunity, opportunity.partner.name)


@opportunities.post("", status_code=status.HTTP_201_CREATED, summary="Créer une offre")
def create_opportunity(
    session: SessionDep, writer: WriterDep, body: OpportunityCreate
) -> OpportunityOut:
    partner = queries.get_partner(session, body.partner_id)
    check_can_write_partner(session, writer, partner)
    row = Opportunity(partner_id=partner.id)
    records.apply_opportunity(
        row,
        OpportunityFields.model_validate(body.model_dump(exclude={"partner_id", "atypical_hours"})),
    )
    session.add(row)
    records.commit(session, conflict=_DUPLICATE_OPPORTUNITY)
    return schemas.opportunity_out(row, partner.name)


@opportunities.patch("/{opportunity_id}", summary="Modifier une offre")
def update_opportunity(
    session: SessionDep, writer: WriterDep, opportunity: OpportunityDep, body: OpportunityPatch
) -> OpportunityOut:
    check_can_write_partner(session, writer, opportunity.partner)
    merged: dict[str, Any] = dump(records.opportunity_record(opportunity))
    merged.update(body.model_dump(exclude_unset=True))
    records.apply_opportunity(opportunity, OpportunityFields.model_validate(merged))
    records.commit(session, conflict=_DUPLICATE_OPPORTUNITY)
    return schemas.opportunity_out(opportunity, opportunity.partner.name)


@opportunities.delete(
    "/{opportunity_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Supprimer"
)
def delete_opportunity(
    session: SessionDep, writer: WriterDep, opportunity: OpportunityDep
) -> Response:
    check_can_write_partner(session, writer, opportunity.partner)
    session.delete(opportunity)
    records.commit(session, conflict=_DUPLICATE_OPPORTUNITY)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- relations ---------------------------------------------------------------------------------

relations = APIRouter(prefix="/v1/relations", tags=["relations"])

_DUPLICATE_RELATION = "Cette relation existe déjà (même source, même cible, même type)."


def _relation_out(session: SessionDep, row: Relation) -> RelationOut:
    source = queries.get_partner(session, row.source_partner_id)
    target = queries.get_partner(session, row.target_partner_id)
    return schemas.relation_out(row, source.name, target.name)


@relations.get("/{relation_id}", summary="Lire une relation")
def read_relation(session: SessionDep, relation: RelationDep) -> RelationOut:
    return _relation_out(session, relation)


@relations.post("", status_code=status.HTTP_201_CREATED, summary="Créer une relation")
def create_relation(session: SessionDep, writer: WriterDep, body: RelationCreate) -> RelationOut:
    source = queries.get_partner(session, body.source_partner_id)
    queries.get_partner(session, body.target_partner_id)
    check_can_write_partner(session, writer, source)
    row = Relation(
        source_partner_id=body.source_partner_id, target_partner_id=body.target_partner_id
    )
    records.apply_relation(
        row,
        RelationFields.model_validate(
            body.model_dump(exclude={"source_partner_id", "target_partner_id"})
        ),
    )
    session.add(row)
    records.commit(session, conflict=_DUPLICATE_RELATION)
    return _relation_out(session, row)


@relations.patch("/{relation_id}", summary="Modifier une relation")
def update_relation(
    session: SessionDep, writer: WriterDep, relation: RelationDep, body: RelationPatch
) -> RelationOut:
    check_can_write_partner(
        session, writer, queries.get_partner(session, relation.source_partner_id)
    )
    merged: dict[str, Any] = dump(records.relation_record(relation))
    merged.update(body.model_dump(exclude_unset=True))
    records.apply_relation(relation, RelationFields.model_validate(merged))
    records.commit(session, conflict=_DUPLICATE_RELATION)
    return _relation_out(session, relation)


@relations.delete("/{relation_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Supprimer")
def delete_relation(session: SessionDep, writer: WriterDep, relation: RelationDep) -> Response:
    check_can_write_partner(
        session, writer, queries.get_partner(session, relation.source_partner_id)
    )
    session.delete(relation)
    records.commit(session, conflict=_DUPLICATE_RELATION)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
