"""The ``maillage`` command line against a real database of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from service.cli.main import app
from service.tables import Partner
from tests.service.imports.test_geojson_import import BAD_FEATURES, GOOD, collection

runner = CliRunner()


@pytest.fixture
def env(scratch_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    return scratch_url


def partner_count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count(Partner.id))).scalar_one()
    engine.dispose()
    return count


def test_import_export_roundtrip(env: str, tmp_path: Path) -> None:
    good = tmp_path / "structures.geojson"
    good.write_text(json.dumps(GOOD), encoding="utf-8")
    first = runner.invoke(app, ["import", "geojson", str(good)])
    assert first.exit_code == 0, first.output
    assert "créés 3" in first.output
    second = runner.invoke(app, ["import", "geojson", str(good)])
    assert "créés 0, mis à jour 0, inchangés 3, rejetés 0" in second.output
    out = tmp_path / "export.geojson"
    exported = runner.invoke(app, ["export", "geojson", str(out)])
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == 3
    again = runner.invoke(app, ["import", "geojson", str(out)])
    assert "inchangés 3" in again.output


def test_a_bad_file_is_reported_row_by_row_and_writes_nothing(env: str, tmp_path: Path) -> None:
    bad = tmp_path / "mauvais.geojson"
    bad.write_text(
        json.dumps(collection(*GOOD["features"], *(f for f, _, _ in BAD_FEATURES))),
        encoding="utf-8",
    )
    report = tmp_path / "rejets.json"
    result = runner.invoke(app, ["import", "geojson", str(bad), "--report", str(report)])
    assert result.exit_code == 1
    assert "rien n'a été écrit" in result.output
    assert f"rejetés {len(BAD_FEATURES)}" in result.output
    assert partner_count(env) == 0
    rejections = json.loads(report.read_text(encoding="utf-8"))["rejections"]
    assert len({r["index"] for r in rejections}) == len(BAD_FEATURES)
    assert any("SIRET invalide" in r["reason"] for r in rejections)
    partial = runner.invoke(app, ["import", "geojson", str(bad), "--partial"])
    assert partial.exit_code == 0
    assert partner_count(env) == 3


def test_unreadable_file_is_refused(env: str, tmp_path: Path) -> None:
    broken = tmp_path / "casse.json"
    broken.write_text("{pas du json", encoding="utf-8")
    result = runner.invoke(app, ["import", "geojson", str(broken)])
    assert result.exit_code == 2
    assert "JSON invalide" in result.output


def test_apikey_create(env: str) -> None:
    result = runner.invoke(app, ["apikey", "create", "--role", "viewer", "--name", "ddets"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("mlg_")
    editor = runner.invoke(app, ["apikey", "create", "--role", "editor"])
    assert editor.exit_code == 2
    assert "organisation" in editor.output
    unknown = runner.invoke(app, ["apikey", "create", "--role", "roi"])
    assert unknown.exit_code == 2
    assert "Rôle inconnu" in unknown.output


def test_territory_load_gard(env: str) -> None:
    result = runner.invoke(app, ["territory", "load", "--departement", "30"])
    assert result.exit_code == 0, result.output
    engine = create_engine(env)
    with engine.connect() as connection:
        count, population = connection.execute(
            text("SELECT count(*), sum(population) FROM commune WHERE departement = '30'")
        ).one()
        inside = connection.execute(
            text("SELECT ST_Contains(geom, town_hall) FROM commune WHERE code_insee = '30007'")
        ).scalar_one()
    engine.dispose()
    assert count == 350
    assert 700_000 < population < 800_000  # the Gard: about 750,000 inhabitants
    assert inside
