"""The national results loaded into PostGIS and served by /v1/coverage and /v1/gaps with
``departements=``; the national summary CSV; ``maillage national load`` and ``summary``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geodata.national import DepartementInputs
from service.app import create_app
from service.auth import create_api_key
from service.cli.main import app as cli
from service.db import make_engine
from service.national.loading import load_run
from service.national.outputs import read_table
from service.national.runner import run_serial
from service.national.shards import ShardTask
from service.national.summary import real_modes, summary_csv
from service.national_tables import NationalZone
from service.settings import Settings
from tests.conftest import bearer
from tests.service.national.conftest import COMMUNES, SAINT_BARTH

pytestmark = pytest.mark.db

ASKED: dict[str, Any] = {"category": "hebergement", "mode": "car", "max_minutes": 20}


@pytest.fixture(scope="module")
def results(tasks: list[ShardTask], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("api")
    run_serial([t for t in tasks if t.mode == "car"], out)
    return out


def test_gaps_of_two_departements_from_the_loaded_run(
    results: Path, db: Session, client: TestClient, keys: dict[str, str]
) -> None:
    loaded = load_run(db, results)
    db.flush()
    assert loaded.departements == ("30", "977", "S1")
    response = client.get(
        "/v1/gaps", params={**ASKED, "departements": "30,977"}, headers=bearer(keys["viewer"])
    )
    assert response.status_code == 200, response.text
    body = response.json()
    gaps = read_table(results, "gaps")
    expected = gaps[
        (gaps["category"] == "hebergement")
        & (gaps["max_minutes"] == 20)
        & gaps["departement"].isin(["30", "977"])
    ]
    assert body["total"] == len(expected) > 0
    assert {item["departement"] for item in body["items"]} == {"30", "977"}
    people = [item["people_affected"] for item in body["items"]]
    assert people == sorted(people, reverse=True)
    first = body["items"][0]
    row = expected[
        (expected["departement"] == first["departement"])
        & (expected["zone_id"] == first["zone_id"])
    ].iloc[0]
    assert first["message"] == row["message"]
    assert first["real"] is (first["departement"] == "977")
    shards = {d["code"]: d for d in body["metadata"]["departements"]}
    assert shards["30"]["real"] is False  # no street network of the Gard: estimated
    assert shards["977"]["real"] is True  # Saint-Barthélemy's real streets
    assert body["metadata"]["source"].startswith("résultats nationaux")

    coverage = client.get(
        "/v1/coverage", params={**ASKED, "departements": "all"}, headers=bearer(keys["viewer"])
    )
    assert coverage.status_code == 200, coverage.text
    zones = read_table(results, "zones")
    asked = zones[(zones["category"] == "hebergement") & (zones["max_minutes"] == 20)]
    assert len(coverage.json()["features"]) == len(asked)
    share = coverage.json()["metadata"]["share_covered"]
    assert share == round(asked[asked["covered"]]["demand"].sum() / asked["demand"].sum(), 4)

    france = client.get(
        "/v1/coverage",
        params={**ASKED, "departements": "all", "level": "departements"},
        headers=bearer(keys["viewer"]),
    )
    assert france.status_code == 200, france.text
    outlines = {f["id"]: f for f in france.json()["features"]}
    assert set(outlines) == {"30", "977", "S1"}
    summary = read_table(results, "summary")
    gard = summary[
        (summary["departement"] == "30")
        & (summary["category"] == "hebergement")
        & (summary["max_minutes"] == 20)
    ].iloc[0]
    assert outlines["30"]["properties"]["share_within"] == round(gard["share_within"], 4)
    assert outlines["30"]["properties"]["name"] == "Gard"
    assert outlines["30"]["properties"]["real"] is False
    assert outlines["30"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    alone = client.get(
        "/v1/coverage", params={**ASKED, "level": "departements"}, headers=bearer(keys["viewer"])
    )
    assert alone.status_code == 422
    assert "level" in alone.json()["detail"]

    missing = client.get(
        "/v1/gaps",
        params={**ASKED, "max_minutes": 25, "departements": "30"},
        headers=bearer(keys["viewer"]),
    )
    assert missing.status_code == 422
    assert "maillage national load" in missing.json()["detail"]


def test_summary_says_which_modes_were_real(results: Path) -> None:
    assert real_modes(results) == {"30": {"car": False}, "977": {"car": True}, "S1": {"car": True}}
    text = summary_csv(results, convention="excel").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["département", "nom", "mode", "réseau"]
    gard = [r for r in rows if r[0] == "30" and r[4] == "hebergement" and r[5] == "20"]
    sbh = [r for r in rows if r[0] == "977" and r[4] == "hebergement" and r[5] == "20"]
    assert gard[0][1:4] == ["Gard", "car", "estimé"]
    assert sbh[0][1:4] == ["Saint-Barthélemy", "car", "réel (saint-barthelemy)"]
    summary = read_table(results, "summary")
    share = summary[
        (summary["departement"] == "977")
        & (summary["category"] == "hebergement")
        & (summary["max_minutes"] == 20)
    ]["share_within"].iloc[0]
    assert sbh[0][6] == "population"
    assert float(sbh[0][9].replace(",", ".")) == pytest.approx(100 * share, abs=1e-4)
    standard = summary_csv(results, convention="standard").decode("utf-8")
    assert standard.startswith("département,nom,mode")


def test_cli_load_and_summary(results: Path, scratch_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    loaded = runner.invoke(
        cli, ["national", "load", str(results)], env={"DATABASE_URL": scratch_url}
    )
    assert loaded.exit_code == 0, loaded.output
    assert "chargé" in loaded.output
    again = runner.invoke(
        cli, ["national", "load", str(results)], env={"DATABASE_URL": scratch_url}
    )
    assert again.exit_code == 0, again.output
    engine = make_engine(scratch_url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(NationalZone))
    engine.dispose()
    assert count == len(read_table(results, "zones"))  # replaced, not doubled
    out = tmp_path / "resume.csv"
    summary = runner.invoke(cli, ["national", "summary", str(results), "--output", str(out)])
    assert summary.exit_code == 0, summary.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_coverage_of_30_and_977_loaded_and_served(
    gard: DepartementInputs,
    saint_barthelemy: DepartementInputs,
    scratch_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end through the CLI: Saint-Barthélemy's street network registered from its
    real extract (whose coastline gives 977 its land), ``national coverage --departements
    30,977`` on a LocalCluster of one worker (run twice: the second skips), ``national
    load``, then GET /v1/gaps?departements=30,977 from the loaded results."""
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    built = runner.invoke(cli, [
        "network", "build", "--osm", str(SAINT_BARTH), "--mode", "car",
        "--out", str(tmp_path / "reseau"), "--name", "saint-barthelemy", "--register",
    ])  # fmt: skip
    assert built.exit_code == 0, built.output
    partners = tmp_path / "partenaires.geojson"
    both = _collection(gard)
    both["features"] += _collection(saint_barthelemy)["features"]
    partners.write_text(json.dumps(both), encoding="utf-8")
    out = tmp_path / "national"
    command = [
        "national", "coverage", "--departements", "30,977", "--modes", "car",
        "--categories", "hebergement", "--budgets", "20", "--partners", str(partners),
        "--communes", str(COMMUNES), "--workers", "1", "--out", str(out),
    ]  # fmt: skip
    first = runner.invoke(cli, command)
    assert first.exit_code == 0, first.output
    assert "Tableau de bord Dask : http" in first.output
    assert "trait de côte de saint_barthelemy.osm.pbf" in first.output
    assert "30-car" in first.output
    assert "977-car" in first.output
    assert "non calculé" not in first.output
    rows = list(csv.reader(io.StringIO(
        (out / "resume-national.csv").read_text(encoding="utf-8-sig")), delimiter=";"))  # fmt: skip
    assert rows[1][:6] == ["30", "Gard", "car", "estimé", "hebergement", "20"]
    sbh = next(r for r in rows if r[0] == "977")
    assert sbh[:6] == [
        "977", "Saint-Barthélemy", "car", "réel (saint-barthelemy)", "hebergement", "20"
    ]  # fmt: skip
    second = runner.invoke(cli, command)
    assert second.exit_code == 0, second.output
    assert "977-car : déjà écrit" in second.output

    loaded = runner.invoke(cli, ["national", "load", str(out)])
    assert loaded.exit_code == 0, loaded.output
    assert "départements 30, 977" in loaded.output
    application = create_app(Settings(env="test", database_url=scratch_url, home=tmp_path / "home"))
    with TestClient(application) as client:
        with application.state.sessionmaker() as session:
            viewer, _ = create_api_key(session, role="viewer")
            session.commit()
        response = client.get(
            "/v1/gaps", params={**ASKED, "departements": "30,977"}, headers=bearer(viewer)
        )
    assert response.status_code == 200, response.text
    body = response.json()
    gaps = read_table(out, "gaps")
    expected = gaps[(gaps["category"] == "hebergement") & (gaps["max_minutes"] == 20)]
    assert set(expected["departement"]) == {"30", "977"}
    assert body["total"] == len(expected)
    assert {item["departement"] for item in body["items"]} == {"30", "977"}
    shards = {d["code"]: d for d in body["metadata"]["departements"]}
    assert shards["977"]["real"] is True
    assert shards["30"]["real"] is False
    assert body["metadata"]["source"].startswith("résultats nationaux")


def test_cli_coverage_says_why_a_territory_cannot_be_built(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked by its code, a territory that cannot be built stops the run before anything is
    computed, with the reason and the file that would supply it; nothing is skipped
    silently."""
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    out, empty = tmp_path / "national", tmp_path / "vide.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    runner = CliRunner()
    base = ["national", "coverage", "--modes", "car", "--partners", str(empty), "--out", out]
    listed = ["--communes", str(COMMUNES)]
    for asked, expected in (
        (["30,978", *listed], ("978 : non calculé", "Sint Maarten", "Rien n'est calculé")),
        (["977"], ("977 : non calculé", "--communes")),
        (["977", *listed], ("extrait OpenStreetMap", "departement-977.osm.pbf")),
    ):
        result = runner.invoke(cli, [*map(str, base), "--departements", *asked])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        for words in expected:
            assert words in said
    assert not out.exists()


def _collection(inputs: DepartementInputs) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": p.id,
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {
                    "name": p.name,
                    "kind": p.kind,
                    "capacity": p.capacity,
                    "thematiques": list(p.thematiques),
                },
            }
            for p in inputs.partners
        ],
    }
