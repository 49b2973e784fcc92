"""FastAPI dependencies shared by every feature: a session, the caller and its role, the
travel networks and the store snapshot.

Roles are checked in one place, `require_role`: ``ViewerDep`` (any key or person),
``PlatformDep`` (platform, editor, admin: matching), ``WriterDep`` (editor, admin: writes). The
caller is an API key (``Authorization: Bearer``, machines) or a person's session cookie (the
pages), one `Principal` either way (`service.auth.authenticate_request`). Without either the
answer is 401 (« session expirée » when the cookie's session has ended); with a role that is
not enough, 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import (
    AUTHENTICATION_REQUIRED,
    SESSION_COOKIE,
    SESSION_ENDED,
    Principal,
    authenticate_request,
)
from service.errors import AuthenticationError, is_database_outage, log_database_outage
from service.store.snapshot import REVISION_HEADER, SnapshotHolder, StoreSnapshot
from service.travel import TravelService


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request; writes are committed by the route, anything else rolls back."""
    with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@contextmanager
def request_session(app: Any) -> Iterator[Session]:
    """A session as `get_session` gives one, for code that runs before the routes (the ASGI
    guards): the app's sessionmaker, or the test suite's override of `get_session` (a
    generator without arguments that yields its SAVEPOINT session)."""
    override = app.dependency_overrides.get(get_session)
    if override is None:
        with app.state.sessionmaker() as session:
            yield session
        return
    provided = override()
    try:
        yield next(provided)
    finally:
        provided.close()


def get_principal(request: Request, session: SessionDep) -> Principal | None:
    """The caller (``None``: anonymous), also kept in ``request.state.principal`` for the
    pages; ``request.state.session_ended`` says a session cookie came that opens nothing."""
    settings = request.app.state.settings
    found = authenticate_request(
        session,
        method=request.method,
        path=request.url.path,
        headers=request.headers,
        cookie=request.cookies.get(SESSION_COOKIE),
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
    )
    request.state.principal = found.principal
    request.state.session_ended = found.session_ended
    return found.principal


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


class RoleCheck:
    """The dependency `require_role` gives; its ``roles`` are read by `service.contract` to
    document the operation (403, required security)."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        self.roles = roles

    def __call__(self, request: Request, principal: PrincipalDep) -> Principal:
        if principal is None:
            if getattr(request.state, "session_ended", False):
                raise AuthenticationError(SESSION_ENDED)
            raise AuthenticationError(AUTHENTICATION_REQUIRED)
        principal.require(*self.roles)
        return principal


def require_role(*roles: str) -> RoleCheck:
    """A dependency that lets through a caller (key or person) who has one of ``roles``."""
    return RoleCheck(roles)


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


def get_snapshot(request: Request, session: SessionDep) -> StoreSnapshot:
    """The store snapshot that answers this request; `RevisionHeader` says its revision."""
    holder: SnapshotHolder = request.app.state.snapshots
    try:
        snapshot = holder.get(session)
    except Exception as exc:
        # The database went away: what the snapshot alone answers keeps being answered from
        # the last one (`REVISION_HEADER` says which); a route that needs the database answers
        # 503 when it reaches it.
        if holder.current is None or not is_database_outage(exc):
            raise
        log_database_outage(exc, "instantané précédent servi")
        session.rollback()
        snapshot = holder.current
    request.state.store_revision = snapshot.revision
    return snapshot


class RevisionHeader:
    """ASGI middleware: `REVISION_HEADER` on every answer that a store snapshot gave, whatever
    the route returns (a model, a CSV, a GeoJSON body, a file)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_revision(message: Message) -> None:
            if message["type"] == "http.response.start":
                revision = scope.get("state", {}).get("store_revision")
                if revision is not None:
                    headers = MutableHeaders(scope=message)
                    headers[REVISION_HEADER] = str(revision)
            await send(message)

        await self.app(scope, receive, send_with_revision)


SnapshotDep = Annotated[StoreSnapshot, Depends(get_snapshot)]


def _stale_after_days(request: Request) -> int:
    """``MAILLAGE_STALE_AFTER_DAYS`` of the running app (days)."""
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "stale_after_days", 365))


StaleAfterDep = Annotated[int, Depends(_stale_after_days)]
"""Days after which a partner not confirmed by its sources is stale (the partners search,
the figures of the home page)."""
