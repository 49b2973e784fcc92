"""SIAE list of Les emplois de l'inclusion (CSV export or API JSON) and its job descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geodata.sources.common import ReadResult
from geodata.sources.communes import CommuneReference
from geodata.sources.siae import contract_of, read_siae
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


# --- the Les emplois API as served ------------------------------------------------------------

PAGE_1 = FIXTURES / "emplois_siaes_30_page1.json"
PAGE_2 = FIXTURES / "emplois_siaes_30_page2.json"


def _whole_list(tmp_path: Path) -> Path:
    """The two API pages as `territory fetch` writes them: every SIAE, ``next`` null."""
    first = json.loads(PAGE_1.read_text(encoding="utf-8"))
    second = json.loads(PAGE_2.read_text(encoding="utf-8"))
    results = first["results"] + second["results"]
    path = tmp_path / "siae.json"
    path.write_text(
        json.dumps({"count": first["count"], "next": None, "previous": None, "results": results}),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def communes() -> CommuneReference:
    return CommuneReference.national()


def test_the_api_pages_carry_no_id_no_point_no_code_insee() -> None:
    page = json.loads(PAGE_1.read_text(encoding="utf-8"))
    assert set(page) == {"count", "next", "previous", "results"}
    assert len(page["results"]) == 20
    assert page["count"] == 36
    for siae in page["results"]:
        assert not {"id", "latitude", "longitude", "code_insee"} & set(siae)


def test_an_api_page_of_gard_siae_loads_with_commune_points(
    tmp_path: Path, communes: CommuneReference
) -> None:
    result = read_siae(_whole_list(tmp_path), communes=communes)
    assert result.complete
    refused = sorted(result.rejected_indexes)
    assert refused == [34, 35]  # the OPCS, the SIAE without SIRET
    valid = result.total - len(refused)
    assert len(result.records) / valid >= 0.95
    assert len(result.records) == 34
    for record in result.records:
        assert record.geocoding == "commune"
        assert record.partner.code_insee is not None
        assert (record.partner.lon, record.partner.lat) == communes.centroids[
            record.partner.code_insee
        ]
    by_town = {record.partner.address.split(", ")[-1]: record for record in result.records}  # type: ignore[union-attr]
    # postcodes shared by several communes, settled by the town name
    assert by_town["30190 St Geniès de Malgoirès"].partner.code_insee == "30255"
    assert by_town["30190 LA CALMETTE"].partner.code_insee == "30061"
    assert by_town["30250 VILLEVIEILLE"].partner.code_insee == "30352"
    assert by_town["30035 NIMES CEDEX 1"].partner.code_insee == "30189"  # Cedex
    assert by_town["30100 Alès Cedex"].partner.code_insee == "30007"
    assert by_town["30240 Le Grau-du-Roi"].partner.code_insee == "30133"
    # the siret and type make the identifier
    first = result.records[0]
    assert first.source_id == f"{first.partner.siret}-ACI"


def test_job_labels_places_and_closed_jobs(tmp_path: Path, communes: CommuneReference) -> None:
    result = read_siae(_whole_list(tmp_path), communes=communes)
    rows = json.loads(PAGE_1.read_text(encoding="utf-8"))["results"]
    by_siret = {record.partner.siret: record for record in result.records}
    nimes = by_siret[rows[2]["siret"]]  # an ETTI: « Contrat de mission intérimaire »
    assert [(job.contract, job.places) for job in nimes.opportunities] == [
        ("interim", 2),
        ("interim", 3),
    ]
    geiq = by_siret[rows[5]["siret"]]  # « Contrat de professionalisation » (sic)
    assert {job.contract for job in geiq.opportunities} == {"alternance"}
    bagard = by_siret[rows[13]["siret"]]  # an AI: no contract label, its usual contract
    assert [job.contract for job in bagard.opportunities] == ["mise-a-disposition"]
    genies = by_siret[rows[8]["siret"]]  # one of its two jobs is closed
    assert len(rows[8]["postes"]) == 2
    assert len(genies.opportunities) == 1
    assert genies.opportunities[0].rome_code == "N1105"


@pytest.mark.parametrize(
    ("label", "contract"),
    [
        ("CDD insertion", "cddi"),
        ("CDD d'insertion", "cddi"),
        ("CDD-I PHC", "phc"),
        ("CDD-I Premières heures en Chantier", "phc"),
        ("CDD-I CVG", "cvg"),
        ("CDI inclusion", "cdi-inclusion"),
        ("CDD Tremplin", "cdd-tremplin"),
        ("Contrat d'apprentissage", "alternance"),
        ("Contrat de mission intérimaire", "interim"),
        ("FIXED_TERM_I", "cddi"),
        ("FED_TERM_I_PHC", "phc"),
        ("Autre type de contrat", None),
        ("", None),
    ],
)
def test_contract_labels(label: str, contract: str | None) -> None:
    assert contract_of(label) == contract


def test_every_spelling_of_the_insertion_contract_in_an_api_page(
    communes: CommuneReference,
) -> None:
    """« CDD d'insertion » and its variants (case, accents, apostrophes, CDD-I, C.D.D.I.,
    spelled out) in a Les emplois API page: every job is a CDDI, none falls back."""
    path = FIXTURES / "emplois_siaes_contrats.json"
    labels = [
        p["type_contrat"] for p in json.loads(path.read_text("utf-8"))["results"][0]["postes"]
    ]
    result = read_siae(path, communes=communes)
    assert result.rejections == []
    (siae,) = result.records
    assert siae.partner.kind == "ei"
    assert len(siae.opportunities) == len(labels) == 14
    assert {job.contract for job in siae.opportunities} == {"cddi"}
    assert [contract_of(label) for label in labels] == ["cddi"] * 14


def test_one_page_of_several_is_read_as_incomplete(communes: CommuneReference) -> None:
    result = read_siae(PAGE_1, communes=communes)
    assert not result.complete
    assert "n'est qu'une page" in result.notes[0]
    assert len(result.records) == 20


def test_other_departements_are_skipped_before_validation(
    tmp_path: Path, communes: CommuneReference
) -> None:
    page = json.loads(PAGE_2.read_text(encoding="utf-8"))
    brest = {**page["results"][0], "siret": "", "type": "XYZ", "code_postal": "29200"}
    brest.update(ville="Brest", departement="29")
    page["results"].append(brest)
    page["count"] = len(page["results"])
    page["previous"] = None
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    assert 16 in read_siae(path, communes=communes).rejected_indexes  # invalid in any case
    result = read_siae(path, communes=communes, departements={"30"})
    assert 16 not in result.rejected_indexes
    assert result.skipped == 1
    assert result.total == 17


def test_an_unknown_town_says_what_the_file_wrote(
    tmp_path: Path, communes: CommuneReference
) -> None:
    page = json.loads(PAGE_2.read_text(encoding="utf-8"))
    page["results"] = [{**page["results"][0], "code_postal": "30190", "ville": "Nulle-Part"}]
    page.update(count=1, previous=None)
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    (rejection,) = read_siae(path, communes=communes).rejections
    assert rejection.field == "ville"
    assert "« 30190 » partagé par 17 communes et ville « Nulle-Part »" in rejection.reason
    (without,) = read_siae(path).rejections
    assert "aucune liste des communes" in without.reason
