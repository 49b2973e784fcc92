"""SIAE list of Les emplois de l'inclusion (CSV export or API JSON) and its job descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geodata.sources.common import ReadResult
from geodata.sources.siae import read_siae
from tests.geodata.sources import CENTROIDS, FIXTURES

SIAE = FIXTURES / "siae_gard.csv"
JOBS = FIXTURES / "siae_gard_postes.csv"


@pytest.fixture(scope="module")
def result() -> ReadResult:
    return read_siae(
        SIAE, jobs=JOBS, commune_centroids=CENTROIDS, postcode_to_insee={"30000": "30189"}
    )


def test_fixture_encodings_differ_on_purpose() -> None:
    assert SIAE.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, ";"
    with pytest.raises(UnicodeDecodeError):
        JOBS.read_bytes().decode("utf-8")  # Windows-1252, ","


def test_kinds_and_identifiers(result: ReadResult) -> None:
    kinds = {record.source_id: record.partner.kind for record in result.records}
    assert kinds == {
        "1001": "aci",
        "1002": "ei",
        "1003": "ai",
        "1004": "etti",
        "1005": "geiq",
        "1006": "aci",  # ACIPHC: an ACI carrying Premières heures en chantier
        "1007": "ea",
        "1008": "ei",
    }
    first = result.records[0]
    assert first.provenance == "emplois-siae"
    assert first.partner.name == "Chantier du Gardon"  # the enseigne, not the raison sociale
    assert first.extra["raison_sociale"] == "ASSOCIATION CHANTIER DU GARDON"
    assert first.partner.contact.website == "https://chantier-gardon.example.org"
    assert str(first.updated_on) == "2025-10-01"


def test_coordinates_are_repaired(result: ReadResult) -> None:
    by_id = {record.source_id: record for record in result.records}
    swapped = by_id["1003"]
    assert (swapped.partner.lon, swapped.partner.lat, swapped.geocoding) == (
        4.64,
        43.809,
        "swapped",
    )
    zero = by_id["1004"]
    assert (zero.partner.lon, zero.partner.lat, zero.geocoding) == (*CENTROIDS["30007"], "commune")


def test_codes_insee_leading_zero_corsica_and_postcode(result: ReadResult) -> None:
    by_id = {record.source_id: record for record in result.records}
    assert by_id["1005"].partner.code_insee == "30189"  # from the postcode
    assert by_id["1007"].partner.code_insee == "2B033"  # "2b033"
    assert by_id["1008"].partner.code_insee == "01053"  # "1053"


def test_open_job_descriptions_become_opportunities(result: ReadResult) -> None:
    by_id = {record.source_id: record for record in result.records}
    (job,) = by_id["1001"].opportunities  # job 502 is closed
    assert (job.title, job.kind, job.contract, job.rome_code) == (
        "Agent d'entretien des espaces verts",
        "emploi",
        "cddi",
        "A1203",
    )
    assert job.places == 3
    assert job.hours_per_week is not None
    assert job.hours_per_week.max == 26
    (ei_job,) = by_id["1002"].opportunities
    assert ei_job.contract == "cddi"  # the usual contract of an EI, none being given
    assert by_id["1003"].opportunities == ()  # its only job is invalid (60 h/week)


def test_every_bad_row_is_reported(result: ReadResult) -> None:
    by_index: dict[int, list[str]] = {}
    for rejection in result.rejections:
        by_index.setdefault(rejection.index, []).append(f"{rejection.field} : {rejection.reason}")
    assert sorted(by_index) == [8, 9, 10, 11, 12, 16, 17]
    assert "« OPCS » non repris" in by_index[8][0]
    assert "clé de contrôle (Luhn)" in by_index[9][0]
    assert "impossible de localiser" in by_index[10][0]
    assert "20 colonnes au lieu de 19" in by_index[11][0]
    assert by_index[12] == ["siret : champ obligatoire"]
    assert by_index[16][0].startswith("postes[0].hours_per_week")  # job rows follow the SIAE rows
    assert "SIAE absente du fichier" in by_index[17][0]


def test_api_json_with_nested_postes(tmp_path: Path) -> None:
    page = {
        "count": 1,
        "next": None,
        "results": [
            {
                "siret": "91740029375509",
                "type": "ETTI",
                "raison_sociale": "ALES INTERIM INSERTION",
                "enseigne": "",
                "addresse_ligne_1": "2 rue d'Avéjan",
                "addresse_ligne_2": "",
                "code_postal": "30100",
                "ville": "Alès",
                "departement": "30",
                "latitude": 44.1240,
                "longitude": 4.0820,
                "mis_a_jour_le": "2025-05-05T10:00:00+02:00",
                "postes": [
                    {
                        "id": 77,
                        "rome": "Manutentionnaire (N1105)",
                        "appellation_modifiee": "",
                        "recrutement_ouvert": "True",
                        "description": "Missions de manutention.",
                    }
                ],
            }
        ],
    }
    path = tmp_path / "siaes.json"
    path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    (record,) = read_siae(path).records
    assert record.source_id == "91740029375509-ETTI"
    assert record.partner.name == "ALES INTERIM INSERTION"
    (job,) = record.opportunities
    assert (job.title, job.rome_code, job.contract) == ("Manutentionnaire", "N1105", "interim")
