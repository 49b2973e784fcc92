"""``/docs``: the Bearer scheme behind Swagger UI's « Authorize » button, and request examples
for matches, cohorts, coverage and siting — realistic, on the Gard demo territory, each
answering 200 there (so that « Try it out » works as shown)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.auth import create_api_key
from service.coverage.parameters import SITING_EXAMPLES, SitingRequest
from service.db import make_engine
from service.matching.requests import (
    BATCH_EXAMPLES,
    MATCH_EXAMPLES,
    BatchRequest,
    MatchRequest,
)
from tests.service.pages.test_browser import VIEWPORTS, Demo, open_tab

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.db]

BODIES: dict[str, tuple[type[Any], dict[str, dict[str, Any]]]] = {
    "/v1/matches": (MatchRequest, MATCH_EXAMPLES),
    "/v1/matches/batch": (BatchRequest, BATCH_EXAMPLES),
    "/v1/siting": (SitingRequest, SITING_EXAMPLES),
}


def test_the_bearer_scheme_and_the_request_examples_are_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["cleApi"]["scheme"] == "bearer"
    for path, (model, examples) in BODIES.items():
        content = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert set(content["examples"]) == set(examples)
        assert len(examples) >= 1
        for example in examples.values():
            assert example["summary"]
            model.model_validate(example["value"])  # each example is a valid request
    parameters = {p["name"]: p for p in spec["paths"]["/v1/coverage"]["get"]["parameters"]}
    assert parameters["category"]["schema"]["examples"] == ["garde-enfants"]
    assert parameters["mode"]["schema"]["examples"] == ["walk"]
    assert parameters["max_minutes"]["schema"]["examples"] == [20]


@pytest.fixture(scope="module")
def demo_client(demo_url: str) -> Iterator[tuple[TestClient, str]]:
    from service.app import create_app
    from service.settings import Settings

    engine = make_engine(demo_url)
    with Session(engine) as session:
        key, _ = create_api_key(session, role="platform", name=f"docs-{uuid.uuid4().hex}")
        session.commit()
    engine.dispose()
    with TestClient(create_app(Settings(env="test", database_url=demo_url))) as client:
        yield client, key


@pytest.mark.slow
def test_every_example_answers_on_the_demo(demo_client: tuple[TestClient, str]) -> None:
    client, key = demo_client
    headers = {"Authorization": f"Bearer {key}"}
    for path, (_, examples) in BODIES.items():
        for name, example in examples.items():
            response = client.post(path, json=example["value"], headers=headers)
            assert response.status_code == 200, (path, name, response.text)
    amina = client.post("/v1/matches", json=MATCH_EXAMPLES["amina"]["value"], headers=headers)
    assert amina.json()["items"], "l'exemple d'Amina ne propose rien"
    coverage = client.get(
        "/v1/coverage",
        params={"category": "garde-enfants", "mode": "walk", "max_minutes": 20},
        headers=headers,
    )
    assert coverage.status_code == 200, coverage.text


@pytest.mark.slow
def test_swagger_ui_shows_authorize_and_the_examples(browser: Browser, demo_server: Demo) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS["bureau"])
    try:
        page = visit.page
        page.goto(demo_server.url + "/docs")
        page.wait_for_selector("button.authorize")
        assert page.is_visible("button.authorize")
        page.click("#operations-mise_en_relation-match_person_v1_matches_post button")
        page.wait_for_selector(".examples-select select")
        options = page.locator(".examples-select select option").all_inner_texts()
        assert "Mère isolée à Alès, sans voiture, au RSA" in options
        body = page.inner_text(".opblock-body .body-param__example, .opblock-body .microlight")
        assert '"code_insee": "30007"' in body
        visit.shot("docs-exemples", full_page=False)
        page.click("button.authorize")
        page.wait_for_selector(".modal-ux")
        assert "Bearer" in page.inner_text(".modal-ux")
        visit.check_clean()
    finally:
        visit.page.context.close()
