"""Opportunities, relations, reference lists, health and the OpenAPI contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph import vocabulary
from service.partners.schemas import OpportunityOut, RelationOut
from service.tables import Partner
from tests.conftest import NIMES, bearer

JOB = {
    "title": "Employé·e libre-service",
    "kind": "emploi",
    "contract": "cddi",
    "rome_code": "d1507",
    "hours_per_week": {"min": 20, "max": 26},
    "schedule": "Mo-Sa 06:00-11:00",
    "places": 2,
    "requirements": {"requires_work_authorization": True, "min_french_level": "A2"},
}


def test_opportunity_lifecycle_and_editor_scope(
    client: TestClient,
    keys: dict[str, str],
    organisation: Partner,
    make_partner: Callable[..., Partner],
) -> None:
    editor = bearer(keys["editor"])
    created = client.post(
        "/v1/opportunities", json={**JOB, "partner_id": str(organisation.id)}, headers=editor
    )
    assert created.status_code == 201, created.text
    opp = OpportunityOut.model_validate(created.json())
    assert opp.rome_code == "D1507"
    assert opp.atypical_hours  # starts at 06:00
    assert opp.partner_name == organisation.name
    listed = client.get(f"/v1/partners/{organisation.id}/opportunities").json()
    assert [o["id"] for o in listed] == [str(opp.id)]
    page = client.get("/v1/opportunities", params={"rome_codes": "D1507", "with_places": True})
    assert page.json()["total"] == 1
    patched = client.patch(
        f"/v1/opportunities/{opp.id}", json={"places": 0, "schedule": None}, headers=editor
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["places"] == 0
    assert patched.json()["atypical_hours"] is False
    assert client.get("/v1/opportunities", params={"with_places": True}).json()["total"] == 0
    other = make_partner(name="Entreprise du Gard (fictif)", kind="entreprise", at=NIMES)
    refused = client.post(
        "/v1/opportunities", json={**JOB, "partner_id": str(other.id)}, headers=editor
    )
    assert refused.status_code == 403
    bad = client.post(
        "/v1/opportunities",
        json={**JOB, "partner_id": str(organisation.id), "hours_per_week": {"min": 30, "max": 20}},
        headers=editor,
    )
    assert bad.status_code == 422
    assert "heures minimal dépasse le maximal" in bad.text
    assert client.delete(f"/v1/opportunities/{opp.id}", headers=editor).status_code == 204
    assert client.get(f"/v1/opportunities/{opp.id}").status_code == 404


def test_unknown_opportunity_kind_in_query_is_422(client: TestClient) -> None:
    response = client.get("/v1/opportunities", params={"kinds": "emploi,stage-de-reve"})
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert message.startswith("kinds.1 : valeur inconnue (valeurs admises : 'emploi', ")
    assert "stage-de-reve" not in response.text


def test_relation_lifecycle(
    client: TestClient,
    keys: dict[str, str],
    organisation: Partner,
    make_partner: Callable[..., Partner],
) -> None:
    aci = make_partner(name="ACI du Gardon (fictif)", kind="aci")
    editor = bearer(keys["editor"])
    body = {
        "source_partner_id": str(organisation.id),
        "target_partner_id": str(aci.id),
        "kind": "oriente-vers",
        "since": "2024-03-01",
    }
    created = client.post("/v1/relations", json=body, headers=editor)
    assert created.status_code == 201, created.text
    relation = RelationOut.model_validate(created.json())
    assert (relation.source_name, relation.target_name) == (organisation.name, aci.name)
    both_ends = [
        client.get(f"/v1/partners/{p}/relations").json() for p in (organisation.id, aci.id)
    ]
    assert both_ends[0] == both_ends[1]
    assert client.post("/v1/relations", json=body, headers=editor).status_code == 409
    self_loop = {**body, "target_partner_id": str(organisation.id)}
    assert client.post("/v1/relations", json=self_loop, headers=editor).status_code == 409
    backwards = client.patch(
        f"/v1/relations/{relation.id}", json={"until": "2023-01-01"}, headers=editor
    )
    assert backwards.status_code == 422
    assert "la date de fin précède la date de début" in backwards.text
    # the ACI is not the editor's: it may not start relations from it
    reverse = {**body, "source_partner_id": str(aci.id), "target_partner_id": str(organisation.id)}
    assert client.post("/v1/relations", json=reverse, headers=editor).status_code == 403
    assert client.delete(f"/v1/relations/{relation.id}", headers=editor).status_code == 204
    # deleting a partner removes its relations and opportunities (cascade)
    again = client.post("/v1/relations", json=body, headers=bearer(keys["admin"])).json()
    assert client.delete(f"/v1/partners/{aci.id}", headers=bearer(keys["admin"])).status_code == 204
    assert client.get(f"/v1/relations/{again['id']}").status_code == 404


def test_reference_lists(client: TestClient) -> None:
    kinds = client.get("/v1/reference/kinds").json()
    families = {k["family"] for k in kinds}
    assert families == set(vocabulary.families())
    assert {
        "hebergement",
        "insertion-professionnelle",
        "employeurs-inclusifs",
        "remobilisation",
        "employeurs-ordinaires",
        "formation-langue",
        "mobilite",
        "garde-enfants",
        "sante",
        "acces-aux-droits",
        "institutions",
        "reseaux",
    } <= families
    by_code = {k["code"]: k for k in kinds}
    assert by_code["creches-avip"]["family"] == "garde-enfants"
    assert by_code["aci"]["data_inclusion"] is True
    assert by_code["phc"]["data_inclusion"] is False
    assert len(client.get("/v1/reference/thematiques").json()) == 69
    assert len(client.get("/v1/reference/publics").json()) == 14
    assert client.get("/v1/reference/families").json()[0]["label"]
    assert {c["code"] for c in client.get("/v1/reference/contracts").json()} >= {"cddi", "pmsmp"}


def test_health_reports_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_openapi_is_french_and_documents_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/health",
        "/v1/partners",
        "/v1/partners/{partner_id}",
        "/v1/partners/{partner_id}/opportunities",
        "/v1/partners/{partner_id}/relations",
        "/v1/opportunities",
        "/v1/opportunities/{opportunity_id}",
        "/v1/relations",
        "/v1/relations/{relation_id}",
        "/v1/reference/kinds",
        "/v1/reference/thematiques",
        "/v1/reference/publics",
    } <= paths
    params = {p["name"]: p for p in spec["paths"]["/v1/partners"]["get"]["parameters"]}
    assert set(params) >= {"lat", "lon", "radius_km", "kinds", "q", "page", "size"}
    assert params["radius_km"]["schema"]["anyOf"][0]["maximum"] == 200
    assert "kilomètres" in params["radius_km"]["description"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "mlg_sans_schema"])
def test_malformed_authorization_is_401(client: TestClient, header: str) -> None:
    response = client.post("/v1/partners", json={}, headers={"Authorization": header})
    assert response.status_code == 401
    assert "Authorization" in response.json()["detail"]


def test_revoked_key_is_refused(client: TestClient, db: Any, keys: dict[str, str]) -> None:
    from service.auth import authenticate, hash_key, revoke_api_key
    from service.tables import ApiKey

    row = db.query(ApiKey).filter_by(key_hash=hash_key(keys["admin"])).one()
    assert authenticate(db, f"Bearer {keys['admin']}") is not None
    revoke_api_key(db, row.id)
    db.flush()
    response = client.delete(
        "/v1/partners/00000000-0000-0000-0000-000000000000", headers=bearer(keys["admin"])
    )
    assert response.status_code == 401
    assert "révoquée" in response.json()["detail"]
