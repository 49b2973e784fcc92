"""Cutting a territory out of a regional OSM extract: the area (boundary plus buffer) and the
cut itself, checked against the rule it promises — exactly the ways with a node inside the
area, each with all its nodes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box, shape

from geodata.osm_extract import (
    DEFAULT_BUFFER_M,
    TerritoryArea,
    buffered,
    clip_extract,
    count_objects,
    read_polygon,
    territory_area,
)
from geodata.sphere import great_circle_m
from tests.conftest import ALES, NIMES, SHARED

OSM = SHARED / "data" / "osm"
SAINT_BARTH = OSM / "saint_barthelemy.osm.pbf"
GARD = SHARED / "data" / "gard" / "departement-30-gard.geojson"
# The west of Saint-Barthélemy: Gustavia, Saint-Jean, Colombier; the east (Grand Cul-de-Sac,
# Toiny) lies outside, beyond 1 km.
WEST = box(-62.90, 17.86, -62.84, 17.93)

needs_osmium = pytest.mark.skipif(shutil.which("osmium") is None, reason="osmium-tool absent")
needs_shared = pytest.mark.skipif(not SAINT_BARTH.exists(), reason="../shared/data absent")


def read_opl(path: Path) -> tuple[dict[int, tuple[float, float]], dict[int, list[int]]]:
    """Nodes (id → lon, lat) and ways (id → node ids) of an OSM file, through osmium's OPL."""
    text = subprocess.run(
        ["osmium", "cat", "--output-format", "opl", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, list[int]] = {}
    for line in text.splitlines():
        fields = line.split(" ")
        if line.startswith("n"):
            x = next(f for f in fields if f.startswith("x"))
            y = next(f for f in fields if f.startswith("y"))
            nodes[int(fields[0][1:])] = (float(x[1:]), float(y[1:]))
        elif line.startswith("w"):
            refs = next(f for f in fields if f.startswith("N"))[1:]
            ways[int(fields[0][1:])] = [int(r[1:]) for r in refs.split(",") if r]
    return nodes, ways


def test_the_buffer_is_its_width_in_metres_everywhere() -> None:
    # a 2 km square around Alès town hall, widened by 10 km
    square = box(ALES[0] - 0.0125, ALES[1] - 0.009, ALES[0] + 0.0125, ALES[1] + 0.009)
    area = buffered(square, 10_000)
    assert area.contains(square)
    ring = np.asarray(area.exterior.coords)
    nearest = [square.exterior.interpolate(square.exterior.project(Point(p))) for p in ring]
    metres = great_circle_m(ring[:, 0], ring[:, 1], [p.x for p in nearest], [p.y for p in nearest])
    # simplified to 50 m, so a vertex lies between 9,950 m and 10,000 m (+ projection error)
    assert metres.min() > 9_940
    assert metres.max() < 10_030
    assert buffered(square, 0).symmetric_difference(square).area < 1e-12
    with pytest.raises(ValueError, match="mètres ≥ 0"):
        buffered(square, -1)
    with pytest.raises(ValueError, match="Polygon"):
        buffered(Point(ALES), 10)


@pytest.mark.skipif(not GARD.exists(), reason="../shared/data absent")
def test_the_gard_is_the_union_of_its_communes() -> None:
    area = territory_area("30")
    assert area.name == "Gard"
    ign = shape(json.loads(GARD.read_text(encoding="utf-8"))["geometry"])
    overlap = area.boundary.intersection(ign).area / area.boundary.union(ign).area
    assert overlap > 0.99
    assert area.area.contains(ign)
    for place in (ALES, NIMES):
        assert area.boundary.contains(Point(place))
    assert area.buffer_m == DEFAULT_BUFFER_M
    # Avignon (Vaucluse) is 3 km across the Rhône: inside the buffer, outside the Gard
    avignon = Point(4.8057, 43.9493)
    assert area.area.contains(avignon)
    assert not area.boundary.contains(avignon)
    assert TerritoryArea.from_geojson(area.to_geojson()) == area


def test_an_unknown_departement_asks_for_a_polygon(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"polygone du département inconnu.*--polygon"):
        territory_area("977")
    polygon = tmp_path / "ouest.geojson"
    polygon.write_text(
        json.dumps(
            {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(WEST)}
        ),
        encoding="utf-8",
    )
    area = territory_area("977", polygon=polygon, buffer_m=1_000)
    assert area.name is None
    assert area.boundary.equals(WEST)
    bad = tmp_path / "mauvais.geojson"
    bad.write_text('{"type": "Point", "coordinates": [0, 0]}', encoding="utf-8")
    with pytest.raises(ValueError, match="aucun Polygon"):
        read_polygon(bad)
    bad.write_text("pas du json", encoding="utf-8")
    with pytest.raises(ValueError, match="illisible"):
        read_polygon(bad)


@needs_osmium
@needs_shared
def test_the_cut_keeps_exactly_the_ways_with_a_node_inside_whole(tmp_path: Path) -> None:
    area = buffered(WEST, 1_000)
    out = tmp_path / "ouest.osm.pbf"
    result = clip_extract(SAINT_BARTH, area, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ouest.osm.pbf"]  # no .part left
    nodes, ways = read_opl(SAINT_BARTH)
    cut_nodes, cut_ways = read_opl(out)
    inside = {
        node
        for node, inside in zip(
            nodes,
            shapely.contains_xy(area, *np.array(list(nodes.values())).T),
            strict=True,
        )
        if inside
    }
    expected = {way for way, refs in ways.items() if inside & set(refs)}
    assert set(cut_ways) == expected
    assert 0 < len(expected) < len(ways)  # the east of the island is gone
    for refs in cut_ways.values():  # complete ways: every node kept, with its position
        assert all(cut_nodes[r] == nodes[r] for r in refs)
    assert (result.nodes, result.ways) == (len(cut_nodes), len(cut_ways))
    assert count_objects(out)["ways"] == len(cut_ways)
    assert result.size == out.stat().st_size < SAINT_BARTH.stat().st_size


@needs_osmium
@needs_shared
def test_a_cut_outside_the_extract_or_of_a_damaged_file_is_refused(tmp_path: Path) -> None:
    gard = buffered(box(4.0, 44.0, 4.1, 44.1), 1_000)
    with pytest.raises(ValueError, match="aucune voie : l'extrait régional ne couvre pas"):
        clip_extract(SAINT_BARTH, gard, tmp_path / "vide.osm.pbf")
    damaged = tmp_path / "abime.osm.pbf"
    damaged.write_bytes(SAINT_BARTH.read_bytes()[:20_000])
    with pytest.raises(ValueError, match=r"découpage impossible de abime\.osm\.pbf"):
        clip_extract(damaged, gard, tmp_path / "x.osm.pbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abime.osm.pbf"]
