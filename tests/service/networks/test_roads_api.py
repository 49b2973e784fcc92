"""GET /v1/networks/roads: the registered street network's main roads as GeoJSON lines, for
the maps' offline background; public, like the networks' list."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.travel import LoadedNetwork, TravelService
from tests.geodata.test_roads import LAT, ROAD, network

BOUNDS = (3.9, 44.0, 4.2, 44.2)


def test_the_car_network_gives_ranked_simplified_lines(client: TestClient, app: FastAPI) -> None:
    app.state.travel = TravelService(
        [
            LoadedNetwork(uuid.uuid4(), "gard", "walk", BOUNDS, network("walk")),
            LoadedNetwork(uuid.uuid4(), "gard", "car", BOUNDS, network("car")),
        ]
    )
    response = client.get("/v1/networks/roads", params={"bbox": "3.95,44.1,4.15,44.14"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["complete"] is True
    assert body["attribution"] == "© les contributeurs d'OpenStreetMap (ODbL)"
    ranks = {f["properties"]["rank"] for f in body["features"]}
    assert ranks == {1, 2}
    assert {f["properties"]["mode"] for f in body["features"]} == {"car"}  # car first
    (road,) = [f for f in body["features"] if f["properties"]["rank"] == 1]
    assert road["geometry"]["type"] == "LineString"
    # collinear vertices simplified away: the straight road is its two ends
    assert road["geometry"]["coordinates"] == [list(ROAD[0]), list(ROAD[-1])]


def test_without_a_street_network_there_is_nothing_to_draw(client: TestClient) -> None:
    response = client.get("/v1/networks/roads", params={"bbox": f"3.95,{LAT - 0.1},4.15,{LAT}"})
    assert response.status_code == 200
    assert response.json() == {
        "type": "FeatureCollection",
        "features": [],
        "complete": True,
        "attribution": None,
    }


def test_a_box_must_be_a_box_of_at_most_five_degrees(client: TestClient) -> None:
    for bbox, message in (
        ("4.2,44.0,4.0,44.2", "ouest < est"),
        ("-1.0,43.0,4.5,44.0", "au plus 5 degrés"),
        ("4,44,4.1", "bbox"),
        ("a,b,c,d", "bbox"),
    ):
        response = client.get("/v1/networks/roads", params={"bbox": bbox})
        assert response.status_code == 422, bbox
        assert message in response.text, response.text
        assert bbox not in response.text  # the value typed is never echoed
