"""The partner API on a real PostGIS: search by distance, filters, bounds, CRUD and roles."""

from __future__ import annotations

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.partners.schemas import Page, PartnerDetail, PartnerSummary
from tests.conftest import ALES, NIMES, bearer

# A few points around Alès (lon, lat), at known bearings from the town hall.
ALES_NORTH_2KM = (4.0810, 44.1430)
ALES_EAST_5KM = (4.1437, 44.1250)
SAINT_CHRISTOL = (4.0770, 44.0290)  # ~10.7 km south


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@pytest.fixture
def around_ales(make_partner: Any) -> dict[str, Any]:
    return {
        "chrs": make_partner(name="CHRS du Gardon (fictif)", kind="chrs", at=ALES),
        "aci": make_partner(
            name="Chantier des Cévennes (fictif)",
            kind="aci",
            at=ALES_NORTH_2KM,
            thematiques=["trouver-un-emploi--repondre-a-des-offres-demploi"],
        ),
        "creche": make_partner(
            name="Crèche Les Lucioles (fictif)",
            kind="creches-avip",
            at=ALES_EAST_5KM,
            capacity=30,
            available_places=3,
            publics=["familles"],
        ),
        "far": make_partner(name="Mission locale (fictif)", kind="mission-locale", at=NIMES),
        "south": make_partner(
            name="Plateforme mobilité (fictif)", kind="plateforme-mobilite", at=SAINT_CHRISTOL
        ),
    }


def test_search_around_a_point_is_sorted_by_straight_line_distance(
    client: TestClient, around_ales: dict[str, Any]
) -> None:
    response = client.get("/v1/partners", params={"lat": ALES[1], "lon": ALES[0], "radius_km": 10})
    assert response.status_code == 200
    page = Page[PartnerSummary].model_validate(response.json())
    names = [p.name for p in page.items]
    assert names == [
        "CHRS du Gardon (fictif)",
        "Chantier des Cévennes (fictif)",
        "Crèche Les Lucioles (fictif)",
    ]
    assert page.total == 3
    distances = [p.distance_m or 0.0 for p in page.items]
    assert distances == sorted(distances)
    # geography distances agree with a haversine to within 0.5 %
    for item, point in zip(page.items, (ALES, ALES_NORTH_2KM, ALES_EAST_5KM), strict=True):
        expected = haversine_m(ALES, point)
        assert item.distance_m == pytest.approx(expected, rel=5e-3, abs=1.0)
    assert page.items[0].lat == pytest.approx(ALES[1])
    assert page.items[0].family == "hebergement"


def test_radius_grows_to_include_farther_partners(
    client: TestClient, around_ales: dict[str, Any]
) -> None:
    near = client.get("/v1/partners", params={"lat": ALES[1], "lon": ALES[0], "radius_km": 11})
    assert [p["name"] for p in near.json()["items"]][-1] == "Plateforme mobilité (fictif)"
    everywhere = client.get("/v1/partners", params={"lat": ALES[1], "lon": ALES[0]})
    assert everywhere.json()["total"] == 5
    assert everywhere.json()["items"][-1]["name"] == "Mission locale (fictif)"


def test_filters_by_kind_family_thematique_public_and_text(
    client: TestClient, around_ales: dict[str, Any]
) -> None:
    def names(**params: Any) -> list[str]:
        response = client.get("/v1/partners", params=params)
        assert response.status_code == 200, response.text
        return sorted(p["name"] for p in response.json()["items"])

    assert names(kinds="aci,chrs") == ["CHRS du Gardon (fictif)", "Chantier des Cévennes (fictif)"]
    assert names(kinds=["aci", "chrs"]) == names(kinds="aci,chrs")
    assert names(families="garde-enfants") == ["Crèche Les Lucioles (fictif)"]
    assert names(thematiques="trouver-un-emploi--repondre-a-des-offres-demploi") == [
        "Chantier des Cévennes (fictif)"
    ]
    assert names(publics="familles") == ["Crèche Les Lucioles (fictif)"]
    assert names(q="creche lucioles") == ["Crèche Les Lucioles (fictif)"]  # accents ignored
    assert names(q="100%_") == []  # LIKE wildcards are literal


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"kinds": ""}, "kinds.0"),
        ({"kinds": "aci,"}, "kinds.1"),
        ({"families": " "}, "families.0"),
        ({"publics": "familles,,jeunes"}, "publics"),  # positions are in the message
        ({"kinds": "ACI"}, "kinds.0"),  # codes are exact, as the schema's enum says
    ],
)
def test_an_empty_or_unknown_code_in_a_list_is_refused_where_it_is(
    client: TestClient, params: dict[str, str], where: str
) -> None:
    response = client.get("/v1/partners", params=params)
    assert response.status_code == 422, response.text
    assert [issue["msg"].split(" : ")[0] for issue in response.json()["detail"]] == [where]


def test_pagination(client: TestClient, around_ales: dict[str, Any]) -> None:
    first = client.get("/v1/partners", params={"size": 2, "page": 1}).json()
    third = client.get("/v1/partners", params={"size": 2, "page": 3}).json()
    assert (first["total"], first["page"], first["size"]) == (5, 1, 2)
    assert len(first["items"]) == 2
    assert len(third["items"]) == 1


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"lat": 999, "lon": 4}, "lat : doit être inférieur ou égal à 90"),
        ({"lat": "NaN", "lon": 4}, "lat : nombre fini attendu"),
        ({"lat": 44, "lon": "inf"}, "lon : nombre fini attendu"),
        ({"lat": 44, "lon": 4, "radius_km": 500}, "radius_km : doit être inférieur ou égal à 200"),
        ({"lat": 44}, "lat et lon vont ensemble"),
        ({"radius_km": 5}, "radius_km demande un point"),
        ({"size": 1000}, "size : doit être inférieur ou égal à 100"),
        ({"page": 0}, "page : doit être supérieur ou égal à 1"),
        ({"kinds": "chrs,licorne"}, "type d’acteur inconnu"),
        ({"thematiques": "nimporte-quoi"}, "thématique inconnue en position 0"),
        ({"lat": "abc", "lon": 4}, "lat : nombre attendu"),
        ({"colour": "blue"}, "champ inconnu"),
    ],
)
def test_bad_query_parameters_get_422_in_french(
    client: TestClient, params: dict[str, Any], fragment: str
) -> None:
    response = client.get("/v1/partners", params=params)
    assert response.status_code == 422
    messages = " | ".join(d["msg"] for d in response.json()["detail"])
    assert fragment in messages


def test_read_partner_and_unknown_ids(client: TestClient, around_ales: dict[str, Any]) -> None:
    creche = around_ales["creche"]
    response = client.get(f"/v1/partners/{creche.id}")
    assert response.status_code == 200
    detail = PartnerDetail.model_validate(response.json())
    assert (detail.capacity, detail.available_places) == (30, 3)
    assert detail.family == "garde-enfants"
    missing = client.get("/v1/partners/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("Partenaire introuvable")
    malformed = client.get("/v1/partners/pas-un-uuid")
    assert malformed.status_code == 422
    assert "identifiant (UUID) invalide" in malformed.json()["detail"][0]["msg"]
    assert client.get("/v1/nulle-part").json() == {"detail": "Ressource introuvable."}


NEW_PARTNER = {
    "name": "Garage solidaire du Gardon (fictif)",
    "kind": "garage-solidaire",
    "lon": 4.09,
    "lat": 44.13,
    "siret": "73282932000074",
    "code_insee": "30007",
    "opening_hours": "Mo-Fr 08:00-12:00,14:00-18:00",
    "thematiques": ["mobilite--entretenir-reparer-son-vehicule"],
    "contact": {"phone": "+33 4 99 00 12 34", "email": "garage@example.org"},
}


def test_writes_need_a_key_and_a_role_that_may_write(
    client: TestClient, keys: dict[str, str], around_ales: dict[str, Any]
) -> None:
    anonymous = client.post("/v1/partners", json=NEW_PARTNER)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "clé d'API" in anonymous.json()["detail"]
    for role in ("viewer", "platform"):
        response = client.post("/v1/partners", json=NEW_PARTNER, headers=bearer(keys[role]))
        assert response.status_code == 403, role
        assert "Accès refusé" in response.json()["detail"]
    wrong = client.post("/v1/partners", json=NEW_PARTNER, headers=bearer("mlg_inconnue"))
    assert wrong.status_code == 401
    target = around_ales["aci"].id
    assert client.patch(f"/v1/partners/{target}", json={"capacity": 3}).status_code == 401
    assert (
        client.delete(f"/v1/partners/{target}", headers=bearer(keys["viewer"])).status_code == 403
    )


def test_admin_creates_updates_and_deletes_a_partner(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = bearer(keys["admin"])
    created = client.post("/v1/partners", json=NEW_PARTNER, headers=admin)
    assert created.status_code == 201, created.text
    body = PartnerDetail.model_validate(created.json())
    assert body.family == "mobilite"
    assert body.source == "maillage"
    assert body.source_id == str(body.id)
    patched = client.patch(
        f"/v1/partners/{body.id}", json={"available_places": 2, "capacity": 4}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["capacity"], patched.json()["available_places"]) == (4, 2)
    assert patched.json()["updated_at"] >= body.updated_at.isoformat()
    conflict = client.patch(f"/v1/partners/{body.id}", json={"capacity": 1}, headers=admin)
    assert conflict.status_code == 422
    assert "les places disponibles dépassent la capacité" in conflict.text
    assert client.delete(f"/v1/partners/{body.id}", headers=admin).status_code == 204
    assert client.get(f"/v1/partners/{body.id}").status_code == 404


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"siret": "73282932000075"}, "SIRET invalide"),
        ({"kind": "licorne"}, "kind : type d’acteur inconnu"),
        ({"opening_hours": "lundi 9h-12h"}, "horaires invalides"),
        ({"thematiques": ["inconnue"]}, "thematiques : thématique inconnue en position 0"),
        ({"lat": 91}, "lat : doit être inférieur ou égal à 90"),
        ({"lat": True}, "lat : nombre attendu"),
        ({"lat": "44.1"}, "lat : nombre attendu"),
        ({"lon": 0, "lat": 0}, "lon, lat : point hors de France"),
        ({"organisation_id": "pas-un-uuid"}, "organisation_id : identifiant (UUID) invalide"),
        ({"capacity": True}, "capacity : nombre entier attendu"),
        ({"code_insee": "3007"}, "code_insee"),
        ({"eligibility": {"min_french_level": "Z9"}}, "eligibility.min_french_level"),
        ({"contact": {"email": "pas-un-courriel"}}, "adresse électronique invalide"),
        ({"unknown_field": 1}, "champ inconnu"),
        ({"contact": {"fax": "04"}}, "contact : champ inconnu"),
    ],
)
def test_invalid_partner_bodies_get_422_in_french(
    client: TestClient, keys: dict[str, str], change: dict[str, Any], fragment: str
) -> None:
    response = client.post(
        "/v1/partners", json={**NEW_PARTNER, **change}, headers=bearer(keys["admin"])
    )
    assert response.status_code == 422
    assert fragment in " | ".join(d["msg"] for d in response.json()["detail"])


def test_duplicate_provenance_is_a_409(client: TestClient, keys: dict[str, str]) -> None:
    body = {**NEW_PARTNER, "source": "dora", "source_id": "abc"}
    assert client.post("/v1/partners", json=body, headers=bearer(keys["admin"])).status_code == 201
    again = client.post("/v1/partners", json=body, headers=bearer(keys["admin"]))
    assert again.status_code == 409
    assert "existe déjà" in again.json()["detail"]


def test_editor_writes_only_its_organisation(
    client: TestClient, keys: dict[str, str], organisation: Any, around_ales: dict[str, Any]
) -> None:
    editor = bearer(keys["editor"])
    created = client.post("/v1/partners", json=NEW_PARTNER, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["organisation_id"] == str(organisation.id)
    own = client.patch(f"/v1/partners/{organisation.id}", json={"capacity": 40}, headers=editor)
    assert own.status_code == 200
    other = client.patch(
        f"/v1/partners/{around_ales['aci'].id}", json={"capacity": 4}, headers=editor
    )
    assert other.status_code == 403
    assert "organisation" in other.json()["detail"]
    foreign = client.post(
        "/v1/partners",
        json={**NEW_PARTNER, "organisation_id": str(around_ales["aci"].id)},
        headers=editor,
    )
    assert foreign.status_code == 403
