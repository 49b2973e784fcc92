"""Name conflicts on merged partners: an official register's name (FINESS, Les emplois) wins
over a service directory's (data·inclusion), which is kept as an alias — stored, shown by the
API and found by its text search. Files in the official formats (`tests/geodata/sources/fixtures`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from geodata.sources.communes import CommuneReference
from geodata.sources.data_inclusion import read_data_inclusion
from geodata.sources.finess import read_finess
from geodata.sources.siae import read_siae
from service.imports.report import ImportReport
from service.imports.sources import import_source
from service.partners.schemas import PartnerDetail
from service.tables import Partner, Provenance
from tests.geodata.sources import CENTROIDS, FIXTURES

CHRS_FINESS = "300000011"  # « CHRS Le Mas du Gardon - Alès » in Soliguide's record
OFFICIAL = "CENTRE D'HEBERGEMENT ET DE REINSERTION SOCIALE LE MAS DU GARDON"
DIRECTORY = "CHRS Le Mas du Gardon - Alès"


def _load(db: Session, source: str) -> ImportReport:
    if source == "finess":
        result = read_finess(FIXTURES / "finess_gard.csv", commune_centroids=CENTROIDS)
    else:
        result = read_data_inclusion(
            FIXTURES / "data_inclusion_gard.jsonl", commune_centroids=CENTROIDS
        )
    report = import_source(db, result, source=source, partial=True)  # fixtures: bad rows too
    db.flush()
    return report


def _partner(db: Session, source: str, source_id: str) -> Partner:
    return db.scalars(
        select(Partner)
        .join(Provenance, Provenance.partner_id == Partner.id)
        .where(Provenance.source == source, Provenance.source_id == source_id)
    ).one()


@pytest.mark.parametrize("order", [("finess", "data-inclusion"), ("data-inclusion", "finess")])
def test_finess_names_the_chrs_and_soliguide_name_is_an_alias(
    db: Session, client: TestClient, order: tuple[str, str]
) -> None:
    for source in order:
        _load(db, source)
    chrs = _partner(db, "finess", CHRS_FINESS)
    assert chrs is _partner(db, "soliguide", "soliguide--mas-du-gardon")
    assert chrs.name == OFFICIAL
    assert chrs.aliases == [DIRECTORY]

    detail = PartnerDetail.model_validate(client.get(f"/v1/partners/{chrs.id}").json())
    assert detail.name == OFFICIAL
    assert detail.aliases == [DIRECTORY]
    # the directory's words find it: « CHRS » is only in Soliguide's name
    found = client.get("/v1/partners", params={"q": "chrs gardon ales"}).json()["items"]
    assert [(item["id"], item["aliases"]) for item in found] == [(str(chrs.id), [DIRECTORY])]
    # same spelling in both sources (« ESAT LES ATELIERS DU GARDON »): no alias
    esat = _partner(db, "finess", "300000029")
    assert esat.name == "ESAT LES ATELIERS DU GARDON"
    assert esat.aliases == []


def test_a_reimport_keeps_names_and_aliases_unchanged(db: Session) -> None:
    _load(db, "finess")
    _load(db, "data-inclusion")
    again = _load(db, "data-inclusion")
    assert again.updated == 0
    chrs = _partner(db, "finess", CHRS_FINESS)
    assert (chrs.name, chrs.aliases) == (OFFICIAL, [DIRECTORY])


def test_a_partner_left_by_its_register_takes_back_the_directory_name(
    db: Session, tmp_path: Path
) -> None:
    _load(db, "finess")
    _load(db, "data-inclusion")
    lines = (FIXTURES / "finess_gard.csv").read_bytes().decode("cp1252").split("\r\n")
    kept = [line for line in lines if f";{CHRS_FINESS};" not in line]
    path = tmp_path / "finess-sans-chrs.csv"
    path.write_bytes("\r\n".join(kept).encode("cp1252"))
    import_source(db, read_finess(path, commune_centroids=CENTROIDS), source="finess", partial=True)
    db.flush()
    chrs = _partner(db, "soliguide", "soliguide--mas-du-gardon")
    assert chrs.status == "open"  # Soliguide still lists it
    assert (chrs.name, chrs.aliases) == (DIRECTORY, [])


def test_les_emplois_names_the_siae_over_a_directory(db: Session, tmp_path: Path) -> None:
    """An SIAE of the Les emplois API page and the same structure (same SIRET) in a
    data·inclusion structures file: the SIAE's name wins, the directory's is an alias."""
    communes = CommuneReference.national()
    structures = tmp_path / "structures.json"
    structures.write_text(
        json.dumps(
            [
                {
                    "source": "dora",
                    "id": "dora--jardins-chantier-ales",
                    "nom": "Les jardins du chantier d'Alès (fictif)",
                    "siret": "84909340666214",  # « Chantier Alès (fictif) », page 1
                    "date_maj": "2025-11-02",
                    "reseaux_porteurs": [],
                    "typologie": "ACI",
                    "adresse": "1 rue de la République",
                    "code_postal": "30100",
                    "commune": "Alès",
                    "code_insee": "30007",
                    "latitude": 44.1275,
                    "longitude": 4.0832,
                    "telephone": "04 65 71 00 01",
                    "horaires_accueil": "Mo-Fr 08:30-17:00",
                }
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    siae = read_siae(FIXTURES / "emplois_siaes_30_page1.json", communes=communes)
    import_source(db, siae, source="siae", partial=True, close_missing=False)
    report = import_source(
        db,
        read_data_inclusion(structures, communes=communes),
        source="data-inclusion",
        partial=True,
    )
    db.flush()
    assert report.merged == 1
    partner = _partner(db, "dora", "dora--jardins-chantier-ales")
    assert partner is _partner(db, "emplois-siae", "84909340666214-ACI")
    assert partner.name == "Chantier Alès (fictif)"
    assert partner.aliases == ["Les jardins du chantier d'Alès (fictif)"]
    # the directory's precise point and hours are kept: only the name is the register's
    assert partner.source == "dora"
    assert partner.opening_hours == "Mo-Fr 08:30-17:00"
