"""FastAPI dependencies shared by every feature: a session, the caller and its role, the
travel networks and the store snapshot.

Roles are checked in one place, `require_role`: ``ViewerDep`` (any key), ``PlatformDep``
(platform, editor, admin: matching), ``WriterDep`` (editor, admin: writes). Without a key the
answer is 401; with a key whose role is not enough, 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.orm import Session

from service.auth import Principal, authenticate
from service.errors import AuthenticationError
from service.store.snapshot import REVISION_HEADER, SnapshotHolder, StoreSnapshot
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


def require_role(*roles: str) -> Callable[[Principal | None], Principal]:
    """A dependency that lets through a caller whose key has one of ``roles``."""

    def check(principal: PrincipalDep) -> Principal:
        if principal is None:
            raise AuthenticationError("Authentification requise : fournissez une clé d'API.")
        principal.require(*roles)
        return principal

    return check


VIEWER_ROLES = ("viewer", "platform", "editor", "admin")
PLATFORM_ROLES = ("platform", "editor", "admin")
WRITER_ROLES = ("editor", "admin")

ViewerDep = Annotated[Principal, Depends(require_role(*VIEWER_ROLES))]
PlatformDep = Annotated[Principal, Depends(require_role(*PLATFORM_ROLES))]
WriterDep = Annotated[Principal, Depends(require_role(*WRITER_ROLES))]


def get_travel(request: Request) -> TravelService:
    """The travel networks loaded at startup (an empty service: estimates only)."""
    travel = getattr(request.app.state, "travel", None)
    return travel if travel is not None else TravelService()


TravelDep = Annotated[TravelService, Depends(get_travel)]


def get_snapshot(request: Request, response: Response, session: SessionDep) -> StoreSnapshot:
    """The store snapshot that answers this request; its revision goes in `REVISION_HEADER`."""
    holder: SnapshotHolder = request.app.state.snapshots
    snapshot = holder.get(session)
    response.headers[REVISION_HEADER] = str(snapshot.revision)
    return snapshot


SnapshotDep = Annotated[StoreSnapshot, Depends(get_snapshot)]
