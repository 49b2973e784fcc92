"""Pages for people: server-rendered HTML shells whose plain JavaScript calls the JSON API.

The pages hold no second logic: every figure, search and match comes from the same ``/v1``
endpoints any client calls, with ``fetch()``. The server renders the layout, the forms and
their labels (French, RGAA basics: skip link, labels, landmarks) and says whether the demo's
fictitious partners are loaded. Static files (CSS, JS and Leaflet, vendored by
``scripts/vendor-leaflet``) are served from the package under ``/static``: nothing is loaded
from another origin, and the Content-Security-Policy of the pages forbids it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError

from service.deps import SessionDep, get_travel
from service.modes import mode_statements
from service.settings import Settings, tiles_origin
from service.store import queries
from service.version import VERSION

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = Jinja2Templates(directory=HERE / "templates")


@cache
def leaflet_version() -> str:
    """The vendored Leaflet's version (written by ``scripts/vendor-leaflet``)."""
    return (STATIC / "vendor" / "leaflet" / "VERSION").read_text().strip()


def content_security_policy(tiles_origin: str | None = None) -> str:
    """The pages' policy: everything from this origin only; images also from the tile
    server's origin when one is configured (``MAILLAGE_TILES_URL``), and from nowhere else."""
    images = "img-src 'self' data:" + (f" {tiles_origin}" if tiles_origin else "")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            images,
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()


# (path, page id, title in the navigation, <title>)
PAGES = (
    ("/", "accueil", "Accueil", "Le territoire en un coup d'œil"),
    ("/carte", "carte", "Carte de couverture", "Carte de couverture"),
    ("/partenaires", "partenaires", "Trouver des partenaires", "Trouver des partenaires"),
    ("/orientation", "orientation", "Orientation", "Orientation d'une personne"),
    ("/reseau", "reseau", "Réseau", "Le réseau des partenaires"),
)

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the pages, their static files and the API documentation to the application."""
    app.include_router(router)
    app.state.render_page = render_page
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI from vendored files (scripts/vendor-swagger-ui), never from a CDN."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="maillage — API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/leaflet/images/marker-icon.png",
        )


def render_page(
    request: Request,
    session: SessionDep,
    template: str,
    *,
    page: str,
    title: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page in the site's layout; ``app.state.render_page`` for the features that have
    pages of their own (the login page of `service.accounts`). The header names the person
    logged in (``request.state.principal``, `service.deps.get_principal`)."""
    try:
        demo = bool(session.scalar(queries.demo_present()))
    except SQLAlchemyError:  # the page still renders; its scripts will say what failed
        demo = False
    settings: Settings = request.app.state.settings
    travel = get_travel(request)
    streets = any(network.mode != "transit" for network in travel.networks)
    tiles = settings.tiles_url
    attribution = settings.tiles_attribution or ""
    principal = getattr(request.state, "principal", None)
    person = principal if principal is not None and principal.user_id is not None else None
    values: dict[str, Any] = {
        "page": page,
        "path": request.url.path,
        "title": title,
        "pages": PAGES,
        "demo": demo,
        "modes": mode_statements(travel) if page == "accueil" else [],
        "tiles_url": tiles,
        "tiles_attribution": attribution if tiles else None,
        "streets": streets,
        # what the pages may ask of this server, when another feature provides it
        "serves": {
            name: path in request.app.openapi()["paths"]  # built once, then cached by FastAPI
            for name, path in (("jobs", "/v1/reference/jobs"), ("geocode", "/v1/geocode"))
        },
        # OpenStreetMap is credited where its data is used: street networks (travel times,
        # roads drawn) or OSM tiles
        "osm": streets or (tiles is not None and "openstreetmap" in attribution.lower()),
        "version": VERSION,
        "leaflet_version": leaflet_version(),
        "person": person,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)
    response.headers["Content-Security-Policy"] = content_security_policy(
        tiles_origin(tiles) if tiles else None
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if person is not None:  # a page that names a person is never kept by a cache
        response.headers["Cache-Control"] = "no-store"
    return response


def _render(request: Request, session: SessionDep, page: str) -> HTMLResponse:
    _, _, _, title = next(p for p in PAGES if p[1] == page)
    return render_page(request, session, f"{page}.html", page=page, title=title)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    return _render(request, session, "accueil")


@router.get("/carte", response_class=HTMLResponse)
def coverage_map(request: Request, session: SessionDep) -> HTMLResponse:
    """The coverage map; for a person logged in, the map of France too when a national run is
    loaded (the mode × category × budget it answers, so the page asks only those)."""
    national: list[list[Any]] = []
    if getattr(request.state, "principal", None) is not None:
        try:
            national = [list(row) for row in session.execute(queries.national_choices())]
        except SQLAlchemyError:  # the page still renders, without the map of France
            national = []
    _, _, _, title = next(p for p in PAGES if p[1] == "carte")
    return render_page(
        request, session, "carte.html", page="carte", title=title, context={"national": national}
    )


@router.get("/partenaires", response_class=HTMLResponse)
def partner_search(request: Request, session: SessionDep) -> HTMLResponse:
    return _render(request, session, "partenaires")


@router.get("/orientation", response_class=HTMLResponse)
def orientation(request: Request, session: SessionDep) -> HTMLResponse:
    return _render(request, session, "orientation")


@router.get("/reseau", response_class=HTMLResponse)
def network(request: Request, session: SessionDep) -> HTMLResponse:
    return _render(request, session, "reseau")
