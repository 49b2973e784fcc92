"""``/health``: is the API up, and can it reach its database?"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.db import database_answers
from service.deps import SessionDep
from service.errors import retry_after_of
from service.version import VERSION

router = APIRouter(tags=["santé"])


class Health(BaseModel):
    status: str
    database: str
    version: str


@router.get(
    "/health",
    summary="État du service",
    response_model=Health,
    responses={503: {"model": Health, "description": "Base de données injoignable."}},
)
def health(request: Request, session: SessionDep) -> JSONResponse:
    # 200 when the database answers; else 503 with Retry-After (seconds). No docstring: it
    # would become the operation's description in the OpenAPI document.
    if database_answers(session):
        body = Health(status="ok", database="ok", version=VERSION)
        return JSONResponse(body.model_dump())
    body = Health(status="dégradé", database="indisponible", version=VERSION)
    headers = {"Retry-After": str(retry_after_of(request.app))}
    return JSONResponse(body.model_dump(), status_code=503, headers=headers)
