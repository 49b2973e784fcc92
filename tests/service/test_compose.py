"""The production-like deployment files: docker-compose.yml and the Dockerfile, read statically.

No Docker engine runs in CI; these tests pin what a deployment relies on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(compose, dict)
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """Instructions of the Dockerfile as (KEYWORD, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def test_compose_has_a_postgis_database_and_the_api(services: dict[str, Any]) -> None:
    assert {"db", "api"} <= services.keys()
    assert services["db"]["image"].startswith("postgis/postgis")
    assert services["api"]["build"] in (".", {"context": "."})


def test_both_services_have_healthchecks(services: dict[str, Any]) -> None:
    for name in ("db", "api"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "/health" in " ".join(services["api"]["healthcheck"]["test"])


def test_api_waits_for_a_healthy_database(services: dict[str, Any]) -> None:
    assert services["api"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_api_reaches_the_db_service_in_production_mode(services: dict[str, Any]) -> None:
    environment = services["api"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in environment["DATABASE_URL"]
    assert environment["MAILLAGE_ENV"] == "production"


def test_the_database_password_has_no_default(services: dict[str, Any]) -> None:
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_dockerfile_healthcheck_user_and_command(dockerfile: list[tuple[str, str]]) -> None:
    keywords = [keyword for keyword, _ in dockerfile]
    assert "HEALTHCHECK" in keywords
    users = [arguments for keyword, arguments in dockerfile if keyword == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    commands = [arguments for keyword, arguments in dockerfile if keyword == "CMD"]
    assert json.loads(commands[-1])[:2] == ["maillage", "serve"]


def test_env_example_documents_every_compose_variable() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z_]+)", compose))
    assert used
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used <= documented
