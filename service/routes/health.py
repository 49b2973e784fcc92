"""``/health``: is the API up, and can it reach its database?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.deps import SessionDep
from service.schemas import Health
from service.version import VERSION

router = APIRouter(tags=["santé"])


@router.get("/health", summary="État du service", response_model=Health)
def health(session: SessionDep) -> JSONResponse:
    try:
        session.execute(text("SELECT postgis_lib_version()")).scalar()
        database = "ok"
    except SQLAlchemyError:
        database = "indisponible"
    body = Health(
        status="ok" if database == "ok" else "dégradé", database=database, version=VERSION
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
