"""The embedded PostGIS cluster of ``maillage demo`` and of the test suite, started for real."""

from __future__ import annotations

import os
import socket
import stat
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
