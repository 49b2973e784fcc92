"""Provenances fed by importers are reserved: an editor can neither claim one for a fiche of
its own nor change an official fiche that an import wrote; administrators and imports can."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from geodata.sources import provenances
from geodata.sources.finess import read_finess
from service.auth import create_api_key
from service.imports.sources import import_source
from service.tables import Partner, Provenance
from tests.conftest import bearer
from tests.geodata.sources import CENTROIDS, FIXTURES

NEW = {"name": "Atelier vélo (fictif)", "kind": "aci", "lon": 4.08, "lat": 44.12}


def finess_import(db: Session) -> list[Partner]:
    """The FINESS fixture imported as the admin's command does (partial: it has bad rows)."""
    result = read_finess(FIXTURES / "finess_gard.csv", commune_centroids=CENTROIDS)
    assert import_source(db, result, source="finess", partial=True).applied
    db.flush()
    partners = db.query(Partner).filter(Partner.source == provenances.FINESS).all()
    assert partners
    return partners


def editor_of(db: Session, organisation: Partner) -> dict[str, str]:
    key, _ = create_api_key(db, role="editor", organisation_id=organisation.id)
    db.flush()
    return bearer(key)


@pytest.mark.parametrize("source", ["finess", "emplois-siae", "dora", "soliguide", "demo"])
def test_an_editor_cannot_claim_a_reserved_provenance(
    client: TestClient, keys: dict[str, str], source: str
) -> None:
    claimed = {**NEW, "source": source, "source_id": "010000001"}
    answer = client.post("/v1/partners", json=claimed, headers=bearer(keys["editor"]))
    assert answer.status_code == 403
    assert "réservée aux imports" in answer.json()["detail"]
    assert source not in answer.json()["detail"]  # the rule is named, not the value
    admin = client.post("/v1/partners", json=claimed, headers=bearer(keys["admin"]))
    assert admin.status_code == 201, admin.text


def test_an_editor_writes_under_its_own_provenance_and_cannot_switch_to_a_reserved_one(
    client: TestClient, keys: dict[str, str]
) -> None:
    own = client.post(
        "/v1/partners", json={**NEW, "source": "garrigue"}, headers=bearer(keys["editor"])
    )
    assert own.status_code == 201, own.text
    plain = client.post("/v1/partners", json=NEW, headers=bearer(keys["editor"]))
    assert plain.json()["source"] == provenances.MAILLAGE
    target = plain.json()["id"]
    switched = client.patch(
        f"/v1/partners/{target}", json={"source": "finess"}, headers=bearer(keys["editor"])
    )
    assert switched.status_code == 403
    kept = client.patch(
        f"/v1/partners/{target}",
        json={"source": "maillage", "capacity": 4},
        headers=bearer(keys["editor"]),
    )
    assert kept.status_code == 200, kept.text


def test_after_an_import_an_editor_cannot_change_the_official_fiche(
    client: TestClient, db: Session, keys: dict[str, str]
) -> None:
    """The issue's case: a FINESS fiche of the editor's own organisation stays the import's."""
    official, *_ = finess_import(db)
    editor = editor_of(db, official)
    patched = client.patch(f"/v1/partners/{official.id}", json={"capacity": 3}, headers=editor)
    assert patched.status_code == 403
    assert "source officielle" in patched.json()["detail"]
    assert client.delete(f"/v1/partners/{official.id}", headers=editor).status_code == 403
    # what the organisation offers stays its own to write
    offer = {"partner_id": str(official.id), "title": "Agent d'entretien", "kind": "emploi"}
    created = client.post("/v1/opportunities", json=offer, headers=editor)
    assert created.status_code == 201, created.text
    admin = client.patch(
        f"/v1/partners/{official.id}", json={"capacity": 3}, headers=bearer(keys["admin"])
    )
    assert admin.status_code == 200, admin.text


def test_a_fiche_an_import_joined_becomes_official(
    client: TestClient, db: Session, keys: dict[str, str], organisation: Partner
) -> None:
    """A fiche of maillage that a source also lists (one partner, two provenances)."""
    mine: dict[str, Any] = client.post(
        "/v1/partners", json=NEW, headers=bearer(keys["editor"])
    ).json()
    row = db.get(Partner, mine["id"])
    assert row is not None
    assert client.patch(
        f"/v1/partners/{row.id}", json={"capacity": 5}, headers=bearer(keys["editor"])
    ).is_success
    db.add(Provenance(partner=row, source=provenances.SIAE, source_id="siae-42"))
    db.flush()
    db.expire(row)
    refused = client.patch(
        f"/v1/partners/{row.id}", json={"capacity": 6}, headers=bearer(keys["editor"])
    )
    assert refused.status_code == 403


def test_the_demo_fiches_stay_editable_by_their_organisation(
    client: TestClient, db: Session, make_partner: Any
) -> None:
    demo = make_partner(name="Garage solidaire (fictif)", kind="garage-solidaire", source="demo")
    editor = editor_of(db, demo)
    answer = client.patch(f"/v1/partners/{demo.id}", json={"capacity": 2}, headers=editor)
    assert answer.status_code == 200, answer.text
    assert answer.json()["source"] == provenances.DEMO
