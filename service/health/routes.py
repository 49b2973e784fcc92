"""``/health``: is the API up, and can it reach its database?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.db import database_answers
from service.deps import SessionDep
from service.version import VERSION

router = APIRouter(tags=["santé"])


class Health(BaseModel):
    status: str
    database: str
    version: str


@router.get("/health", summary="État du service", response_model=Health)
def health(session: SessionDep) -> JSONResponse:
    database = "ok" if database_answers(session) else "indisponible"
    body = Health(
        status="ok" if database == "ok" else "dégradé", database=database, version=VERSION
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
