"""Bad input at the boundary: every one of these once answered 500 (or was stored as a
mistake); each must now be a 422 in French that names the field and the rule."""

from __future__ import annotations

import logging
import typing
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from graph.inputs import InputModel
from service.store import records
from service.tables import Opportunity, Partner, Relation
from tests.conftest import NIMES, bearer

NUL = "\x00"
NUL_MESSAGE = "caractère nul interdit"

PARTNER = {"name": "Garage solidaire du Gardon (fictif)", "kind": "garage-solidaire",
           "lon": 4.09, "lat": 44.13}  # fmt: skip
JOB = {"title": "Employé·e libre-service", "kind": "emploi"}


def messages(response: Any) -> list[tuple[str, str]]:
    """(dotted location, message) of each error of a 422."""
    assert response.status_code == 422, response.text
    return [(".".join(str(p) for p in d["loc"][1:]), d["msg"]) for d in response.json()["detail"]]


def assert_nul_refused(response: Any, where: str) -> None:
    found = messages(response)
    assert (where, f"{where} : {NUL_MESSAGE}") in found, found


# --- NUL characters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "where"),
    [
        ("/v1/partners", {"q": f"a{NUL}b"}, "q"),
        ("/v1/partners", {"source": f"fi{NUL}ness"}, "source"),
        ("/v1/partners", {"kinds": f"chrs,{NUL}"}, "kinds"),
        ("/v1/opportunities", {"rome_codes": NUL}, "rome_codes"),
        ("/v1/coverage", {"category": f"creches{NUL}", "mode": "walk", "max_minutes": 15},
         "category"),
        ("/v1/isochrones", {"lat": 44.1, "lon": 4.08, "mode": "walk", "minutes": "15",
                            "departure": f"2025-03-04T08:00{NUL}"}, "departure"),
    ],
)  # fmt: skip
def test_a_nul_character_in_a_query_parameter_is_a_422(
    client: TestClient, keys: dict[str, str], path: str, params: dict[str, Any], where: str
) -> None:
    response = client.get(path, params=params, headers=bearer(keys["admin"]))
    assert_nul_refused(response, where)


@pytest.mark.parametrize("field", ["name", "description", "address", "source_id"])
def test_a_nul_character_in_a_partner_is_a_422_and_nothing_is_written(
    client: TestClient, db: Session, keys: dict[str, str], organisation: Partner, field: str
) -> None:
    admin = bearer(keys["admin"])
    before = db.scalar(select(func.count(Partner.id)))
    created = client.post("/v1/partners", json={**PARTNER, field: f"a{NUL}b"}, headers=admin)
    assert_nul_refused(created, field)
    patched = client.patch(f"/v1/partners/{organisation.id}", json={field: NUL}, headers=admin)
    assert_nul_refused(patched, field)
    assert db.scalar(select(func.count(Partner.id))) == before


def test_a_nul_character_in_nested_and_listed_fields_names_the_innermost_field(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = bearer(keys["admin"])
    for change, where in (
        ({"contact": {"email": f"a{NUL}@example.org"}}, "contact.email"),
        ({"thematiques": ["mobilite", f"x{NUL}"]}, "thematiques"),
        ({"eligibility": {"min_french_level": f"A{NUL}"}}, "eligibility.min_french_level"),
    ):
        response = client.post("/v1/partners", json={**PARTNER, **change}, headers=admin)
        assert_nul_refused(response, where)


def test_a_nul_character_in_an_opportunity_or_a_relation_is_a_422(
    client: TestClient,
    db: Session,
    keys: dict[str, str],
    organisation: Partner,
    make_partner: Callable[..., Partner],
) -> None:
    admin = bearer(keys["admin"])
    job = {**JOB, "partner_id": str(organisation.id)}
    assert_nul_refused(
        client.post("/v1/opportunities", json={**job, "title": f"Vente{NUL}"}, headers=admin),
        "title",
    )
    assert_nul_refused(
        client.post("/v1/opportunities", json={**job, "description": NUL}, headers=admin),
        "description",
    )
    opportunity = client.post("/v1/opportunities", json=job, headers=admin).json()
    assert_nul_refused(
        client.patch(f"/v1/opportunities/{opportunity['id']}", json={"title": NUL}, headers=admin),
        "title",
    )
    other = make_partner(name="Entreprise du Gard (fictif)", kind="entreprise", at=NIMES)
    relation = {"source_partner_id": str(organisation.id), "target_partner_id": str(other.id),
                "kind": "convention"}  # fmt: skip
    assert_nul_refused(
        client.post("/v1/relations", json={**relation, "note": f"a{NUL}"}, headers=admin), "note"
    )
    created = client.post("/v1/relations", json=relation, headers=admin).json()
    assert_nul_refused(
        client.patch(f"/v1/relations/{created['id']}", json={"note": NUL}, headers=admin), "note"
    )
    assert db.scalar(select(func.count(Opportunity.id))) == 1
    assert db.scalar(select(func.count(Relation.id))) == 1
    assert db.scalars(select(Relation.note)).one() is None


def test_a_nul_character_in_a_matching_or_siting_body_is_a_422(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = bearer(keys["admin"])
    person = {
        "location": {"lat": 44.1, "lon": 4.08},
        "modes": [{"mode": "walk", "max_minutes": 20}],
    }
    for body, where in (
        ({**person, "wishes": {"keywords": f"vente{NUL}"}}, "wishes.keywords"),
        ({**person, "wishes": {"rome_codes": [NUL]}}, "wishes.rome_codes"),
        ({**person, "available": f"Mo-Fr 08:00-12:00{NUL}"}, "available"),
        ({**person, "location": {"code_insee": f"3000{NUL}"}}, "location.code_insee"),
    ):
        assert_nul_refused(client.post("/v1/matches", json=body, headers=admin), where)
    batch = {"persons": [{**person, "wishes": {"keywords": NUL}}]}
    assert_nul_refused(
        client.post("/v1/matches/batch", json=batch, headers=admin), "persons.0.wishes.keywords"
    )
    siting = {"category": "creche", "mode": "walk", "max_minutes": 15, "k": 1,
              "candidates": [{"lat": 44.1, "lon": 4.08, "label": f"mairie{NUL}"}]}  # fmt: skip
    assert_nul_refused(client.post("/v1/siting", json=siting, headers=admin), "candidates.0.label")


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation names, however nested (unions, lists, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models_in(field.annotation)
        return
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included router
            yield from _api_routes(route.original_router.routes)


def test_every_body_and_query_model_is_an_input_model(app: FastAPI) -> None:
    """`InputModel` is what refuses NUL characters and unknown fields: no route reads a
    person's input through another model."""
    found: set[type[BaseModel]] = set()
    for route in _api_routes(app.routes):
        hints = typing.get_type_hints(route.endpoint, include_extras=True)
        hints.pop("return", None)
        for annotation in hints.values():
            found.update(_models_in(annotation))
    names = {model.__name__ for model in found}
    assert {"PartnerCreate", "PartnerPatch", "PartnerQuery", "OpportunityQuery", "MatchRequest",
            "BatchRequest", "Situation", "SitingRequest", "CoverageQuery", "GapsQuery",
            "IsochroneQuery", "RelationPatch", "CommuneLocation"} <= names  # fmt: skip
    assert [m.__name__ for m in found if not issubclass(m, InputModel)] == []


# --- the territorial bound, bbox and identifiers ----------------------------------------------

OUTSIDE_FRANCE = "lon, lat : point hors de France"


@pytest.mark.parametrize(
    "point",
    [(0.0, 0.0), (5e-324, 5e-324), (13.40, 52.52), (4.36, -43.83), (-74.0, 40.7)],
)
def test_a_partner_outside_france_is_refused_on_every_write(
    client: TestClient, db: Session, keys: dict[str, str], organisation: Partner,
    point: tuple[float, float],
) -> None:  # fmt: skip
    admin = bearer(keys["admin"])
    lon, lat = point
    created = client.post("/v1/partners", json={**PARTNER, "lon": lon, "lat": lat}, headers=admin)
    assert [msg for _, msg in messages(created)] == [created.json()["detail"][0]["msg"]]
    assert created.json()["detail"][0]["msg"].startswith(OUTSIDE_FRANCE)
    moved = client.patch(
        f"/v1/partners/{organisation.id}", json={"lon": lon, "lat": lat}, headers=admin
    )
    assert moved.json()["detail"][0]["msg"].startswith(OUTSIDE_FRANCE)
    db.refresh(organisation)
    assert client.get(f"/v1/partners/{organisation.id}").json()["lon"] == 4.0810


@pytest.mark.parametrize(
    "point", [(166.45, -22.27), (-149.57, -17.54), (55.45, -20.88), (9.45, 42.70)]
)
def test_a_partner_overseas_or_in_corsica_is_accepted(
    client: TestClient, keys: dict[str, str], point: tuple[float, float]
) -> None:
    lon, lat = point
    created = client.post(
        "/v1/partners", json={**PARTNER, "lon": lon, "lat": lat}, headers=bearer(keys["admin"])
    )
    assert created.status_code == 201, created.text
    assert (created.json()["lon"], created.json()["lat"]) == point


@pytest.mark.parametrize("organisation_id", ["pas-un-uuid", 12, True, "", ["x"]])
def test_an_organisation_id_that_is_not_a_uuid_is_a_422(
    client: TestClient, keys: dict[str, str], organisation: Partner, organisation_id: Any
) -> None:
    admin = bearer(keys["admin"])
    body = {**PARTNER, "organisation_id": organisation_id}
    for response in (
        client.post("/v1/partners", json=body, headers=admin),
        client.patch(
            f"/v1/partners/{organisation.id}",
            json={"organisation_id": organisation_id},
            headers=admin,
        ),
    ):
        assert messages(response) == [
            ("organisation_id", "organisation_id : identifiant (UUID) invalide")
        ]


def test_an_organisation_id_as_uuid_text_still_attaches_the_partner(
    client: TestClient, keys: dict[str, str], organisation: Partner
) -> None:
    body = {**PARTNER, "organisation_id": str(organisation.id)}
    created = client.post("/v1/partners", json=body, headers=bearer(keys["admin"]))
    assert created.status_code == 201, created.text
    assert created.json()["organisation_id"] == str(organisation.id)
    editor = bearer(keys["editor"])
    patched = client.patch(
        f"/v1/partners/{created.json()['id']}", json={"name": "Garage (fictif)"}, headers=editor
    )
    assert patched.status_code == 200, patched.text


SITING = {"category": "creche", "mode": "walk", "max_minutes": 15, "k": 1}


@pytest.mark.parametrize("bbox", [True, False, 4, 4.5, {"west": 4}, [1, 2, 3], "4,43,x,44"])
def test_a_siting_bbox_that_is_not_four_numbers_is_a_422(
    client: TestClient, keys: dict[str, str], bbox: Any
) -> None:
    response = client.post(
        "/v1/siting", json={**SITING, "bbox": bbox}, headers=bearer(keys["admin"])
    )
    found = messages(response)
    assert found
    assert all(where.startswith("bbox") for where, _ in found), found


# --- strict types ------------------------------------------------------------------------------

NUMBER, INTEGER = "nombre attendu", "nombre entier attendu"
BOOLEAN, DATE = "booléen attendu (true ou false)", "date invalide (format AAAA-MM-JJ)"


@pytest.mark.parametrize(
    "case",
    [
        ({"lat": True}, "lat", NUMBER),
        ({"lat": "44.1"}, "lat", NUMBER),
        ({"lon": None}, "lon", NUMBER),
        ({"capacity": True}, "capacity", INTEGER),
        ({"capacity": 3.5}, "capacity", INTEGER),
        ({"capacity": "3"}, "capacity", INTEGER),
        ({"eligibility": {"requires_rqth": 0.0}}, "eligibility.requires_rqth", BOOLEAN),
        ({"eligibility": {"requires_rqth": 1}}, "eligibility.requires_rqth", BOOLEAN),
        ({"eligibility": {"requires_rqth": "true"}}, "eligibility.requires_rqth", BOOLEAN),
        ({"eligibility": {"min_age": True}}, "eligibility.min_age", INTEGER),
    ],
)
def test_a_partner_field_of_the_wrong_type_is_refused_not_converted(
    client: TestClient,
    keys: dict[str, str],
    organisation: Partner,
    case: tuple[dict[str, Any], str, str],
) -> None:
    change, where, rule = case
    admin = bearer(keys["admin"])
    created = client.post("/v1/partners", json={**PARTNER, **change}, headers=admin)
    assert messages(created) == [(where, f"{where} : {rule}")]
    patched = client.patch(f"/v1/partners/{organisation.id}", json=change, headers=admin)
    assert messages(patched) == [(where, f"{where} : {rule}")]


def test_integers_are_numbers_and_iso_texts_are_dates(
    client: TestClient, keys: dict[str, str], organisation: Partner
) -> None:
    admin = bearer(keys["admin"])
    created = client.post("/v1/partners", json={**PARTNER, "lon": 4, "lat": 44}, headers=admin)
    assert created.status_code == 201, created.text
    assert (created.json()["lon"], created.json()["lat"]) == (4.0, 44.0)
    job = {**JOB, "partner_id": str(organisation.id), "starts_on": "2025-09-01",
           "hours_per_week": {"min": 20, "max": 24.5}}  # fmt: skip
    assert client.post("/v1/opportunities", json=job, headers=admin).status_code == 201


def test_a_decimal_without_fraction_is_an_integer_as_json_schema_says(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = bearer(keys["admin"])
    created = client.post(
        "/v1/partners", json={**PARTNER, "capacity": 12.0, "available_places": 3.0}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert (created.json()["capacity"], created.json()["available_places"]) == (12, 3)
    matched = client.post("/v1/matches", json={**PERSON, "limit": 5.0}, headers=admin)
    assert matched.status_code == 200, matched.text
    assert len(matched.json()["items"]) <= 5


@pytest.mark.parametrize(
    "case",
    [
        ({"places": True}, "places", INTEGER),
        ({"places": 2.5}, "places", INTEGER),
        ({"starts_on": 20240101}, "starts_on", DATE),
        ({"starts_on": -1}, "starts_on", DATE),
        ({"ends_on": "1700000000"}, "ends_on", DATE),
        ({"hours_per_week": {"min": True, "max": 20}}, "hours_per_week.min", NUMBER),
        ({"requirements": {"requires_work_authorization": 1}},
         "requirements.requires_work_authorization", BOOLEAN),
    ],
)  # fmt: skip
def test_an_opportunity_field_of_the_wrong_type_is_refused(
    client: TestClient,
    keys: dict[str, str],
    organisation: Partner,
    case: tuple[dict[str, Any], str, str],
) -> None:
    change, where, rule = case
    admin = bearer(keys["admin"])
    job = {**JOB, "partner_id": str(organisation.id)}
    assert messages(client.post("/v1/opportunities", json={**job, **change}, headers=admin)) == [
        (where, f"{where} : {rule}")
    ]
    created = client.post("/v1/opportunities", json=job, headers=admin).json()
    patched = client.patch(f"/v1/opportunities/{created['id']}", json=change, headers=admin)
    assert messages(patched) == [(where, f"{where} : {rule}")]


@pytest.mark.parametrize("since", [-86400, 0, 1.5, True, "1700000000", "hier"])
def test_a_relation_date_must_be_an_iso_date_never_a_number(
    client: TestClient, keys: dict[str, str], organisation: Partner,
    make_partner: Callable[..., Partner], since: Any,
) -> None:  # fmt: skip
    admin = bearer(keys["admin"])
    other = make_partner(name="Entreprise du Gard (fictif)", kind="entreprise", at=NIMES)
    relation = {"source_partner_id": str(organisation.id), "target_partner_id": str(other.id),
                "kind": "convention"}  # fmt: skip
    refused = client.post("/v1/relations", json={**relation, "since": since}, headers=admin)
    assert messages(refused) == [("since", f"since : {DATE}")]
    created = client.post("/v1/relations", json=relation, headers=admin).json()
    patched = client.patch(f"/v1/relations/{created['id']}", json={"until": since}, headers=admin)
    assert messages(patched) == [("until", f"until : {DATE}")]


PERSON = {
    "location": {"lat": 44.1250, "lon": 4.0810},
    "modes": [{"mode": "walk", "max_minutes": 20}],
}


@pytest.mark.parametrize(
    ("change", "where", "rule"),
    [
        ({"situation": {"qpv": 1.0}}, "situation.qpv", BOOLEAN),
        ({"situation": {"rqth": 0}}, "situation.rqth", BOOLEAN),
        ({"situation": {"work_authorization": "oui"}}, "situation.work_authorization", BOOLEAN),
        ({"situation": {"age": True}}, "situation.age", INTEGER),
        ({"situation": {"age": 29.5}}, "situation.age", INTEGER),
        ({"situation": {"children_under_3": "1"}}, "situation.children_under_3", INTEGER),
        ({"location": {"lat": True, "lon": 4.08}}, "location.lat", NUMBER),
        ({"location": {"lat": "44.1", "lon": 4.08}}, "location.lat", NUMBER),
        ({"modes": [{"mode": "walk", "max_minutes": True}]}, "modes.0.max_minutes", NUMBER),
        ({"modes": [{"mode": "walk", "max_minutes": "20"}]}, "modes.0.max_minutes", NUMBER),
        ({"hours_per_week": {"min": "20", "max": 26}}, "hours_per_week.min", NUMBER),
        ({"limit": True}, "limit", INTEGER),
        ({"limit": 5.5}, "limit", INTEGER),
    ],
)
def test_a_profile_field_of_the_wrong_type_is_refused(
    client: TestClient, keys: dict[str, str], change: dict[str, Any], where: str, rule: str
) -> None:
    response = client.post("/v1/matches", json={**PERSON, **change}, headers=bearer(keys["admin"]))
    assert messages(response) == [(where, f"{where} : {rule}")]


@pytest.mark.parametrize("alternatives", [False, True, 2.5, "3"])
def test_a_batch_alternatives_count_must_be_an_integer(
    client: TestClient, keys: dict[str, str], alternatives: Any
) -> None:
    body = {"persons": [PERSON], "alternatives": alternatives}
    response = client.post("/v1/matches/batch", json=body, headers=bearer(keys["admin"]))
    assert messages(response) == [("alternatives", f"alternatives : {INTEGER}")]


@pytest.mark.parametrize(
    ("change", "where", "rule"),
    [
        ({"k": True}, "k", INTEGER),
        ({"k": 2.5}, "k", INTEGER),
        ({"max_minutes": "15"}, "max_minutes", NUMBER),
        ({"bbox": [True, 43.9, 4.2, 44.2]}, "bbox", NUMBER),
        ({"bbox": ["4.0", 43.9, 4.2, 44.2]}, "bbox", NUMBER),
        ({"candidates": [{"lat": True, "lon": 4.08}]}, "candidates.0.lat", NUMBER),
        ({"candidates": 7}, "candidates", "town_halls, centroids ou une liste de points"),
    ],
)
def test_a_siting_field_of_the_wrong_type_is_refused(
    client: TestClient, keys: dict[str, str], change: dict[str, Any], where: str, rule: str
) -> None:
    response = client.post("/v1/siting", json={**SITING, **change}, headers=bearer(keys["admin"]))
    found = messages(response)
    assert len(found) == 1
    assert found[0][0] == where
    assert found[0][1].startswith(f"{where} : {rule}")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/partners", {"lat": 44.1, "lon": 4.08, "mode": "transit"}),
        ("/v1/isochrones", {"lat": 44.1, "lon": 4.08, "mode": "transit", "minutes": "15"}),
    ],
)
@pytest.mark.parametrize("departure", ["1700000000", "-1", "1e9", "demain"])
def test_a_departure_is_an_iso_date_and_time_never_a_unix_time(
    client: TestClient, path: str, params: dict[str, Any], departure: str
) -> None:
    response = client.get(path, params={**params, "departure": departure})
    assert messages(response) == [
        ("departure", "departure : date et heure invalides (format ISO 8601)")
    ]


def test_stored_records_that_predate_the_strict_rules_still_load(
    client: TestClient, db: Session, keys: dict[str, str]
) -> None:
    """A row written before the rules were tightened (lax values, a point outside France)
    is read, listed and matched; a write to it meets today's rules."""
    legacy = Partner(id=uuid.uuid4(), name="CHRS ancien (fictif)", kind="chrs",
                     family="hebergement", source="test", source_id="ancien",
                     geom=records.point(4.0810, 44.1250),
                     eligibility={"requires_rqth": 1, "min_age": "18"})  # fmt: skip
    offshore = Partner(id=uuid.uuid4(), name="Atelier du large (fictif)", kind="aci",
                       family="employeurs-inclusifs", source="test", source_id="large",
                       geom=records.point(0.0, 0.0))  # fmt: skip
    db.add_all([legacy, offshore])
    db.flush()
    db.add(Opportunity(partner_id=offshore.id, title="Matelot", kind="emploi", places=2,
                       requirements={"requires_work_authorization": 1}))  # fmt: skip
    db.flush()
    read = client.get(f"/v1/partners/{legacy.id}")
    assert read.status_code == 200, read.text
    assert read.json()["eligibility"]["requires_rqth"] is True
    assert client.get(f"/v1/partners/{offshore.id}/opportunities").status_code == 200
    assert client.get("/v1/network/isolated").status_code == 200
    matched = client.post("/v1/matches", json=PERSON, headers=bearer(keys["admin"]))
    assert matched.status_code == 200, matched.text
    admin = bearer(keys["admin"])
    renamed = client.patch(
        f"/v1/partners/{legacy.id}", json={"name": "CHRS (fictif)"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["eligibility"] == {**renamed.json()["eligibility"], "min_age": 18}
    moved = client.patch(f"/v1/partners/{offshore.id}", json={"name": "Atelier"}, headers=admin)
    assert messages(moved)[0][1].startswith(OUTSIDE_FRANCE)


# --- a planted string is found nowhere ------------------------------------------------------

PLANTED = "zq-planté-7f3a91"


def found_in_database(db: Session, needle: str) -> list[str]:
    """The tables of the store where some row's text holds ``needle``."""
    tables = db.scalars(
        text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    ).all()
    return [
        table
        for table in tables
        if db.scalar(
            text(f'SELECT count(*) FROM "{table}" AS r WHERE r::text LIKE :needle'),  # noqa: S608
            {"needle": f"%{needle}%"},
        )
    ]


def planted_requests(organisation: Partner) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, keyword arguments) of requests each refused for a planted value."""
    job = {**JOB, "partner_id": str(organisation.id)}
    one = str(organisation.id)
    relation = {"source_partner_id": one, "target_partner_id": one, "kind": "convention"}
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("/v1/matches", {**PERSON, "available": PLANTED}),
        ("/v1/matches", {**PERSON, "available": f"Mo-Fr 08:00-12:00 {PLANTED}"}),
        ("/v1/matches", {**PERSON, "wishes": {"rome_codes": ["D1106", PLANTED]}}),
        ("/v1/matches", {**PERSON, "wishes": {"kinds": [PLANTED]}}),
        ("/v1/matches", {**PERSON, "location": {"code_insee": PLANTED}}),
        ("/v1/matches", {**PERSON, "location": {"partner_id": PLANTED}}),
        ("/v1/matches", {**PERSON, PLANTED: 1}),
        ("/v1/matches", {**PERSON, "situation": {PLANTED: True, "age": PLANTED}}),
        ("/v1/matches", {**PERSON, "situation": {"french_level": PLANTED}}),
        ("/v1/matches", {**PERSON, "situation": {"cdaph_orientation": PLANTED}}),
        ("/v1/matches", {**PERSON, "modes": [{"mode": PLANTED, "max_minutes": 20}]}),
        ("/v1/matches/batch", {"persons": [{**PERSON, "available": PLANTED}]}),
        ("/v1/partners", {**PARTNER, "kind": PLANTED}),
        ("/v1/partners", {**PARTNER, "code_insee": PLANTED, "name": PLANTED}),
        ("/v1/partners", {**PARTNER, "siret": PLANTED}),
        ("/v1/partners", {**PARTNER, "opening_hours": PLANTED}),
        ("/v1/partners", {**PARTNER, "thematiques": [PLANTED], "publics": [PLANTED]}),
        ("/v1/partners", {**PARTNER, "contact": {"email": PLANTED, PLANTED: 1}}),
        ("/v1/partners", {**PARTNER, "source": PLANTED}),
        ("/v1/partners", {**PARTNER, "organisation_id": PLANTED}),
        ("/v1/partners", {**PARTNER, "lat": PLANTED, "description": PLANTED}),
        ("/v1/opportunities", {**job, "rome_code": PLANTED}),
        ("/v1/opportunities", {**job, "kind": PLANTED, "title": PLANTED}),
        ("/v1/opportunities", {**job, "starts_on": PLANTED}),
        ("/v1/relations", {**relation, "kind": PLANTED, "note": PLANTED}),
        ("/v1/siting", {**SITING, "category": PLANTED}),
        ("/v1/siting", {**SITING, "candidates": PLANTED}),
        ("/v1/siting", {**SITING, "bbox": PLANTED}),
    ]
    queries: list[tuple[str, dict[str, Any]]] = [
        ("/v1/partners", {"kinds": PLANTED}),
        ("/v1/partners", {"families": PLANTED, "thematiques": PLANTED, "publics": PLANTED}),
        ("/v1/partners", {"lat": PLANTED, "lon": 4}),
        ("/v1/partners", {"lat": 44.1, "lon": 4.08, "mode": "transit", "departure": PLANTED}),
        ("/v1/partners", {PLANTED: 1}),
        ("/v1/opportunities", {"kinds": PLANTED}),
        ("/v1/opportunities", {"partner_id": PLANTED}),
        ("/v1/coverage", {"category": PLANTED, "mode": "walk", "max_minutes": 15}),
        ("/v1/gaps", {"category": "creche", "mode": PLANTED, "max_minutes": 15}),
        ("/v1/gaps", {"category": "creche", "mode": "walk", "max_minutes": 15, "demand": PLANTED}),
        ("/v1/isochrones", {"lat": 44.1, "lon": 4.08, "mode": "walk", "minutes": PLANTED}),
        ("/v1/communes", {"departement": PLANTED}),
    ]
    return [("POST", path, {"json": body}) for path, body in bodies] + [
        ("GET", path, {"params": params}) for path, params in queries
    ]


def test_a_planted_value_is_refused_without_being_echoed_logged_or_stored(
    client: TestClient,
    db: Session,
    keys: dict[str, str],
    organisation: Partner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = bearer(keys["admin"])
    with caplog.at_level(logging.DEBUG):
        for method, path, kwargs in planted_requests(organisation):
            response = client.request(method, path, headers=admin, **kwargs)
            assert response.status_code == 422, (path, kwargs, response.text)
            assert PLANTED not in response.text, (path, kwargs, response.text)
            assert "input" not in response.text, (path, response.text)
    assert PLANTED not in caplog.text
    assert found_in_database(db, PLANTED) == []


def test_unknown_fields_are_reported_at_their_parent(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = {**PERSON, "colour": 1, "situation": {"favourite": 2, "other": 3}}
    response = client.post("/v1/matches", json=body, headers=bearer(keys["admin"]))
    found = sorted((tuple(d["loc"]), d["msg"], d["type"]) for d in response.json()["detail"])
    assert found == [
        (("body",), "champ inconnu", "extra_forbidden"),
        (("body", "situation"), "situation : champ inconnu", "extra_forbidden"),
    ]


def test_not_found_and_conflict_answers_name_no_identifier(
    client: TestClient, keys: dict[str, str], organisation: Partner
) -> None:
    admin = bearer(keys["admin"])
    missing = uuid.uuid4()
    for path in (f"/v1/partners/{missing}", f"/v1/opportunities/{missing}",
                 f"/v1/relations/{missing}"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404
        assert str(missing) not in response.text
    nobody = client.post("/v1/matches", json={**PERSON, "location": {"partner_id": str(missing)}},
                         headers=admin)  # fmt: skip
    assert nobody.status_code == 422
    assert str(missing) not in nobody.text
    body = {**PARTNER, "source": "dora", "source_id": f"id-{PLANTED}"}
    assert client.post("/v1/partners", json=body, headers=admin).status_code == 201
    again = client.post("/v1/partners", json=body, headers=admin)
    assert again.status_code == 409
    assert PLANTED not in again.text
