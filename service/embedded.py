"""An embedded, local PostGIS cluster: the database of ``maillage demo`` and of the test suite.

The cluster lives in ``data_dir / "pgdata"``, its server log in ``data_dir / "postgres.log"`` and
its generated password in ``data_dir / "credentials.json"`` (mode 0600), so a second run reuses
both the data and the password.

Security model, for a *local* cluster only:

- the server listens on TCP ``127.0.0.1`` only and opens no Unix socket
  (``unix_socket_directories = ''``: no need for ``/var/run/postgresql``, no 107-byte path limit);
- every connection, local or TCP, authenticates with ``scram-sha-256``;
- the application connects as the role ``maillage``, a *superuser* of this throwaway cluster
  (it must be able to ``CREATE EXTENSION postgis``); the bootstrap superuser ``postgres`` shares
  the same password. Never point production at this: production uses ``DATABASE_URL``.

When the process runs as root, PostgreSQL refuses to run as root: the cluster files belong to the
system user ``postgres`` and every PostgreSQL command runs through ``runuser -u postgres --``. If
that user cannot traverse an ancestor of ``data_dir`` (e.g. ``/root``), traversal only (``o+x``, not
read) is granted on it, with a one-line notice on stderr.

Nothing happens at import time; nothing is started until :meth:`EmbeddedPostgres.start`.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

__all__ = [
    "ClusterSupervisor",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "PostgisUnavailableError",
    "find_pg_bindir",
]

logger = logging.getLogger("maillage")

_HOST = "127.0.0.1"
_CLUSTER_USER = "postgres"  # system user owning the files when we run as root
_SUPERUSER = "postgres"  # bootstrap superuser created by initdb
_ROLE = "maillage"  # role the application connects as
_EXTENSIONS = ("postgis", "pg_trgm", "unaccent")
_TIMEOUT_S = 60
_LOG_TAIL_LINES = 25
_PORT_ATTEMPTS = 3  # an automatically chosen port can be taken between probe and bind
_CONF_NAME = "maillage.conf"
_INCLUDE_LINE = f"include '{_CONF_NAME}'"
_INSTALL_HINT = (
    "installez PostgreSQL et PostGIS : "
    "apt-get install postgresql-15 postgresql-15-postgis-3 postgresql-contrib "
    "(ou lancez scripts/demo / scripts/test, qui le font)"
)


class EmbeddedPostgresError(RuntimeError):
    """The embedded cluster could not be initialised, started, provisioned or stopped."""


class PostgisUnavailableError(EmbeddedPostgresError):
    """PostgreSQL or PostGIS is not installed on this machine (nothing was attempted)."""


def find_pg_bindir() -> Path:
    """Directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Debian layout first: the highest ``/usr/lib/postgresql/<version>/bin`` that has PostGIS
    installed, else the highest at all; then ``pg_config --bindir`` from ``PATH``.

    Raises
    ------
    PostgisUnavailableError
        No PostgreSQL server binaries were found.
    """
    debian = _debian_bindirs()
    with_postgis = [bindir for bindir in debian if _postgis_installed(bindir)]
    if with_postgis or debian:
        return (with_postgis or debian)[0]
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        bindir = Path(result.stdout.strip())
        if result.returncode == 0 and (bindir / "pg_ctl").exists():
            return bindir
    raise PostgisUnavailableError(
        "Serveur PostgreSQL introuvable (ni /usr/lib/postgresql/*/bin, ni pg_config) : "
        f"{_INSTALL_HINT}."
    )


@dataclass
class EmbeddedPostgres:
    """A PostGIS cluster in ``data_dir``, listening on ``127.0.0.1:port``.

    ``port=None`` picks a free TCP port at each start. ``fast=True`` trades durability for speed
    (``fsync``, ``synchronous_commit`` and ``full_page_writes`` off, ``initdb --no-sync``): for
    the test suite only, never for data one wants to keep.

    As a context manager, ``with EmbeddedPostgres(path) as pg: create_engine(pg.url)`` starts the
    cluster on entry and stops it on exit.
    """

    data_dir: Path
    port: int | None = None
    database: str = "maillage"
    fast: bool = False
    _url: str | None = field(default=None, init=False, repr=False)
    _bin: Path | None = field(default=None, init=False, repr=False)
    _live_port: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser().absolute()

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def url(self) -> str:
        """SQLAlchemy URL ``postgresql+psycopg://maillage:…@127.0.0.1:PORT/DATABASE``."""
        if self._url is None:
            raise EmbeddedPostgresError(
                f"La base embarquée de {self.data_dir} n'est pas démarrée : appelez start()."
            )
        return self._url

    def initialised(self) -> bool:
        """Whether ``initdb`` has already created the cluster."""
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        """Whether a server is running on this cluster (started here or by another process)."""
        if not self.initialised():
            return False
        try:
            return self._running()
        except PostgisUnavailableError:
            return False

    def start(self) -> str:
        """Initialise if needed, start (or reuse the running server), provision; return the URL.

        Provisioning is idempotent: role ``maillage``, database ``self.database`` and the
        extensions postgis, pg_trgm and unaccent are created when missing.
        """
        bindir = self._bindir()
        if not _postgis_installed(bindir):
            raise PostgisUnavailableError(
                f"PostGIS n'est pas installé pour {bindir} : {_INSTALL_HINT}."
            )
        self._prepare_data_dir()
        password = self._password()
        if self._running():
            port = self._running_port()
        else:
            self._check_requested_port()
            if not self.initialised():
                self._initdb(password)
            port = self._launch()
        self._url = self._provision(port, password)
        self._live_port = port
        return self._url

    def alive(self) -> bool:
        """Whether the postmaster named in ``postmaster.pid`` is alive (neither gone nor a
        zombie: a killed postmaster whose parent does not reap it stays one, and ``pg_ctl
        status`` still sees it running)."""
        pid = self._postmaster_pid()
        return pid is not None and _process_state(pid) not in (None, "Z")

    def restart(self) -> None:
        """Start the server again on the port it had, after it died (``kill -9``, OOM killer):
        PostgreSQL runs its crash recovery, the URL does not change, and clients that reconnect
        (``pool_pre_ping``) find it again. A no-op when it is alive."""
        if self.alive():
            return
        port = self._live_port
        if port is None:
            raise EmbeddedPostgresError(
                f"La base embarquée de {self.data_dir} n'a pas été démarrée ici : "
                "rien à redémarrer."
            )
        self._clear_stale_lock()
        self._write_settings(port)
        log_offset = _size(self.log_file)
        result = self._pg_ctl("start", "-l", str(self.log_file))
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"Le serveur PostgreSQL de {self.pgdata} n'a pas redémarré :\n"
                f"{_output(result)}\n{self._log_tail(log_offset)}"
            )

    def supervise(self, interval_s: float = 1.0) -> ClusterSupervisor:
        """A started `ClusterSupervisor` that restarts this cluster whenever it dies."""
        supervisor = ClusterSupervisor(self, interval_s=interval_s)
        supervisor.start()
        return supervisor

    def stop(self) -> None:
        """``pg_ctl stop -m fast``, waiting until every server process is gone; no-op if stopped."""
        self._url = None
        if not self.initialised():
            return
        try:
            running = self._running()
        except PostgisUnavailableError:
            return  # no binaries: nothing of ours can be running
        if not running:
            return
        result = self._pg_ctl("stop", "-m", "fast")
        if result.returncode != 0 and self._running():
            result = self._pg_ctl("stop", "-m", "immediate")
            if result.returncode != 0 and self._running():
                raise EmbeddedPostgresError(
                    f"Impossible d'arrêter la base embarquée de {self.data_dir} :\n"
                    f"{_output(result)}\n{self._log_tail()}"
                )

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- steps ---------------------------------------------------------------------------------

    def _bindir(self) -> Path:
        """The binaries of the cluster's own major version when it exists, else the best found."""
        if self._bin is None:
            version_file = self.pgdata / "PG_VERSION"
            if version_file.exists():
                major = version_file.read_text(encoding="ascii").strip()
                candidate = Path("/usr/lib/postgresql") / major / "bin"
                if (candidate / "pg_ctl").exists():
                    self._bin = candidate
            if self._bin is None:
                self._bin = find_pg_bindir()
        return self._bin

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not _is_root():
            return
        _cluster_user()  # fails early, in French, when the postgres user is missing
        _grant_traversal(self.data_dir)
        if not self.initialised():  # initdb, run as postgres, must own the directory
            self.pgdata.mkdir(mode=0o700, exist_ok=True)
            _give_to_cluster_user(self.pgdata)
        if not self.log_file.exists():
            self.log_file.touch(mode=0o640)
            _give_to_cluster_user(self.log_file)

    def _password(self) -> str:
        """The stored password, or a new one written to ``credentials.json`` (mode 0600)."""
        path = self.credentials_file
        if path.exists():
            try:
                password = json.loads(path.read_text(encoding="utf-8"))["password"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise EmbeddedPostgresError(f"{path} est illisible ou mal formé : {exc}") from exc
            if not isinstance(password, str) or not password:
                raise EmbeddedPostgresError(f"{path} ne contient pas de mot de passe valide.")
            return password
        if self.initialised():
            raise EmbeddedPostgresError(
                f"{path} a disparu alors que la base existe déjà : le mot de passe est perdu. "
                f"Supprimez {self.pgdata} pour recréer une base vide."
            )
        password = secrets.token_urlsafe(24)
        content = {"user": _ROLE, "superuser": _SUPERUSER, "password": password}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=2)
            handle.write("\n")
        path.chmod(0o600)
        return password

    def _check_requested_port(self) -> None:
        if self.port is not None and not _port_is_free(self.port):
            raise EmbeddedPostgresError(
                f"Le port {self.port} est déjà utilisé sur {_HOST} : "
                "choisissez-en un autre (ou laissez maillage en choisir un libre)."
            )

    def _initdb(self, password: str) -> None:
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        fd, pwfile = tempfile.mkstemp(prefix=".pwfile-", dir=self.data_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(password + "\n")
            if _is_root():
                _give_to_cluster_user(Path(pwfile))
            argv = [
                str(self._bindir() / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                _SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
            if self.fast:
                argv.append("--no-sync")
            result = _run_as_cluster_user(argv)
        finally:
            Path(pwfile).unlink(missing_ok=True)
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"initdb a échoué pour {self.pgdata} :\n{_tail(_output(result))}"
            )
        with (self.pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n# Réglages de maillage (service/embedded.py)\n{_INCLUDE_LINE}\n")

    def _launch(self) -> int:
        """Write the settings and ``pg_ctl start``; retry another free port if ours was taken."""
        self._clear_stale_lock()
        attempts = 1 if self.port is not None else _PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self.port if self.port is not None else _free_port()
            self._write_settings(port)
            log_offset = _size(self.log_file)
            result = self._pg_ctl("start", "-l", str(self.log_file))
            if result.returncode == 0:
                return port
            log = self._log_tail(log_offset)
            self._stop_quietly()  # a server slower than the timeout must not be left behind
            if "already in use" in log and attempt < attempts:
                continue
            reason = f"le port {port} est déjà utilisé" if "already in use" in log else "échec"
            raise EmbeddedPostgresError(
                f"Le serveur PostgreSQL de {self.pgdata} n'a pas démarré ({reason}) :\n"
                f"{_output(result)}\n--- fin de {self.log_file} ---\n{log}"
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_settings(self, port: int) -> None:
        """(Re)write ``maillage.conf``, included from ``postgresql.conf``, before each start."""
        lines = [
            "# Écrit par maillage à chaque démarrage : ne pas modifier à la main.",
            f"port = {port}",
            f"listen_addresses = '{_HOST}'",
            "unix_socket_directories = ''",
            "password_encryption = 'scram-sha-256'",
        ]
        if self.fast:
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        path = self.pgdata / _CONF_NAME
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if _is_root():
            _give_to_cluster_user(path)
        conf = self.pgdata / "postgresql.conf"
        if _INCLUDE_LINE not in conf.read_text(encoding="utf-8"):
            with conf.open("a", encoding="utf-8") as handle:
                handle.write(f"\n{_INCLUDE_LINE}\n")

    def _provision(self, port: int, password: str) -> str:
        """Create the role, the database and the extensions when missing; return the URL."""
        import psycopg
        from psycopg import sql

        def connect(user: str, dbname: str) -> psycopg.Connection[tuple[object, ...]]:
            return psycopg.connect(
                host=_HOST,
                port=port,
                user=user,
                password=password,
                dbname=dbname,
                connect_timeout=10,
                autocommit=True,
            )

        try:
            with connect(_SUPERUSER, "postgres") as conn:
                query = "SELECT 1 FROM pg_roles WHERE rolname = %s"
                if conn.execute(query, (_ROLE,)).fetchone() is None:
                    conn.execute(
                        sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                            sql.Identifier(_ROLE), sql.Literal(password)
                        )
                    )
                query = "SELECT 1 FROM pg_database WHERE datname = %s"
                if conn.execute(query, (self.database,)).fetchone() is None:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} OWNER {}").format(
                            sql.Identifier(self.database), sql.Identifier(_ROLE)
                        )
                    )
            with connect(_ROLE, self.database) as conn:
                present = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
                for extension in _EXTENSIONS:
                    if extension not in present:
                        conn.execute(
                            sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(extension))
                        )
        except psycopg.Error as exc:
            raise EmbeddedPostgresError(
                f"La base embarquée de {self.data_dir} a démarré mais sa préparation a échoué "
                f"(rôle, base ou extensions) : {exc}\n{self._log_tail()}"
            ) from exc
        return (
            f"postgresql+psycopg://{_ROLE}:{quote(password, safe='')}"
            f"@{_HOST}:{port}/{quote(self.database, safe='')}"
        )

    # -- helpers -------------------------------------------------------------------------------

    def _pg_ctl(self, action: str, *options: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self._bindir() / "pg_ctl"), action, "-D", str(self.pgdata), "-s"]
        if action != "status":
            argv += ["-w", "-t", str(_TIMEOUT_S)]
        return _run_as_cluster_user([*argv, *options])

    def _running(self) -> bool:
        """``pg_ctl status``: 0 running, 3 stopped, 4 no data directory; a zombie is dead."""
        return self.initialised() and self._pg_ctl("status").returncode == 0 and self.alive()

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.pgdata / "postmaster.pid").read_text(encoding="utf-8").split("\n")[0]
            return int(first)
        except (OSError, ValueError):
            return None

    def _clear_stale_lock(self) -> None:
        """Remove the ``postmaster.pid`` of a dead postmaster that is still a zombie (PostgreSQL
        would take it for a running server), once no process is attached to its shared memory
        any more (the old backends exit when they see their postmaster gone)."""
        lock = self.pgdata / "postmaster.pid"
        pid = self._postmaster_pid()
        if pid is None or _process_state(pid) != "Z":
            return  # alive (PostgreSQL refuses to start), or gone (PostgreSQL ignores the file)
        lines = lock.read_text(encoding="utf-8").splitlines()
        shmid = lines[6].split()[-1] if len(lines) > 6 and lines[6].split() else None
        deadline = time.monotonic() + 10
        while shmid is not None and _shm_attached(shmid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if shmid is not None and _shm_attached(shmid):
            raise EmbeddedPostgresError(
                f"Des processus de l'ancien serveur de {self.pgdata} tournent encore : "
                "nouvel essai plus tard."
            )
        lock.unlink(missing_ok=True)

    def _running_port(self) -> int:
        """The port of the running server, from line 4 of ``postmaster.pid``."""
        lines = (self.pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        try:
            port = int(lines[3])
        except (IndexError, ValueError) as exc:
            raise EmbeddedPostgresError(
                f"{self.pgdata / 'postmaster.pid'} ne donne pas le port du serveur en cours."
            ) from exc
        if self.port is not None and self.port != port:
            raise EmbeddedPostgresError(
                f"La base embarquée de {self.data_dir} tourne déjà sur le port {port}, "
                f"pas sur le port {self.port} demandé : arrêtez-la d'abord."
            )
        return port

    def _stop_quietly(self) -> None:
        if self._running():
            self._pg_ctl("stop", "-m", "immediate")

    def _log_tail(self, offset: int = 0) -> str:
        try:
            with self.log_file.open("rb") as handle:
                handle.seek(offset if offset <= _size(self.log_file) else 0)
                return _tail(handle.read().decode("utf-8", errors="replace"))
        except OSError:
            return f"(journal {self.log_file} illisible)"


class ClusterSupervisor:
    """A thread that checks every ``interval_s`` that the cluster's postmaster is alive and
    restarts it when it died (crash recovery, same port), telling the operator once per
    incident: one warning when it is found dead, one when it answers again (and one error if
    a restart fails, retried every ``interval_s``). Stop it before stopping the cluster."""

    def __init__(self, cluster: EmbeddedPostgres, *, interval_s: float = 1.0) -> None:
        self.cluster = cluster
        self.interval_s = interval_s
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="maillage-pg-supervisor", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=_TIMEOUT_S * 2)

    def __enter__(self) -> ClusterSupervisor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        down_since: float | None = None
        failure_told = False
        while not self._stop.wait(self.interval_s):
            if self.cluster.alive():
                continue
            if down_since is None:
                down_since, failure_told = time.monotonic(), False
                logger.warning(
                    "La base embarquée de %s s'est arrêtée brutalement : redémarrage "
                    "(récupération après incident)…",
                    self.cluster.data_dir,
                )
            try:
                self.cluster.restart()
            except (EmbeddedPostgresError, OSError, subprocess.SubprocessError) as exc:
                if not failure_told:
                    failure_told = True
                    logger.error(
                        "Redémarrage de la base embarquée impossible pour l'instant, nouvel "
                        "essai chaque seconde : %s",
                        exc,
                    )
                continue
            self.restarts += 1
            logger.warning(
                "Base embarquée redémarrée en %.1f s : l'API se reconnecte d'elle-même.",
                time.monotonic() - down_since,
            )
            down_since = None


# -- module helpers ----------------------------------------------------------------------------


def _process_state(pid: int) -> str | None:
    """The state letter of a process (``R``, ``S``, ``Z``…) from ``/proc``; ``None`` when it is
    gone. Without ``/proc``, a signal 0 tells alive (``S``) from gone."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "S"
    return stat_line.rpartition(")")[2].split()[0]


def _shm_attached(shmid: str) -> bool:
    """Whether processes are still attached to the System V segment ``shmid`` (Linux ``/proc``;
    elsewhere, say no and let PostgreSQL judge)."""
    try:
        rows = Path("/proc/sysvipc/shm").read_text(encoding="ascii").splitlines()
    except OSError:
        return False
    header = rows[0].split() if rows else []
    if "shmid" not in header or "nattch" not in header:
        return False
    at_id, at_count = header.index("shmid"), header.index("nattch")
    for row in rows[1:]:
        cells = row.split()
        if len(cells) > max(at_id, at_count) and cells[at_id] == shmid:
            return int(cells[at_count]) > 0
    return False


def _is_root() -> bool:
    return os.geteuid() == 0


def _cluster_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(_CLUSTER_USER)
    except KeyError:
        raise PostgisUnavailableError(
            f"Exécuté en root, maillage lance PostgreSQL sous l'utilisateur système "
            f"« {_CLUSTER_USER} », qui n'existe pas : {_INSTALL_HINT}."
        ) from None


def _give_to_cluster_user(path: Path) -> None:
    user = _cluster_user()
    os.chown(path, user.pw_uid, user.pw_gid)


def _run_as_cluster_user(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL command, through ``runuser -u postgres --`` when we are root.

    ``cwd=/`` because the cluster user may not be allowed into our working directory; ``PG*``
    variables are dropped so that nothing from the caller's libpq setup leaks into the cluster.
    """
    if _is_root():
        argv = ["runuser", "-u", _CLUSTER_USER, "--", *argv]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    return subprocess.run(
        argv,
        cwd="/",
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=_TIMEOUT_S * 2,
    )


def _grant_traversal(directory: Path) -> None:
    """Let the cluster user traverse every ancestor of ``directory`` (``o+x`` only, not read)."""
    granted: list[str] = []
    for path in [*reversed(directory.parents), directory]:
        if _run_as_cluster_user(["test", "-x", str(path)]).returncode != 0:
            path.chmod(path.stat().st_mode | stat.S_IXOTH)
            granted.append(str(path))
    if granted:
        print(
            f"maillage : droit de traversée (o+x, sans lecture) accordé à l'utilisateur "
            f"{_CLUSTER_USER} sur {', '.join(granted)} pour la base embarquée.",
            file=sys.stderr,
        )


def _debian_bindirs() -> list[Path]:
    """``/usr/lib/postgresql/<major>/bin`` that hold a server, highest major first."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return []
    found = [
        (int(entry.name), entry / "bin")
        for entry in root.iterdir()
        if re.fullmatch(r"\d+", entry.name) and (entry / "bin" / "pg_ctl").exists()
    ]
    return [bindir for _, bindir in sorted(found, reverse=True)]


def _postgis_installed(bindir: Path) -> bool:
    """Whether ``postgis.control`` is in the extension directory of these binaries."""
    major = bindir.parent.name
    debian_share = Path("/usr/share/postgresql") / major / "extension" / "postgis.control"
    if debian_share.exists():
        return True
    pg_config = bindir / "pg_config"
    if not pg_config.exists():
        return True  # cannot tell: let CREATE EXTENSION report it
    result = subprocess.run(
        [str(pg_config), "--sharedir"], capture_output=True, text=True, check=False
    )
    sharedir = Path(result.stdout.strip())
    return result.returncode != 0 or (sharedir / "extension" / "postgis.control").exists()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    """Whether ``127.0.0.1:port`` can be bound (``SO_REUSEADDR``, as the postmaster does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((_HOST, port))
        except OSError:
            return False
        return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return "\n".join(part.strip() for part in (result.stdout, result.stderr) if part.strip())


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
