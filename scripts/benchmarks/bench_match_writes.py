"""Benchmark of ``POST /v1/matches`` while partners are written at N per second.

Run: ``scripts/bench match --writes N [--partners 5000] [--opportunities 50000] [--seconds 60]
[--clients 4]`` (or ``.venv/bin/python scripts/benchmarks/bench_match_writes.py --writes N …``;
``--tiny``: a smoke run, 300 partners, 2,000 opportunities, 3 s per run). Nothing is mocked:

1. the synthetic département of ``scripts/bench match`` (`bench_match.build_territory`, seeded),
   validated and written by ``COPY`` into a throwaway PostGIS cluster; ``--partners 200000``
   builds a store the size of a département's imported register: the opportunities stay at
   ``--opportunities`` (50,000 by default, whatever the number of partners), as imported
   partners carry none;
2. an ``admin`` key (the writer) and a ``platform`` key (the matcher), by
   `service.auth.create_api_key`;
3. the real app, ``service.app.create_app(Settings(...))``, served by uvicorn in **its own
   process** on a free port of 127.0.0.1, so that its memory is its own: ``VmRSS`` of
   ``/proc/<pid>/status`` is sampled every 0.5 s;
4. two runs of ``--seconds`` each, after a warm-up: ``--clients`` threads issue ``POST
   /v1/matches`` for seeded persons (`bench_match.random_person`, the same sequence in both
   runs, one keep-alive connection per thread); in the second run one more thread writes
   partners at ``--writes`` per second (on a fixed schedule; a slot missed because a write was
   slow is skipped, not burst): four in five ``PATCH /v1/partners/{id}`` changing
   ``available_places`` of a partner with places, one in five ``POST /v1/partners`` (a new
   partner near a town). After each write the store revision is read from the database.

Reported, per run: p50 / p95 / max latency (ms) of the matches and of the writes, throughput
(requests per second), the ratios write run / no-write run at p50 and p95, how many matches
took more than 5x the no-write p95 (a request that waited for a snapshot rebuild shows there),
the server's RSS (start, peak, end). When responses carry ``X-Store-Revision`` (the store
revision that answered), the distinct revisions seen and how far behind the latest committed
write they were (in revisions and seconds). Verdict against the goal: match p95 within 2x of
the no-write p95, and server memory stable: no upward trend (the RSS at the end of the write
run within 3 % of its RSS at mid-run) and a peak below 1.5x its start. The first rebuild
after a write adds a second generation of the snapshot's tables (the new one is built while
the old one answers; Python's allocator keeps the freed arenas): a one-time step, reported as
the growth from the start, which a leak would not stop at.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import gc
import http.client
import json
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from bench_match import (
    KINDS,
    Person,
    _n,
    _partner,
    build_territory,
    check_round_trip,
    load_territory,
    random_person,
    validate_territory,
)
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from service.auth import create_api_key
from service.db import make_engine
from service.embedded import EmbeddedPostgres
from service.migrate import upgrade

HOST = "127.0.0.1"
WARM_UP = 10
SLOW_FACTOR = 5.0  # a match slower than this × the no-write p95 is counted as stalled
GOAL_RATIO = 2.0
RSS_EVERY_S = 0.5
REVISION_HEADER = "X-Store-Revision"
# The app, served by uvicorn in its own process: argv = port, database URL, home.
SERVER = """
import sys
from pathlib import Path

import uvicorn

from service.app import create_app
from service.settings import Settings

port, url, home = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
app = create_app(Settings(env="test", database_url=url, home=home))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


# -- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def served(url: str, home: Path, *, timeout_s: float) -> Iterator[tuple[int, int]]:
    """The app in a uvicorn process; yields (pid, port) once ``GET /health`` answers 200."""
    port = _free_port()
    log = (home.parent / "uvicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), url, str(home)], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (home.parent / "uvicorn.log").read_text()[-2000:]
                raise RuntimeError(f"le serveur n'a pas démarré :\n{tail}")
            time.sleep(0.2)
        yield process.pid, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


class RssSampler:
    """``VmRSS`` (MB) of a process every ``RSS_EVERY_S`` seconds, in a thread, while active."""

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/status")
        self.samples_mb: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def read_mb(self) -> float:
        for line in self.path.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024  # kB
        return float("nan")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples_mb.append(self.read_mb())
            self._stop.wait(RSS_EVERY_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples_mb.append(self.read_mb())


# -- the clients ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Timed:
    """One request: when it started (s, on the run's clock), its latency (ms), the revision that
    answered (``X-Store-Revision``, when the response carries it)."""

    started_s: float
    ms: float
    revision: int | None = None


@dataclass(slots=True)
class Run:
    label: str
    seconds: float = 0.0
    matches: list[Timed] = field(default_factory=list)
    writes: list[Timed] = field(default_factory=list)  # revision: the store's, after the write
    rss_mb: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Api:
    """A keep-alive connection to the server; one per thread."""

    def __init__(self, port: int, key: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=600)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any) -> tuple[int, int | None, bytes]:
        self.connection.request(method, path, body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        content = response.read()
        revision = response.getheader(REVISION_HEADER)
        return response.status, int(revision) if revision else None, content

    def close(self) -> None:
        self.connection.close()


def _matcher(
    *,
    port: int,
    key: str,
    persons: Sequence[Person],
    run: Run,
    clock: float,
    stop: threading.Event,
) -> None:
    api = Api(port, key)
    try:
        for number in range(10**9):  # bounded by the stop event
            if stop.is_set():
                return
            person = persons[number % len(persons)]
            started = time.perf_counter()
            status, revision, content = api.call("POST", "/v1/matches", person.body)
            ms = (time.perf_counter() - started) * 1000
            if status != 200:
                run.errors.append(f"POST /v1/matches : {status} {content[:200]!r}")
                return
            run.matches.append(Timed(started - clock, ms, revision))
    finally:
        api.close()


@dataclass(frozen=True, slots=True)
class Writes:
    """What the writer changes: partners with places; new partners of kinds with places,
    numbered from ``first_number`` (their ``source_id`` must not collide with the store's)."""

    with_places: list[str]  # partner ids
    kinds: list[str]
    first_number: int

    def new_partner(self, rng: random.Random, number: int) -> dict[str, Any]:
        raw = _partner(rng, self.first_number + number, rng.choice(self.kinds))
        return {**raw, "source": "bench-ecritures"}


def plan_writes(raw_partners: Sequence[dict[str, Any]], ids: Sequence[str]) -> Writes:
    with_places = [pid for pid, raw in zip(ids, raw_partners, strict=True) if "capacity" in raw]
    kinds = [kind for kind, spec in KINDS.items() if spec.places]
    return Writes(with_places, kinds, len(raw_partners))


def _writer(
    *,
    port: int,
    key: str,
    writes: Writes,
    per_second: float,
    run: Run,
    clock: float,
    stop: threading.Event,
    engine: Engine,
) -> None:
    api = Api(port, key)
    rng = random.Random(7)  # noqa: S311 - reproducible fiction
    due = time.perf_counter()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for number in range(10**9):  # bounded by the stop event
                if stop.wait(max(0.0, due - time.perf_counter())):
                    return
                if number % 5 == 4:
                    request = ("POST", "/v1/partners", writes.new_partner(rng, number))
                else:
                    pid = rng.choice(writes.with_places)
                    body = {"available_places": rng.randint(0, 5)}
                    request = ("PATCH", f"/v1/partners/{pid}", body)
                started = time.perf_counter()
                status, _, content = api.call(*request)
                ms = (time.perf_counter() - started) * 1000
                if status not in (200, 201):
                    run.errors.append(f"{request[0]} {request[1]} : {status} {content[:200]!r}")
                    return
                revision = connection.scalar(
                    text("SELECT revision FROM store_revision WHERE id = 1")
                )
                run.writes.append(Timed(started - clock, ms, int(revision or 0)))
                due = max(due + 1 / per_second, time.perf_counter())  # skip, never burst
    finally:
        api.close()


def measure(
    label: str,
    *,
    port: int,
    pid: int,
    keys: tuple[str, str],
    persons: Sequence[Person],
    clients: int,
    seconds: float,
    writes: tuple[Writes, float, Engine] | None,
) -> Run:
    """One run of ``seconds``: ``clients`` matching threads, and the writer when ``writes``."""
    platform, admin = keys
    run = Run(label)
    stop = threading.Event()
    clock = time.perf_counter()
    shared = {"port": port, "run": run, "clock": clock, "stop": stop}
    threads = [
        threading.Thread(
            target=_matcher, kwargs={**shared, "key": platform, "persons": persons[k::clients]}
        )
        for k in range(clients)
    ]
    if writes is not None:
        plan, per_second, engine = writes
        kwargs = {"key": admin, "writes": plan, "per_second": per_second, "engine": engine}
        threads.append(threading.Thread(target=_writer, kwargs={**shared, **kwargs}))
    with RssSampler(pid) as rss:
        for thread in threads:
            thread.start()
        stop.wait(seconds)
        stop.set()
        for thread in threads:
            thread.join()
    run.seconds = time.perf_counter() - clock
    run.rss_mb = rss.samples_mb
    if run.errors:
        raise RuntimeError(f"{run.label} : {run.errors[0]}")
    return run


# -- report --------------------------------------------------------------------------------------


def _percentiles(timed: Sequence[Timed]) -> tuple[float, float, float]:
    if not timed:
        return float("nan"), float("nan"), float("nan")
    ms = [t.ms for t in timed]
    p50, p95 = np.percentile(ms, [50, 95])
    return float(p50), float(p95), max(ms)


def report(quiet: Run, loaded: Run, per_second: float) -> bool:
    """Print both runs, the ratios, memory, revisions and the verdict; True when the goal is met."""
    print(f"\n{'série (latences en ms)':<42}{'n':>7}{'req/s':>8}{'p50':>9}{'p95':>9}{'max':>9}")
    for run, kind, timed in (
        (quiet, "matches", quiet.matches),
        (loaded, "matches", loaded.matches),
        (loaded, "écritures", loaded.writes),
    ):
        p50, p95, top = _percentiles(timed)
        label = f"{run.label} — {kind}"
        print(
            f"{label:<42}{len(timed):>7}{len(timed) / run.seconds:8.1f}"
            f"{p50:9.1f}{p95:9.1f}{top:9.1f}"
        )
    q50, q95, _ = _percentiles(quiet.matches)
    l50, l95, _ = _percentiles(loaded.matches)
    print(f"{'rapport écriture / sans écriture':<42}{l50 / q50:7.1f}x{l95 / q95:7.1f}x")
    stalled = [t for t in loaded.matches if t.ms > SLOW_FACTOR * q95]
    print(
        f"matches de plus de {SLOW_FACTOR:g}× le p95 sans écriture ({SLOW_FACTOR * q95:.0f} ms) : "
        f"{len(stalled)} sur {len(loaded.matches)} pendant les écritures, "
        f"{sum(t.ms > SLOW_FACTOR * q95 for t in quiet.matches)} sans"
    )
    for run in (quiet, loaded):
        rss = run.rss_mb
        print(
            f"mémoire du serveur (RSS), {run.label} : début {rss[0]:.0f} Mo, "
            f"pic {max(rss):.0f} Mo, fin {rss[-1]:.0f} Mo ({len(rss)} relevés)"
        )
    _report_revisions(loaded)
    start, peak, end = loaded.rss_mb[0], max(loaded.rss_mb), loaded.rss_mb[-1]
    middle = loaded.rss_mb[len(loaded.rss_mb) // 2]
    stable = end <= 1.03 * middle and peak <= 1.5 * start
    fast = l95 <= GOAL_RATIO * q95
    print(
        f"\nobjectif avec {per_second:g} écriture(s)/s : p95 des matches ≤ {GOAL_RATIO:g}× le p95 "
        f"sans écriture — {'atteint' if fast else 'NON atteint'} ({l95 / q95:.1f}×) ; "
        f"mémoire stable — {'oui' if stable else 'NON'} "
        f"(seconde moitié {end / middle - 1:+.1%} ; fin {end / start - 1:+.0%}, "
        f"pic {peak / start - 1:+.0%} du début)"
    )
    return fast and stable


def _report_revisions(run: Run) -> None:
    answered = [t for t in run.matches if t.revision is not None]
    if not answered:
        print(f"révisions : les réponses ne portent pas d'en-tête {REVISION_HEADER}")
        return
    done = sorted((t.started_s + t.ms / 1000, t.revision or 0) for t in run.writes)
    ends = [end for end, _ in done]
    behind: list[int] = []
    late_s: list[float] = []
    for match in answered:
        # Writes committed before the match was sent: their latest revision, and when the
        # first write beyond the revision that answered was committed.
        known = bisect.bisect_right(ends, match.started_s)
        latest = max((revision for _, revision in done[:known]), default=0)
        gap = max(0, latest - (match.revision or 0))
        behind.append(gap)
        if gap:
            first_newer = next(end for end, revision in done if revision > (match.revision or 0))
            late_s.append(match.started_s - first_newer)
    revisions = {t.revision for t in answered}
    print(
        f"révisions : {len(revisions)} distinctes dans {len(answered)} réponses ; "
        f"{sum(gap > 0 for gap in behind)} réponses en retard sur la dernière écriture validée, "
        f"de {max(behind)} révision(s) et {max(late_s, default=0.0):.2f} s au plus"
    )


# -- main ----------------------------------------------------------------------------------------


def build_store(args: argparse.Namespace, url: str) -> tuple[tuple[str, str], Writes]:
    """Territory generated, validated, written; the keys; the writer's plan."""
    started = time.perf_counter()
    raw_partners, raw_offers, relations = build_territory(
        args.seed, args.partners, args.opportunities
    )
    territory = validate_territory(args.seed, raw_partners, raw_offers, relations)
    generated = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    mapping, writing = load_territory(engine, territory)
    check_round_trip(engine, territory)
    with Session(engine) as session:
        platform, _ = create_api_key(session, role="platform", name="banc d'essai")
        admin, _ = create_api_key(session, role="admin", name="banc d'essai (écritures)")
        session.commit()
    engine.dispose()
    print(
        f"magasin : {_n(len(territory.partners))} partenaires, "
        f"{_n(len(territory.opportunities))} offres, {_n(len(territory.relations))} relations — "
        f"génération et validation {generated - started:.1f} s, lignes {mapping:.1f} s, "
        f"COPY et ANALYZE {writing:.1f} s"
    )
    ids = [str(pid) for pid, _ in territory.partners]
    return (platform, admin), plan_writes(raw_partners, ids)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--writes", type=float, required=True, help="écritures par seconde")
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="durée de chaque série")
    parser.add_argument("--clients", type=int, default=4, help="fils qui demandent des matches")
    parser.add_argument("--persons", type=int, default=500, help="personnes (corps de requête)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tiny", action="store_true", help="essai éclair : tailles minuscules")
    args = parser.parse_args(argv)
    if args.writes <= 0:
        parser.error("--writes doit être positif")
    if args.tiny:
        args.partners, args.opportunities, args.seconds, args.clients = 300, 2_000, 3.0, 2
        args.persons = 50
    rng = random.Random(args.seed + 2)  # noqa: S311 - the persons of scripts/bench match
    persons = [random_person(rng) for _ in range(args.persons)]

    with tempfile.TemporaryDirectory(prefix="maillage-bench-writes-") as tmp:
        cluster = EmbeddedPostgres(Path(tmp) / "postgis", fast=True)
        try:
            url = cluster.start()
            keys, writes = build_store(args, url)
            gc.collect()
            home = Path(tmp) / "home"
            home.mkdir()
            started = time.perf_counter()
            with served(url, home, timeout_s=1800) as (pid, port):
                print(
                    f"serveur uvicorn (pid {pid}, port {port}) prêt en "
                    f"{time.perf_counter() - started:.1f} s (instantané construit au démarrage)"
                )
                common: dict[str, Any] = {
                    "port": port, "pid": pid, "keys": keys, "persons": persons,
                    "clients": args.clients, "seconds": args.seconds,
                }  # fmt: skip
                warm = Api(port, keys[0])
                for person in persons[:WARM_UP]:
                    warm.call("POST", "/v1/matches", person.body)
                warm.close()
                quiet = measure("sans écriture", writes=None, **common)
                engine = make_engine(url)
                try:
                    loaded = measure(
                        f"{args.writes:g} écriture(s)/s", writes=(writes, args.writes, engine),
                        **common,
                    )  # fmt: skip
                finally:
                    engine.dispose()
        finally:
            cluster.stop()
    print(
        f"\n{args.clients} fils de matches, {args.seconds:g} s par série, "
        f"{len(persons)} personnes (même suite dans les deux séries)"
    )
    report(quiet, loaded, args.writes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
