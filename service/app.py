"""The FastAPI application: ``create_app(settings)`` builds it; nothing happens at import."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session, sessionmaker

from service.accounts import routes as accounts
from service.contract import install_contract
from service.coverage import routes as coverage
from service.coverage.compute import CoverageCache
from service.coverage.features import coverage_table, gaps_table
from service.db import make_engine, make_sessionmaker
from service.deps import RevisionHeader, get_principal
from service.errors import UnexpectedErrors, install_error_handlers, is_database_outage
from service.flows import routes as flows
from service.geocode import routes as geocode
from service.guards import BodyGuard, RateLimit
from service.health import routes as health
from service.isochrones import routes as isochrones
from service.matching import routes as matching
from service.network import routes as network
from service.networks import routes as networks
from service.ogc import routes as ogc
from service.pages import routes as pages
from service.partners import routes as partners
from service.reference import routes as reference
from service.settings import Settings
from service.store.snapshot import SnapshotHolder
from service.territory import routes as territory
from service.travel import TravelService
from service.version import VERSION

logger = logging.getLogger("maillage")

DESCRIPTION = """
**maillage** tient le graphe des acteurs de l'inclusion d'un territoire — structures
d'hébergement (AHI), SIAE, ESAT, crèches, plateformes de mobilité, cours de langue, service
public de l'emploi, employeurs — avec leur géographie et leurs partenariats.

Les données publiques des partenaires se lisent sans clé. Toute écriture demande une clé
d'API : en-tête `Authorization: Bearer <clé>` (les pages, elles, utilisent la session de la
personne connectée sur `/connexion`, avec l'en-tête `X-CSRF-Token`). Les erreurs suivent la
forme `{"detail": ...}` avec un message en français.
"""


def create_app(settings: Settings) -> FastAPI:
    """Build the API for these settings; the database engine is opened in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.require_database_url(),
            pool_size=settings.db_pool_size,
            connect_timeout_s=settings.db_connect_timeout_seconds,
            pool_timeout_s=settings.db_pool_timeout_seconds,
        )
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            await _first_load(app, settings)
        except BaseException:
            engine.dispose()
            raise
        app.state.snapshots.attach(app.state.sessionmaker)
        app.state.travel.warm_up()
        try:
            yield
        finally:
            if getattr(app.state, "geocoders", None) and app.state.geocoders[0] is not None:
                app.state.geocoders[0].close()
            app.state.snapshots.close()
            engine.dispose()

    app = FastAPI(
        title="maillage",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by service.pages from vendored files: no CDN
        redoc_url=None,
        # a key that is given is checked on every route, public ones included: a bad key is
        # answered 401, never ignored (not /openapi.json nor /static, which are not routes)
        dependencies=[Depends(get_principal)],
        openapi_tags=[
            {"name": "partenaires", "description": "Les acteurs du territoire et leurs fiches."},
            {"name": "offres", "description": "Emplois, immersions, formations, programmes."},
            {"name": "relations", "description": "Qui travaille avec qui."},
            {
                "name": "orientations",
                "description": "Combien d'orientations par relation et par période : des "
                "comptes agrégés, jamais une personne.",
            },
            {
                "name": "trajets",
                "description": "Zones atteignables en un temps donné, réseaux de déplacement.",
            },
            {
                "name": "mise en relation",
                "description": "Opportunités atteignables pour une personne ou une cohorte.",
            },
            {"name": "référentiels", "description": "Vocabulaires partagés."},
            {"name": "santé", "description": "État du service."},
            {
                "name": ogc.TAG,
                "description": "Partenaires, couverture et manques en collections OGC API – "
                "Features (GeoJSON, CRS84) : à ajouter comme couches dans QGIS.",
            },
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
    app.add_middleware(
        BodyGuard,
        max_body_bytes=settings.max_body_bytes,
        max_batch_body_bytes=settings.max_batch_body_bytes,
    )
    if settings.rate_limited:  # before the routes: a refused caller costs no database round trip
        app.add_middleware(
            RateLimit,
            limits={
                "matches": settings.rate_limit_matches_per_minute,
                "batch": settings.rate_limit_batch_per_minute,
                "coverage": settings.rate_limit_coverage_per_minute,
            },
        )
    # outermost: whatever a route or a middleware raises becomes one logged, value-free 500
    app.add_middleware(UnexpectedErrors, tracebacks=settings.env != "production")
    for router in (
        health.router,
        reference.router,
        partners.partners,
        partners.opportunities,
        partners.relations,
        flows.router,
        isochrones.router,
        networks.router,
        geocode.router,
        matching.router,
        territory.router,
        network.router,
        coverage.router,
        # the coverage feature computes, the OGC feature serves: wired here, not imported
        ogc.make_router({"couverture": coverage_table, "manques": gaps_table}),
    ):
        app.include_router(router)
    pages.install(app)
    accounts.install(app, settings)  # the login page, rendered in the pages' layout
    install_contract(app)  # every answer documented, OPTIONS answered
    return app


def _load(sessions: sessionmaker[Session], app: FastAPI, settings: Settings) -> None:
    with sessions() as session:
        app.state.travel = TravelService.from_store(session, settings.home)
        app.state.snapshots.load(session)  # the first request does not pay for it


async def _first_load(app: FastAPI, settings: Settings) -> None:
    """The travel networks and the first snapshot, waiting up to
    ``settings.db_startup_wait_seconds`` for a database that does not answer yet (one French
    line in the log, then one every 10 s); past that, a French error line and the start fails
    (uvicorn exits with a non-zero status)."""
    deadline = time.monotonic() + settings.db_startup_wait_seconds
    told_at: float | None = None
    while True:
        try:
            _load(app.state.sessionmaker, app, settings)
            if told_at is not None:
                logger.warning("base de données joignable : démarrage de l'API")
            return
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            now = time.monotonic()
            if now >= deadline:
                logger.error(
                    "base de données injoignable au démarrage (%s) depuis %.0f s : arrêt. "
                    "Vérifiez DATABASE_URL et que PostgreSQL tourne.",
                    type(exc).__name__,
                    settings.db_startup_wait_seconds,
                )
                raise RuntimeError(
                    "base de données injoignable au démarrage : vérifiez DATABASE_URL"
                ) from None
            if told_at is None or now - told_at >= 10:
                told_at = now
                logger.warning(
                    "base de données injoignable au démarrage (%s) : nouvel essai chaque "
                    "seconde pendant %.0f s au plus",
                    type(exc).__name__,
                    max(0.0, deadline - now),
                )
        await asyncio.sleep(1.0)
