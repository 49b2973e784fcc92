"""FINESS extract (Windows-1252, ``;``, Lambert-93) → partners of the right kind.

No official extract is reachable offline: ``fixtures/finess_gard.csv`` is written in the exact
format of ``etalab-cs1100507-stock-*.csv`` (see ``fixtures/README.md``).
"""

from __future__ import annotations

import gc
import inspect
from collections.abc import Generator
from typing import Any

import pytest

from geodata.sources.common import (
    ReadResult,
    SourceFormatError,
    lambert93_to_wgs84,
    wgs84_to_lambert93,
)
from geodata.sources.communes import CommuneReference
from geodata.sources.finess import (
    CATEGORY_KINDS,
    commune_centroid_source,
    iter_finess,
    read_finess,
)
from graph import vocabulary
from tests.geodata.sources import CENTROIDS, FIXTURES

FINESS = FIXTURES / "finess_gard.csv"
STRUCTURES = 19  # structureet lines of the fixture


@pytest.fixture(scope="module")
def result() -> ReadResult:
    return read_finess(FINESS, commune_centroids=CENTROIDS)


def test_fixture_is_the_official_encoding_and_layout() -> None:
    data = FINESS.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # Latin-1 / Windows-1252, as published
    lines = data.decode("cp1252").splitlines()
    assert lines[0].startswith("finess;etalab;")
    assert all(line.split(";")[0] in {"structureet", "geolocalisation"} for line in lines[1:])


def test_every_in_scope_establishment_is_read(result: ReadResult) -> None:
    kinds = {record.source_id: record.partner.kind for record in result.records}
    assert kinds == {
        "300000011": "chrs",
        "300000029": "esat",
        "300000037": "cada",
        "300000052": "csapa",
        "300000078": "caarud",
        "300000086": "cmp",
        "300000102": "pension-de-famille",
        "300000110": "chu",
        "300000128": "accueil-de-jour",  # category 219, but its name says "accueil de jour"
        "2A0000014": "chrs",
        "300000136": "residences-fjt",
        "300000144": "cph",
    }
    assert result.skipped == 2  # the EHPAD and the pharmacy are not inclusion actors
    assert all(record.provenance == "finess" for record in result.records)


def test_bad_rows_are_all_reported_in_french(result: ReadResult) -> None:
    reasons = {
        rejection.index: (rejection.field, rejection.reason) for rejection in result.rejections
    }
    assert set(reasons) == {14, 15, 16, 17, 18}
    assert reasons[14] == ("siret", "SIRET invalide : la clé de contrôle (Luhn) ne correspond pas")
    assert reasons[15][1].startswith("ligne incomplète : 32 champs attendus, 19 trouvés")
    assert "numéro FINESS invalide" in reasons[16][1]
    assert "impossible de localiser" in reasons[17][1]
    assert "code INSEE invalide" in reasons[18][1]


def test_lambert93_coordinates_become_wgs84(result: ReadResult) -> None:
    esat = next(record for record in result.records if record.source_id == "300000029")
    assert esat.geocoding == "source"
    assert (esat.partner.lon, esat.partner.lat) == lambert93_to_wgs84(787773.4, 6335175.7)
    assert esat.partner.lon == pytest.approx(4.0965, abs=1e-5)
    assert esat.partner.lat == pytest.approx(44.1101, abs=1e-5)
    # the older "…,LAMBERT_93" coordinate source is read the same way
    cada = next(record for record in result.records if record.source_id == "300000037")
    assert cada.extra["sourcecoordet"].endswith("LAMBERT_93")
    assert (cada.partner.lon, cada.partner.lat) == pytest.approx((4.3700, 43.8290), abs=1e-5)


def test_zero_or_missing_coordinates_fall_back_to_the_commune(result: ReadResult) -> None:
    by_id = {record.source_id: record for record in result.records}
    cmp, cph = by_id["300000086"], by_id["300000144"]  # (0, 0), and no geolocalisation line
    assert (cmp.partner.lon, cmp.partner.lat, cmp.geocoding) == (*CENTROIDS["30028"], "commune")
    assert (cph.partner.lon, cph.partner.lat, cph.geocoding) == (*CENTROIDS["30189"], "commune")


def test_codes_insee_and_corsica(result: ReadResult) -> None:
    by_id = {record.source_id: record for record in result.records}
    assert by_id["300000011"].partner.code_insee == "30007"
    ajaccio = by_id["2A0000014"]
    assert ajaccio.partner.code_insee == "2A004"
    assert ajaccio.partner.lat == pytest.approx(41.927, abs=1e-4)


def test_latin1_text_addresses_phones_and_freshness(result: ReadResult) -> None:
    csapa = next(record for record in result.records if record.source_id == "300000052")
    assert csapa.partner.name == "CSAPA DU GARD - ANTENNE DE NÎMES"
    assert csapa.partner.address == "2 place DE LA MAISON CARRÉE, 30000 NIMES"
    assert csapa.partner.contact.phone == "0466210000"  # the leading zero a spreadsheet lost
    assert csapa.partner.siret == "01152449339090"
    assert str(csapa.updated_on) == "2025-02-10"
    assert csapa.extra["libcategetab"].startswith("Centre soins accompagnement")


def test_filters_and_extra_categories() -> None:
    only_corsica = read_finess(FINESS, commune_centroids=CENTROIDS, departements={"2A"})
    assert [record.source_id for record in only_corsica.records] == ["2A0000014"]
    with_pharmacies = read_finess(
        FINESS.read_bytes(), commune_centroids=CENTROIDS, categories={"620": "entreprise"}
    )
    assert "300000177" in {record.source_id for record in with_pharmacies.records}


def test_category_kinds_are_maillage_kinds() -> None:
    assert set(CATEGORY_KINDS.values()) <= set(vocabulary.kinds())


def test_not_a_finess_extract() -> None:
    with pytest.raises(SourceFormatError, match="finess;etalab"):
        read_finess(b"nofinesset;rs\n300000011;CHRS\n")


def test_not_a_finess_extract_is_refused_before_any_part() -> None:
    with pytest.raises(SourceFormatError, match="finess;etalab"):
        iter_finess(b"nofinesset;rs\n300000011;CHRS\n")  # raised by the call, not iterating
    with pytest.raises(ValueError, match="chunk_size"):
        iter_finess(FINESS, chunk_size=0)


# --- reading in parts ------------------------------------------------------------------------


def _dump(result: ReadResult) -> tuple[list[Any], list[Any], int]:
    """Everything a result says, comparable with ``==``."""
    records = [
        (
            record.index,
            record.source_id,
            record.partner.model_dump(),
            dict(record.extra),
            record.geocoding,
            record.updated_on,
        )
        for record in result.records
    ]
    rejections = [(r.index, r.field, r.reason, r.source_id) for r in result.rejections]
    return records, rejections, result.skipped


def test_parts_are_read_lazily_in_chunks_and_add_up_to_read_finess(result: ReadResult) -> None:
    stream = iter_finess(FINESS, commune_centroids=CENTROIDS, chunk_size=4)
    assert stream.expected == STRUCTURES
    assert isinstance(stream.parts, Generator)
    assert inspect.getgeneratorstate(stream.parts) == inspect.GEN_CREATED  # nothing read yet
    parts = list(stream)
    assert [part.total for part in parts] == [4, 4, 4, 4, 3]  # records, refused and skipped rows
    indexes = [
        index
        for part in parts
        for index in (*(r.index for r in part.records), *(r.index for r in part.rejections))
    ]
    assert indexes == sorted(indexes)  # file order, counting on across parts
    first, *_ = parts
    assert {r.index for r in first.records} | first.rejected_indexes <= set(range(4))
    assert _dump(ReadResult.concat(parts)) == _dump(result)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 19, 10_000])
def test_any_chunk_size_gives_the_same_result(chunk_size: int) -> None:
    whole = read_finess(FINESS, commune_centroids=CENTROIDS, departements={"30", "2A"})
    stream = iter_finess(
        FINESS, commune_centroids=CENTROIDS, departements={"30", "2A"}, chunk_size=chunk_size
    )
    parts = list(stream)
    assert len(parts) == -(-STRUCTURES // chunk_size)
    assert _dump(ReadResult.concat(parts)) == _dump(whole)
    assert gc.isenabled()  # the collector, paused while a part is read, is back on


def _extract(*structures: str, geolocations: tuple[str, ...] = ()) -> bytes:
    lines = ["finess;etalab;1;2026-05-12", *structures, *geolocations]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _structure(number: str, name: str, **fields: str) -> str:
    values = {
        "rs": name,
        "commune": "189",
        "departement": "30",
        "ligneacheminement": "30000 NIMES",
        "categetab": "214",
        "maj": "2025-01-01",
        **fields,
    }
    names = (
        "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie", "voie",
        "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
        "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab",
        "siret", "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor",
        "maj", "numuai",
    )  # fmt: skip
    return ";".join(["structureet", number, *(values.get(name, "") for name in names)])


def _geolocalisation(number: str, lon: float, lat: float) -> str:
    x, y = wgs84_to_lambert93(lon, lat)
    return f"geolocalisation;{number};{x:.1f};{y:.1f};1,ATLASANTE,EPSG:2154;2026-05-04"


def test_a_number_seen_in_an_earlier_part_is_a_duplicate() -> None:
    data = _extract(
        _structure("300000011", "CHRS A"),
        _structure("300000029", "CHRS B"),
        _structure("300000037", "CHRS C"),
        _structure("300000011", "CHRS A BIS"),
        geolocations=(
            _geolocalisation("300000011", 4.36, 43.83),
            _geolocalisation("300000029", 4.35, 43.84),
            _geolocalisation("300000037", 4.34, 43.85),
        ),
    )
    parts = list(iter_finess(data, chunk_size=2))
    assert [len(part.records) for part in parts] == [2, 1]
    (duplicate,) = parts[1].rejections
    assert (duplicate.index, duplicate.field, duplicate.source_id) == (3, "nofinesset", "300000011")
    assert duplicate.reason == "doublon : même numéro FINESS que l'établissement n°0"


def test_quoted_values_hold_separators_and_line_breaks() -> None:
    data = _extract(
        _structure("300000011", '"CHRS ""LE PORT"" ; NIMES"', voie='"DU PORT;\r\nBIS"'),
        _structure("300000029", "CHRS B", compldistrib="BP 12", lieuditbp="LE  MAS"),
        geolocations=(
            _geolocalisation("300000011", 4.36, 43.83),
            '"geolocalisation";300000029;0;0;"1,ATLASANTE;EPSG:2154";2026-05-04',
        ),
    )
    result = read_finess(data, commune_centroids=CENTROIDS)
    port, mas = result.records
    assert port.partner.name == 'CHRS "LE PORT" ; NIMES'
    assert port.partner.address == "DU PORT; BIS, 30000 NIMES"  # the line break is a space
    assert (mas.geocoding, mas.extra["sourcecoordet"]) == ("commune", "1,ATLASANTE;EPSG:2154")
    assert mas.partner.address == "BP 12, LE MAS, 30000 NIMES"


def test_overseas_points_are_read_in_their_utm_system() -> None:
    data = _extract(
        _structure("970400011", "CHRS SAINT-DENIS", commune="411", departement="9D"),
        # RGR92 / UTM 40S: no system named, the département's one is used
        geolocations=("geolocalisation;970400011;338767.2;7690355.6;;2026-05-04",),
    )
    (record,) = read_finess(data).records
    assert record.partner.code_insee == "97411"
    assert (record.partner.lon, record.partner.lat) == pytest.approx((55.45, -20.88), abs=1e-4)
    assert record.geocoding == "source"


# --- a national file ----------------------------------------------------------------------------

FRANCE = FIXTURES / "finess_france.csv"


@pytest.fixture(scope="module")
def communes() -> CommuneReference:
    return CommuneReference.national()


def test_a_national_file_places_every_commune_of_france(communes: CommuneReference) -> None:
    result = read_finess(FRANCE, communes=communes)
    assert result.rejections == []
    assert result.skipped == 1  # the EHPAD
    by_number = {record.source_id: record for record in result.records}
    marseille = by_number["130000011"]  # a CHRS without geolocalisation, in an arrondissement
    assert marseille.partner.code_insee == "13201"
    assert marseille.geocoding == "commune"
    assert (marseille.partner.lon, marseille.partner.lat) == communes.centroids["13201"]
    reunion = by_number["970400014"]  # UTM 40S
    assert reunion.partner.code_insee == "97411"
    assert communes.distance_m("97411", reunion.partner.lon, reunion.partner.lat) == 0.0
    assert by_number["750000015"].partner.code_insee == "75115"


def test_the_departement_is_chosen_before_validation(communes: CommuneReference) -> None:
    gard = read_finess(FRANCE, communes=communes, departements={"30"})
    assert sorted(record.source_id for record in gard.records) == [
        "300000111",
        "300000129",
        "300000137",
    ]
    assert gard.skipped == 7
    assert gard.total == 10


def test_a_point_far_from_its_commune_is_moved_and_said(communes: CommuneReference) -> None:
    result = read_finess(FRANCE, communes=communes, departements={"30"})
    moved = next(record for record in result.records if record.source_id == "300000129")
    assert moved.geocoding == "commune"
    assert (moved.partner.lon, moved.partner.lat) == communes.centroids["30189"]
    (note,) = moved.extra["notes"]
    assert "point de la source (longitude -4.486" in note
    assert "km de la commune 30189 (Nîmes)" in note
    kept = next(record for record in result.records if record.source_id == "300000111")
    assert kept.geocoding == "source"


def test_sourcecoordet_admin_express_is_a_commune_centroid(communes: CommuneReference) -> None:
    result = read_finess(FRANCE, communes=communes, departements={"30"})
    pension = next(record for record in result.records if record.source_id == "300000137")
    assert pension.geocoding == "commune"
    assert "ADMIN-EXPRESS-2023" in pension.extra["notes"][0]
    assert commune_centroid_source("3,ATLASANTE,.,ADMIN-EXPRESS-2023,EPSG:2154 RGF93")
    assert not commune_centroid_source("1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93")
    assert not commune_centroid_source("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93")
