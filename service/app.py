"""The FastAPI application: ``create_app(settings)`` builds it; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service import pages
from service.db import make_engine, make_sessionmaker
from service.errors import install_error_handlers
from service.matching import SnapshotCache
from service.routes import (
    coverage,
    health,
    isochrones,
    matches,
    opportunities,
    partners,
    reference,
    relations,
    territory,
)
from service.settings import Settings
from service.travel import TravelService
from service.version import VERSION

DESCRIPTION = """
**maillage** tient le graphe des acteurs de l'inclusion d'un territoire — structures
d'hébergement (AHI), SIAE, ESAT, crèches, plateformes de mobilité, cours de langue, service
public de l'emploi, employeurs — avec leur géographie et leurs partenariats.

Les données publiques des partenaires se lisent sans clé. Toute écriture demande une clé
d'API : en-tête `Authorization: Bearer <clé>`. Les erreurs suivent la forme `{"detail": ...}`
avec un message en français.
"""


def create_app(settings: Settings) -> FastAPI:
    """Build the API for these settings; the database engine is opened in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.require_database_url(), pool_size=settings.db_pool_size)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        with app.state.sessionmaker() as session:
            app.state.travel = TravelService.from_store(session, settings.home)
            app.state.snapshots.get(session)  # the first match does not pay for it
        app.state.travel.warm_up()
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="maillage",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by service.pages from vendored files: no CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "partenaires", "description": "Les acteurs du territoire et leurs fiches."},
            {"name": "offres", "description": "Emplois, immersions, formations, programmes."},
            {"name": "relations", "description": "Qui travaille avec qui."},
            {"name": "trajets", "description": "Zones atteignables en un temps donné."},
            {
                "name": "mise en relation",
                "description": "Opportunités atteignables pour une personne ou une cohorte.",
            },
            {"name": "référentiels", "description": "Vocabulaires partagés."},
            {"name": "santé", "description": "État du service."},
        ],
    )
    app.state.settings = settings
    app.state.snapshots = SnapshotCache()
    install_error_handlers(app)
    for module in (
        health,
        reference,
        partners,
        opportunities,
        relations,
        isochrones,
        matches,
        territory,
    ):
        app.include_router(module.router)
    app.include_router(coverage.router)
    pages.install(app)
    return app
