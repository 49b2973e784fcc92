"""The API served for real, and a database that can be killed: for the tests of outages and of
request bodies, which need a server process of its own (its memory, its connections) and a
PostGIS cluster of their own (the session's cluster is shared by every other test)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from service.auth import create_api_key
from service.db import make_engine
from service.embedded import EmbeddedPostgres, EmbeddedPostgresError

ROOT = Path(__file__).resolve().parents[2]

_SERVE = (
    "import sys, uvicorn\n"
    "from service.app import create_app\n"
    "from service.settings import Settings\n"
    "uvicorn.run(create_app(Settings()), host='127.0.0.1', port=int(sys.argv[1]),"
    " log_level='warning')\n"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    """A uvicorn process serving the API on ``base_url``; its output goes to ``log``."""

    base_url: str
    port: int
    pid: int
    log: Path

    def memory_kib(self, field: str = "VmHWM") -> int:
        """``VmHWM`` (peak resident memory) or ``VmRSS`` of the server, KiB (/proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"{field} absent de /proc/{self.pid}/status")


@contextmanager
def served(
    database_url: str, home: Path, *, port: int | None = None, **settings: str
) -> Iterator[Served]:
    """Serve the API on ``port`` (a free local one by default; ``MAILLAGE_<NAME>`` for each of
    ``settings``), waiting until ``/health`` answers 200; stopped on exit."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILLAGE_", "PG"))}
    env.pop("DATABASE_URL", None)
    env.update(
        PYTHONPATH=str(ROOT),
        MAILLAGE_DATABASE_URL=database_url,
        MAILLAGE_HOME=str(home),
        MAILLAGE_ENV="development",
        MAILLAGE_RATE_LIMIT_ENABLED="false",
    )
    env.update({f"MAILLAGE_{name.upper()}": value for name, value in settings.items()})
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(port)],
            env=env,
            cwd=home,  # no .env of the repository
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"le serveur s'est arrêté :\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"le serveur ne répond pas :\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield Served(base_url, port, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Killable:
    """A durable PostGIS cluster of its own on a fixed port, migrated, with an admin key."""

    cluster: EmbeddedPostgres
    url: str
    admin_key: str

    def kill(self) -> None:
        """``kill -9`` the postmaster, and wait until it is dead."""
        pid = int((self.cluster.pgdata / "postmaster.pid").read_text().split("\n")[0])
        os.kill(pid, 9)
        deadline = time.monotonic() + 10
        while self.cluster.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not self.cluster.alive()


@contextmanager
def killable_database(directory: Path) -> Iterator[Killable]:
    """A cluster that a test may kill (``fast=False``: a commit acknowledged before the crash
    must survive it) and restart (`EmbeddedPostgres.restart`: same port, same URL)."""
    from service.migrate import upgrade

    cluster = EmbeddedPostgres(directory, port=free_port())
    try:
        url = cluster.start()
    except EmbeddedPostgresError as exc:
        if os.environ.get("CI") or os.environ.get("MAILLAGE_REQUIRE_DB"):
            pytest.fail(f"PostGIS est obligatoire en CI : {exc}")
        pytest.skip(f"PostGIS indisponible : {exc}")
    try:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as session:
            key, _ = create_api_key(session, role="admin", name="essai de panne")
            session.commit()
        engine.dispose()
        yield Killable(cluster, url, key)
    finally:
        cluster.stop()
