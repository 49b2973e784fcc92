"""Benchmark of the FINESS import: the bulk path of ``maillage import`` beside a row-by-row ORM.

Run: ``scripts/bench import [--rows 100000] [--orm-rows N] [--seed 1]`` (or
``.venv/bin/python scripts/benchmarks/import_bench.py …``). Nothing is mocked:

1. ``--rows`` fictitious establishments of the Gard are written in the published FINESS format
   (`service.sources.write_synthetic_finess`: Windows-1252, ``;``, header line, ``structureet``
   then ``geolocalisation`` lines in Lambert-93, in-scope categories weighted as in the
   national register) into a temporary file;
2. a throwaway PostGIS cluster (`service.embedded.EmbeddedPostgres`, ``fast=True``) holds two
   databases migrated with `service.migrate.upgrade`;
3. **parse**: `geodata.sources.finess.read_finess` (decoding, Lambert-93 → WGS84, validation
   by `graph.models.PartnerFields`);
4. **bulk write**, into the first database: `service.importer.import_source` — ``COPY`` into a
   temporary staging table, set-based ``INSERT``s of partners and provenances — then commit;
   then the same file again (**re-import**, which must report everything unchanged);
5. **ORM write**, into the second database: the same validated records, one ``Partner`` and
   its ``Provenance`` (the same JSON record) per row, ``session.add`` then ``session.flush()``
   after each row, one commit at the end (``--orm-rows`` limits it to the first N records:
   its rate is then measured on those).

Reported: seconds and rows per second of each step, parse + bulk write together, and the ratio
bulk / ORM in rows per second, against the issue's goals (≥ 20,000 rows/s, ≥ 10×).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from geodata.sources.common import ReadResult, SourceRecord
from geodata.sources.finess import read_finess
from service import store
from service.db import make_engine
from service.embedded import EmbeddedPostgres
from service.importer import import_source, record_payload
from service.migrate import upgrade
from service.sources import write_synthetic_finess
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


def _bulk(url: str, result: ReadResult) -> tuple[float, float, dict[str, int], dict[str, int]]:
    engine = make_engine(url)
    timings = []
    summaries = []
    for _ in range(2):  # a first import, then the same file again
        with Session(engine) as session:
            started = time.perf_counter()
            report = import_source(session, result, source="finess")
            session.commit()
            timings.append(time.perf_counter() - started)
            summaries.append(report.summary())
    engine.dispose()
    return timings[0], timings[1], summaries[0], summaries[1]


def _orm(url: str, records: Sequence[SourceRecord]) -> float:
    engine = make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        for record in records:
            row = Partner()
            store.apply_partner(row, record.partner)
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="établissements générés")
    parser.add_argument(
        "--orm-rows", type=int, default=None, help="lignes de l'insertion ORM (défaut : toutes)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="maillage-bench-import-") as tmp:
        path = Path(tmp) / "etalab-cs1100507-stock-synthetique.csv"
        started = time.perf_counter()
        write_synthetic_finess(path, args.rows, seed=args.seed)
        print(
            f"extraction FINESS synthétique : {_n(args.rows)} établissements, "
            f"{path.stat().st_size / 1e6:.1f} Mo (Windows-1252, Lambert-93), "
            f"écrite en {time.perf_counter() - started:.1f} s"
        )
        cluster = EmbeddedPostgres(Path(tmp) / "postgis", fast=True)
        try:
            url = cluster.start()
            bulk_url = _database(url, "bulk")
            orm_url = _database(url, "orm")
            print("PostGIS jetable démarré, deux bases migrées")

            started = time.perf_counter()
            result = read_finess(path)
            parse_s = time.perf_counter() - started
            rows = len(result.records)
            assert not result.rejections, result.rejections[:3]
            assert rows == args.rows, rows

            write_s, again_s, first, second = _bulk(bulk_url, result)
            assert first["créés"] == rows, first
            assert second["inchangés"] == rows, second

            orm_records = result.records[: args.orm_rows] if args.orm_rows else result.records
            orm_s = _orm(orm_url, orm_records)
        finally:
            cluster.stop()

    lines = [
        ("lecture (read_finess : décodage, Lambert-93, validation)", rows, parse_s),
        ("écriture en masse (COPY + INSERT ensemblistes, 1 transaction)", rows, write_s),
        ("lecture + écriture en masse", rows, parse_s + write_s),
        ("réimport du même fichier (tout « inchangé »)", rows, again_s),
        ("écriture ORM ligne à ligne (add + flush par ligne, 1 commit)", len(orm_records), orm_s),
    ]
    print(f"\n{'étape':<66}{'lignes':>9}{'secondes':>10}{'lignes/s':>11}")
    for label, count, seconds in lines:
        print(f"{label:<66}{_n(count):>9}{seconds:>10.2f}{_n(count / seconds):>11}")
    bulk_rate = rows / write_s
    orm_rate = len(orm_records) / orm_s
    ratio = bulk_rate / orm_rate
    print(
        f"\nécriture en masse / ORM : {ratio:.1f}× ({_n(bulk_rate)} contre {_n(orm_rate)} lignes/s)"
    )
    print(
        f"objectifs : ≥ {_n(GOAL_ROWS_PER_S)} lignes/s en écriture "
        f"{'atteint' if bulk_rate >= GOAL_ROWS_PER_S else 'NON atteint'}"
        f" ; ≥ {GOAL_RATIO:.0f}× l'ORM {'atteint' if ratio >= GOAL_RATIO else 'NON atteint'}"
    )
    print(f"réimport : {second}")


if __name__ == "__main__":
    main()
