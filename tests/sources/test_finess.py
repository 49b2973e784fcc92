"""FINESS extract (Windows-1252, ``;``, Lambert-93) → partners of the right kind.

No official extract is reachable offline: ``fixtures/finess_gard.csv`` is written in the exact
format of ``etalab-cs1100507-stock-*.csv`` (see ``fixtures/README.md``).
"""

from __future__ import annotations

import pytest

from geodata.sources.common import ReadResult, SourceFormatError, lambert93_to_wgs84
from geodata.sources.finess import CATEGORY_KINDS, read_finess
from graph import vocabulary
from tests.sources import CENTROIDS, FIXTURES

FINESS = FIXTURES / "finess_gard.csv"


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
