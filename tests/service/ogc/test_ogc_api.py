"""/ogc, OGC API – Features, on the Gard demo: landing page, conformance, collections and their
extents, GeoJSON pages with their links, bbox and property filters, media types, roles, French
400s and 404s; the coverage and gaps collections equal /v1/coverage and /v1/gaps."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.ogc.schemas import CONFORMANCE
from service.settings import Settings
from service.tables import Partner
from tests.conftest import bearer

ALES_BBOX = (4.03, 44.10, 4.13, 44.16)
CRECHES = {"category": "garde-enfants", "mode": "walk", "max_minutes": 20}
GEOJSON = "application/geo+json"


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[tuple[TestClient, dict[str, str], Session]]:
    """The app on the demo database (lifespan run), a viewer's headers, a reading session."""
    application = create_app(Settings(env="test", database_url=demo_url))
    engine = make_engine(demo_url)
    with Session(engine) as session:
        key, _ = create_api_key(session, role="viewer", name=f"ogc-{uuid.uuid4().hex}")
        session.commit()
        with TestClient(application) as client:
            yield client, bearer(key), session
    engine.dispose()


def ok(client: TestClient, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    # no empty ``params``: httpx would drop the query that ``path`` carries (a « next » link)
    response = client.get(path, params=params or None, headers=headers or {})
    assert response.status_code == 200, response.text
    return response


def _box(bbox: tuple[float, ...]) -> str:
    return ",".join(str(v) for v in bbox)


def _all_pages(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Follow the « next » links from ``url`` to the end."""
    features: list[dict[str, Any]] = []
    next_url: str | None = url
    seen: set[str] = set()
    while next_url:
        assert next_url not in seen, next_url
        seen.add(next_url)
        body = ok(client, next_url, headers).json()
        features.extend(body["features"])
        next_url = next((ln["href"] for ln in body["links"] if ln["rel"] == "next"), None)
    return features


# --- landing page, conformance, collections ---------------------------------------------------


def test_landing_page_links_to_the_api_conformance_and_collections(demo: Any) -> None:
    client, _, _ = demo
    body = ok(client, "/ogc").json()
    links = {link["rel"]: link for link in body["links"]}
    assert links["self"]["href"] == "http://testserver/ogc"
    assert links["service-desc"]["href"] == "http://testserver/openapi.json"
    assert links["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    assert links["conformance"]["href"] == "http://testserver/ogc/conformance"
    assert links["data"]["href"] == "http://testserver/ogc/collections"
    assert ok(client, "/ogc/").json() == body  # as OWSLib asks for it
    assert ok(client, "/ogc/conformance").json()["conformsTo"] == list(CONFORMANCE)
    assert not any("oas30" in c or "html" in c for c in CONFORMANCE)


def test_collections_with_their_extents(demo: Any) -> None:
    client, _, session = demo
    body = ok(client, "/ogc/collections").json()
    found = {c["id"]: c for c in body["collections"]}
    assert list(found) == ["partenaires", "couverture", "manques"]
    for collection in found.values():
        assert collection["itemType"] == "feature"
        assert collection["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
        west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
        assert 3.2 < west < east < 4.9
        assert 43.4 < south < north < 44.5
        rels = {link["rel"] for link in collection["links"]}
        assert {"self", "items"} <= rels
        assert ok(client, f"/ogc/collections/{collection['id']}").json() == collection
    start, end = found["partenaires"]["extent"]["temporal"]["interval"][0]
    newest = session.scalar(select(func.max(Partner.updated_at)).where(Partner.status == "open"))
    assert end == newest.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert start <= end
    assert "garde-enfants" in found["couverture"]["description"]
    assert "20 minutes" in found["manques"]["description"]


def test_queryables_are_json_schema(demo: Any) -> None:
    client, _, _ = demo
    response = ok(client, "/ogc/collections/partenaires/queryables")
    assert response.headers["content-type"] == "application/schema+json"
    body = response.json()
    assert body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["$id"] == "http://testserver/ogc/collections/partenaires/queryables"
    assert {"kind", "family", "code_insee", "geocoding"} <= set(body["properties"])
    coverage = ok(client, "/ogc/collections/couverture/queryables").json()["properties"]
    assert coverage["minutes"]["default"] == 20
    assert {"category", "mode", "covered", "gap"} <= set(coverage)


# --- partners ------------------------------------------------------------------------------------


def test_partner_pages_cover_every_open_partner_once(demo: Any) -> None:
    client, _, session = demo
    total = session.scalar(select(func.count()).where(Partner.status == "open"))
    first = ok(client, "/ogc/collections/partenaires/items")
    assert first.headers["content-type"] == GEOJSON
    body = first.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == total > 100
    assert body["numberReturned"] == len(body["features"]) == 10  # the default limit
    assert body["timeStamp"].endswith("Z")
    rels = [link["rel"] for link in body["links"]]
    assert rels == ["self", "next"]  # no « prev » on the first page
    features = _all_pages(client, "/ogc/collections/partenaires/items?limit=250", {})
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)) == total
    second = ok(client, "/ogc/collections/partenaires/items", limit=250, offset=250).json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    assert "offset=0" in prev
    assert [f["id"] for f in second["features"]] == ids[250:500]


def test_a_bbox_keeps_the_partners_inside_it(demo: Any) -> None:
    client, _, _ = demo
    everything = ok(client, "/ogc/collections/partenaires/items", limit=10_000).json()
    west, south, east, north = ALES_BBOX
    inside = {
        f["id"]
        for f in everything["features"]
        if west <= f["geometry"]["coordinates"][0] <= east
        and south <= f["geometry"]["coordinates"][1] <= north
    }
    body = ok(client, "/ogc/collections/partenaires/items", bbox=_box(ALES_BBOX), limit=1000)
    found = body.json()
    assert {f["id"] for f in found["features"]} == inside
    assert found["numberMatched"] == len(inside) > 5
    # latitudes in either order; a box across the antimeridian holds no Gard partner
    swapped = (west, north, east, south)
    again = ok(client, "/ogc/collections/partenaires/items", bbox=_box(swapped), limit=1000)
    assert again.json()["numberMatched"] == len(inside)
    across = ok(client, "/ogc/collections/partenaires/items", bbox="170,40,-170,50").json()
    assert across["numberMatched"] == 0


def test_property_and_datetime_filters(demo: Any) -> None:
    client, _, _ = demo
    items = "/ogc/collections/partenaires/items"
    chrs = ok(client, items, kind="chrs", limit=1000).json()["features"]
    assert chrs
    assert all(f["properties"]["kind"] == "chrs" for f in chrs)
    assert all(f["properties"]["kind_label"] for f in chrs)
    family = ok(client, items, family="garde-enfants", limit=1000).json()["features"]
    assert family
    assert {f["properties"]["family"] for f in family} == {"garde-enfants"}
    ales = ok(client, items, code_insee="30007", limit=1000).json()["features"]
    assert ales
    assert {f["properties"]["commune"] for f in ales} == {"Alès"}
    everything = ok(client, items).json()["numberMatched"]
    assert ok(client, items, datetime="2000-01-01T00:00:00Z/..").json()["numberMatched"] == (
        everything
    )
    assert ok(client, items, datetime="../2000-01-01").json()["numberMatched"] == 0
    located = ok(client, items, geocoding="source").json()["numberMatched"]
    assert 0 < located <= everything


def test_one_partner_as_v1_gives_it(demo: Any) -> None:
    client, _, _ = demo
    feature = ok(client, "/ogc/collections/partenaires/items", limit=1).json()["features"][0]
    one = ok(client, f"/ogc/collections/partenaires/items/{feature['id']}")
    assert one.headers["content-type"] == GEOJSON
    body = one.json()
    assert body["properties"] == feature["properties"]
    assert {link["rel"] for link in body["links"]} == {"self", "collection"}
    v1 = ok(client, f"/v1/partners/{feature['id']}").json()
    assert body["properties"]["name"] == v1["name"]
    assert body["geometry"]["coordinates"] == [v1["lon"], v1["lat"]]
    for unknown in (str(uuid.uuid4()), "pas-un-id"):
        missing = client.get(f"/ogc/collections/partenaires/items/{unknown}")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "Entité introuvable dans la collection partenaires."


def test_media_types(demo: Any) -> None:
    client, _, _ = demo
    items = "/ogc/collections/partenaires/items"
    assert ok(client, items, f="json").headers["content-type"] == "application/json"
    assert ok(client, items, f="geojson").headers["content-type"] == GEOJSON
    asked = client.get(items, headers={"Accept": "application/json"})
    assert asked.headers["content-type"] == "application/json"
    either = client.get(items, headers={"Accept": "application/geo+json, application/json"})
    assert either.headers["content-type"] == GEOJSON


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"limit": 0}, "limit : doit être supérieur ou égal à 1"),
        ({"limit": 10_001}, "limit : doit être inférieur ou égal à 10000"),
        ({"offset": -1}, "offset : doit être supérieur ou égal à 0"),
        ({"bbox": "4.0,44.0,4.2"}, "bbox : quatre nombres attendus : ouest,sud,est,nord"),
        ({"bbox": "4.0,44.0,4.2,44.2,0,10"}, "bbox : quatre nombres attendus"),
        ({"bbox": "a,44.0,4.2,44.2"}, "bbox.0 : nombre attendu"),
        ({"bbox": "200,44.0,4.2,44.2"}, "bbox.0 : doit être inférieur ou égal à 180"),
        ({"bbox": "4.0,-91,4.2,44.2"}, "bbox.1 : doit être supérieur ou égal à -90"),
        ({"datetime": "hier"}, "datetime : format invalide"),
        ({"datetime": "2026-13-01"}, "datetime : instant ou intervalle RFC 3339 attendu"),
        ({"datetime": "2026-02-01/2026-01-01"}, "la fin de l'intervalle précède son début"),
        ({"kind": "licorne"}, "kind : "),
        ({"f": "html"}, "f : valeur inconnue"),
        ({"couleur": "bleu"}, "champ inconnu"),
    ],
)
def test_bad_parameters_are_400_in_french(demo: Any, params: dict[str, Any], expected: str) -> None:
    client, _, _ = demo
    response = client.get("/ogc/collections/partenaires/items", params=params)
    assert response.status_code == 400, response.text
    messages = " | ".join(item["msg"] for item in response.json()["detail"])
    assert expected in messages


# --- coverage and gaps ---------------------------------------------------------------------------


def test_coverage_and_gaps_ask_a_viewer_key(demo: Any) -> None:
    client, viewer, _ = demo
    for collection in ("couverture", "manques"):
        assert client.get(f"/ogc/collections/{collection}/items").status_code == 401
        assert client.get(f"/ogc/collections/{collection}/items/30007").status_code == 401
        assert client.get(f"/ogc/collections/{collection}").status_code == 200  # metadata
        assert ok(client, f"/ogc/collections/{collection}/items", viewer)


def test_coverage_features_are_v1_coverage(demo: Any) -> None:
    client, viewer, _ = demo
    v1 = ok(client, "/v1/coverage", viewer, **CRECHES).json()["features"]
    features = _all_pages(client, "/ogc/collections/couverture/items?limit=100", viewer)
    assert [f["id"] for f in features] == [f["id"] for f in v1]
    for ogc, ours in zip(features, v1, strict=True):
        asked = {"category": "garde-enfants", "mode": "walk", "minutes": 20.0}
        assert ogc["properties"] == {**ours["properties"], **asked, "zones": "communes"}
        assert ogc["geometry"] == ours["geometry"]
    other = {"category": "hebergement", "mode": "car", "max_minutes": 30}
    by_car = ok(client, "/v1/coverage", viewer, **other).json()["features"]
    asked = {"category": "hebergement", "mode": "car", "minutes": 30}
    page = ok(client, "/ogc/collections/couverture/items", viewer, limit=1000, **asked).json()
    assert [f["properties"]["e2sfca"] for f in page["features"]] == [
        f["properties"]["e2sfca"] for f in by_car
    ]


def test_coverage_bbox_and_property_filters(demo: Any) -> None:
    client, viewer, _ = demo
    v1 = ok(client, "/v1/coverage", viewer, **CRECHES).json()["features"]
    box = shapely.box(*ALES_BBOX)
    touching = [f["id"] for f in v1 if shapely.geometry.shape(f["geometry"]).intersects(box)]
    items = "/ogc/collections/couverture/items"
    found = ok(client, items, viewer, bbox=_box(ALES_BBOX), limit=1000).json()
    assert [f["id"] for f in found["features"]] == touching
    assert found["numberMatched"] == len(touching) > 3
    uncovered = ok(client, items, viewer, covered=0, limit=1000).json()
    assert uncovered["features"]
    assert all(f["properties"]["covered"] == 0 for f in uncovered["features"])
    assert uncovered["numberMatched"] == sum(1 for f in v1 if f["properties"]["covered"] == 0)
    weak = ok(client, items, viewer, gap="offre-faible", limit=1000).json()["features"]
    assert all(f["properties"]["gap"] == "offre-faible" for f in weak)


def test_gaps_features_are_v1_gaps_in_rank_order(demo: Any) -> None:
    client, viewer, _ = demo
    v1 = ok(client, "/v1/gaps", viewer, **CRECHES).json()["items"]
    features = _all_pages(client, "/ogc/collections/manques/items?limit=50", viewer)
    assert [f["id"] for f in features] == [g["zone_id"] for g in v1]
    assert [f["properties"]["rank"] for f in features] == list(range(1, len(v1) + 1))
    assert features[0]["properties"]["message"] == v1[0]["message"]
    assert features[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    kind = "aucun-site-atteignable"
    only = ok(client, "/ogc/collections/manques/items", viewer, kind=kind, limit=1000).json()
    assert [f["id"] for f in only["features"]] == [g["zone_id"] for g in v1 if g["kind"] == kind]
    first = features[0]["id"]
    one = ok(client, f"/ogc/collections/manques/items/{first}", viewer).json()
    assert one["properties"] == features[0]["properties"]
    missing = client.get("/ogc/collections/manques/items/99999", headers=viewer)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Entité introuvable dans la collection manques."


def test_every_family_is_a_question_a_layer_answers(demo: Any) -> None:
    """« autres » had no French noun: /v1/coverage, /v1/siting and these layers answered 500."""
    client, viewer, _ = demo
    body = ok(client, "/ogc/collections/manques/items", viewer, category="autres").json()
    assert body["numberMatched"] >= 0
    assert ok(client, "/v1/gaps", viewer, category="autres", mode="walk", max_minutes=20)


def test_computed_collections_refuse_bad_questions_with_400(demo: Any) -> None:
    client, viewer, _ = demo
    for params, expected in (
        ({"category": "licornes"}, "category : catégorie inconnue"),
        ({"minutes": 500}, "minutes : doit être inférieur ou égal à 120"),
        ({"mode": "avion"}, "mode : valeur inconnue"),
        ({"datetime": "2026-01-01"}, "champ inconnu"),  # no time in a coverage
    ):
        response = client.get("/ogc/collections/couverture/items", params=params, headers=viewer)
        assert response.status_code == 400, params
        assert expected in " | ".join(item["msg"] for item in response.json()["detail"])
