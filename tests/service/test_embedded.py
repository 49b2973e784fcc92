"""The embedded PostGIS cluster of ``maillage demo`` and of the test suite, started for real."""

from __future__ import annotations

import logging
import os
import signal
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from service.embedded import EmbeddedPostgres, EmbeddedPostgresError, PostgisUnavailableError

pytestmark = pytest.mark.db


def _start_or_skip(pg: EmbeddedPostgres) -> str:
    """Start, or skip when this machine has no PostgreSQL/PostGIS — except in CI, where it fails."""
    try:
        return pg.start()
    except PostgisUnavailableError as exc:
        if os.environ.get("CI") or os.environ.get("MAILLAGE_REQUIRE_DB"):
            pytest.fail(f"PostGIS est obligatoire en CI : {exc}")
        pytest.skip(f"PostGIS indisponible sur cette machine : {exc}")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    pg = EmbeddedPostgres(tmp_path_factory.mktemp("embedded"), fast=True)
    try:
        yield pg
    finally:
        pg.stop()


def test_start_gives_a_postgis_database_that_survives_a_restart(
    cluster: EmbeddedPostgres,
) -> None:
    url = _start_or_skip(cluster)
    assert url.startswith("postgresql+psycopg://maillage:")
    assert url.endswith("/maillage")
    assert cluster.url == url
    with psycopg.connect(_libpq(url)) as conn:
        assert conn.execute("SELECT postgis_version()").fetchone() is not None
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        assert {"postgis", "pg_trgm", "unaccent"} <= extensions
        conn.execute("CREATE TABLE commune (code_insee text PRIMARY KEY, nom text)")
        conn.execute("INSERT INTO commune VALUES ('30007', 'Alès')")
    credentials = cluster.data_dir / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    password = credentials.read_text(encoding="utf-8")

    cluster.stop()
    assert not _listening(_port(url))
    assert not (cluster.pgdata / "postmaster.pid").exists()
    with pytest.raises(EmbeddedPostgresError):
        _ = cluster.url

    again = cluster.start()
    assert credentials.read_text(encoding="utf-8") == password
    assert again.split("@")[0] == url.split("@")[0]  # same role, same password
    with psycopg.connect(_libpq(again)) as conn:
        row = conn.execute("SELECT nom FROM commune WHERE code_insee = '30007'").fetchone()
    assert row == ("Alès",)


def test_start_is_idempotent_and_stop_is_quiet(cluster: EmbeddedPostgres) -> None:
    url = _start_or_skip(cluster)
    assert cluster.start() == url  # reuses the running server and its port
    cluster.stop()
    cluster.stop()  # not running: no error
    assert not _listening(_port(url))


def test_listens_on_loopback_only_without_unix_socket(cluster: EmbeddedPostgres) -> None:
    url = _start_or_skip(cluster)
    with psycopg.connect(_libpq(url)) as conn:
        settings: dict[object, object] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'unix_socket_directories', 'fsync', 'password_encryption')"
            ).fetchall()
        )
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": "",
        "fsync": "off",  # fast=True, as the test suite runs it
        "password_encryption": "scram-sha-256",
    }


def test_durability_is_on_by_default(cluster: EmbeddedPostgres) -> None:
    _start_or_skip(cluster)
    cluster.stop()
    durable = EmbeddedPostgres(cluster.data_dir)
    try:
        with psycopg.connect(_libpq(durable.start())) as conn:
            row = conn.execute("SELECT current_setting('fsync')").fetchone()
    finally:
        durable.stop()
    assert row == ("on",)


def test_a_wrong_password_is_refused(cluster: EmbeddedPostgres) -> None:
    url = _start_or_skip(cluster)
    port = _port(url)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            host="127.0.0.1", port=port, user="maillage", password="faux", dbname="maillage"
        ).close()


def test_a_busy_port_is_reported_in_french(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        pg = EmbeddedPostgres(tmp_path_factory.mktemp("busy"), port=port)
        try:
            with pytest.raises(EmbeddedPostgresError, match="déjà utilisé"):
                _start_or_skip(pg)
        finally:
            pg.stop()


def test_url_before_start_raises(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedPostgresError, match="pas démarrée"):
        _ = EmbeddedPostgres(tmp_path).url


def _postmaster_pid(pg: EmbeddedPostgres) -> int:
    return int((pg.pgdata / "postmaster.pid").read_text(encoding="utf-8").split("\n")[0])


@pytest.fixture
def durable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """A cluster as the demo runs it: ``fast=False`` (with ``synchronous_commit = off`` a
    commit acknowledged just before a crash may be lost, by design)."""
    pg = EmbeddedPostgres(tmp_path_factory.mktemp("durable"))
    try:
        yield pg
    finally:
        pg.stop()


def test_a_killed_server_is_restarted_by_its_supervisor_on_the_same_url(
    durable: EmbeddedPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import text

    from service.db import make_engine

    cluster = durable
    url = _start_or_skip(cluster)
    engine = make_engine(url, connect_timeout_s=2)  # as the API's: pool_pre_ping
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE survivor (n int)"))
            conn.execute(text("INSERT INTO survivor VALUES (1)"))
            conn.commit()
        caplog.set_level(logging.WARNING, logger="maillage")
        with cluster.supervise(interval_s=0.2) as supervisor:
            killed = _postmaster_pid(cluster)
            os.kill(killed, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while supervisor.restarts == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert supervisor.restarts == 1
            assert cluster.alive()
            assert _postmaster_pid(cluster) != killed
            # the pooled connection died with the server: the engine reconnects by itself
            with engine.connect() as conn:
                assert conn.execute(text("SELECT n FROM survivor")).scalar() == 1
            time.sleep(1.0)  # a healthy server is left alone
            assert supervisor.restarts == 1
        assert cluster.url == url
    finally:
        engine.dispose()
    said = [r.getMessage() for r in caplog.records if r.name == "maillage"]
    assert sum("arrêtée brutalement" in m for m in said) == 1, said
    assert sum("redémarrée en" in m for m in said) == 1, said


def test_start_after_a_crash_clears_the_lock_of_a_dead_server(cluster: EmbeddedPostgres) -> None:
    url = _start_or_skip(cluster)
    os.kill(_postmaster_pid(cluster), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while cluster.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not cluster.alive()
    again = cluster.start()  # not taken for a running server, even if it is a zombie
    assert again.split("@")[0] == url.split("@")[0]  # same role and password (port: any free)
    with psycopg.connect(_libpq(again)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
