"""API keys on every route: a key that is given is checked (401 when bad, public routes and
pages included), keys expire, and their last use is recorded at most once a minute."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.auth import LAST_USE_EVERY, create_api_key, hash_key
from service.errors import InvalidInputError
from service.store import queries
from service.tables import ApiKey
from tests.conftest import bearer

PUBLIC = (
    "/health",
    "/v1/partners",
    "/v1/reference/kinds",
    "/v1/communes",
    "/v1/stats",
    "/",
    "/carte",
    "/docs",
)
BAD = {
    "inconnue": bearer("mlg_inconnue"),
    "schéma": {"Authorization": "Basic YWxhZGRpbjpzZXNhbWU="},
    "vide": {"Authorization": "Bearer "},
}


def key_row(db: Session, key: str) -> ApiKey:
    row = db.scalar(queries.api_key_by_hash(hash_key(key)))
    assert isinstance(row, ApiKey)
    return row


@pytest.mark.parametrize("path", PUBLIC)
def test_a_bad_key_on_a_public_route_is_401_not_ignored(
    client: TestClient, keys: dict[str, str], path: str
) -> None:
    assert client.get(path).status_code == 200
    assert client.get(path, headers=bearer(keys["viewer"])).status_code == 200
    for what, headers in BAD.items():
        answer = client.get(path, headers=headers)
        assert answer.status_code == 401, (path, what)
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert answer.json()["detail"].startswith(("Clé d'API", "En-tête Authorization")), what


def test_the_document_and_static_files_never_ask_for_a_key(client: TestClient) -> None:
    """Swagger UI fetches them before the Authorize button is used: no key is checked there."""
    headers = bearer("mlg_inconnue")
    assert client.get("/openapi.json", headers=headers).status_code == 200
    assert client.get("/static/css/maillage.css", headers=headers).status_code == 200
    assert client.get("/static/vendor/leaflet/VERSION", headers=headers).status_code == 200


def test_a_revoked_key_is_refused_everywhere(
    client: TestClient, db: Session, keys: dict[str, str]
) -> None:
    key_row(db, keys["viewer"]).revoked_at = dt.datetime.now(dt.UTC)
    db.flush()
    for answer in (
        client.get("/v1/partners", headers=bearer(keys["viewer"])),
        client.get("/v1/gaps", headers=bearer(keys["viewer"])),
    ):
        assert answer.status_code == 401
        assert answer.json()["detail"] == "Clé d'API inconnue ou révoquée."


def test_an_expired_key_is_401_before_any_body_is_read(
    client: TestClient, db: Session, keys: dict[str, str]
) -> None:
    row = key_row(db, keys["admin"])
    row.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    db.flush()
    assert client.get("/v1/partners", headers=bearer(keys["admin"])).status_code == 200
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.flush()
    for answer in (
        client.get("/v1/partners", headers=bearer(keys["admin"])),
        client.post("/v1/partners", content=b"{pas du json", headers=bearer(keys["admin"])),
    ):
        assert answer.status_code == 401
        assert "expirée" in answer.json()["detail"]


def test_a_key_cannot_be_created_already_expired(db: Session) -> None:
    with pytest.raises(InvalidInputError, match="déjà passée"):
        create_api_key(db, role="viewer", expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(1))


def test_last_use_is_recorded_at_most_once_a_minute(
    client: TestClient, db: Session, keys: dict[str, str]
) -> None:
    row = key_row(db, keys["platform"])
    assert row.last_used_at is None
    before = dt.datetime.now(dt.UTC)
    assert client.get("/v1/reference/kinds", headers=bearer(keys["platform"])).status_code == 200
    db.expire_all()
    first = key_row(db, keys["platform"]).last_used_at
    assert first is not None
    assert first >= before
    assert client.get("/v1/partners", headers=bearer(keys["platform"])).status_code == 200
    db.expire_all()
    assert key_row(db, keys["platform"]).last_used_at == first  # within the minute: no write
    earlier = first - LAST_USE_EVERY - dt.timedelta(seconds=1)
    key_row(db, keys["platform"]).last_used_at = earlier
    db.flush()
    assert client.get("/v1/partners", headers=bearer(keys["platform"])).status_code == 200
    db.expire_all()
    again = key_row(db, keys["platform"]).last_used_at
    assert again is not None
    assert again > first
    assert key_row(db, keys["viewer"]).last_used_at is None  # another key: untouched
