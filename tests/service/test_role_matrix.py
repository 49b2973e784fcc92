"""Who may call what: every operation of the OpenAPI document × every kind of caller, against
the written policy below.

A new operation fails `test_every_operation_has_a_policy_and_a_request` until it is given a
policy (who may call it) and a request that succeeds for those who may. Each caller meets a
world of its own (a fresh partner of the owner organisation, its opportunity and relation),
so a DELETE by one never changes what the next one sees.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from graph.flows import add_months, month_end
from graph.models import OpportunityFields, RelationFields
from service.app import create_app
from service.auth import create_api_key
from service.settings import Settings
from service.store import records
from service.tables import Opportunity, Partner, Relation, RelationFlow
from tests.conftest import ALES, bearer
from tests.service.coverage.test_coverage_api import add_commune

SPEC = create_app(Settings(env="test", database_url="postgresql+psycopg://unused/x")).openapi()
OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, operations in SPEC["paths"].items()
    for method in operations
)

CALLERS = ("sans clé", "clé fausse", "viewer", "platform", "éditeur", "autre éditeur", "admin")
"""« éditeur »: an editor of the organisation owning the records; « autre éditeur »: of another."""

OK = "2xx"
RULES: dict[str, tuple[int | str, ...]] = {
    # in the order of CALLERS
    "public": (OK, 401, OK, OK, OK, OK, OK),
    "viewer": (401, 401, OK, OK, OK, OK, OK),
    "platform": (401, 401, 403, OK, OK, OK, OK),
    "writer": (401, 401, 403, 403, OK, OK, OK),  # an editor writes for its own organisation
    "owner": (401, 401, 403, 403, OK, 403, OK),  # the owner organisation's editor, or admin
}

POLICY: dict[str, str] = {
    "GET /health": "public",
    "GET /v1/reference/contracts": "public",
    "GET /v1/reference/families": "public",
    "GET /v1/reference/jobs": "public",
    "GET /v1/reference/kinds": "public",
    "GET /v1/reference/opportunity-kinds": "public",
    "GET /v1/reference/publics": "public",
    "GET /v1/reference/relation-kinds": "public",
    "GET /v1/reference/thematiques": "public",
    "GET /v1/partners": "public",
    "GET /v1/partners/{partner_id}": "public",
    "GET /v1/partners/{partner_id}/opportunities": "public",
    "GET /v1/partners/{partner_id}/relations": "public",
    "GET /v1/opportunities": "public",
    "GET /v1/opportunities/{opportunity_id}": "public",
    "GET /v1/relations/{relation_id}": "public",
    "GET /v1/isochrones": "public",
    "GET /v1/networks": "public",
    "GET /v1/geocode": "public",
    "GET /v1/networks/roads": "public",
    "GET /v1/communes": "public",
    "GET /v1/stats": "public",
    "GET /v1/network/isolated": "public",
    "GET /v1/network/structure": "viewer",
    "GET /v1/network/graph": "viewer",
    "GET /v1/network/partnerships": "viewer",
    "GET /v1/network/employers": "viewer",
    "GET /v1/network/employers/{partner_id}/partnerships": "viewer",
    "GET /ogc": "public",
    "GET /ogc/conformance": "public",
    "GET /ogc/collections": "public",
    "GET /ogc/collections/partenaires": "public",
    "GET /ogc/collections/partenaires/queryables": "public",
    "GET /ogc/collections/partenaires/items": "public",
    "GET /ogc/collections/partenaires/items/{featureId}": "public",
    "GET /ogc/collections/couverture": "public",
    "GET /ogc/collections/couverture/queryables": "public",
    "GET /ogc/collections/couverture/items": "viewer",
    "GET /ogc/collections/couverture/items/{featureId}": "viewer",
    "GET /ogc/collections/manques": "public",
    "GET /ogc/collections/manques/queryables": "public",
    "GET /ogc/collections/manques/items": "viewer",
    "GET /ogc/collections/manques/items/{featureId}": "viewer",
    "GET /v1/coverage": "viewer",
    "GET /v1/coverage/demands": "viewer",
    "GET /v1/gaps": "viewer",
    "POST /v1/siting": "viewer",
    "POST /v1/matches": "platform",
    "POST /v1/matches/batch": "platform",
    "POST /v1/partners": "writer",
    "PATCH /v1/partners/{partner_id}": "owner",
    "DELETE /v1/partners/{partner_id}": "owner",
    "POST /v1/opportunities": "owner",
    "PATCH /v1/opportunities/{opportunity_id}": "owner",
    "DELETE /v1/opportunities/{opportunity_id}": "owner",
    "POST /v1/relations": "owner",
    "PATCH /v1/relations/{relation_id}": "owner",
    "DELETE /v1/relations/{relation_id}": "owner",
    "GET /v1/relations/{relation_id}/flows": "public",
    "PUT /v1/relations/{relation_id}/flows": "owner",  # an editor of either party, or admin
    "DELETE /v1/relations/{relation_id}/flows": "owner",
    "GET /v1/network/flows": "public",
    "POST /v1/network/flows/import": "owner",  # the lines name the owner's relation
}

CRECHES = {"category": "garde-enfants", "mode": "walk", "max_minutes": 20}
PERSON = {
    "modes": [{"mode": "walk", "max_minutes": 30}],
    "location": {"lat": ALES[1], "lon": ALES[0]},
}
LAST_MONTH = add_months(dt.datetime.now(dt.UTC).date(), -1)  # counts are about the past
NEW_PARTNER = {"name": "Atelier vélo (fictif)", "kind": "aci", "lon": 4.08, "lat": 44.12}


@dataclass(frozen=True)
class World:
    """One caller's records: ``mine`` belongs to the owner organisation, ``other`` does not."""

    mine: Partner
    opportunity: Opportunity
    relation: Relation
    other: Partner
    flow: RelationFlow


# What each operation receives: query parameters or a body (a JSON object) that succeed for a
# caller the policy lets through. Path identifiers come from the world (`_path`).
REQUESTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "GET /v1/isochrones": lambda w: {
        "params": {"lat": ALES[1], "lon": ALES[0], "mode": "walk", "minutes": "10"}
    },
    "GET /v1/reference/jobs": lambda w: {"params": {"q": "libre serv"}},
    "GET /v1/geocode": lambda w: {"params": {"q": "ales"}},
    "GET /v1/networks/roads": lambda w: {"params": {"bbox": "4.0,44.0,4.2,44.2"}},
    "GET /v1/coverage": lambda w: {"params": CRECHES},
    "GET /v1/gaps": lambda w: {"params": CRECHES},
    "POST /v1/siting": lambda w: {"json": {**CRECHES, "k": 1}},
    "POST /v1/matches": lambda w: {"json": PERSON},
    "POST /v1/matches/batch": lambda w: {"json": {"persons": [PERSON, PERSON]}},
    "POST /v1/partners": lambda w: {"json": NEW_PARTNER},
    "PATCH /v1/partners/{partner_id}": lambda w: {"json": {"capacity": 5}},
    "POST /v1/opportunities": lambda w: {
        "json": {"partner_id": str(w.mine.id), "title": "Agent d'entretien", "kind": "emploi"}
    },
    "PATCH /v1/opportunities/{opportunity_id}": lambda w: {"json": {"title": "Jardinier"}},
    "POST /v1/relations": lambda w: {
        "json": {
            "source_partner_id": str(w.mine.id),
            "target_partner_id": str(w.other.id),
            "kind": "prescrit",
        }
    },
    "PATCH /v1/relations/{relation_id}": lambda w: {"json": {"note": "Convention 2026"}},
    "PUT /v1/relations/{relation_id}/flows": lambda w: {
        "json": {"period_start": LAST_MONTH.isoformat(), "sent": 6}
    },
    "DELETE /v1/relations/{relation_id}/flows": lambda w: {
        "params": {"period_start": w.flow.period_start.isoformat()}
    },
    "POST /v1/network/flows/import": lambda w: {
        "content": f"relation;debut;recues\n{w.relation.id};{LAST_MONTH:%Y-%m};4\n".encode()
    },
}
NEEDS_INPUT = {
    f"{method.upper()} {path}"
    for path, operations in SPEC["paths"].items()
    for method, operation in operations.items()
    if operation.get("requestBody")
    or any(p.get("required") for p in operation.get("parameters", []) if p["in"] == "query")
}


def _nothing(world: World) -> dict[str, Any]:
    return {}


def _path(template: str, world: World) -> str:
    # a partner is a feature of « partenaires »; Alès, a zone (and a gap) of the others
    feature = str(world.mine.id) if "/partenaires/" in template else "30007"
    return (
        template.replace("{featureId}", feature)
        .replace("{partner_id}", str(world.mine.id))
        .replace("{opportunity_id}", str(world.opportunity.id))
        .replace("{relation_id}", str(world.relation.id))
    )


@pytest.fixture
def callers(
    db: Session, keys: dict[str, str], make_partner: Callable[..., Partner]
) -> dict[str, dict[str, str]]:
    """The headers of each caller; communes for the coverage routes."""
    add_commune(db, "30007", "Alès", ALES, 40_000)
    add_commune(db, "30010", "Anduze", (3.9861, 44.0519), 3_000)
    elsewhere = make_partner(name="Association Le Gardon (fictif)", kind="chrs", at=(4.3, 43.9))
    other_key, _ = create_api_key(db, role="editor", organisation_id=elsewhere.id)
    db.flush()
    return {
        "sans clé": {},
        "clé fausse": bearer("mlg_inconnue"),
        "viewer": bearer(keys["viewer"]),
        "platform": bearer(keys["platform"]),
        "éditeur": bearer(keys["editor"]),
        "autre éditeur": bearer(other_key),
        "admin": bearer(keys["admin"]),
    }


@pytest.fixture
def new_world(
    db: Session, organisation: Partner, make_partner: Callable[..., Partner]
) -> Callable[[], World]:
    def make() -> World:
        mine = make_partner(
            name="ACI Les Jardins (fictif)", kind="aci", organisation_id=str(organisation.id)
        )
        other = make_partner(name="CHRS Le Mas (fictif)", kind="chrs", at=(4.09, 44.13))
        opportunity = Opportunity(partner_id=mine.id)
        records.apply_opportunity(
            opportunity, OpportunityFields.model_validate({"title": "Maraîcher", "kind": "emploi"})
        )
        relation = Relation(source_partner_id=mine.id, target_partner_id=other.id)
        records.apply_relation(relation, RelationFields.model_validate({"kind": "oriente-vers"}))
        db.add_all([opportunity, relation])
        db.flush()
        earlier = add_months(LAST_MONTH, -1)
        flow = RelationFlow(
            relation_id=relation.id,
            period_start=earlier,
            period_end=month_end(earlier),
            sent=9,
            source="declared",
        )
        db.add(flow)
        db.flush()
        return World(mine=mine, opportunity=opportunity, relation=relation, other=other, flow=flow)

    return make


def test_every_operation_has_a_policy_and_a_request() -> None:
    assert sorted(POLICY) == OPERATIONS, "une opération sans politique, ou une politique en trop"
    assert set(POLICY.values()) <= set(RULES)
    assert set(REQUESTS) >= NEEDS_INPUT, "une opération sans requête qui réussit"
    for operation, rule in POLICY.items():  # the document says what the policy says
        documented = SPEC["paths"][operation.split(" ", 1)[1]][operation.split()[0].lower()]
        assert ("403" in documented["responses"]) == (rule != "public"), operation


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_caller_gets_what_the_policy_says(
    client: TestClient,
    callers: dict[str, dict[str, str]],
    new_world: Callable[[], World],
    operation: str,
) -> None:
    method, template = operation.split(" ", 1)
    outcomes = []
    for caller, expected in zip(CALLERS, RULES[POLICY[operation]], strict=True):
        world = new_world()
        request = REQUESTS.get(operation, _nothing)(world)
        answer = client.request(method, _path(template, world), headers=callers[caller], **request)
        got: int | str = OK if answer.is_success else answer.status_code
        outcomes.append((caller, expected, got, answer.text[:160] if got != expected else ""))
    wrong = [o for o in outcomes if o[1] != o[2]]
    assert not wrong, f"{operation} : {wrong}"


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if "{" in o])
def test_an_unknown_id_is_404_once_the_role_allows_and_a_malformed_one_422(
    client: TestClient,
    callers: dict[str, dict[str, str]],
    new_world: Callable[[], World],
    operation: str,
) -> None:
    """The role is checked before the record is looked for (a viewer learns nothing of which
    ids exist); the organisation, once it is found."""
    method, template = operation.split(" ", 1)
    request = REQUESTS.get(operation, _nothing)(new_world())
    for caller, expected in zip(CALLERS, RULES[POLICY[operation]], strict=True):
        unknown = template.split("{")[0] + str(uuid.uuid4()) + template.split("}")[1]
        malformed = template.split("{")[0] + "pas-un-id" + template.split("}")[1]
        allowed = expected == OK or caller == "autre éditeur"
        status = client.request(method, unknown, headers=callers[caller], **request).status_code
        assert status == (404 if allowed else expected), (operation, caller)
        status = client.request(method, malformed, headers=callers[caller], **request).status_code
        # OGC API – Features: an identifier is any text, one that names nothing is 404
        invalid = 404 if template.startswith("/ogc/") else 422
        assert status == (invalid if allowed else expected), (operation, caller)
