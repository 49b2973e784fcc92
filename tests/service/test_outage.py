"""PostgreSQL unreachable: every route answers 503 with ``Retry-After`` and a French message
(never a 500), what the store snapshot alone answers keeps being answered, ``/health`` says the
database is down, and everything works again once it is back, without restarting the API."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.store.snapshot import REVISION_HEADER
from tests.conftest import ALES, bearer
from tests.service.serving import Killable, free_port, killable_database

pytestmark = pytest.mark.db

REFERENCES = (
    "kinds",
    "families",
    "thematiques",
    "publics",
    "opportunity-kinds",
    "contracts",
    "relation-kinds",
)
OGC_COLLECTIONS = ("partenaires", "couverture", "manques")
OUTAGE = re.compile(r"^Base de données momentanément indisponible, réessayez dans \d+ s\.$")


@pytest.fixture(scope="module")
def killable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Killable]:
    with killable_database(tmp_path_factory.mktemp("killable")) as database:
        yield database


def _requests(spec: dict[str, object]) -> list[tuple[str, str, dict[str, object] | None]]:
    """One request per operation of the OpenAPI document: path parameters filled with a
    made-up identifier, an empty body where one is expected."""
    out = []
    paths = spec["paths"]
    assert isinstance(paths, dict)
    for path, operations in paths.items():
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for method in operations:
            if method in {"get", "post", "patch", "delete", "put"}:
                body: dict[str, object] | None = {} if method in {"post", "patch", "put"} else None
                out.append((method.upper(), concrete, body))
    return out


def _walk(client: TestClient, spec: dict[str, object], headers: dict[str, str]) -> dict[str, int]:
    """The status of every operation of ``spec`` (never a 500; each 503 in French, with
    ``Retry-After``)."""
    statuses: dict[str, int] = {}
    for method, path, body in _requests(spec):
        answer = client.request(method, path, json=body, headers=headers)
        statuses[f"{method} {path}"] = answer.status_code
        assert answer.status_code != 500, (method, path, answer.text)
        if answer.status_code == 503:
            assert answer.headers["Retry-After"] == "5"
            if path != "/health" or headers:  # its own body: see below
                assert OUTAGE.match(answer.json()["detail"]), answer.json()
    return statuses


def test_every_route_answers_503_while_the_database_is_down_then_recovers(
    killable: Killable,
) -> None:
    settings = Settings(env="test", database_url=killable.url, db_connect_timeout_seconds=2)
    app = create_app(settings)
    headers = bearer(killable.admin_key)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/v1/partners", headers=headers).status_code == 200
        revision = client.get("/v1/communes").headers[REVISION_HEADER]
        killable.kill()
        try:
            keyed = _walk(client, app.openapi(), headers)
            # the key itself cannot be checked: every route answers 503, public ones too
            assert set(keyed.values()) == {503}, keyed
            statuses = _walk(client, app.openapi(), {})
            answered = {route for route, status in statuses.items() if status not in (401, 503)}
            # without a key: vocabularies of the package, parameters refused before any
            # reading, and the communes served from the last snapshot; the routes that need a
            # role say so (401); every other route needs the database
            assert answered == {
                *(f"GET /v1/reference/{name}" for name in REFERENCES),
                "GET /v1/isochrones",
                "GET /v1/reference/jobs",  # q is required: 422 before any reading
                "GET /v1/geocode",  # likewise
                "GET /v1/networks/roads",  # the networks loaded at startup, no reading
                "GET /v1/communes",
                # OGC: links and schemas written in the code; the coverage collections'
                # extent, from the last snapshot like the communes
                "GET /ogc",
                "GET /ogc/conformance",
                *(f"GET /ogc/collections/{c}/queryables" for c in OGC_COLLECTIONS),
                "GET /ogc/collections/couverture",
                "GET /ogc/collections/manques",
            }
            protected = {
                f"{method.upper()} {re.sub(r'[{][^}]+[}]', '*', path)}"
                for path, operations in app.openapi()["paths"].items()
                for method, operation in operations.items()
                if "403" in operation["responses"]
            }
            refused = {route for route, status in statuses.items() if status == 401}
            assert {re.sub(r"[0-9a-f-]{36}", "*", route) for route in refused} <= protected
            assert len(statuses) >= 30  # the whole document was walked
            anonymous = client.get("/v1/partners", params={"lat": ALES[1], "lon": ALES[0]})
            assert anonymous.status_code == 503
            assert anonymous.headers["Retry-After"] == "5"
            write = client.post("/v1/partners", json={"name": "x"}, headers=headers)
            assert write.status_code == 503  # the key cannot be checked: not 401, not 422
            health = client.get("/health")
            assert health.status_code == 503
            assert health.json()["database"] == "indisponible"
            # answered from the last snapshot, which says its revision
            communes = client.get("/v1/communes")
            assert communes.status_code == 200
            assert communes.headers[REVISION_HEADER] == revision
        finally:
            killable.cluster.restart()
        deadline = time.monotonic() + 5
        while client.get("/v1/partners", headers=headers).status_code != 200:
            assert time.monotonic() < deadline, "pas de reprise 5 s après le retour de la base"
            time.sleep(0.1)
        assert client.get("/health").status_code == 200
        created = client.post(
            "/v1/partners",
            json={"name": "Reprise (fictif)", "kind": "chrs", "lon": ALES[0], "lat": ALES[1]},
            headers=headers,
        )
        assert created.status_code == 201, created.text


def test_a_database_down_at_startup_is_waited_for_then_reported_in_french(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"postgresql+psycopg://maillage:secret@127.0.0.1:{free_port()}/maillage"
    settings = Settings(
        env="test", database_url=nowhere, home=tmp_path, db_startup_wait_seconds=1.5
    )
    caplog.set_level(logging.WARNING, logger="maillage")
    started = time.monotonic()
    with (
        pytest.raises(RuntimeError, match="injoignable au démarrage"),
        TestClient(create_app(settings)),
    ):
        pass
    assert time.monotonic() - started < 10
    said = [r.getMessage() for r in caplog.records if r.name == "maillage"]
    assert any("nouvel essai chaque seconde" in m for m in said), said
    assert any(
        m.startswith("base de données injoignable au démarrage") and "arrêt" in m for m in said
    )
