"""ROME 4.0 job titles: France Travail's real files read, loaded by ``maillage reference
load-rome``, searched by words through ``GET /v1/reference/jobs`` (accents, case, word
beginnings), rarely used titles last, the credit line, and the speed of a search."""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geodata.sources.rome import read_rome
from service.app import create_app
from service.cli.main import app as cli
from service.db import make_engine
from service.reference.jobs import search_jobs
from service.settings import Settings
from service.tables import ReferenceRelease, RomeTitle
from tests.conftest import SHARED

ROME = SHARED / "data" / "rome"
CREDIT = "Source : France Travail, ROME 4.0 v460 (sept. 2025)"
LIBRE_SERVICE = "Employé / Employée de libre-service"

pytestmark = pytest.mark.skipif(not ROME.is_dir(), reason="../shared/data/rome absent")


@pytest.fixture(scope="module")
def jobs(demo_url: str) -> Iterator[TestClient]:
    """The app on the demo database, where the ROME titles are loaded as the demo loads them."""
    with TestClient(create_app(Settings(env="test", database_url=demo_url))) as client:
        yield client


def _search(client: TestClient, q: str, **params: Any) -> dict[str, Any]:
    answer = client.get("/v1/reference/jobs", params={"q": q, **params})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_reader_gives_every_title_its_classic_rome_code() -> None:
    release = read_rome(ROME)
    assert (release.version, release.credit) == ("v460", CREDIT)
    assert len(release.titles) == 13_120
    assert len({t.code_ogr for t in release.titles}) == 13_120
    with (ROME / "unix_referentiel_code_rome_v460_utf8.csv").open(encoding="utf-8") as handle:
        classic = {
            r["code_rome"]
            for r in csv.DictReader(handle)
            if r["code_rome"] == r["code_rome_parent"]
        }
    assert len(classic) == 532
    assert {t.code_rome for t in release.titles} <= classic
    assert sum(t.rare for t in release.titles) == 199
    assert sum(t.principal for t in release.titles) == 1_584
    assert all(t.rome_label for t in release.titles)
    (title,) = [t for t in release.titles if t.label == LIBRE_SERVICE]
    assert (title.code_ogr, title.code_rome) == (14769, "D1507")
    # a title of a ROME 4.0 fiche that is not classic carries its parent's code
    (guide,) = [
        t for t in release.titles if t.label == "Accompagnateur / Accompagnatrice de randonnée"
    ]
    assert (guide.code_fiche, guide.code_rome) == ("G1216", "G1201")


@pytest.mark.parametrize(
    "typed", ["libre-service", "libre serv", "LIBRE SERVICE", "  Libre-Sérvice "]
)
def test_libre_service_proposes_the_employee_of_d1507_first(jobs: TestClient, typed: str) -> None:
    body = _search(jobs, typed)
    assert body["source"] == CREDIT
    assert body["version"] == "v460"
    assert body["notice"] is None
    first = body["results"][0]
    assert (first["label"], first["code_rome"], first["code_ogr"]) == (
        LIBRE_SERVICE,
        "D1507",
        "14769",
    )
    assert first["rome_label"] == "Employé / Employée de rayon libre-service"
    labels = [r["label"] for r in body["results"]]
    assert "Caissier / Caissière en libre-service" in labels
    assert all("libre-service" in label.lower() for label in labels)


def test_aide_soig_gives_the_care_assistants_common_ones_first(jobs: TestClient) -> None:
    results = _search(jobs, "aide soig", limit=20)["results"]
    assert results[0]["label"] == "Aide-soignant / Aide-soignante"
    assert results[0]["code_rome"] == "J1501"
    # the five care assistants' titles of ROME 4.0 v460, the three common ones first
    assert [r["label"] for r in results] == [
        "Aide-soignant / Aide-soignante",
        "Aide-soignant / Aide-soignante en gériatrie",
        "Aide-soignant / Aide-soignante en puériculture",
        "Aide-soignant / Aide-soignante à domicile",
        "Aide-soignant hospitalier / Aide-soignante hospitalière",
    ]
    rare = [r["rare"] for r in results]
    assert True in rare, "« Aide-soignant / Aide-soignante à domicile » est peu usité"
    assert rare == sorted(rare), "les intitulés peu usités viennent après les autres"


def test_accents_case_and_word_beginnings_do_not_matter(jobs: TestClient) -> None:
    plain = _search(jobs, "epiciere")["results"]
    assert plain == _search(jobs, "ÉPICIÈRE")["results"]
    assert plain == _search(jobs, "Épicière")["results"]
    assert plain[0]["label"] == "Epicier / Epicière"
    educators = _search(jobs, "educateur specialise")["results"]
    assert educators == _search(jobs, "Éducateur SPÉCIALISÉ")["results"]
    assert educators[0]["label"] == "Educateur spécialisé / Educatrice spécialisée"
    # every word typed must begin a word of the title: « soig » alone is not « aide »
    assert all("soig" in r["label"].lower() for r in _search(jobs, "soig")["results"])
    # a word that begins no word of any title gives nothing, not an error
    assert _search(jobs, "zzqxw")["results"] == []
    # « serv » is the beginning of a word, not its middle: « conserverie » is not proposed
    assert not any(
        "conserv" in r["label"].lower() for r in _search(jobs, "serv", limit=50)["results"]
    )


def test_a_rome_code_gives_its_titles(jobs: TestClient) -> None:
    results = _search(jobs, "d1507", limit=50)["results"]
    assert results
    assert {r["code_rome"] for r in results} == {"D1507"}
    assert LIBRE_SERVICE in {r["label"] for r in results}


def test_limit_and_refusals_in_french(jobs: TestClient) -> None:
    assert len(_search(jobs, "agent", limit=3)["results"]) == 3
    assert len(_search(jobs, "agent", limit=50)["results"]) == 50
    refused: list[dict[str, str | int]] = [
        {},
        {"q": "   "},
        {"q": "agent", "limit": 0},
        {"q": "agent", "limit": 51},
        {"q": "x" * 201},
    ]
    for params in refused:
        answer = jobs.get("/v1/reference/jobs", params=params)
        assert answer.status_code == 422, params
        detail = answer.json()["detail"]
        assert detail
        assert all(item["msg"] for item in detail)
    # punctuation only: no word, no result
    assert _search(jobs, "/ - !")["results"] == []


def test_without_titles_loaded_the_answer_says_so(client: TestClient) -> None:
    body = _search(client, "libre-service")
    assert body["results"] == []
    assert body["source"] is None
    assert "maillage reference load-rome" in body["notice"]


def test_load_rome_command_loads_then_replaces(
    scratch_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    runner = CliRunner()
    for _ in range(2):  # a second load replaces the first
        result = runner.invoke(cli, ["reference", "load-rome", str(ROME)])
        assert result.exit_code == 0, result.output
        assert "13120 intitulés" in result.output
        assert CREDIT in result.output
    engine = make_engine(scratch_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(RomeTitle)) == 13_120
        assert session.scalar(select(ReferenceRelease.credit)) == CREDIT
    engine.dispose()
    missing = runner.invoke(cli, ["reference", "load-rome", str(SHARED / "data" / "gard")])
    assert missing.exit_code == 2
    assert "Fichier ROME introuvable" in missing.output


def test_a_search_takes_well_under_20_ms(demo_url: str) -> None:
    engine = make_engine(demo_url)
    queries = ["libre serv", "aide soig", "agent entretien", "boulanger", "conducteur bus", "a"]
    timings = []
    with Session(engine) as session:
        search_jobs(session, "chauffeur", 10)  # warm the connection and the plan cache
        for _ in range(5):
            for q in queries:
                started = time.perf_counter()
                search_jobs(session, q, 10)
                timings.append(1000 * (time.perf_counter() - started))
    engine.dispose()
    median, worst = statistics.median(timings), max(timings)
    print(
        f"\nrecherche d'intitulés : médiane {median:.1f} ms, pire {worst:.1f} ms ({len(timings)})"
    )
    assert median < 20
