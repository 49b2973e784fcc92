"""``/v1/opportunities``: the jobs, immersions, trainings and programmes partners offer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select

from graph.models import OpportunityFields, dump
from service import store
from service.auth import check_can_write_partner
from service.deps import OpportunityDep, SessionDep, WriterDep
from service.parameters import OpportunityQuery
from service.schemas import OpportunityCreate, OpportunityOut, OpportunityPatch, Page
from service.tables import Opportunity

router = APIRouter(prefix="/v1/opportunities", tags=["offres"])

_DUPLICATE = "Ce partenaire a déjà une offre avec ce source_id."


@router.get("", summary="Lister les offres")
def list_opportunities(
    session: SessionDep, params: Annotated[OpportunityQuery, Query()]
) -> Page[OpportunityOut]:
    stmt = store.opportunities_query(params)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(params.size).offset(params.offset)).all()
    items = [store.opportunity_out(r[0], r[1]) for r in rows]
    return Page(items=items, total=total or 0, page=params.page, size=params.size)


@router.get("/{opportunity_id}", summary="Lire une offre")
def read_opportunity(opportunity: OpportunityDep) -> OpportunityOut:
    return store.opportunity_out(opportunity, opportunity.partner.name)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Créer une offre")
def create_opportunity(
    session: SessionDep, writer: WriterDep, body: OpportunityCreate
) -> OpportunityOut:
    partner = store.get_partner(session, body.partner_id)
    check_can_write_partner(session, writer, partner)
    row = Opportunity(partner_id=partner.id)
    store.apply_opportunity(
        row,
        OpportunityFields.model_validate(body.model_dump(exclude={"partner_id", "atypical_hours"})),
    )
    session.add(row)
    store.commit(session, conflict=_DUPLICATE)
    return store.opportunity_out(row, partner.name)


@router.patch("/{opportunity_id}", summary="Modifier une offre")
def update_opportunity(
    session: SessionDep, writer: WriterDep, opportunity: OpportunityDep, body: OpportunityPatch
) -> OpportunityOut:
    check_can_write_partner(session, writer, opportunity.partner)
    merged: dict[str, Any] = dump(store.opportunity_record(opportunity))
    merged.update(body.model_dump(exclude_unset=True))
    store.apply_opportunity(opportunity, OpportunityFields.model_validate(merged))
    store.commit(session, conflict=_DUPLICATE)
    return store.opportunity_out(opportunity, opportunity.partner.name)


@router.delete("/{opportunity_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Supprimer")
def delete_opportunity(
    session: SessionDep, writer: WriterDep, opportunity: OpportunityDep
) -> Response:
    check_can_write_partner(session, writer, opportunity.partner)
    session.delete(opportunity)
    store.commit(session, conflict=_DUPLICATE)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
