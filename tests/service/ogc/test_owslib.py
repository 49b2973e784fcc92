"""A real OGC client, OWSLib (`owslib.ogcapi.features.Features`), against the API served by
uvicorn over HTTP on a free local port, on the real PostGIS demo territory: it lists the
collections and reads their items with a bbox, and what it reads is what /v1 answers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import owslib.ogcapi  # type: ignore[import-untyped]
import pytest
import shapely
import uvicorn
from owslib.ogcapi.features import Features  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.settings import Settings
from tests.conftest import bearer
from tests.service.serving import free_port

ALES_BBOX = [4.03, 44.10, 4.13, 44.16]
CRECHES = {"category": "garde-enfants", "mode": "walk", "max_minutes": 20}


@pytest.fixture(scope="module")
def served(demo_url: str) -> Iterator[tuple[str, str]]:
    """The API served by uvicorn in a thread (its base address) and a viewer's key."""
    engine = make_engine(demo_url)
    with Session(engine) as session:
        key, _ = create_api_key(session, role="viewer", name=f"owslib-{uuid.uuid4().hex}")
        session.commit()
    engine.dispose()
    port = free_port()
    app = create_app(Settings(env="test", database_url=demo_url, rate_limit_enabled=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-ogc", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "le serveur s'est arrêté"
        assert time.monotonic() < deadline, "le serveur ne démarre pas"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def client(served: tuple[str, str]) -> Iterator[Features]:
    """OWSLib on ``/ogc`` with the viewer's key as a Bearer header. OWSLib keeps its headers
    in a dict of the module that every instance updates: the key is taken out afterwards."""
    base, key = served
    shared = dict(owslib.ogcapi.REQUEST_HEADERS)
    try:
        yield Features(f"{base}/ogc", headers=bearer(key))
    finally:
        owslib.ogcapi.REQUEST_HEADERS.clear()
        owslib.ogcapi.REQUEST_HEADERS.update(shared)


def _v1(served: tuple[str, str], path: str, **params: Any) -> Any:
    base, key = served
    response = httpx.get(base + path, params=params, headers=bearer(key), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_owslib_lists_the_collections(client: Features) -> None:
    assert client.feature_collections() == ["partenaires", "couverture", "manques"]
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
        in (client.conformance()["conformsTo"])
    )
    partners = client.collection("partenaires")
    assert partners["extent"]["spatial"]["bbox"][0][0] > 3
    queryables = client.collection_queryables("partenaires")
    assert "kind" in queryables["properties"]


def test_owslib_reads_partners_in_a_bbox_as_v1_gives_them(
    client: Features, served: tuple[str, str]
) -> None:
    found = client.collection_items("partenaires", bbox=ALES_BBOX, limit=1000)
    features = found["features"]
    assert found["numberMatched"] == found["numberReturned"] == len(features) > 5
    west, south, east, north = ALES_BBOX
    for feature in features:
        lon, lat = feature["geometry"]["coordinates"]
        assert west <= lon <= east
        assert south <= lat <= north
    for feature in features[:5]:
        v1 = _v1(served, f"/v1/partners/{feature['id']}")
        assert (v1["name"], v1["kind"], v1["code_insee"]) == (
            feature["properties"]["name"],
            feature["properties"]["kind"],
            feature["properties"]["code_insee"],
        )
        assert [v1["lon"], v1["lat"]] == feature["geometry"]["coordinates"]
    chrs = client.collection_items("partenaires", bbox=ALES_BBOX, kind="chrs", limit=1000)
    assert {f["properties"]["kind"] for f in chrs["features"]} <= {"chrs"}
    assert chrs["numberMatched"] <= found["numberMatched"]


def test_owslib_reads_coverage_and_gaps_in_a_bbox_as_v1_computes_them(
    client: Features, served: tuple[str, str]
) -> None:
    box = shapely.box(*ALES_BBOX)
    zones = client.collection_items("couverture", bbox=ALES_BBOX, limit=1000)["features"]
    v1 = _v1(served, "/v1/coverage", **CRECHES)["features"]
    shapes = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in v1}
    expected = {f["id"]: f["properties"] for f in v1 if shapes[f["id"]].intersects(box)}
    assert len(zones) == len(expected) > 3
    for zone in zones:
        assert shapely.geometry.shape(zone["geometry"]).intersects(box)
        asked = {"category": "garde-enfants", "mode": "walk", "minutes": 20.0, "zones": "communes"}
        assert zone["properties"] == {**expected[zone["id"]], **asked}
    gaps = client.collection_items("manques", bbox=ALES_BBOX, limit=1000)["features"]
    ranked = _v1(served, "/v1/gaps", **CRECHES)["items"]
    inside = [g["zone_id"] for g in ranked if g["zone_id"] in expected]
    assert [g["id"] for g in gaps] == inside
    assert all(g["properties"]["zone_id"] == g["id"] for g in gaps)
