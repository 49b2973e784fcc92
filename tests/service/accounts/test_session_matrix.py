"""The role matrix again, with people's sessions instead of API keys: every operation of the
OpenAPI document × a person of each role (cookie and CSRF header, as the pages send them)
gets what the written policy says for a key of that role (`tests.service.test_role_matrix`);
an ended session is anonymous."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.accounts.users import create_account, open_session
from service.auth import CSRF_HEADER, SESSION_COOKIE
from service.settings import Settings
from service.tables import Partner, UserAccount
from tests.conftest import ALES
from tests.service.coverage.test_coverage_api import add_commune
from tests.service.test_role_matrix import (
    CALLERS,
    OK,
    OPERATIONS,
    POLICY,
    REQUESTS,
    RULES,
    World,
    _nothing,
    _path,
    new_world,
)

__all__ = ["new_world"]  # a fixture, used by name

# each person, and the key caller of the policy whose column it must match
PEOPLE = {
    "session close": "sans clé",
    "personne viewer": "viewer",
    "personne platform": "platform",
    "personne éditrice": "éditeur",
    "éditrice d'ailleurs": "autre éditeur",
    "personne admin": "admin",
}


@pytest.fixture
def sessions(
    db: Session, organisation: Partner, make_partner: Callable[..., Partner]
) -> dict[str, dict[str, str]]:
    """The headers each person's browser sends: its session cookie and CSRF token (sessions
    opened directly: the login itself is tested in test_login.py); communes for coverage."""
    add_commune(db, "30007", "Alès", ALES, 40_000)
    add_commune(db, "30010", "Anduze", (3.9861, 44.0519), 3_000)
    settings = Settings(env="test", database_url="postgresql+psycopg://unused/x")
    elsewhere = make_partner(name="Association Le Gardon (fictif)", kind="chrs", at=(4.3, 43.9))
    roles = {
        "personne viewer": ("viewer", None),
        "personne platform": ("platform", organisation.id),
        "personne éditrice": ("editor", organisation.id),
        "éditrice d'ailleurs": ("editor", elsewhere.id),
        "personne admin": ("admin", None),
    }
    accounts: dict[str, UserAccount] = {
        name: create_account(
            db,
            email=f"{role}-{i}@exemple.fr",
            display_name=name,
            role=role,
            organisation_id=org,
            password=None,  # no argon2 hash to pay for in each of the 34 operations
        )
        for i, (name, (role, org)) in enumerate(roles.items())
    }
    headers = {}
    for name, account in accounts.items():
        opened = open_session(db, account, method="password", settings=settings)
        headers[name] = {
            "Cookie": f"{SESSION_COOKIE}={opened.cookie}",
            CSRF_HEADER: opened.csrf_token,
        }
    headers["session close"] = {"Cookie": f"{SESSION_COOKIE}=une-session-qui-n-existe-plus"}
    return headers


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_person_gets_what_the_policy_says_for_their_role(
    client: TestClient,
    sessions: dict[str, dict[str, str]],
    new_world: Callable[[], World],
    operation: str,
) -> None:
    method, template = operation.split(" ", 1)
    rule = dict(zip(CALLERS, RULES[POLICY[operation]], strict=True))
    outcomes = []
    for person, like in PEOPLE.items():
        world = new_world()
        request = REQUESTS.get(operation, _nothing)(world)
        answer = client.request(method, _path(template, world), headers=sessions[person], **request)
        got: int | str = OK if answer.is_success else answer.status_code
        outcomes.append((person, rule[like], got, answer.text[:160] if got != rule[like] else ""))
    wrong = [o for o in outcomes if o[1] != o[2]]
    assert not wrong, f"{operation} : {wrong}"
