"""Communes, EPCI, commune polygons and QPV (reference data for demand).

The Filosofi grid's reader is `geodata.grid.read_filosofi`, tested in tests/geodata/test_grid.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from geodata.sources.common import SourceFormatError
from geodata.sources.territory import (
    commune_centroids,
    postcode_index,
    read_commune_polygons,
    read_communes,
    read_epci,
    read_qpv,
)
from tests.geodata.sources import shared


def test_small_commune_files(tmp_path: Path) -> None:
    communes = tmp_path / "communes.json"
    communes.write_text(
        json.dumps(
            [
                {
                    "code": "2A004",
                    "nom": "Ajaccio",
                    "departement": "2A",
                    "region": "94",
                    "type": "commune-actuelle",
                    "codesPostaux": ["20000", "20090"],
                    "population": 73000,
                },
                {
                    "code": "30189",
                    "nom": "Nîmes",
                    "departement": "30",
                    "region": "76",
                    "type": "commune-actuelle",
                    "codesPostaux": ["30000", "30900"],
                },
                {
                    "code": "30007",
                    "nom": "Alès",
                    "departement": "30",
                    "region": "76",
                    "type": "commune-actuelle",
                    "codesPostaux": ["30100"],
                },
                {
                    "code": "30999",
                    "nom": "Déléguée",
                    "departement": "30",
                    "region": "76",
                    "type": "commune-deleguee",
                    "codesPostaux": ["30100"],
                },
                {
                    "code": "3A001",
                    "nom": "Code faux",
                    "departement": "3A",
                    "region": "76",
                    "type": "commune-actuelle",
                },
            ]
        ),
        encoding="utf-8",
    )
    result = read_communes(communes)
    assert [commune.code_insee for commune in result.items] == ["2A004", "30189", "30007"]
    assert result.items[1].population is None
    assert [rejection.index for rejection in result.rejections] == [4]
    assert postcode_index(result.items) == {
        "20000": "2A004",
        "20090": "2A004",
        "30000": "30189",
        "30900": "30189",
        "30100": "30007",  # the commune déléguée does not count
    }
    with pytest.raises(SourceFormatError, match="tableau JSON"):
        read_epci(_write(tmp_path, {}))


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_polygons_and_centroids(tmp_path: Path) -> None:
    crescent = [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 3], [3, 3], [3, 1], [0, 1], [0, 0]]]
    path = _write(
        tmp_path,
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "30189", "nom": "Carré"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]],
                    },
                },
                {
                    "type": "Feature",
                    "properties": {"code_insee": "30007", "nom": "Croissant"},
                    "geometry": {"type": "Polygon", "coordinates": crescent},
                },
                {"type": "Feature", "properties": {"code": "XXXXX"}, "geometry": None},
            ],
        },
    )
    result = read_commune_polygons(path)
    assert [commune.code_insee for commune in result.items] == ["30189", "30007"]
    assert all(isinstance(c.geometry, shapely.MultiPolygon) for c in result.items)
    assert len(result.rejections) == 1
    centroids = commune_centroids(result.items)
    assert centroids["30189"] == (1.0, 1.0)
    crescent_geometry = result.items[1].geometry
    assert crescent_geometry.contains(shapely.Point(centroids["30007"]))  # not the hole


def test_real_communes_2026() -> None:
    result = read_communes(shared("population/communes_france_2026.json"))
    assert result.rejections == []
    assert len(result.items) == 34_969
    by_code = {commune.code_insee: commune for commune in result.items}
    assert by_code["30189"].name == "Nîmes"
    assert by_code["30189"].population is not None
    assert by_code["30189"].population > 140_000
    assert by_code["01053"].name == "Bourg-en-Bresse"  # leading zero kept
    assert by_code["2A004"].name == "Ajaccio"
    assert by_code["2B033"].name == "Bastia"
    gard = read_communes(shared("population/communes_france_2026.json"), departement="30")
    assert len(gard.items) == 350
    index = postcode_index(result.items)
    assert index["30000"] == "30189"
    assert index["30100"] == "30007"
    assert "30190" not in index  # shared by a dozen communes


def test_real_epci() -> None:
    result = read_epci(shared("population/epci_france_2026.json"))
    assert len(result.items) == 1255
    ales = next(epci for epci in result.items if "30007" in epci.members)
    assert ales.kind == "CA"
    assert ales.population is not None
    assert ales.population > 100_000


def test_real_gard_commune_polygons() -> None:
    cog_2018 = read_commune_polygons(shared("gard/communes-30-gard.geojson"))
    assert len(cog_2018.items) == 353
    cog_2026 = read_commune_polygons(shared("gard/gard_communes_2026_population.geojson"))
    assert len(cog_2026.items) == 350
    assert cog_2026.rejections == []
    nimes = next(commune for commune in cog_2026.items if commune.code_insee == "30189")
    assert nimes.population is not None
    assert nimes.epci_siren is not None
    centroids = commune_centroids(cog_2026.items)
    assert len(centroids) == 350
    lon, lat = centroids["30189"]
    assert 4.2 < lon < 4.5
    assert 43.7 < lat < 43.95
    assert all(
        commune.geometry.contains(shapely.Point(centroids[commune.code_insee]))
        for commune in cog_2026.items
    )


def test_real_qpv_18_in_the_gard() -> None:
    result = read_qpv(
        shared("gard/qpv_occitanie_2015.geojson"),
        indicators_path=shared("gard/qpv_occitanie_2015_indicators.csv"),
        departement="30",
    )
    assert len(result.items) == 18
    assert result.rejections == []
    pissevin = next(qpv for qpv in result.items if qpv.code == "QP030003")
    assert pissevin.name == "Pissevin - Valdegour"
    assert pissevin.code_commune == "30189"
    assert pissevin.population == 15_597
    assert pissevin.indicators["tp60"] is not None  # poverty rate, %
    assert pissevin.geometry.is_valid
    assert all(qpv.population for qpv in result.items)
    everything = read_qpv(shared("gard/qpv_occitanie_2015.geojson"))
    assert len(everything.items) == 105
