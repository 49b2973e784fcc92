"""Search by travel time: a territory with a network answers in network minutes, one without
answers with flagged estimates; isochrones come back as GeoJSON."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geodata.sphere import great_circle_m
from geodata.traveltime import WALK_SPEED_KMH, StreetNetwork
from service.cli.main import app as cli
from service.tables import Partner
from service.travel import LoadedNetwork, TravelService
from tests.conftest import ALES, SHARED

# A straight street running east from Alès town hall: a node every 100 m (EPSG:4326).
LAT = ALES[1]
STEP_DEG = 100 / (111_320 * math.cos(math.radians(LAT)))
STREET_LON = ALES[0] + STEP_DEG * np.arange(41)  # 4 km of street


def street() -> StreetNetwork:
    n = len(STREET_LON)
    lat = np.full(n, LAT)
    seconds = great_circle_m(STREET_LON[:-1], lat[:-1], STREET_LON[1:], lat[1:]) / (
        WALK_SPEED_KMH / 3.6
    )
    tails, heads, weights = [], [], []
    for i in range(n - 1):  # both directions
        tails += [i, i + 1]
        heads += [i + 1, i]
        weights += [seconds[i], seconds[i]]
    order = np.argsort(tails, kind="stable")
    indptr = np.searchsorted(np.array(tails)[order], np.arange(n + 1))
    return StreetNetwork(
        "walk",
        indptr=indptr,
        indices=np.array(heads)[order],
        weights=np.array(weights)[order],
        node_lon=STREET_LON,
        node_lat=lat,
    )


@pytest.fixture
def with_street(app: FastAPI) -> TravelService:
    travel = TravelService(
        [
            LoadedNetwork(
                uuid.uuid4(),
                "rue-test",
                "walk",
                (STREET_LON[0] - 0.02, LAT - 0.02, STREET_LON[-1] + 0.02, LAT + 0.02),
                street(),
            )
        ]
    )
    app.state.travel = travel
    return travel


def test_walk_search_uses_the_network_and_the_budget(
    client: TestClient, with_street: TravelService, make_partner: Callable[..., Partner]
) -> None:
    # partners on the street at 0.5, 1.0 and 2.0 km: 6.7, 13.3 and 26.7 minutes on foot
    for km in (2.0, 0.5, 1.0):
        make_partner(name=f"Structure à {km} km (fictif)", at=(STREET_LON[int(km * 10)], LAT))
    # and one 3 km north of the street: off the network, estimated
    make_partner(name="Structure hors réseau (fictif)", at=(ALES[0], LAT + 0.027))
    response = client.get(
        "/v1/partners",
        params={"lat": LAT, "lon": ALES[0], "mode": "walk", "max_minutes": 20},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    names = [p["name"] for p in body["items"]]
    assert names == ["Structure à 0.5 km (fictif)", "Structure à 1.0 km (fictif)"]
    minutes = [p["travel"]["minutes"] for p in body["items"]]
    assert minutes == pytest.approx([500 / 75, 1000 / 75], abs=0.15)  # 75 m/min at 4.5 km/h
    assert all(
        p["travel"] == {**p["travel"], "mode": "walk", "estimated": False} for p in body["items"]
    )
    everything = client.get(
        "/v1/partners", params={"lat": LAT, "lon": ALES[0], "mode": "walk"}
    ).json()
    assert [p["name"] for p in everything["items"]][-2:] == [
        "Structure à 2.0 km (fictif)",
        "Structure hors réseau (fictif)",
    ]
    off = everything["items"][-1]["travel"]
    assert off["estimated"] is True
    assert off["minutes"] > 40  # 3 km × 1.3 at 4.5 km/h ≈ 52 min


def test_without_a_network_times_are_estimates(
    client: TestClient, make_partner: Callable[..., Partner]
) -> None:
    make_partner(name="Proche (fictif)", at=(ALES[0] + 0.005, LAT))
    make_partner(name="Loin (fictif)", at=(ALES[0] + 0.2, LAT))
    response = client.get(
        "/v1/partners",
        params={"lat": LAT, "lon": ALES[0], "mode": "bike", "max_minutes": 30},
    )
    items = response.json()["items"]
    assert [p["name"] for p in items] == ["Proche (fictif)"]
    assert items[0]["travel"]["estimated"] is True
    expected = 400 * 1.3 / (15_000 / 60)  # ~400 m × detour 1.3 at 15 km/h
    assert items[0]["travel"]["minutes"] == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"mode": "walk"}, "mode demande un point"),
        ({"lat": 44, "lon": 4, "max_minutes": 10}, "max_minutes demande un mode"),
        ({"lat": 44, "lon": 4, "mode": "trottinette"}, "mode : valeur inconnue"),
        ({"lat": 44, "lon": 4, "mode": "walk", "max_minutes": 500}, "inférieur ou égal à 180"),
    ],
)
def test_travel_parameters_are_checked(
    client: TestClient, params: dict[str, str | int], fragment: str
) -> None:
    response = client.get("/v1/partners", params=params)
    assert response.status_code == 422
    assert fragment in " | ".join(d["msg"] for d in response.json()["detail"])


def test_isochrones_as_geojson(client: TestClient, with_street: TravelService) -> None:
    response = client.get(
        "/v1/isochrones",
        params={"lat": LAT, "lon": ALES[0], "mode": "walk", "minutes": "5,15"},
    )
    assert response.status_code == 200, response.text
    features = response.json()["features"]
    assert [f["properties"]["minutes"] for f in features] == [15, 5]
    big, small = (shape(f["geometry"]) for f in features)
    assert big.area > small.area
    assert big.covers(Point(STREET_LON[10], LAT))  # 1 km away: 13 minutes
    assert not small.covers(Point(STREET_LON[10], LAT))
    assert features[0]["properties"]["estimated"] is False
    estimated = client.get(
        "/v1/isochrones", params={"lat": 43.8, "lon": 4.36, "mode": "car", "minutes": 10}
    ).json()["features"][0]
    assert estimated["properties"]["estimated"] is True
    bad = client.get(
        "/v1/isochrones", params={"lat": LAT, "lon": ALES[0], "mode": "walk", "minutes": "5,x"}
    )
    assert bad.status_code == 422


SAINT_BARTH = SHARED / "data" / "osm" / "saint_barthelemy.osm.pbf"
GUSTAVIA = (-62.8508, 17.8962)


@pytest.mark.skipif(not SAINT_BARTH.exists(), reason="../shared/data absent (clone d'utilisateur)")
def test_network_build_register_and_search_on_saint_barthelemy(
    scratch_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.app import create_app
    from service.settings import Settings

    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    built = runner.invoke(
        cli,
        [
            "network",
            "build",
            "--osm",
            str(SAINT_BARTH),
            "--mode",
            "car",
            "--out",
            str(tmp_path / "net"),
            "--name",
            "saint-barthelemy",
            "--register",
        ],
    )
    assert built.exit_code == 0, built.output
    listed = runner.invoke(cli, ["network", "list"])
    assert "saint-barthelemy" in listed.output
    application = create_app(Settings(env="test", database_url=scratch_url, home=tmp_path))
    with TestClient(application) as client:
        travel: TravelService = application.state.travel
        assert [n.name for n in travel.networks] == ["saint-barthelemy"]
        session: Session = application.state.sessionmaker()
        with session:
            for name, (dlon, dlat) in {
                "Port (fictif)": (0.002, 0.001),
                "Saint-Jean (fictif)": (0.022, 0.004),
                "Grand Cul-de-Sac (fictif)": (0.053, 0.011),
            }.items():
                from service.store import records
                from tests.conftest import partner_fields

                row = Partner()
                records.apply_partner(
                    row,
                    partner_fields(
                        name=name, at=(GUSTAVIA[0] + dlon, GUSTAVIA[1] + dlat), code_insee="97701"
                    ),
                )
                session.add(row)
            session.commit()
        body = client.get(
            "/v1/partners",
            params={"lat": GUSTAVIA[1], "lon": GUSTAVIA[0], "mode": "car"},
        ).json()
        minutes = [p["travel"]["minutes"] for p in body["items"]]
        assert body["items"][0]["name"] == "Port (fictif)"
        assert minutes == sorted(minutes)
        assert len(body["items"]) == 3
        assert not any(p["travel"]["estimated"] for p in body["items"])
        # the network time is never shorter than the straight line at the top car speed
        for p in body["items"]:
            metres = float(great_circle_m(GUSTAVIA[0], GUSTAVIA[1], p["lon"], p["lat"]))
            assert p["travel"]["minutes"] >= metres / (130_000 / 60)
        removed = runner.invoke(cli, ["network", "remove", "saint-barthelemy", "car"])
        assert removed.exit_code == 0, removed.output


NANTES = SHARED / "data" / "gtfs" / "nantes-naolib-subset"
BOULAY_PATY = (-1.576632, 47.228801)


@pytest.mark.skipif(not NANTES.exists(), reason="../shared/data absent (clone d'utilisateur)")
def test_transit_search_on_the_nantes_timetable(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.app import create_app
    from service.settings import Settings
    from service.store import records
    from tests.conftest import partner_fields

    monkeypatch.setenv("DATABASE_URL", scratch_url)
    built = CliRunner().invoke(
        cli,
        [
            "network",
            "build",
            "--gtfs",
            str(NANTES),
            "--mode",
            "transit",
            "--out",
            str(tmp_path / "net"),
            "--name",
            "nantes",
            "--register",
        ],
    )
    assert built.exit_code == 0, built.output
    application = create_app(Settings(env="test", database_url=scratch_url, home=tmp_path))
    with TestClient(application) as client:
        with application.state.sessionmaker() as session:
            for name, at in {
                "Près de Bruneau (fictif)": (-1.5615, 47.2281),
                "Près de Saint-Jean-Baptiste (fictif)": (-1.5600, 47.2335),
            }.items():
                row = Partner()
                records.apply_partner(row, partner_fields(name=name, at=at, code_insee="44109"))
                session.add(row)
            session.commit()
        # the feed runs 2025-05-13 → 22: without a departure, next Tuesday 08:00 is answered
        # by a Tuesday of the feed, and the answer says which
        body = client.get(
            "/v1/partners",
            params={
                "lat": BOULAY_PATY[1],
                "lon": BOULAY_PATY[0],
                "mode": "transit",
                "max_minutes": 30,
            },
        ).json()
        assert body["total"] == 2
        assert "Horaires du réseau valables du 13/05/2025 au 22/05/2025" in body["notice"]
        assert body["estimated_share"] == 1.0  # walks to and from the stops: straight lines
        for item in body["items"]:
            assert item["travel"]["estimated"] is True
            # walking is always an option: the walk estimate, 1.3 × the straight line
            metres = float(great_circle_m(BOULAY_PATY[0], BOULAY_PATY[1], item["lon"], item["lat"]))
            assert item["travel"]["minutes"] <= metres * 1.3 / 75 + 0.05
        iso = client.get(
            "/v1/isochrones",
            params={
                "lat": BOULAY_PATY[1],
                "lon": BOULAY_PATY[0],
                "mode": "transit",
                "minutes": 10,
                "departure": "2025-05-13T08:00:00",
            },
        ).json()["features"][0]
        assert iso["properties"]["estimated"] is True  # straight-line walks around the stops
        assert iso["properties"]["notice"].startswith("Horaires du réseau « nantes »")
        assert shape(iso["geometry"]).covers(Point(*BOULAY_PATY))
