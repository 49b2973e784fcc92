"""data·inclusion v1: structures and services in (JSON Lines, JSON, API pages), structures out."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from geodata.sources.common import ReadResult, SourceFormatError
from geodata.sources.communes import CommuneReference
from geodata.sources.data_inclusion import (
    STRUCTURE_REQUIRED,
    DataInclusionExportError,
    iter_items,
    load_items,
    parse_data_inclusion,
    read_data_inclusion,
    to_data_inclusion,
)
from geodata.sources.finess import read_finess
from graph import vocabulary
from graph.models import PartnerFields
from tests.geodata.sources import CENTROIDS, FIXTURES, shared

GARD = FIXTURES / "data_inclusion_gard.jsonl"
TEN_BAD = FIXTURES / "data_inclusion_10_bad.jsonl"


@pytest.fixture(scope="module")
def result() -> ReadResult:
    return read_data_inclusion(GARD, commune_centroids=CENTROIDS)


def test_structures_keep_their_producer_as_provenance(result: ReadResult) -> None:
    provenance = {record.source_id: record.provenance for record in result.records}
    assert provenance == {
        "dora--esat-ateliers-gardon": "dora",
        "soliguide--mas-du-gardon": "soliguide",
        "dora--ft-ales-avene": "dora",
        "monenfant--petits-pas": "monenfant",
        "dora--mission-locale-ales": "dora",
        "dora--ccas-ajaccio": "dora",
    }
    assert all(record.partner.source == record.provenance for record in result.records)


def test_reseaux_porteurs_give_the_kind(result: ReadResult) -> None:
    kinds = {record.source_id: record.partner.kind for record in result.records}
    assert kinds["soliguide--mas-du-gardon"] == "chrs"  # before the FAS network
    assert kinds["dora--ccas-ajaccio"] == "ccas-cias"  # before "communes"
    assert kinds["monenfant--petits-pas"] == "creches-avip"


def test_services_give_thematiques_publics_and_places(result: ReadResult) -> None:
    by_id = {record.source_id: record for record in result.records}
    esat = by_id["dora--esat-ateliers-gardon"]
    assert esat.partner.thematiques == [
        "se-former--trouver-sa-formation",
        "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
    ]
    assert esat.partner.publics == ["personnes-en-situation-de-handicap"]
    (training,) = esat.opportunities
    assert (training.kind, training.contract, training.source_id) == (
        "formation",
        "formation",
        "dora--sv-formation-espaces-verts",
    )
    assert training.hours_per_week is not None
    assert training.hours_per_week.min == 24
    (workshop,) = by_id["soliguide--mas-du-gardon"].opportunities
    assert workshop.kind == "programme"
    assert workshop.description is not None
    assert "8 semaine(s)" in workshop.description
    agency = by_id["dora--ft-ales-avene"]
    assert agency.opportunities == ()  # information, and a remote-only training
    assert "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation" in (
        agency.partner.thematiques
    )
    assert any("foo--bar" in note for note in agency.extra["notes"])


def test_points_hours_and_codes_are_repaired(result: ReadResult) -> None:
    by_id = {record.source_id: record for record in result.records}
    creche = by_id["monenfant--petits-pas"]
    assert (creche.partner.lon, creche.partner.lat, creche.geocoding) == (
        *CENTROIDS["30189"],
        "commune",
    )
    assert creche.partner.opening_hours == "Mo-Fr 07:30-18:30"
    mission_locale = by_id["dora--mission-locale-ales"]
    assert mission_locale.geocoding == "swapped"
    assert (mission_locale.partner.lon, mission_locale.partner.lat) == (4.0812, 44.1260)
    assert by_id["dora--ccas-ajaccio"].partner.code_insee == "2A004"
    assert str(by_id["dora--esat-ateliers-gardon"].updated_on) == "2025-10-12"


def test_rejections_of_the_fixture(result: ReadResult) -> None:
    reasons = {rejection.index: rejection.reason for rejection in result.rejections}
    assert set(reasons) == {6, 7, 12, 13}
    assert "aucun réseau porteur" in reasons[6]
    assert reasons[7].startswith("ligne JSON invalide")
    assert "structure_id inconnu" in reasons[12]
    assert "structure refusée" in reasons[13]


def test_default_kind_accepts_structures_without_network() -> None:
    result = read_data_inclusion(GARD, commune_centroids=CENTROIDS, default_kind="ccas-cias")
    assert "dora--association-sans-reseau" in {record.source_id for record in result.records}


def test_a_file_with_10_bad_rows_reports_all_10_in_french() -> None:
    result = read_data_inclusion(TEN_BAD)
    assert [record.source_id for record in result.records] == ["dora--bon-1", "dora--bon-2"]
    by_index = {rejection.index: rejection for rejection in result.rejections}
    assert len(result.rejections) == 10
    assert sorted(by_index) == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]
    expected = {
        1: "ligne JSON invalide",
        2: "objet JSON attendu",
        3: "champ obligatoire (identifiant data·inclusion de la structure)",
        4: "champ obligatoire (producteur d'origine",
        5: "aucun réseau porteur ne correspond à un type d'acteur de maillage",
        7: "SIRET invalide : la clé de contrôle (Luhn) ne correspond pas",
        8: "code INSEE invalide",
        9: "coordonnées absentes ou nulles (0, 0) et commune inconnue",
        10: "coordonnées hors de France (13.4, 52.52)",
        11: "texte trop court",
    }
    for index, fragment in expected.items():
        assert fragment in by_index[index].reason, (index, by_index[index].reason)


def test_json_array_and_api_page_shapes(tmp_path: Path) -> None:
    items = [json.loads(line) for line in GARD.read_text(encoding="utf-8").splitlines()[:3]]
    array = tmp_path / "structures.json"
    array.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8-sig")  # with BOM
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"items": items, "total": 3, "page": 1, "size": 3}), "utf-8")
    assert len(load_items(array)) == len(load_items(page)) == 3
    assert len(read_data_inclusion(array).records) == 3


def test_separate_services_file(tmp_path: Path) -> None:
    lines = GARD.read_text(encoding="utf-8").splitlines()
    structures, services = tmp_path / "structures.jsonl", tmp_path / "services.jsonl"
    structures.write_text("\n".join(lines[:7]), encoding="utf-8")
    services.write_text("\n".join(lines[8:]), encoding="utf-8")
    result = read_data_inclusion(structures, services, commune_centroids=CENTROIDS)
    esat = next(r for r in result.records if r.source_id == "dora--esat-ateliers-gardon")
    assert len(esat.opportunities) == 1


def test_parse_refuses_an_unknown_default_kind() -> None:
    with pytest.raises(ValueError, match="type d’acteur inconnu"):
        parse_data_inclusion([], default_kind="bistrot")


# --- writer ----------------------------------------------------------------------------------


def _violations(value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """The constraints of a (small subset of) JSON Schema that ``value`` breaks."""
    if "$ref" in schema:
        return _violations(value, defs[schema["$ref"].split("/")[-1]], defs)
    if "anyOf" in schema:
        options = [_violations(value, option, defs) for option in schema["anyOf"]]
        return (
            [] if any(not found for found in options) else [f"aucune forme ne convient : {value!r}"]
        )
    kinds: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "number": (int, float),
        "integer": int,
        "array": list,
        "null": type(None),
        "object": dict,
    }
    if "type" in schema and not isinstance(value, kinds[schema["type"]]):
        return [f"type {schema['type']} attendu : {value!r}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"valeur hors liste : {value!r}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
            problems.append(f"longueur hors bornes : {value!r}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"motif non respecté : {value!r}")
    if isinstance(value, list):
        if schema.get("uniqueItems") and len(set(map(str, value))) != len(value):
            problems.append("éléments en double")
        for item in value:
            problems += _violations(item, schema.get("items", {}), defs)
    return problems


def test_writer_output_validates_against_the_v1_structure_schema(result: ReadResult) -> None:
    schema = json.loads(shared("schema/data-inclusion/v1/structure.json").read_text("utf-8"))
    assert tuple(schema["required"]) == STRUCTURE_REQUIRED
    finess = read_finess(FIXTURES / "finess_gard.csv", commune_centroids=CENTROIDS)
    partners = [record.partner for record in [*result.records, *finess.records]]
    structures = to_data_inclusion(partners, date_maj=dt.date(2026, 1, 15))
    assert len(structures) == len(partners)
    for structure in structures:
        for key in schema["required"]:
            assert structure.get(key), (key, structure)
        assert set(structure) <= set(schema["properties"])
        for key, value in structure.items():
            problems = _violations(value, schema["properties"][key], schema["$defs"])
            assert problems == [], (key, problems)
    esat = next(s for s in structures if s["nom"] == "ESAT Les Ateliers du Gardon")
    assert esat["id"] == "maillage--dora--dora--esat-ateliers-gardon"
    assert esat["reseaux_porteurs"] == ["esat"]
    assert esat["date_maj"] == "2026-01-15"
    pension = next(s for s in structures if s["reseaux_porteurs"] is None)
    assert "PENSION" in pension["nom"]  # pension-de-famille is maillage's own kind


def test_every_data_inclusion_kind_is_a_v1_reseau_porteur() -> None:
    schema = json.loads(shared("schema/data-inclusion/v1/structure.json").read_text("utf-8"))
    enum = set(schema["$defs"]["ReseauPorteur"]["enum"])
    flagged = {code for code, kind in vocabulary.kinds().items() if kind.data_inclusion}
    assert flagged <= enum


def test_writer_refuses_partners_it_cannot_identify() -> None:
    partners = [
        PartnerFields(name="CHRS sans identifiant", kind="chrs", lon=4.08, lat=44.12),
        PartnerFields(name="AB", kind="chrs", lon=4.08, lat=44.12, source_id="ab"),
    ]
    with pytest.raises(DataInclusionExportError) as error:
        to_data_inclusion(partners, date_maj=dt.date(2026, 1, 15))
    assert [index for index, _ in error.value.problems] == [0, 1]
    assert "source_id manquant" in str(error.value)
    assert "nom trop court" in str(error.value)
    (structure,) = to_data_inclusion(partners[:1], date_maj=dt.date(2026, 1, 15), ids=["42"])
    assert structure["id"] == "maillage--42"


def test_writer_shortens_long_names_and_final_dots() -> None:
    (structure,) = to_data_inclusion(
        [PartnerFields(name="A" * 200 + ".", kind="chrs", lon=4.08, lat=44.12, source_id="x")],
        date_maj=dt.date(2026, 1, 15),
    )
    assert len(structure["nom"]) == 150
    assert structure["nom"].endswith("…")


# --- national files, streamed ----------------------------------------------------------------

FRANCE_STRUCTURES = FIXTURES / "data_inclusion_france_structures.json"
FRANCE_SERVICES = FIXTURES / "data_inclusion_france_services.json"


def test_items_are_streamed_one_at_a_time(tmp_path: Path) -> None:
    items = iter_items(FRANCE_STRUCTURES)
    assert next(items)["id"] == "dora--chrs-brest"  # an iterator, not a list
    broken = tmp_path / "coupé.json"
    text = FRANCE_STRUCTURES.read_text(encoding="utf-8")
    broken.write_text(text[: len(text) // 2], encoding="utf-8")
    read = iter_items(broken)
    assert next(read)["id"] == "dora--chrs-brest"  # what comes before the break is read
    with pytest.raises(SourceFormatError, match="tableau JSON invalide"):
        list(read)
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"total": 8, "items": json.loads(text)}, indent=1), "utf-8")
    assert [i["id"] for i in iter_items(page)] == [i["id"] for i in json.loads(text)]


def test_other_departements_are_skipped_before_validation_with_their_services() -> None:
    communes = CommuneReference.national()
    whole = read_data_inclusion(FRANCE_STRUCTURES, FRANCE_SERVICES, communes=communes)
    assert "dora--chrs-brest" in {record.source_id for record in whole.records}
    assert not any("commune" in rejection.reason for rejection in whole.rejections)
    gard = read_data_inclusion(
        FRANCE_STRUCTURES, FRANCE_SERVICES, communes=communes, departements={"30"}
    )
    # Brest, Marseille, Lille and their services: out of scope, never validated
    assert gard.skipped == 3 + 2
    assert {record.partner.code_insee for record in gard.records} <= {
        "30007",
        "30028",
        "30032",
        "30189",
    }
    assert all(rejection.index not in {0, 1, 7, 8, 13} for rejection in gard.rejections)
