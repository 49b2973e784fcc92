"""FastAPI dependencies: they hand routes a session, the caller and loaded domain objects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from service import store
from service.auth import Principal, authenticate, require_writer
from service.tables import Opportunity, Partner, Relation
from service.travel import TravelService


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request; writes are committed by the route, anything else rolls back."""
    with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    session: SessionDep,
    authorization: Annotated[
        str | None, Header(description="« Bearer <clé d'API> »", include_in_schema=False)
    ] = None,
) -> Principal | None:
    return authenticate(session, authorization)


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


def get_writer(principal: PrincipalDep) -> Principal:
    return require_writer(principal)


WriterDep = Annotated[Principal, Depends(get_writer)]


def get_travel(request: Request) -> TravelService:
    """The travel networks loaded at startup (an empty service: estimates only)."""
    travel = getattr(request.app.state, "travel", None)
    return travel if travel is not None else TravelService()


TravelDep = Annotated[TravelService, Depends(get_travel)]


def get_partner(session: SessionDep, partner_id: uuid.UUID) -> Partner:
    return store.get_partner(session, partner_id)


PartnerDep = Annotated[Partner, Depends(get_partner)]


def get_opportunity(session: SessionDep, opportunity_id: uuid.UUID) -> Opportunity:
    return store.get_opportunity(session, opportunity_id)


OpportunityDep = Annotated[Opportunity, Depends(get_opportunity)]


def get_relation(session: SessionDep, relation_id: uuid.UUID) -> Relation:
    return store.get_relation(session, relation_id)


RelationDep = Annotated[Relation, Depends(get_relation)]
