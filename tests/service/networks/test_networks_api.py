"""GET /v1/networks: every registered network with its extent, nodes or stops, files, feeds
and the validity of its timetables; public, like the reference data."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from shapely import box
from sqlalchemy.orm import Session

from geodata.transit import TransitNetwork
from service.store import queries
from service.store.records import geometry
from service.tables import Network
from service.travel import LoadedNetwork, TravelService
from tests.conftest import bearer
from tests.service.test_travel_api import street
from tests.service.test_travel_journeys import write_feed


def register(db: Session, name: str, mode: str, source: str, nodes: int) -> uuid.UUID:
    db.execute(
        queries.register_network(
            {
                "name": name,
                "mode": mode,
                "path": f"/srv/maillage/reseaux/{name}/{mode}.npz",
                "source_file": f"/srv/maillage/sources/{source}",
                "node_count": nodes,
                "bbox": geometry(box(3.26, 43.45, 4.85, 44.46)),
            }
        )
    )
    row = db.query(Network).filter_by(name=name, mode=mode).one()
    return row.id


@pytest.fixture
def merged(tmp_path: Path) -> TransitNetwork:
    """Two feeds of different periods: trains to 28 March, coaches from 1 February to May."""
    return TransitNetwork.from_gtfs(
        {
            "ter": write_feed(tmp_path / "ter"),
            "lio": write_feed(tmp_path / "lio", start="20250201", end="20250530"),
        }
    )


def test_networks_list_what_each_knows(
    client: TestClient, app: FastAPI, db: Session, merged: TransitNetwork,
    keys: dict[str, str],
) -> None:  # fmt: skip
    transit = register(db, "gard", "transit", "gtfs-ter.zip", int(merged.served.sum()))
    walk = register(db, "gard", "walk", "departement-30.osm.pbf", 41)
    register(db, "ailleurs", "car", "autre.osm.pbf", 12)  # registered, not loaded
    bounds = (3.26, 43.45, 4.85, 44.46)
    app.state.travel = TravelService(
        [
            LoadedNetwork(transit, "gard", "transit", bounds, merged),
            LoadedNetwork(walk, "gard", "walk", bounds, street()),
        ]
    )
    response = client.get("/v1/networks")
    assert response.status_code == 200, response.text
    listed = {(n["name"], n["mode"]): n for n in response.json()}
    assert list(listed) == [("ailleurs", "car"), ("gard", "transit"), ("gard", "walk")]
    trains = listed[("gard", "transit")]
    assert trains["bbox"] == pytest.approx([3.26, 43.45, 4.85, 44.46])
    assert trains["nodes"] == 4  # two stops in each feed
    assert trains["source"] == "gtfs-ter.zip"  # the file's name, never the server's path
    assert "/srv" not in response.text
    assert trains["loaded"] is True
    assert trains["feeds"] == [
        {"name": "ter", "valid_from": "2025-01-06", "valid_until": "2025-03-28"},
        {"name": "lio", "valid_from": "2025-02-01", "valid_until": "2025-05-30"},
    ]
    # the period every feed has times in: the one departures are moved into
    assert (trains["valid_from"], trains["valid_until"]) == ("2025-02-01", "2025-03-28")
    assert merged.resolve_date(dt.date(2026, 12, 8))[0] <= dt.date(2025, 3, 28)
    assert dt.datetime.fromisoformat(trains["built_at"]).tzinfo is not None
    streets = listed[("gard", "walk")]
    assert streets["feeds"] == []
    assert streets["valid_from"] is None
    assert streets["loaded"] is True
    assert listed[("ailleurs", "car")]["loaded"] is False
    # by mode; readable by anyone, and by a viewer
    only = client.get("/v1/networks", params={"mode": "walk"}, headers=bearer(keys["viewer"]))
    assert [(n["name"], n["mode"]) for n in only.json()] == [("gard", "walk")]
    bad = client.get("/v1/networks", params={"mode": "trottinette"})
    assert bad.status_code == 422


def test_a_single_unnamed_feed_is_named_after_its_file(
    client: TestClient, app: FastAPI, db: Session, tmp_path: Path
) -> None:
    alone = TransitNetwork.from_gtfs(write_feed(tmp_path / "ter"))
    transit = register(db, "ales", "transit", "sncf_ter_2025.zip", 2)
    app.state.travel = TravelService(
        [LoadedNetwork(transit, "ales", "transit", (3.9, 44.0, 4.2, 44.3), alone)]
    )
    (network,) = client.get("/v1/networks").json()
    assert network["feeds"] == [
        {"name": "sncf_ter_2025", "valid_from": "2025-01-06", "valid_until": "2025-03-28"}
    ]
    assert (network["valid_from"], network["valid_until"]) == ("2025-01-06", "2025-03-28")
