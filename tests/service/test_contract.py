"""The OpenAPI document tells the truth: every operation documents the answers the rules of
`service.contract` give it; on a sample of operations, each documented status is provoked
and every answer received is documented, with the body and headers it documents; the Bearer
scheme gives /docs its Authorize button; OPTIONS answers with ``Allow``."""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from service.app import create_app
from service.contract import SECURITY_SCHEME, ErrorOut, ValidationErrorOut, _error_schemas
from service.db import make_engine
from service.deps import get_session
from service.errors import BAD_REQUEST_PATHS, UNREADABLE_BODY
from service.guards import ROUTE_GROUPS
from service.health.routes import Health
from service.settings import Settings
from service.tables import Partner
from tests.conftest import ALES, bearer

SPEC = create_app(Settings(env="test", database_url="postgresql+psycopg://unused/x")).openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in SPEC["paths"].items()
    for method, operation in operations.items()
]
MODELS: dict[str, type[BaseModel]] = {
    "ErrorOut": ErrorOut,
    "ValidationErrorOut": ValidationErrorOut,
    "Health": Health,
}
PERSON = {
    "modes": [{"mode": "walk", "max_minutes": 30}],
    "location": {"lat": ALES[1], "lon": ALES[0]},
}
TOO_BIG = b'{"pad": "' + b" " * 1_100_000 + b'"}'
NOT_UTF8 = b'{"title": "\xff\xfe"}'  # schemathesis's find: not text, so not JSON either


def test_every_operation_documents_the_answers_its_rules_give() -> None:
    limited = {f"{method} {path}" for method, path in ROUTE_GROUPS}
    for method, path, operation in OPERATIONS:
        name = f"{method} {path}"
        answers = set(operation["responses"])
        protected = operation["security"] == [{SECURITY_SCHEME: []}]
        assert {"401", "503"} <= answers, name
        assert ("403" in answers) == protected, name
        if not protected:
            assert operation["security"] == [{}, {SECURITY_SCHEME: []}], name
        assert ("413" in answers) == (method in {"POST", "PATCH", "PUT"}), name
        assert ("429" in answers) == (name in limited), name
        if "{" in path:
            assert "404" in answers, name
        has_input = bool(operation.get("parameters") or operation.get("requestBody"))
        if path.startswith(BAD_REQUEST_PATHS):  # OGC API – Features: invalid parameters 400
            assert ("400" in answers) == has_input, name
            assert "422" not in answers, name
        else:
            assert ("400" in answers) == ("requestBody" in operation), name
            assert ("422" in answers) == has_input, name
        for status, answer in operation["responses"].items():
            if status.startswith("4") or status == "503":
                assert answer["description"], name
                assert "content" in answer, name
    assert limited <= {f"{m} {p}" for m, p, _ in OPERATIONS}  # the guard's routes exist


def test_the_error_bodies_and_the_security_scheme_are_documented() -> None:
    schemas = SPEC["components"]["schemas"]
    for name, schema in _error_schemas().items():
        assert schemas[name] == schema
    assert "HTTPValidationError" not in json.dumps(SPEC)  # FastAPI's shape is not ours
    unprocessable = SPEC["paths"]["/v1/partners"]["get"]["responses"]["422"]
    assert unprocessable["content"]["application/json"]["schema"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/ValidationErrorOut"},
            {"$ref": "#/components/schemas/ErrorOut"},
        ]
    }
    scheme = SPEC["components"]["securitySchemes"][SECURITY_SCHEME]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def _request_texts(schema: Any, seen: set[str]) -> Iterator[dict[str, Any]]:
    """Every string schema a request's parameter or body holds, references followed."""
    if isinstance(schema, list):
        for item in schema:
            yield from _request_texts(item, seen)
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _request_texts(SPEC["components"]["schemas"][name], seen)
        return
    if schema.get("type") == "string":
        yield schema
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            for item in value.values():
                yield from _request_texts(item, seen)
        elif key in ("items", "prefixItems", "anyOf", "oneOf", "allOf", "additionalProperties"):
            yield from _request_texts(value, seen)


def test_every_text_of_a_request_refuses_nul_in_a_pattern_every_dialect_reads_alike() -> None:
    seen: set[str] = set()
    texts = [
        text
        for _, _, operation in OPERATIONS
        for schema in [
            *(p["schema"] for p in operation.get("parameters", ())),
            *(c["schema"] for c in operation.get("requestBody", {}).get("content", {}).values()),
        ]
        for text in _request_texts(schema, seen)
    ]
    assert len(texts) > 30
    for text in texts:
        if "pattern" in text:
            assert not re.search(text["pattern"], "a\x00b"), text["pattern"]
            # read alike by ECMA-262 (JSON Schema, the fuzzer), Python and Rust: no \s, \d, \w
            # (their sets differ) and no "." (line terminators differ)
            assert not re.search(r"\\[sSdDwW]|(?<!\\)\.(?![^\[]*\])", text["pattern"]), text

        else:  # a closed list or a format (uuid, date) that no NUL fits
            assert "enum" in text or text.get("format") in ("uuid", "date", "date-time"), text


def test_docs_page_offers_the_authorize_button(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert client.get("/openapi.json").json()["components"]["securitySchemes"]


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/partners", "GET, OPTIONS, POST"),
        (f"/v1/partners/{uuid.uuid4()}", "DELETE, GET, OPTIONS, PATCH"),
        ("/v1/matches/batch", "OPTIONS, POST"),
        ("/v1/reference/kinds", "GET, OPTIONS"),
        ("/openapi.json", "GET, HEAD, OPTIONS"),
        ("/carte", "GET, OPTIONS"),
    ],
)
def test_options_says_which_methods_a_path_allows(
    client: TestClient, path: str, allow: str
) -> None:
    answer = client.options(path, headers=bearer("mlg_inconnue"))
    assert answer.status_code == 204
    assert answer.headers["Allow"] == allow
    assert answer.content == b""


def test_options_on_a_path_nothing_serves_is_404(client: TestClient) -> None:
    assert client.options("/v1/nulle-part").status_code == 404


# -- a sample, answer by answer ----------------------------------------------------------------


class Recorder:
    """Sends requests, checks each answer against the document, remembers the statuses."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = defaultdict(set)

    def __call__(
        self, client: TestClient, method: str, template: str, path: str | None = None, **kw: Any
    ) -> Any:  # the test client's response
        answer = client.request(method, path or template, **kw)
        name = f"{method} {template}"
        documented = SPEC["paths"][template][method.lower()]["responses"]
        status = str(answer.status_code)
        assert status in documented, f"{name} : {status} non documenté ({answer.text[:200]})"
        self.seen[name].add(status)
        if answer.status_code >= 400:
            self._conforms(name, documented[status], answer)
        return answer

    @staticmethod
    def _conforms(name: str, documented: dict[str, Any], answer: Any) -> None:
        for header in documented.get("headers", {}):
            assert header in answer.headers, (name, answer.status_code, header)
        schema = documented["content"]["application/json"]["schema"]
        refs = [s["$ref"].rsplit("/", 1)[1] for s in schema.get("anyOf", [schema])]
        problems = []
        for ref in refs:
            try:
                MODELS[ref].model_validate(answer.json(), strict=True)
                return
            except ValidationError as exc:
                problems.append(exc)
        pytest.fail(f"{name} {answer.status_code} : corps hors du document {problems}")


@pytest.fixture
def limited(db: Session, postgis_url: str) -> FastAPI:
    app = create_app(
        Settings(
            env="test",
            database_url=postgis_url,
            snapshot_refresh="inline",
            rate_limit_enabled=True,
            rate_limit_matches_per_minute=10,
        )
    )

    def _session() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = _session
    return app


@pytest.fixture
def outage(postgis_url: str) -> Iterator[TestClient]:
    """The app with a database that refuses every connection (nothing listens there)."""
    app = create_app(Settings(env="test", database_url=postgis_url, snapshot_refresh="inline"))
    dead = make_engine("postgresql+psycopg://maillage@127.0.0.1:9/absente", connect_timeout_s=1)

    def _session() -> Iterator[Session]:
        with Session(dead) as session:
            yield session

    app.dependency_overrides[get_session] = _session
    yield TestClient(app)
    dead.dispose()


def test_a_sample_gives_every_documented_answer_and_only_those(
    client: TestClient,
    limited: FastAPI,
    outage: TestClient,
    keys: dict[str, str],
    organisation: Partner,
) -> None:
    call = Recorder()
    admin, editor, viewer, platform = (
        bearer(keys[r]) for r in ("admin", "editor", "viewer", "platform")
    )
    bad = bearer("mlg_inconnue")
    json_body = {"Content-Type": "application/json"}

    health = "/health"
    call(client, "GET", health)
    call(client, "GET", health, headers=bad)
    call(outage, "GET", health)  # its own body: the database is down
    call(outage, "GET", health, headers=admin)  # the key cannot be checked

    read = "/v1/partners/{partner_id}"
    call(client, "GET", read, f"/v1/partners/{organisation.id}")
    call(client, "GET", read, f"/v1/partners/{organisation.id}", headers=bad)
    call(client, "GET", read, f"/v1/partners/{uuid.uuid4()}")
    call(client, "GET", read, "/v1/partners/pas-un-identifiant")
    call(outage, "GET", read, f"/v1/partners/{organisation.id}")

    create = "/v1/opportunities"
    offer = {"partner_id": str(organisation.id), "title": "Agent d'entretien", "kind": "emploi"}
    offer["source_id"] = "offre-1"
    call(client, "POST", create, json=offer, headers=editor)
    call(client, "POST", create, json=offer, headers=editor)  # the same source_id again
    call(client, "POST", create, json=offer)
    call(client, "POST", create, json=offer, headers=viewer)
    call(client, "POST", create, json={**offer, "partner_id": str(uuid.uuid4())}, headers=admin)
    call(client, "POST", create, content=TOO_BIG, headers={**admin, **json_body})
    unreadable = call(client, "POST", create, content=NOT_UTF8, headers={**admin, **json_body})
    assert unreadable.json() == {"detail": UNREADABLE_BODY}
    call(client, "POST", create, json={**offer, "title": ""}, headers=admin)
    call(outage, "POST", create, json=offer, headers=admin)

    match = "/v1/matches"
    here = TestClient(limited)
    call(here, "POST", match, json=PERSON, headers=platform)
    call(here, "POST", match, json=PERSON)
    call(here, "POST", match, json=PERSON, headers=viewer)
    call(here, "POST", match, json={**PERSON, "modes": []}, headers=platform)
    call(here, "POST", match, content=TOO_BIG, headers={**platform, **json_body})
    call(here, "POST", match, content=NOT_UTF8, headers={**platform, **json_body})
    busy = TestClient(limited, client=("192.0.2.7", 40000))
    statuses = {
        call(busy, "POST", match, json=PERSON, headers=admin).status_code for _ in range(11)
    }
    assert 429 in statuses
    call(outage, "POST", match, json=PERSON, headers=platform)

    for name in (f"GET {health}", f"GET {read}", f"POST {create}", f"POST {match}"):
        method, template = name.split(" ", 1)
        documented = set(SPEC["paths"][template][method.lower()]["responses"])
        assert call.seen[name] == documented, name
