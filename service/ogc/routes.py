"""``/ogc``: OGC API – Features, so that QGIS, ArcGIS, OWSLib or GDAL add maillage's layers
directly (collections `service.ogc.catalog.COLLECTIONS`).

``/ogc`` (landing page), ``/ogc/conformance``, ``/ogc/collections``, and per collection
``/ogc/collections/{id}``, ``…/queryables``, ``…/items`` (GeoJSON pages: ``limit``, ``offset``,
``bbox``, the queryable properties; links self, next, prev) and ``…/items/{featureId}``.
Metadata is public; the items of ``couverture`` and ``manques`` ask role viewer or higher, as
``/v1/coverage`` and ``/v1/gaps`` do (``Authorization: Bearer <clé>``). A parameter that
cannot be read is answered 400 in French (`service.errors.BAD_REQUEST_PATHS`), an unknown
feature 404.

Each collection has paths of its own, not one ``{collectionId}`` path: each documents its own
parameters and its role in the OpenAPI document. Coordinates CRS84 (longitude, latitude).

(No ``from __future__ import annotations`` here: the route factory annotates its parameters
with the query model it is given, which FastAPI must see as a class, not as a name.)
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from service.deps import SessionDep, SnapshotDep, ViewerDep
from service.errors import NotFoundError
from service.feature_tables import ComputedLayer, FeatureTable
from service.ogc import queries
from service.ogc.catalog import (
    COLLECTIONS,
    COVERAGE,
    GAPS,
    PARTNERS,
    CollectionInfo,
    computed_page,
    find_feature,
    item_links,
    partner_feature,
    rfc3339,
)
from service.ogc.parameters import CoverageItems, Format, GapItems, PartnerItems, QuestionFormat
from service.ogc.schemas import (
    CONFORMANCE,
    GEOJSON,
    JSON,
    OPENAPI_JSON,
    SCHEMA_JSON,
    CollectionOut,
    CollectionsOut,
    Conformance,
    Extent,
    Feature,
    FeatureCollection,
    GeoJSONResponse,
    LandingPage,
    Link,
    Queryables,
    SchemaJSONResponse,
    SpatialExtent,
    TemporalExtent,
)
from service.store.snapshot import StoreSnapshot

TAG = "SIG (OGC API – Features)"
PREFIX = "/ogc"


def _also_json(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 of an operation whose body is also served as application/json (``f=json``)."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {200: {"description": description, "content": {JSON: {"schema": schema}}}}


FeatureId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="identifiant de l'entité (celui du champ id des entités)",
    ),
]


def _media(request: Request, f: str | None) -> str:
    """``f=json`` or ``f=geojson``; else the Accept header (application/geo+json unless only
    application/json is asked)."""
    if f == "json":
        return JSON
    if f == "geojson":
        return GEOJSON
    accept = request.headers.get("accept", "")
    return JSON if JSON in accept and GEOJSON not in accept else GEOJSON


def _answer(body: BaseModel, media: str) -> GeoJSONResponse:
    return GeoJSONResponse(body.model_dump(mode="json", exclude_none=True), media_type=media)


def _url(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + PREFIX + path


def _collection_links(request: Request, info: CollectionInfo) -> list[Link]:
    base = _url(request, f"/collections/{info.id}")
    return [
        Link(href=base, rel="self", type=JSON, title=info.title),
        Link(href=base + "/items", rel="items", type=GEOJSON, title="entités (GeoJSON)"),
        Link(
            href=base + "/queryables",
            rel="http://www.opengis.net/def/rel/ogc/1.0/queryables",
            type=SCHEMA_JSON,
            title="propriétés filtrables",
        ),
    ]


def _page_links(
    request: Request, *, offset: int, limit: int, matched: int, media: str
) -> list[Link]:
    links = [Link(href=str(request.url), rel="self", type=media, title="cette page")]
    if offset + limit < matched:
        following = request.url.include_query_params(offset=offset + limit, limit=limit)
        links.append(Link(href=str(following), rel="next", type=media, title="page suivante"))
    if offset > 0:
        before = request.url.include_query_params(offset=max(0, offset - limit), limit=limit)
        links.append(Link(href=str(before), rel="prev", type=media, title="page précédente"))
    return links


def _collection(request: Request, info: CollectionInfo, extent: Extent | None) -> CollectionOut:
    return CollectionOut(
        id=info.id,
        title=info.title,
        description=info.description,
        links=_collection_links(request, info),
        extent=extent,
    )


def _partner_extent(session: Session) -> Extent | None:
    west, south, east, north, first, last = session.execute(queries.partner_extent()).one()
    if west is None:
        return None
    return Extent(
        spatial=SpatialExtent(bbox=[[west, south, east, north]]),
        temporal=TemporalExtent(interval=[[rfc3339(first), rfc3339(last)]]),
    )


def _territory_extent(snapshot: StoreSnapshot) -> Extent | None:
    if not len(snapshot.geometries):
        return None
    west, south, east, north = (float(v) for v in shapely.total_bounds(snapshot.geometries))
    return Extent(spatial=SpatialExtent(bbox=[[west, south, east, north]]))


def _extents(session: Session, snapshot: StoreSnapshot) -> dict[str, Extent | None]:
    territory = _territory_extent(snapshot)
    return {PARTNERS.id: _partner_extent(session), COVERAGE.id: territory, GAPS.id: territory}


def _queryables(request: Request, info: CollectionInfo) -> SchemaJSONResponse:
    body = Queryables(
        id_=_url(request, f"/collections/{info.id}/queryables"),
        title=info.title,
        properties={name: dict(schema) for name, schema in info.queryables.items()},
    )
    return SchemaJSONResponse(body.model_dump(mode="json", by_alias=True))


def make_router(layers: dict[str, ComputedLayer]) -> APIRouter:
    """The ``/ogc`` routes; ``layers`` computes the tables of ``couverture`` and ``manques``
    (`service.app` gives `service.coverage.features.coverage_table` and ``gaps_table``)."""
    router = APIRouter(prefix=PREFIX, tags=[TAG])
    _common_routes(router)
    _partner_routes(router)
    _computed_routes(router, COVERAGE, layers[COVERAGE.id], CoverageItems)
    _computed_routes(router, GAPS, layers[GAPS.id], GapItems)
    return router


def _common_routes(router: APIRouter) -> None:
    @router.get("", summary="Page d'accueil OGC API – Features")
    def landing(request: Request) -> LandingPage:
        """Les liens vers la description de l'API, la conformité et les collections."""
        return LandingPage(
            title="maillage : couches SIG (OGC API – Features)",
            description="Les partenaires, la couverture par zone et les manques classés du "
            "territoire, en collections GeoJSON (CRS84) pour QGIS et tout client OGC.",
            links=[
                Link(href=_url(request, ""), rel="self", type=JSON, title="cette page"),
                Link(
                    href=str(request.base_url) + "openapi.json",
                    rel="service-desc",
                    type=OPENAPI_JSON,
                    title="description de l'API (OpenAPI 3.1)",
                ),
                Link(
                    href=str(request.base_url) + "docs",
                    rel="service-doc",
                    type="text/html",
                    title="documentation de l'API",
                ),
                Link(
                    href=_url(request, "/conformance"),
                    rel="conformance",
                    type=JSON,
                    title="classes de conformité",
                ),
                Link(
                    href=_url(request, "/collections"), rel="data", type=JSON, title="collections"
                ),
            ],
        )

    router.add_api_route("/", landing, methods=["GET"], include_in_schema=False)

    @router.get("/conformance", summary="Classes de conformité OGC mises en œuvre")
    def conformance() -> Conformance:
        """Part 1 (core, geojson) et Part 3 (queryables, et leurs paramètres de requête)."""
        return Conformance(conformsTo=list(CONFORMANCE))

    @router.get("/collections", summary="Les collections : partenaires, couverture, manques")
    def collections(request: Request, session: SessionDep, snapshot: SnapshotDep) -> CollectionsOut:
        """Chaque collection avec son étendue (CRS84) et ses liens."""
        extents = _extents(session, snapshot)
        return CollectionsOut(
            links=[
                Link(href=_url(request, "/collections"), rel="self", type=JSON, title="collections")
            ],
            collections=[_collection(request, info, extents[info.id]) for info in COLLECTIONS],
        )


def _partner_routes(router: APIRouter) -> None:
    base = f"/collections/{PARTNERS.id}"

    @router.get(base, summary="Collection des partenaires")
    def partners_collection(request: Request, session: SessionDep) -> CollectionOut:
        """Les partenaires ouverts : étendue spatiale et dates de mise à jour."""
        return _collection(request, PARTNERS, _partner_extent(session))

    @router.get(
        base + "/queryables",
        summary="Propriétés filtrables des partenaires",
        response_class=SchemaJSONResponse,
        response_model=Queryables,
        responses=_also_json(Queryables, "JSON Schema 2020-12"),
    )
    def partners_queryables(request: Request) -> SchemaJSONResponse:
        """kind, family, code_insee, source, geocoding : chacune un paramètre de items."""
        return _queryables(request, PARTNERS)

    @router.get(
        base + "/items",
        summary="Partenaires (GeoJSON, par pages)",
        response_class=GeoJSONResponse,
        response_model=FeatureCollection,
        responses=_also_json(FeatureCollection, "GeoJSON (CRS84)"),
    )
    def partners_items(
        request: Request, session: SessionDep, params: Annotated[PartnerItems, Query()]
    ) -> GeoJSONResponse:
        """Les partenaires ouverts, points CRS84, triés par nom ; rectangle, date de mise à
        jour et propriétés filtrent ; limit et offset découpent en pages."""
        found = queries.partner_features(params)
        matched = int(session.scalar(queries.count(found)) or 0)
        rows = session.execute(queries.page(found, offset=params.offset, limit=params.limit))
        features = [partner_feature(row) for row in rows]
        return _items(request, params, features, matched)

    @router.get(
        base + "/items/{featureId}",
        summary="Un partenaire (GeoJSON)",
        response_class=GeoJSONResponse,
        response_model=Feature,
        responses=_also_json(Feature, "GeoJSON (CRS84)"),
    )
    def partners_item(
        request: Request,
        session: SessionDep,
        featureId: FeatureId,  # noqa: N803 - the standard's name
        params: Annotated[Format, Query()],
    ) -> GeoJSONResponse:
        """Un partenaire ouvert ; 404 s'il n'existe pas ou est fermé."""
        try:
            partner_id = uuid.UUID(featureId)
        except ValueError:  # not a partner's identifier
            raise NotFoundError("Entité introuvable dans la collection partenaires.") from None
        row = session.execute(queries.partner_feature(partner_id)).first()
        if row is None:
            raise NotFoundError("Entité introuvable dans la collection partenaires.")
        return _item(request, PARTNERS, partner_feature(row), params.f)


def _items(request: Request, params: Any, features: list[Feature], matched: int) -> GeoJSONResponse:
    media = _media(request, params.f)
    body = FeatureCollection(
        features=features,
        links=_page_links(
            request, offset=params.offset, limit=params.limit, matched=matched, media=media
        ),
        timeStamp=rfc3339(dt.datetime.now(dt.UTC)) or "",
        numberMatched=matched,
        numberReturned=len(features),
    )
    return _answer(body, media)


def _item(
    request: Request, info: CollectionInfo, feature: Feature, f: str | None
) -> GeoJSONResponse:
    media = _media(request, f)
    collection = _url(request, f"/collections/{info.id}")
    feature.links = item_links(str(request.url), collection, media)
    return _answer(feature, media)


def _computed_routes(
    router: APIRouter,
    info: CollectionInfo,
    layer: ComputedLayer,
    items_model: type[CoverageItems] | type[GapItems],
) -> None:
    base = f"/collections/{info.id}"

    def table(
        request: Request, session: Session, params: QuestionFormat | CoverageItems | GapItems
    ) -> FeatureTable:
        return layer(request, session, params.question())

    def collection(request: Request, snapshot: SnapshotDep) -> CollectionOut:
        return _collection(request, info, _territory_extent(snapshot))

    def queryables(request: Request) -> SchemaJSONResponse:
        return _queryables(request, info)

    def items(
        _: ViewerDep,
        request: Request,
        session: SessionDep,
        params: Annotated[items_model, Query()],  # type: ignore[valid-type]
    ) -> GeoJSONResponse:
        query: CoverageItems | GapItems = params
        found = table(request, session, query)
        features, matched = computed_page(
            found,
            bbox=query.bbox,
            filters=query.filters(),
            offset=query.offset,
            limit=query.limit,
        )
        return _items(request, query, features, matched)

    def item(
        _: ViewerDep,
        request: Request,
        session: SessionDep,
        featureId: FeatureId,  # noqa: N803 - the standard's name
        params: Annotated[QuestionFormat, Query()],
    ) -> GeoJSONResponse:
        feature = find_feature(table(request, session, params), featureId)
        if feature is None:
            raise NotFoundError(f"Entité introuvable dans la collection {info.id}.")
        return _item(request, info, feature, params.f)

    add: Callable[..., None] = router.add_api_route
    add(
        base,
        collection,
        methods=["GET"],
        summary=f"Collection {info.id}",
        description=info.description,
        response_model=CollectionOut,
    )
    add(
        base + "/queryables",
        queryables,
        methods=["GET"],
        summary=f"Propriétés filtrables : {info.id}",
        response_class=SchemaJSONResponse,
        response_model=Queryables,
        responses=_also_json(Queryables, "JSON Schema 2020-12"),
        description="Chaque propriété est aussi un paramètre de items (égalité).",
    )
    add(
        base + "/items",
        items,
        methods=["GET"],
        summary=f"{info.title} (GeoJSON, par pages)",
        response_class=GeoJSONResponse,
        response_model=FeatureCollection,
        responses=_also_json(FeatureCollection, "GeoJSON (CRS84)"),
        description=info.description,
    )
    add(
        base + "/items/{featureId}",
        item,
        methods=["GET"],
        summary=f"Une entité de {info.id} (GeoJSON)",
        response_class=GeoJSONResponse,
        response_model=Feature,
        responses=_also_json(Feature, "GeoJSON (CRS84)"),
        description="La zone de ce code (commune ou carreau) pour la même question ; 404 "
        "si elle n'est pas dans la collection.",
    )
