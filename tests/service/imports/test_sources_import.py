"""Open-data imports into the store: one partner per structure across sources, freshness,
all-or-nothing, crash safety, the data·inclusion export, and fetching the official files."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
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


def test_stale_follows_the_rule_of_each_source(
    db: Session, postgis_url: str, make_partner: Callable[..., Partner]
) -> None:
    from geodata.sources.communes import CommuneReference

    load(db, finess(), "finess")
    communes = CommuneReference.national()
    directory = read_data_inclusion(DI_FRANCE, DI_FRANCE_SERVICES, communes=communes)
    load(db, directory, "data-inclusion")
    fresh = make_partner(name="Fiche mise à jour aujourd'hui (fictif)")
    old = make_partner(name="Fiche oubliée (fictif)")
    old.updated_at = dt.datetime(2022, 6, 1, tzinfo=dt.UTC)
    db.flush()
    # the limit falls on 1 May 2025. FINESS is a register: listed by today's import, its
    # establishments are current, whatever their « maj » (the CMP's is 2023-12-01). The
    # directory's records are as old as their producer's date: two were last confirmed before
    days = (dt.datetime.now(dt.UTC).date() - dt.date(2025, 5, 1)).days
    client = TestClient(_app_with(db, postgis_url, stale_after_days=days))
    stale = client.get("/v1/partners", params={"stale": "true", "size": 100}).json()
    names = {item["name"] for item in stale["items"]}
    assert names == {
        "Croix-Rouge, unité locale d'Alès (fictif)",  # date_maj 2024-03-01
        "Épicerie solidaire de Beaucaire (fictif)",  # date_maj 2025-02-01
        old.name,
    }
    assert fresh.name not in names
    everything = client.get("/v1/partners", params={"size": 100}).json()
    assert everything["total"] == 12 + len(directory.records) + 2

    # the home page's figures: the same stale count, and the two signals apart by source
    freshness = client.get("/v1/stats").json()["freshness"]
    assert freshness["stale"] == stale["total"] == 3
    assert freshness["stale_after_days"] == days
    assert freshness["edited"] == 2  # written in maillage: their own modification date
    by_source = {s["source"]: s for s in freshness["sources"]}
    register = by_source["finess"]
    assert (register["rule"], register["records"], register["stale"]) == ("registre", 12, 0)
    assert register["last_seen"] is not None  # seen in today's extract
    assert register["producer_oldest"] == "2023-12-01"  # the CMP's « maj »: old, not stale
    directories = [s for s in freshness["sources"] if s["rule"] == "annuaire"]
    assert sum(s["stale"] for s in directories) == 2
    assert sum(s["records"] for s in freshness["sources"]) == 12 + len(directory.records)
    assert "12 mois" not in freshness["rule"]
    assert str(days) in freshness["rule"]


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
    # crèche without coordinates sits on its commune's centroid though no commune is loaded,
    # the association without network is imported as « autre »
    assert "créés 6, mis à jour 0, inchangés 0, rejetés 2, rattachés 1" in di.output
    engine = create_engine(env)
    try:
        with Session(engine) as session:
            ales = partner_of(session, "dora", "dora--ft-ales-avene")
            assert sorted(p.source for p in ales.provenances) == ["dora", "emplois-prescripteurs"]
            assert session.scalar(select(func.count(Partner.id))) == 13 + 6
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


def test_the_collector_waits_for_the_end_of_the_import(db: Session) -> None:
    """Python's cyclic collector is paused while the parts are written (it walked the records
    in flight after each part) and back on afterwards, also when the import fails."""
    during: list[bool] = []
    report = import_source(
        db,
        finess(),
        source="finess",
        partial=True,
        progress=lambda _: during.append(gc.isenabled()),
    )
    assert report.applied
    assert during
    assert not any(during)
    assert gc.isenabled()

    def failing(_: int) -> None:
        raise RuntimeError("arrêt")

    with pytest.raises(RuntimeError):
        import_source(db, finess(), source="finess", partial=True, progress=failing)
    assert gc.isenabled()


def test_every_partner_field_goes_through_the_typed_staging_unchanged(db: Session) -> None:
    """The set-based statements read the partner fields from typed staging columns (not from
    the record's JSON): numbers, lists and texts with COPY's special characters come back
    equal, and a re-import of the same record is unchanged."""
    from graph import vocabulary

    record = finess().records[0]
    fields = {
        "name": 'Pension « Le Mas » \\ "bis"',
        "address": "2 rue\tdu Gardon\nBP 12 \\ 30100 ALES",
        "capacity": 25,
        "available_places": 3,
        "opening_hours": "Mo-Fr 09:00-17:30; Sa 10:00-12:00",
        "publics": sorted(vocabulary.publics())[:2],
        "thematiques": sorted(vocabulary.thematiques())[:3],
        "description": "Accueil\r\nde jour ; « tout public »\t\\ fin",
        "lon": 4.081012345678901,
        "lat": 44.12500000000001,
    }
    odd = replace(record, partner=record.partner.model_copy(update=fields))
    report = import_source(db, ReadResult(records=[odd]), source="finess")
    assert report.created == 1
    partner = partner_of(db, "finess", record.source_id)
    for field, value in fields.items():
        if field not in ("lon", "lat"):
            assert getattr(partner, field) == value, field
    lon, lat = db.execute(select(func.ST_X(Partner.geom), func.ST_Y(Partner.geom))).one()
    assert (lon, lat) == (fields["lon"], fields["lat"])  # the same doubles, not rounded
    assert partner.contact == odd.partner.contact.model_dump(exclude_none=True)
    assert import_source(db, ReadResult(records=[odd]), source="finess").unchanged == 1


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


# --- national files, after `territory load --departement 30` only ------------------------------

FINESS_FRANCE = FIXTURES / "finess_france.csv"
DI_FRANCE = FIXTURES / "data_inclusion_france_structures.json"
DI_FRANCE_SERVICES = FIXTURES / "data_inclusion_france_services.json"


def _counts(report: Path) -> dict[str, int]:
    counts: dict[str, int] = json.loads(report.read_text(encoding="utf-8"))["counts"]
    return counts


def _adds_up(counts: dict[str, int]) -> bool:
    parts = ("fiches", "services_rattaches", "offres", "rejetes", "hors_perimetre")
    return counts["elements"] == sum(counts[name] for name in parts)


def test_national_files_load_for_the_gard_and_for_france(env: str, tmp_path: Path) -> None:
    loaded = runner.invoke(cli, ["territory", "load", "--departement", "30"])
    assert loaded.exit_code == 0, loaded.output
    report = tmp_path / "rapport.json"
    # the Gard: other départements out of scope, nothing rejected, no --partial needed
    for args in (
        ["finess", str(FINESS_FRANCE)],
        ["data-inclusion", str(DI_FRANCE), "--services", str(DI_FRANCE_SERVICES)],
    ):
        gard = runner.invoke(cli, ["import", *args, "--departement", "30", "--report", str(report)])
        assert gard.exit_code == 0, gard.output
        counts = _counts(report)
        assert counts["rejetes"] == 0
        assert counts["hors_perimetre"] > 0
        assert _adds_up(counts), counts
        assert "élément(s) lu(s) =" in gard.output
    di = _counts(report)
    assert di == {
        "elements": 14,
        "fiches": 5,
        "services_rattaches": 3,
        "offres": 1,
        "rejetes": 0,
        "hors_perimetre": 5,
        "types_par_defaut": 3,
    }
    # all of France: every commune placed, nothing rejected
    for args in (
        ["finess", str(FINESS_FRANCE)],
        ["data-inclusion", str(DI_FRANCE), "--services", str(DI_FRANCE_SERVICES)],
    ):
        france = runner.invoke(cli, ["import", *args, "--report", str(report)])
        assert france.exit_code == 0, france.output
        counts = _counts(report)
        assert counts["rejetes"] == 0
        assert counts["hors_perimetre"] == (1 if args[0] == "finess" else 0)  # the EHPAD
        assert _adds_up(counts), counts
    engine = create_engine(env)
    with Session(engine) as session:
        marseille = partner_of(session, "finess", "130000011")
        assert marseille.code_insee == "13201"
        restos = partner_of(session, "dora", "dora--restos-nimes")
        assert (restos.kind, restos.family) == ("autre-acces-aux-droits", "acces-aux-droits")
        beaucaire = partner_of(session, "soliguide", "soliguide--sans-reseau-beaucaire")
        assert (beaucaire.kind, beaucaire.family) == ("autre", "autres")
    engine.dispose()


def test_default_kind_on_the_command_line(env: str) -> None:
    done = runner.invoke(
        cli, ["import", "data-inclusion", str(DI_FRANCE), "--default-kind", "france-service"]
    )
    assert done.exit_code == 0, done.output
    assert "rangée(s) dans un type « autre »" in done.output
    engine = create_engine(env)
    with Session(engine) as session:
        beaucaire = partner_of(session, "soliguide", "soliguide--sans-reseau-beaucaire")
        assert beaucaire.kind == "france-service"
    engine.dispose()
    refused = runner.invoke(
        cli, ["import", "data-inclusion", str(DI_FRANCE), "--default-kind", "bistrot"]
    )
    assert refused.exit_code == 2
    assert "type d’acteur inconnu" in refused.output


# --- geocoding you can trust -----------------------------------------------------------------


def test_partners_placed_at_their_commune_are_filtered_and_counted(
    db: Session, client: TestClient
) -> None:
    from geodata.sources.communes import CommuneReference

    result = read_finess(FINESS_FRANCE, communes=CommuneReference.national())
    load(db, result, "finess")
    page = client.get("/v1/partners", params={"geocoding": "commune", "size": 100}).json()
    names = {item["name"] for item in page["items"]}
    assert names == {
        "CHRS LA PAUSE MARSEILLE (FICTIF)",  # no geolocalisation
        "CHU LA BOUSSOLE (FICTIF)",  # its point was at Brest: moved to Nîmes
        "PENSION DE FAMILLE LES CEVENNES (FICTIF)",  # sourcecoordet ADMIN-EXPRESS
    }
    precise = client.get("/v1/partners", params={"geocoding": "source", "size": 100}).json()
    assert precise["total"] == len(result.records) - 3
    moved = partner_of(db, "finess", "300000129")
    detail = client.get(f"/v1/partners/{moved.id}").json()
    assert detail["code_insee"] == "30189"
    record = next(p for p in moved.provenances if p.source == "finess").record
    assert record is not None
    assert "à 816.7 km de la commune 30189 (Nîmes)" in record["extra"]["notes"][0]
    assert client.get("/v1/stats").json()["commune_placed"] == 3
    bad = client.get("/v1/partners", params={"geocoding": "adresse"})
    assert bad.status_code == 422


def test_a_national_les_emplois_page_loads_for_all_of_france(env: str, tmp_path: Path) -> None:
    """SIAE of every part of France in one API page (no ``--departement``), in a store where
    only the Gard's communes were loaded: each placed at its commune, none rejected."""
    loaded = runner.invoke(cli, ["territory", "load", "--departement", "30"])
    assert loaded.exit_code == 0, loaded.output
    template = json.loads(SIAE_PAGE_1.read_text(encoding="utf-8"))["results"][1]
    towns = [
        ("29200", "BREST", "29", "29019"),
        ("13001", "MARSEILLE", "13", "13201"),
        ("20000", "AJACCIO", "2A", "2A004"),
        ("75015", "PARIS 15", "75", "75115"),
        ("97300", "CAYENNE", "973", "97302"),
        ("30100", "ALES", "30", "30007"),
    ]
    sirets = [r["siret"] for r in json.loads(SIAE_PAGE_1.read_text("utf-8"))["results"]][:6]
    results = [
        {**template, "siret": siret, "code_postal": postcode, "ville": town, "departement": dep}
        for siret, (postcode, town, dep, _) in zip(sirets, towns, strict=True)
    ]
    page = tmp_path / "siaes-france.json"
    page.write_text(
        json.dumps({"count": 6, "next": None, "previous": None, "results": results}),
        encoding="utf-8",
    )
    report = tmp_path / "rapport.json"
    done = runner.invoke(cli, ["import", "siae", str(page), "--report", str(report)])
    assert done.exit_code == 0, done.output
    counts = json.loads(report.read_text(encoding="utf-8"))["counts"]
    assert (counts["fiches"], counts["rejetes"], counts["hors_perimetre"]) == (6, 0, 0)
    engine = create_engine(env)
    with Session(engine) as session:
        placed = dict(
            session.execute(
                select(Partner.siret, Partner.code_insee).where(Partner.source == "emplois-siae")
            ).all()
        )
    engine.dispose()
    assert placed == {siret: code for siret, (*_, code) in zip(sirets, towns, strict=True)}
