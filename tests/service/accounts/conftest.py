"""Accounts for the tests: one person per role, with a password, in the test's SAVEPOINT."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.accounts.users import create_account
from service.app import create_app
from service.deps import get_session
from service.settings import Settings
from service.tables import Partner, UserAccount

PASSWORD = "un long mot de passe de test"
ADMIN_PASSWORD = "un mot de passe d'administration assez long"


@pytest.fixture
def people(db: Session, organisation: Partner) -> dict[str, UserAccount]:
    """An account per role (the editor's and the platform's belong to ``organisation``), and
    two communes for coverage to be computed on."""
    from tests.conftest import ALES
    from tests.service.coverage.test_coverage_api import add_commune

    add_commune(db, "30007", "Alès", ALES, 40_000)
    add_commune(db, "30010", "Anduze", (3.9861, 44.0519), 3_000)
    out = {}
    for role in ("viewer", "platform", "editor", "admin"):
        out[role] = create_account(
            db,
            email=f"{role}@exemple.fr",
            display_name=f"Camille {role.capitalize()}",
            role=role,
            organisation_id=organisation.id if role in ("platform", "editor") else None,
            password=ADMIN_PASSWORD if role == "admin" else PASSWORD,
        )
    db.flush()
    return out


@pytest.fixture
def make_app(db: Session, postgis_url: str) -> Callable[..., FastAPI]:
    """An app on the test's session with these settings (``Settings`` fields)."""

    def make(**settings: Any) -> FastAPI:
        app = create_app(
            Settings(env="test", database_url=postgis_url, snapshot_refresh="inline", **settings)
        )

        def _session() -> Iterator[Session]:
            yield db

        app.dependency_overrides[get_session] = _session
        return app

    return make


CSRF_FIELD = re.compile(
    r'<form method="post" action="/connexion"[^>]*>\s*<input type="hidden" name="csrf" '
    r'value="([^"]+)"'
)


def login_csrf(client: TestClient) -> str:
    """Open the login page: its form's CSRF token (the cookie is kept by the client)."""
    page = client.get("/connexion")
    assert page.status_code == 200
    found = CSRF_FIELD.search(page.text)
    assert found is not None
    return found.group(1)


def log_in(client: TestClient, email: str, password: str, **extra: str) -> Any:
    """Post the login form as a browser would (token from the page); the answer, unfollowed."""
    token = login_csrf(client)
    return client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf": token, **extra},
        follow_redirects=False,
    )
