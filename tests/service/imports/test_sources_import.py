"""Open-data imports into the store: one partner per structure across sources, freshness,
all-or-nothing, crash safety, the data·inclusion export, and fetching the official files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geodata.sources.common import ReadResult
from geodata.sources.data_inclusion import read_data_inclusion
from geodata.sources.finess import read_finess
from geodata.sources.geojson import read_partner_collection
from service.app import create_app
from service.cli.main import app as cli
from service.deps import get_session
from service.imports import readahead as importer
from service.imports.fetch import manifest
from service.imports.geojson import export_collection, import_collection
from service.imports.report import ImportReport
from service.imports.sources import import_source
from service.migrate import upgrade
from service.partners.schemas import PartnerDetail
from service.settings import Settings
from service.tables import Partner, Provenance
from tests.conftest import throwaway_database
from tests.geodata.sources import CENTROIDS, FIXTURES, shared

runner = CliRunner()

FINESS = FIXTURES / "finess_gard.csv"
SIAE_PAGE_1 = FIXTURES / "emplois_siaes_30_page1.json"
SIAE_PAGE_2 = FIXTURES / "emplois_siaes_30_page2.json"
DATA_INCLUSION = FIXTURES / "data_inclusion_gard.jsonl"
ESAT_SIRET = "29141777263178"  # ESAT Les Ateliers du Gardon: FINESS 300000029, DORA
CAARUD = "300000078"


def finess(path: Path = FINESS) -> ReadResult:
    return read_finess(path, commune_centroids=CENTROIDS)


def data_inclusion() -> ReadResult:
    return read_data_inclusion(DATA_INCLUSION, commune_centroids=CENTROIDS)


def load(db: Session, result: ReadResult | Iterable[ReadResult], source: str) -> ImportReport:
    """Import with ``partial`` (the fixtures have bad rows on purpose) and flush."""
    report = import_source(db, result, source=source, partial=True)
    assert report.applied
    db.flush()
    return report


def without(path: Path, tmp_path: Path, *numbers: str) -> Path:
    """The FINESS fixture without the lines of these establishments."""
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    kept = [line for line in lines if not any(f";{n};" in line for n in numbers)]
    out = tmp_path / f"finess-sans-{'-'.join(numbers)}.csv"
    out.write_bytes("\r\n".join(kept).encode("cp1252"))
    return out


def partner_of(db: Session, source: str, source_id: str) -> Partner:
    return db.scalars(
        select(Partner)
        .join(Provenance, Provenance.partner_id == Partner.id)
        .where(Provenance.source == source, Provenance.source_id == source_id)
    ).one()


# --- one structure, one partner --------------------------------------------------------------


def test_finess_then_data_inclusion_give_one_esat_with_two_provenances(
    db: Session, client: TestClient
) -> None:
    first = load(db, finess(), "finess")
    assert first.summary() == {
        "créés": 12,
        "mis à jour": 0,
        "inchangés": 0,
        "rejetés": 5,
        "hors périmètre": 2,
    }
    second = load(db, data_inclusion(), "data-inclusion")
    assert second.merged == 2  # the ESAT (same SIRET) and the CHRS Le Mas du Gardon (name, 150 m)
    assert second.created == len(data_inclusion().records) - 2
    assert second.opportunities["créées"] == 2

    (esat,) = db.scalars(select(Partner).where(Partner.siret == ESAT_SIRET)).all()
    assert esat is partner_of(db, "finess", "300000029")
    assert esat is partner_of(db, "dora", "dora--esat-ateliers-gardon")
    # the DORA record is the more complete: it is canonical, FINESS fills nothing it lacks
    assert (esat.source, esat.source_id) == ("dora", "dora--esat-ateliers-gardon")
    assert esat.opening_hours == "Mo-Fr 08:00-16:30"

    detail = PartnerDetail.model_validate(client.get(f"/v1/partners/{esat.id}").json())
    assert detail.status == "open"
    assert detail.closed_at is None
    assert [(p.source, p.source_id, p.source_updated_on) for p in detail.provenances] == [
        ("dora", "dora--esat-ateliers-gardon", dt.date(2025, 10, 12)),
        ("finess", "300000029", dt.date(2025, 9, 15)),
    ]
    # one pin: the search finds it once, under either source
    for source in ("finess", "dora"):
        found = client.get(
            "/v1/partners", params={"q": "Gardon", "kinds": "esat", "source": source}
        )
        assert [item["id"] for item in found.json()["items"]] == [str(esat.id)]


def test_reimports_report_everything_unchanged(db: Session) -> None:
    load(db, finess(), "finess")
    load(db, data_inclusion(), "data-inclusion")
    partners = db.scalar(select(func.count(Partner.id)))
    again_finess = load(db, finess(), "finess")
    again_di = load(db, data_inclusion(), "data-inclusion")
    for report, result in ((again_finess, finess()), (again_di, data_inclusion())):
        assert report.created == report.updated == report.merged == report.closed == 0
        assert report.unchanged == len(result.records)
    assert db.scalar(select(func.count(Partner.id))) == partners


def _state(db: Session) -> list[tuple[Any, ...]]:
    """Partners as comparable tuples: fields, provenances, opportunities (no ids, no dates)."""
    collection = export_collection(db)
    rows = []
    for feature in collection["features"]:
        props = dict(feature["properties"])
        props.pop("id")
        props.pop("updated_at")
        partner = db.get(Partner, uuid.UUID(feature["properties"]["id"]))
        assert partner is not None
        provenances = sorted((p.source, p.source_id) for p in partner.provenances)
        rows.append((json.dumps(props, sort_keys=True), feature["geometry"], provenances))
    return sorted(rows, key=lambda row: row[0])


def test_the_order_of_the_sources_does_not_matter(db: Session) -> None:
    first = db.begin_nested()
    load(db, finess(), "finess")
    load(db, data_inclusion(), "data-inclusion")
    finess_first = _state(db)
    first.rollback()
    assert db.scalar(select(func.count(Partner.id))) == 0
    load(db, data_inclusion(), "data-inclusion")
    load(db, finess(), "finess")
    assert _state(db) == finess_first


def test_a_partner_of_maillage_keeps_its_fields_when_a_source_lists_it(db: Session) -> None:
    own = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [4.0969, 44.1103]},
                "properties": {
                    "name": "ESAT Les Ateliers du Gardon",
                    "kind": "esat",
                    "siret": ESAT_SIRET,
                    "source": "maillage",
                    "source_id": "esat-gardon",
                },
            }
        ],
    }
    import_collection(db, read_partner_collection(own))
    db.flush()
    mine = partner_of(db, "maillage", "esat-gardon")
    assert [(p.source, p.feed, p.record) for p in mine.provenances] == [("maillage", None, None)]
    report = load(db, finess(), "finess")
    assert report.merged == 1  # same SIRET: attached, not a second pin
    assert partner_of(db, "finess", "300000029") is mine
    assert mine.name == "ESAT Les Ateliers du Gardon"  # not FINESS's capitals
    assert (mine.source, mine.source_id) == ("maillage", "esat-gardon")


# --- files streamed in parts ------------------------------------------------------------------


def in_parts(result: ReadResult, size: int) -> Iterator[ReadResult]:
    """``result`` as a streaming reader yields it: parts of ``size`` rows, lazily."""
    indexes = sorted({r.index for r in result.records} | result.rejected_indexes)
    for start in range(0, len(indexes), size):
        kept = set(indexes[start : start + size])
        yield ReadResult(
            records=[r for r in result.records if r.index in kept],
            rejections=[r for r in result.rejections if r.index in kept],
            skipped=result.skipped if start == 0 else 0,
        )


def test_a_file_streamed_in_parts_lands_as_when_read_whole(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = []
    for how in ("whole", "streamed", "whole, written in parts"):
        attempt = db.begin_nested()
        load(db, data_inclusion(), "data-inclusion")  # stored partners the FINESS rows meet
        result = finess()
        monkeypatch.setattr(importer, "_PART_ROWS", 4 if how.endswith("parts") else 10_000)
        report = load(db, in_parts(result, 3) if how == "streamed" else result, "finess")
        assert report.merged == 2  # the ESAT (SIRET) and the CHRS (name, 150 m), in two parts
        assert report.created == len(result.records) - 2
        assert report.total == result.total
        assert report.rejected == 5
        expected.append((_state(db), report.summary()))
        attempt.rollback()
    assert expected[0] == expected[1] == expected[2]


def test_a_rejection_in_a_late_part_writes_nothing_and_reports_every_rejection(
    db: Session,
) -> None:
    load(db, data_inclusion(), "data-inclusion")
    before = _state(db)
    result = finess()
    valid_first = ReadResult(records=result.records[:6])
    late = ReadResult(records=result.records[6:], rejections=result.rejections)
    report = import_source(db, iter([valid_first, late]), source="finess")
    assert not report.applied
    assert report.rejected == 5
    assert _state(db) == before  # the first part was written, then rolled back
    assert (
        db.scalar(select(func.count()).select_from(Provenance).where(Provenance.feed == "finess"))
        == 0
    )


def test_a_reader_failing_midway_writes_nothing_and_its_error_is_raised(db: Session) -> None:
    result = finess()

    def failing() -> Iterator[ReadResult]:
        yield ReadResult(records=result.records[:4])
        raise RuntimeError("lecture interrompue")

    threads = threading.active_count()
    with pytest.raises(RuntimeError, match="lecture interrompue"):
        import_source(db, failing(), source="finess", partial=True)
    assert db.scalar(select(func.count(Partner.id))) == 0
    assert threading.active_count() == threads  # the reader thread is gone


def test_parts_of_one_stream_come_from_one_provenance(db: Session) -> None:
    mixed = iter([finess(), data_inclusion()])
    with pytest.raises(ValueError, match="une seule provenance"):
        import_source(db, mixed, source="finess", partial=True)
    assert db.scalar(select(func.count(Partner.id))) == 0


def test_a_key_repeated_in_a_later_part_is_rejected(db: Session) -> None:
    records = finess().records
    again = replace(records[0], index=1000)
    report = import_source(
        db, iter([ReadResult(records=records), ReadResult(records=[again])]), source="finess"
    )
    assert not report.applied
    assert [(r.index, r.reason) for r in report.rejections] == [
        (1000, "doublon : même (source, source_id) que l'élément n°0")
    ]


# --- freshness -------------------------------------------------------------------------------


def test_a_record_gone_from_the_source_closes_its_partner_until_it_comes_back(
    db: Session, client: TestClient, tmp_path: Path
) -> None:
    load(db, finess(), "finess")
    caarud = partner_of(db, "finess", CAARUD)
    search = {"q": "CAARUD"}
    assert client.get("/v1/partners", params=search).json()["total"] == 1

    gone = load(db, finess(without(FINESS, tmp_path, CAARUD)), "finess")
    assert gone.closed == 1
    assert gone.unchanged == 11
    db.refresh(caarud)
    assert caarud.status == "closed"
    assert caarud.closed_at is not None
    assert client.get("/v1/partners", params=search).json()["total"] == 0
    closed = client.get("/v1/partners", params={**search, "status": "closed"}).json()
    assert [item["id"] for item in closed["items"]] == [str(caarud.id)]
    assert closed["items"][0]["status"] == "closed"
    detail = client.get(f"/v1/partners/{caarud.id}").json()
    assert detail["status"] == "closed"
    assert detail["provenances"][0]["gone_at"] is not None
    assert client.get("/v1/partners", params={**search, "status": "all"}).json()["total"] == 1

    back = load(db, finess(), "finess")
    assert back.reopened == 1
    assert back.updated == 1
    reopened = partner_of(db, "finess", CAARUD)
    assert reopened.status == "open"
    assert reopened.closed_at is None
    assert client.get("/v1/partners", params=search).json()["total"] == 1


def test_a_partner_another_source_still_lists_stays_open(db: Session, tmp_path: Path) -> None:
    load(db, finess(), "finess")
    load(db, data_inclusion(), "data-inclusion")
    esat = partner_of(db, "finess", "300000029")
    report = load(db, finess(without(FINESS, tmp_path, "300000029")), "finess")
    assert report.closed == 0
    db.refresh(esat)
    assert esat.status == "open"
    gone = {p.source: p.gone_at for p in esat.provenances}
    assert gone["finess"] is not None
    assert gone["dora"] is None
    assert esat.siret == ESAT_SIRET  # DORA's own record carries it


def test_without_close_missing_nothing_is_closed(db: Session, tmp_path: Path) -> None:
    load(db, finess(), "finess")
    report = import_source(
        db, finess(without(FINESS, tmp_path, CAARUD)), source="finess", partial=True,
        close_missing=False,
    )  # fmt: skip
    assert report.closed == 0
    assert partner_of(db, "finess", CAARUD).status == "open"


def test_rejected_rows_of_a_partial_import_are_not_taken_for_gone(
    db: Session, tmp_path: Path
) -> None:
    load(db, finess(), "finess")
    # the CAARUD's SIRET becomes invalid: its row is rejected, yet the CAARUD is not closed
    lines = FINESS.read_bytes().decode("cp1252").split("\r\n")
    for position, line in enumerate(lines):
        fields = line.split(";")
        if fields[:2] == ["structureet", CAARUD]:
            fields[22] = "12345678901234"
            lines[position] = ";".join(fields)
    broken = tmp_path / "caarud-siret-faux.csv"
    broken.write_bytes("\r\n".join(lines).encode("cp1252"))
    result = finess(broken)
    assert CAARUD in {r.source_id for r in result.rejections}
    report = load(db, result, "finess")
    assert report.closed == 0
    assert partner_of(db, "finess", CAARUD).status == "open"


def _app_with(db: Session, postgis_url: str, **settings: Any) -> FastAPI:
    app = create_app(Settings(env="test", database_url=postgis_url, **settings))

    def _session() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = _session
    return app


def test_stale_lists_partners_neither_updated_nor_dated_since_the_limit(
    db: Session, postgis_url: str, make_partner: Callable[..., Partner]
) -> None:
    load(db, finess(), "finess")
    fresh = make_partner(name="Fiche mise à jour aujourd'hui (fictif)")
    old = make_partner(name="Fiche oubliée (fictif)")
    old.updated_at = dt.datetime(2022, 6, 1, tzinfo=dt.UTC)
    db.flush()
    # the limit falls on 1 January 2024: only the CMP (maj 2023-12-01) and the forgotten one
    days = (dt.datetime.now(dt.UTC).date() - dt.date(2024, 1, 1)).days
    client = TestClient(_app_with(db, postgis_url, stale_after_days=days))
    stale = client.get("/v1/partners", params={"stale": "true", "size": 100}).json()
    names = {item["name"] for item in stale["items"]}
    assert names == {"CENTRE MEDICO-PSYCHOLOGIQUE DE BAGNOLS-SUR-CÈZE", old.name}
    assert fresh.name not in names
    everything = client.get("/v1/partners", params={"size": 100}).json()
    assert everything["total"] == 12 + 2


def test_stale_after_days_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_STALE_AFTER_DAYS", "30")
    assert Settings().stale_after_days == 30
    monkeypatch.setenv("MAILLAGE_STALE_AFTER_DAYS", "0")
    with pytest.raises(ValueError, match="stale_after_days"):
        Settings()


def test_the_api_records_the_provenance_of_partners_it_creates(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = {"name": "Atelier vélo (fictif)", "kind": "aci", "lon": 4.08, "lat": 44.12}
    created = client.post(
        "/v1/partners", json=body, headers={"Authorization": f"Bearer {keys['admin']}"}
    ).json()
    assert created["provenances"][0]["source"] == "maillage"
    assert created["provenances"][0]["source_id"] == created["source_id"]
    assert created["status"] == "open"


# --- the command line: all or nothing, real files, export ------------------------------------


@pytest.fixture
def env(scratch_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    return scratch_url


def _count(url: str, table: str = "partner") -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = text(f"SELECT count(*) FROM {table}")  # noqa: S608
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def test_ten_bad_rows_are_all_reported_in_french_and_nothing_is_written(
    env: str, tmp_path: Path
) -> None:
    bad = FIXTURES / "data_inclusion_10_bad.jsonl"
    report = tmp_path / "rejets.json"
    result = runner.invoke(cli, ["import", "data-inclusion", str(bad), "--report", str(report)])
    assert result.exit_code == 1, result.output
    assert "rien n'a été écrit" in result.output
    assert "rejetés 10" in result.output
    assert _count(env) == 0
    rejections = json.loads(report.read_text(encoding="utf-8"))["rejections"]
    assert len({r["index"] for r in rejections}) == 10
    reasons = " ".join(r["reason"] for r in rejections)
    for words in ("ligne JSON invalide", "objet JSON attendu", "champ obligatoire", "SIRET"):
        assert words in reasons
    partial = runner.invoke(cli, ["import", "data-inclusion", str(bad), "--partial"])
    assert partial.exit_code == 0, partial.output
    assert "créés 2" in partial.output
    assert _count(env) == 2


def test_a_bad_row_late_in_a_streamed_finess_file_writes_nothing(
    env: str, tmp_path: Path, write_synthetic_finess: Callable[..., None]
) -> None:
    """``maillage import finess`` reads and writes in parts of 10,000: a bad SIRET in the
    third part rolls back the two parts already written, unless ``--partial``."""
    big = tmp_path / "finess-25000.csv"
    write_synthetic_finess(big, 25_000, seed=3)
    lines = big.read_bytes().decode("cp1252").split("\r\n")
    structures = [i for i, line in enumerate(lines) if line.startswith("structureet;")]
    late = structures[23_456]
    fields = lines[late].split(";")
    fields[22] = "12345678901234"  # fails the Luhn check
    lines[late] = ";".join(fields)
    big.write_bytes("\r\n".join(lines).encode("cp1252"))

    refused = runner.invoke(cli, ["import", "finess", str(big)])
    assert refused.exit_code == 1, refused.output
    assert "rien n'a été écrit" in refused.output
    assert "rejetés 1" in refused.output
    assert "23456" in refused.output
    assert _count(env) == 0
    assert _count(env, "provenance") == 0

    partial = runner.invoke(cli, ["import", "finess", str(big), "--partial"])
    assert partial.exit_code == 0, partial.output
    assert "créés 24999" in partial.output
    assert _count(env) == 24_999


def test_an_unreadable_file_is_refused(env: str, tmp_path: Path) -> None:
    wrong = tmp_path / "pas-finess.csv"
    wrong.write_text("nofinesset;rs\n1;x\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", "finess", str(wrong)])
    assert result.exit_code == 2
    assert "extraction FINESS attendue" in result.output


def test_real_agencies_of_the_gard_and_a_data_inclusion_duplicate(env: str) -> None:
    agencies = shared("structures/les_emplois_prescriber_organizations.json")
    communes = shared("population/communes_france_2026.json")
    args = ["import", "agencies", str(agencies), "--departement", "30", "--communes", str(communes)]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 1  # one of the 14 (kind "Autre") has no maillage equivalent
    assert "« Autre »" in refused.output
    first = runner.invoke(cli, [*args, "--partial"])
    assert first.exit_code == 0, first.output
    assert "créés 13, mis à jour 0, inchangés 0, rejetés 1" in first.output
    assert "hors périmètre 989" in first.output
    again = runner.invoke(cli, [*args, "--partial"])
    assert "créés 0, mis à jour 0, inchangés 13, rejetés 1" in again.output
    di = runner.invoke(cli, ["import", "data-inclusion", str(DATA_INCLUSION), "--partial"])
    assert di.exit_code == 0, di.output
    # France Travail Alès Avène of DORA is the agency of the referential: attached to it; the
    # crèche without coordinates sits on its commune's centroid though no commune is loaded
    assert "créés 5, mis à jour 0, inchangés 0, rejetés 4, rattachés 1" in di.output
    engine = create_engine(env)
    try:
        with Session(engine) as session:
            ales = partner_of(session, "dora", "dora--ft-ales-avene")
            assert sorted(p.source for p in ales.provenances) == ["dora", "emplois-prescripteurs"]
            assert session.scalar(select(func.count(Partner.id))) == 13 + 5
    finally:
        engine.dispose()


def test_real_mediation_numerique_places(env: str) -> None:
    places = shared("structures/mediation_numerique_aura.json")
    communes = shared("population/communes_france_2026.json")
    args = ["import", "mediation-numerique", str(places), "--communes", str(communes)]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "créés 687, mis à jour 0, inchangés 0, rejetés 0" in first.output
    again = runner.invoke(cli, args)
    assert "créés 0, mis à jour 0, inchangés 687, rejetés 0" in again.output
    assert _count(env) == 687
    assert _count(env, "provenance") == 687


def test_export_data_inclusion_gives_valid_v1_structures(env: str, tmp_path: Path) -> None:
    for feed, path in (("finess", FINESS), ("data-inclusion", DATA_INCLUSION)):
        result = runner.invoke(cli, ["import", feed, str(path), "--partial"])
        assert result.exit_code == 0, result.output
    out = tmp_path / "structures.json"
    exported = runner.invoke(cli, ["export", "data-inclusion", str(out)])
    assert exported.exit_code == 0, exported.output
    structures = json.loads(out.read_text(encoding="utf-8"))
    assert len(structures) == _count(env)
    schema = json.loads(shared("schema/data-inclusion/v1/structure.json").read_text("utf-8"))
    for structure in structures:
        for key in schema["required"]:
            assert structure.get(key), (key, structure)
        assert set(structure) <= set(schema["properties"])
        assert structure["source"] == "maillage"
        assert structure["id"].startswith("maillage--")
    assert len({s["id"] for s in structures}) == len(structures)
    esat = next(s for s in structures if s["siret"] == ESAT_SIRET)
    assert esat["reseaux_porteurs"] == ["esat"]


# --- kill -9 ---------------------------------------------------------------------------------


@pytest.fixture
def clean_url(postgis_url: str) -> Iterator[str]:
    """A second empty database, for the clean run."""
    with throwaway_database(postgis_url, "clean") as url:
        yield url


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _snapshot(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with Session(engine) as session:  # disposed below; an assertion here ends the test anyway
        state = _state(session)
        provenances = session.execute(
            select(
                Provenance.source,
                Provenance.source_id,
                Provenance.feed,
                Provenance.record,
                Provenance.source_updated_on,
                Provenance.gone_at.is_(None),
            ).order_by(Provenance.source, Provenance.source_id)
        ).all()
    engine.dispose()
    return [*state, *(tuple(row) for row in provenances)]


_KILL_APP = "maillage-kill-test"
_WRITING = """
    SELECT a.pid FROM pg_stat_activity a
    JOIN pg_locks l ON l.pid = a.pid JOIN pg_class c ON c.oid = l.relation
    WHERE a.application_name = %s AND c.relname = 'partner' AND l.mode = 'RowExclusiveLock'
"""


@pytest.mark.slow
def test_an_import_killed_midway_leaves_the_store_as_a_clean_run_would(
    scratch_url: str,
    clean_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write_synthetic_finess: Callable[..., None],
) -> None:
    """SIGKILL while the import's transaction is writing partners (its INSERT holds a
    RowExclusiveLock on ``partner``, seen in ``pg_locks``): nothing is left; re-running gives
    exactly the state of a clean run into another database."""
    big = tmp_path / "etalab-cs1100507-stock-synthetique.csv"
    write_synthetic_finess(big, 30_000, seed=7)
    for url in (scratch_url, clean_url):
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
    environment = {
        **os.environ,
        "DATABASE_URL": f"{scratch_url}?application_name={_KILL_APP}",
        "MAILLAGE_HOME": str(tmp_path / "home"),
    }
    command = [sys.executable, "-c", "from service.cli.main import main; main()"]
    process = subprocess.Popen(
        [*command, "import", "finess", str(big)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with psycopg.connect(_libpq(scratch_url), autocommit=True) as watch:
        deadline = time.monotonic() + 180
        backend = None
        while backend is None:
            assert process.poll() is None, "l'import s'est terminé avant d'être tué"
            assert time.monotonic() < deadline, "l'import n'a jamais écrit de partenaire"
            row = watch.execute(_WRITING, (_KILL_APP,)).fetchone()
            backend = row[0] if row else None
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
        for table in ("partner", "provenance"):
            assert watch.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608
        deadline = time.monotonic() + 30  # the orphaned backend notices its client is gone
        while watch.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone():
            if time.monotonic() > deadline:
                watch.execute("SELECT pg_terminate_backend(%s)", (backend,))
            time.sleep(0.05)

    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    for url in (scratch_url, clean_url):
        monkeypatch.setenv("DATABASE_URL", url)
        result = runner.invoke(cli, ["import", "finess", str(big)])
        assert result.exit_code == 0, result.output
        assert "créés 30000, mis à jour 0, inchangés 0, rejetés 0" in result.output
    assert _snapshot(scratch_url) == _snapshot(clean_url)


# --- territory fetch -------------------------------------------------------------------------


class _Files:
    """What the local server answers: path (with query) → responses, the last one repeated."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, bytes]]] = {}
        self.hits: Counter[str] = Counter()

    def add(self, path: str, body: bytes | Any, *, failures: int = 0) -> bytes:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.routes[path] = [(503, b"indisponible")] * failures + [(200, data)]
        return data


@pytest.fixture
def server() -> Iterator[tuple[str, _Files]]:
    files = _Files()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            files.hits[self.path] += 1
            answers = files.routes.get(self.path, [(404, b"introuvable")])
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_manifest_of_the_gard_names_the_official_publications() -> None:
    entries = manifest("30")
    text_ = repr(entries)
    for expected in (
        "download.geofabrik.de/europe/france/languedoc-roussillon-latest.osm.pbf",
        "download.geofabrik.de/europe/france/languedoc-roussillon-latest.osm.pbf.md5",
        "finess-extraction-du-fichier-des-etablissements",
        "etalab-cs1100507-stock",
        "referentiel-de-loffre-dinsertion",
        "@etalab/decoupage-administratif@6.0.0/data/communes.json",
        "EmploisSiaes(departement='30'",
        "TransportGtfs",
    ):
        assert expected in text_
    assert "corse" in repr(manifest("2a"))
    assert "EmploisSiaes(departement='2A'" in repr(manifest("2a"))  # every département
    with pytest.raises(ValueError, match="département inconnu"):
        manifest("99")


def test_territory_fetch_retries_checks_and_renames_atomically(
    server: tuple[str, _Files], tmp_path: Path
) -> None:
    base, files = server
    osm = files.add("/europe/france/languedoc-roussillon-latest.osm.pbf", b"PBF" * 1000, failures=2)
    md5 = hashlib.md5(osm).hexdigest()  # noqa: S324 (Geofabrik publishes md5)
    files.add(
        "/europe/france/languedoc-roussillon-latest.osm.pbf.md5",
        f"{md5}  languedoc-roussillon-latest.osm.pbf\n".encode(),
    )
    finess_csv = FINESS.read_bytes()
    finess_path = (
        "/resources/finess-extraction-du-fichier-des-etablissements/20260512-091152/"
        "etalab-cs1100507-stock-20260512-0339.csv"
    )
    files.add(finess_path, finess_csv)
    files.add(
        "/api/1/datasets/finess-extraction-du-fichier-des-etablissements/",
        {
            "resources": [
                {
                    "title": "Extraction Finess des établissements géolocalisés",
                    "url": f"https://static.data.gouv.fr{finess_path}",
                    "last_modified": "2026-05-12T09:11:52",
                    "checksum": {"type": "sha1", "value": hashlib.sha1(finess_csv).hexdigest()},  # noqa: S324
                },
                {
                    "title": "ancienne extraction",
                    "url": "https://static.data.gouv.fr/resources/x/etalab-cs1100507-stock-20260312-0339.csv",
                    "last_modified": "2026-03-12T09:00:00",
                },
                {
                    "title": "sans géolocalisation",
                    "url": "https://static.data.gouv.fr/resources/x/etalab-cs1100502-stock-20260512-0339.csv",
                    "last_modified": "2026-05-12T09:11:53",
                },
            ]
        },
    )
    structures = DATA_INCLUSION.read_bytes()
    di = "/resources/referentiel-de-loffre-dinsertion-liste-des-structures-et-services-dinsertion"
    files.add(f"{di}/structures-inclusion-2026-05-01.json", structures)
    files.add(f"{di}/services-inclusion-2026-05-01.json", b"[]")
    files.add(
        "/api/1/datasets/referentiel-de-loffre-dinsertion-liste-des-structures-et-services-dinsertion/",
        {
            "resources": [
                {
                    "title": "structures",
                    "url": f"https://static.data.gouv.fr{di}/structures-inclusion-2026-05-01.json",
                    "checksum": {"type": "sha256", "value": hashlib.sha256(structures).hexdigest()},
                },
                {
                    "title": "services",
                    "url": f"https://static.data.gouv.fr{di}/services-inclusion-2026-05-01.json",
                    "checksum": {"type": "sha256", "value": "0" * 64},  # does not match
                },
            ]
        },
    )
    communes = files.add("/@etalab/decoupage-administratif@6.0.0/data/communes.json", [])
    siae = _serve_siae_pages(files)
    gtfs = files.add("/resources/81234/download", b"PK\x05\x06" + b"\0" * 18)
    files.add(
        "/api/datasets",
        [
            {
                "slug": "reseau-tango-nimes-metropole",
                "title": "Réseau Tango (Nîmes Métropole)",
                "resources": [
                    {"id": 81234, "format": "GTFS", "url": "https://transport.data.gouv.fr/resources/81234/download"},
                    {"id": 81235, "format": "gtfs-rt", "url": "https://example.org/rt"},
                ],
            },
            {
                "slug": "reseau-star-rennes",
                "title": "Réseau STAR (Rennes)",
                "resources": [{"id": 1, "format": "GTFS", "url": "https://example.org/star.zip"}],
            },
        ],
    )  # fmt: skip
    out = tmp_path / "gard"
    result = runner.invoke(
        cli, ["territory", "fetch", "--departement", "30", "--out", str(out), "--base-url", base]
    )
    assert result.exit_code == 1, result.output  # the services file was refused
    assert "somme de contrôle sha256 incorrecte" in result.output
    assert files.hits["/europe/france/languedoc-roussillon-latest.osm.pbf"] == 3
    # not a real extract: downloaded and verified, but osmium cannot cut it
    assert "découpage impossible de languedoc-roussillon-latest.osm.pbf" in result.output
    written = {
        "languedoc-roussillon-latest.osm.pbf": osm,
        "finess-etablissements.csv": finess_csv,
        "data-inclusion-structures.json": structures,
        "communes.json": communes,
        "siae.json": siae,
        "gtfs-reseau-tango-nimes-metropole-81234.zip": gtfs,
    }
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "SHA256SUMS"])
    for name, data in written.items():
        assert (out / name).read_bytes() == data
    sums = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sums == [f"{hashlib.sha256(written[n]).hexdigest()}  {n}" for n in sorted(written)]

    # a second run keeps the files whose published checksum matches
    again = runner.invoke(
        cli, ["territory", "fetch", "--departement", "30", "--out", str(out), "--base-url", base]
    )
    assert again.exit_code == 1
    assert files.hits[finess_path] == 1  # verified by its published checksum: not fetched again
    assert files.hits["/europe/france/languedoc-roussillon-latest.osm.pbf"] == 3  # md5 matches


def _serve_siae_pages(files: _Files, *, failures: int = 0) -> bytes:
    """The two Les emplois API pages of the fixtures; returns what `territory fetch` writes."""
    first = json.loads(SIAE_PAGE_1.read_text(encoding="utf-8"))
    second = json.loads(SIAE_PAGE_2.read_text(encoding="utf-8"))
    files.add("/api/v1/siaes/?departement=30", first)
    files.add("/api/v1/siaes/?departement=30&page=2", second, failures=failures)
    whole = {
        "count": 36,
        "next": None,
        "previous": None,
        "results": first["results"] + second["results"],
    }
    return json.dumps(whole, ensure_ascii=False).encode("utf-8")


def test_territory_fetch_follows_every_siae_page_and_a_failed_page_writes_nothing(
    server: tuple[str, _Files], tmp_path: Path
) -> None:
    base, files = server
    expected = _serve_siae_pages(files, failures=2)
    manifest_file = tmp_path / "manifeste.json"
    manifest_file.write_text("[]", encoding="utf-8")
    out = tmp_path / "gard"
    out.mkdir()
    (out / "siae.json").write_bytes(b"{}")  # an earlier run's file
    from service.imports.download import Client, FetchError
    from service.imports.fetch import EmploisSiaes, fetch_pages

    client = Client(base, 1, 0.01, 5.0)
    with pytest.raises(FetchError, match="page 2 en échec, rien n'est écrit"):
        fetch_pages(EmploisSiaes("30"), client, out)
    assert (out / "siae.json").read_bytes() == b"{}"  # kept as it was
    assert not list(out.glob("*.part"))
    fetched = fetch_pages(EmploisSiaes("30"), client, out)  # the page is back
    assert (out / "siae.json").read_bytes() == expected
    assert fetched.sha256 == hashlib.sha256(expected).hexdigest()
    assert files.hits["/api/v1/siaes/?departement=30"] == 2


def test_an_incomplete_siae_page_closes_nothing(env: str, tmp_path: Path) -> None:
    whole = tmp_path / "siae.json"
    first = json.loads(SIAE_PAGE_1.read_text(encoding="utf-8"))
    second = json.loads(SIAE_PAGE_2.read_text(encoding="utf-8"))
    results = first["results"] + second["results"]
    whole.write_text(
        json.dumps({"count": 36, "next": None, "previous": None, "results": results}),
        encoding="utf-8",
    )
    report = tmp_path / "rapport.json"
    done = runner.invoke(
        cli,
        ["import", "siae", str(whole), "--departement", "30", "--partial", "--report", str(report)],
    )
    assert done.exit_code == 0, done.output
    counts = json.loads(report.read_text(encoding="utf-8"))["counts"]
    assert counts["fiches"] == 34
    assert counts["rejetes"] == 2
    assert "34 fiche(s)" in done.output
    page = runner.invoke(cli, ["import", "siae", str(SIAE_PAGE_1), "--departement", "30"])
    assert page.exit_code == 0, page.output
    assert "aucune fiche n'est considérée comme fermée" in page.output
    assert "fermés" not in page.output
    engine = create_engine(env)
    with Session(engine) as session:
        closed = session.scalar(
            select(func.count()).select_from(Partner).where(Partner.status == "closed")
        )
        geocoded = session.scalars(
            select(Provenance.record["geocoding"].astext).where(Provenance.source == "emplois-siae")
        ).all()
    engine.dispose()
    assert closed == 0
    assert set(geocoded) == {"commune"}
    assert len(geocoded) == 34


def test_territory_fetch_gives_up_in_french(server: tuple[str, _Files], tmp_path: Path) -> None:
    base, files = server
    files.add("/toujours-en-panne.bin", b"ok", failures=10)
    files.add("/fichier.bin", b"contenu")
    entries = [
        {"name": "panne.bin", "url": "https://example.org/toujours-en-panne.bin"},
        {"name": "absent.bin", "url": "https://example.org/absent.bin"},
        {"name": "faux.bin", "url": "https://example.org/fichier.bin", "sha256": "ab" * 32},
        {"name": "bon.bin", "url": "https://example.org/fichier.bin",
         "sha256": hashlib.sha256(b"contenu").hexdigest()},
    ]  # fmt: skip
    path = tmp_path / "manifeste.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        ["territory", "fetch", "--departement", "30", "--out", str(out), "--manifest", str(path),
         "--base-url", base, "--retries", "1"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "échec après 2 tentative(s) (HTTP 503)" in result.output
    assert "refusé par le serveur (HTTP 404)" in result.output
    assert "somme de contrôle sha256 incorrecte" in result.output
    assert files.hits["/toujours-en-panne.bin"] == 2
    assert files.hits["/absent.bin"] == 1  # a 404 is not retried
    assert sorted(p.name for p in out.iterdir()) == ["SHA256SUMS", "bon.bin"]


def test_text_with_backslashes_tabs_and_newlines_goes_through_copy_unchanged(db: Session) -> None:
    record = finess().records[0]
    name = 'Foyer « l\'Abri » \\ chemin "du Gardon"\tbis'
    source_id = "id\\with\ttab\nand\rreturns"
    odd = replace(
        record,
        partner=record.partner.model_copy(update={"name": name, "source_id": source_id}),
        source_id=source_id,
        extra={**record.extra, "note": 'a\\b\n"c"'},
    )
    report = import_source(db, ReadResult(records=[odd]), source="finess")
    assert report.applied
    assert report.created == 1
    provenance = db.scalars(select(Provenance).where(Provenance.source_id == source_id)).one()
    assert provenance.record is not None
    assert provenance.record["extra"]["note"] == 'a\\b\n"c"'
    assert provenance.record["partner"]["name"] == name
    partner = partner_of(db, "finess", source_id)
    assert partner.name == name
    again = import_source(db, ReadResult(records=[odd]), source="finess")
    assert again.unchanged == 1


def test_a_nul_character_in_a_record_rejects_that_record_only(db: Session) -> None:
    first, second, third, *_ = finess().records
    nul_id = replace(third, source_id=third.source_id + "\x00")
    nul_extra = replace(second, extra={**second.extra, "note": "a\x00b"})
    report = import_source(
        db, ReadResult(records=[first, nul_extra, nul_id]), source="finess", partial=True
    )
    assert report.applied
    assert report.created == 1
    assert sorted((r.index, r.field, r.reason, r.source_id) for r in report.rejections) == [
        (second.index, "enregistrement", "caractère nul interdit", second.source_id),
        (third.index, "enregistrement", "caractère nul interdit", None),
    ]


def test_a_nul_character_in_a_finess_line_rejects_that_line(db: Session, tmp_path: Path) -> None:
    lines = FINESS.read_bytes().splitlines(keepends=True)
    first, second = [i for i, line in enumerate(lines) if line.startswith(b"structureet")][:2]
    for index, cell in ((first, 4), (second, 19)):  # rslongue (the name); libcategetab (extra)
        cells = lines[index].split(b";")
        cells[cell] = cells[cell][:4] + b"\x00" + cells[cell][4:]
        lines[index] = b";".join(cells)
    path = tmp_path / "finess-nul.csv"
    path.write_bytes(b"".join(lines))
    clean, result = finess(), finess(path)
    report = import_source(db, result, source="finess", partial=True)
    assert report.applied
    assert report.created > 0
    stored = set(db.scalars(select(Provenance.source_id).where(Provenance.source == "finess")))
    assert stored.isdisjoint({"300000011", "300000029"})
    known = {(r.field, r.reason, r.source_id) for r in clean.rejections}
    assert {(r.field, r.reason, r.source_id) for r in report.rejections} - known == {
        ("name", "caractère nul interdit", "300000011"),
        ("enregistrement", "caractère nul interdit", "300000029"),
    }
