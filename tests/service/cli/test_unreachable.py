"""A command started while the database does not answer waits for it, then stops in French."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli.main import app
from tests.service.serving import free_port


def test_db_upgrade_waits_for_the_database_then_says_why_it_stops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://m:s@127.0.0.1:{free_port()}/m")
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path))
    monkeypatch.setenv("MAILLAGE_DB_STARTUP_WAIT_SECONDS", "1.5")
    monkeypatch.setenv("COLUMNS", "200")
    started = time.monotonic()
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1, result.output
    assert 1.5 <= time.monotonic() - started < 10
    assert "nouvel essai chaque seconde" in result.output
    assert "Base de données injoignable (OperationalError) depuis 2 s : arrêt" in result.output
    assert "Traceback" not in result.output
