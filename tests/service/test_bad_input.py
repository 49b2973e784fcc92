"""Bad input at the boundary: every one of these once answered 500 (or was stored as a
mistake); each must now be a 422 in French that names the field and the rule."""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph.inputs import InputModel
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
    siting = {"category": "creches", "mode": "walk", "max_minutes": 15, "k": 1,
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


SITING = {"category": "creches", "mode": "walk", "max_minutes": 15, "k": 1}


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
