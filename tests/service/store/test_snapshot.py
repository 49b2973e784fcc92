"""One snapshot of the store: built at startup, refreshed in the background, never waited for.

On a committed database of its own (the background builder opens its own sessions, which would
not see a test transaction), with the real app and its lifespan.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from service import auth
from service.app import create_app
from service.db import make_engine
from service.migrate import upgrade
from service.settings import Settings
from service.store import records, snapshot
from service.store.snapshot import REVISION_HEADER, SnapshotHolder, current_revision
from service.tables import Opportunity, Partner
from tests.conftest import ALES, bearer, partner_fields

MATCH = {
    "location": {"lat": ALES[1], "lon": ALES[0]},
    "modes": [{"mode": "walk", "max_minutes": 30}],
    "limit": 5,
}


def _app(url: str, *, check: float, rebuild: float) -> FastAPI:
    """The real app on ``url``, its snapshot checked and rebuilt at these intervals (s)."""
    return create_app(
        Settings(
            env="test",
            database_url=url,
            snapshot_check_seconds=check,
            snapshot_rebuild_seconds=rebuild,
        )
    )


@dataclass(frozen=True)
class Served:
    """The app under test, its platform key, an engine on its database."""

    client: TestClient
    key: str
    engine: Any

    @property
    def holder(self) -> SnapshotHolder:
        holder: SnapshotHolder = self.client.app.state.snapshots  # type: ignore[attr-defined]
        return holder


@pytest.fixture
def served(scratch_url: str) -> Iterator[Served]:
    """The app on a committed database with one partner and one opportunity, and a platform key."""
    engine = make_engine(scratch_url)
    upgrade(engine)
    with Session(engine) as session:
        row = Partner()
        records.apply_partner(row, partner_fields(name="Atelier du Gardon (fictif)", kind="aci"))
        session.add(row)
        key, _ = auth.create_api_key(session, role="platform")
        session.commit()
    with TestClient(_app(scratch_url, check=0.0, rebuild=0.0)) as client:
        yield Served(client, key, engine)
    engine.dispose()


def _add_partner(engine: Any, name: str) -> int:
    with Session(engine) as session:
        row = Partner()
        records.apply_partner(row, partner_fields(name=name, kind="aci"))
        session.add(row)
        session.commit()
        return current_revision(session)


def test_the_snapshot_is_built_at_startup(served: Served) -> None:
    client, key, engine, holder = served.client, served.key, served.engine, served.holder
    builds = holder.builds
    with Session(engine) as session:
        revision = current_revision(session)
    assert holder.current is not None
    assert holder.current.revision == revision
    response = client.post("/v1/matches", json=MATCH, headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.headers[REVISION_HEADER] == str(revision)
    assert holder.builds == builds  # the first request did not build anything


def test_a_write_is_answered_from_the_previous_snapshot_then_the_new_one(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, key, engine, holder = served.client, served.key, served.engine, served.holder
    before = holder.current
    assert before is not None
    real_build = snapshot.build_snapshot
    started, release = threading.Event(), threading.Event()

    def slow_build(
        session: Session, previous: snapshot.StoreSnapshot | None = None
    ) -> snapshot.StoreSnapshot:
        started.set()
        release.wait(timeout=30)  # a rebuild that takes as long as the test wants
        return real_build(session, previous)

    monkeypatch.setattr(snapshot, "build_snapshot", slow_build)
    revision = _add_partner(engine, "Chantier des Cévennes (fictif)")
    assert revision > before.revision

    answered = []
    for _ in range(5):  # while the rebuild runs, requests are answered at once, old revision
        t0 = time.perf_counter()
        response = client.post("/v1/matches", json=MATCH, headers=bearer(key))
        answered.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.text
        assert response.headers[REVISION_HEADER] == str(before.revision)
    assert started.wait(timeout=10), "la reconstruction n'a pas démarré"
    assert max(answered) < 5.0
    release.set()

    after = holder.wait_until(revision, timeout_s=30)
    assert after is not None
    assert after.revision == revision
    response = client.post("/v1/matches", json=MATCH, headers=bearer(key))
    assert response.headers[REVISION_HEADER] == str(revision)
    names = {site.name for site in after.sites}
    assert "Chantier des Cévennes (fictif)" in names


def test_writes_during_a_build_are_folded_into_the_next_one(
    served: Served,
) -> None:
    client, key, engine, holder = served.client, served.key, served.engine, served.holder
    builds = holder.builds
    last = 0
    for i in range(10):
        last = _add_partner(engine, f"Employeur {i} (fictif)")
        client.post("/v1/matches", json=MATCH, headers=bearer(key))
    final = holder.wait_until(last, timeout_s=30)
    assert final is not None
    assert final.revision == last
    assert len([s for s in final.sites if s.name.startswith("Employeur ")]) == 10
    assert holder.builds - builds <= 10


def test_the_revision_is_read_at_most_once_per_interval(scratch_url: str) -> None:
    engine = make_engine(scratch_url)
    upgrade(engine)
    with Session(engine) as session:
        auth.create_api_key(session, role="viewer")
        session.commit()
    app = _app(scratch_url, check=30.0, rebuild=0.0)
    statements: list[str] = []
    with TestClient(app) as client:

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(app.state.engine, "before_cursor_execute", count)
        for _ in range(20):
            response = client.get("/v1/communes")
            assert response.status_code == 200
        event.remove(app.state.engine, "before_cursor_execute", count)
    engine.dispose()
    assert sum("store_revision" in s for s in statements) <= 1


def test_a_rebuild_keeps_the_parts_whose_tables_did_not_change(
    served: Served,
) -> None:
    engine, holder = served.engine, served.holder
    before = holder.current
    assert before is not None
    revision = _add_partner(engine, "Garage solidaire (fictif)")
    after = holder.wait_until(revision, timeout_s=30)
    assert after is not None
    assert after.fingerprints["partner"] != before.fingerprints["partner"]
    assert after.partners is not before.partners  # re-read: a partner was written
    assert after.relations is before.relations  # kept: no relation was written
    assert after.communes is before.communes
    assert "Garage solidaire (fictif)" in {site.name for site in after.sites}
    with Session(engine) as session:  # a fresh build from scratch gives the same snapshot
        fresh = snapshot.build_snapshot(session)
    assert fresh.fingerprints == after.fingerprints
    assert [s.id for s in fresh.sites] == [s.id for s in after.sites]
    assert fresh.relation_pairs == after.relation_pairs
    assert len(fresh.offers) == len(after.offers)


def test_a_partial_rebuild_equals_a_full_one(served: Served) -> None:
    """Partners re-read row by row, their offers re-attached: the same as reading everything."""
    engine, holder = served.engine, served.holder
    with Session(engine) as session:
        employer = Partner()
        records.apply_partner(employer, partner_fields(name="Menuiserie (fictif)", kind="ei"))
        session.add(employer)
        session.flush()
        session.add(
            Opportunity(partner_id=employer.id, title="Menuisier (H/F)", kind="emploi", places=2)
        )
        employer_id = employer.id
        session.commit()
        revision = current_revision(session)
    first = holder.wait_until(revision, timeout_s=30)
    assert first is not None
    with Session(engine) as session:  # one partner changes its places, another closes
        changed = session.get(Partner, employer_id)
        assert changed is not None
        changed.available_places = 7
        other = session.query(Partner).filter(Partner.name == "Atelier du Gardon (fictif)").one()
        other.status = "closed"
        other.closed_at = records.now()
        session.commit()
        revision = current_revision(session)
    after = holder.wait_until(revision, timeout_s=30)
    assert after is not None
    assert after.offers is not first.offers
    with Session(engine) as session:
        fresh = snapshot.build_snapshot(session)

    def offers(table: Any) -> list[tuple[str, str, int | None]]:
        return [(o.id, o.partner.id, o.partner.available_places) for o in table.offers]

    assert offers(after.offers) == offers(fresh.offers)
    assert (str(employer_id), 7) in {
        (o.partner.id, o.partner.available_places) for o in after.offers.offers
    }
    assert [s.id for s in after.supports.sites] == [s.id for s in fresh.supports.sites]
    assert [s.id for s in after.sites] == [s.id for s in fresh.sites]
    assert "Atelier du Gardon (fictif)" not in {s.name for s in after.sites}


def test_every_answer_from_the_snapshot_says_its_revision(
    served: Served,
) -> None:
    client, key, engine = served.client, served.key, served.engine
    with Session(engine) as session:
        revision = str(current_revision(session))
    communes = client.get("/v1/communes")  # a GeoJSON body returned as is
    assert communes.status_code == 200
    assert communes.headers[REVISION_HEADER] == revision
    matched = client.post("/v1/matches", json=MATCH, headers=bearer(key))  # a model
    assert matched.headers[REVISION_HEADER] == revision
    health = client.get("/health")  # not answered from the snapshot
    assert REVISION_HEADER not in health.headers


def test_builds_are_spaced_so_that_writes_cannot_take_the_processor(scratch_url: str) -> None:
    engine = make_engine(scratch_url)
    upgrade(engine)
    with TestClient(_app(scratch_url, check=0.0, rebuild=1.0)) as client:
        holder: SnapshotHolder = client.app.state.snapshots  # type: ignore[attr-defined]
        last = 0
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:  # a write every 0.1 s, each seen at once
            last = _add_partner(engine, "Écriture continue (fictif)")
            client.get("/v1/communes")
            time.sleep(0.1)
        assert holder.wait_until(last, timeout_s=30) is not None
        starts = holder.build_starts
    engine.dispose()
    assert 2 <= len(starts) <= 6  # about 35 writes, a build a second at most
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.95
