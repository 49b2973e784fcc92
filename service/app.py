"""The FastAPI application: ``create_app(settings)`` builds it; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.coverage import routes as coverage
from service.coverage.compute import CoverageCache
from service.db import make_engine, make_sessionmaker
from service.deps import RevisionHeader
from service.errors import install_error_handlers
from service.health import routes as health
from service.isochrones import routes as isochrones
from service.matching import routes as matching
from service.pages import routes as pages
from service.partners import routes as partners
from service.reference import routes as reference
from service.settings import Settings
from service.store.snapshot import SnapshotHolder
from service.territory import routes as territory
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
            app.state.snapshots.load(session)  # the first request does not pay for it
        app.state.snapshots.attach(app.state.sessionmaker)
        app.state.travel.warm_up()
        try:
            yield
        finally:
            app.state.snapshots.close()
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
    app.state.snapshots = SnapshotHolder(
        refresh=settings.snapshot_refresh,
        check_interval_s=settings.snapshot_check_seconds,
        rebuild_interval_s=settings.snapshot_rebuild_seconds,
    )
    app.state.coverage = CoverageCache()
    install_error_handlers(app)
    app.add_middleware(RevisionHeader)
    for router in (
        health.router,
        reference.router,
        partners.partners,
        partners.opportunities,
        partners.relations,
        isochrones.router,
        matching.router,
        territory.router,
        coverage.router,
    ):
        app.include_router(router)
    pages.install(app)
    return app
