"""One snapshot of the store: what matching, coverage and the territory pages read.

A `StoreSnapshot` is the territory's state at one store revision (a counter that a trigger
bumps on every write to partners, opportunities, relations, communes and demand layers,
whoever writes): the open partners and their offers as column tables for `graph.matching`, the
relations, the communes (polygons EPSG:4326, population, town halls) and the demand layers.
It is immutable; things derived from it (a commune FeatureCollection, coverage results) are
cached beside it under its revision. A new snapshot is built from the previous one: a table
whose rows have not changed (same row-version fingerprint) keeps its part as it is, and among
the partners only the rows whose version moved are read again, their offers re-attached; the
result is the same as a full read (tested), for a fraction of its cost.

`SnapshotHolder` keeps the current snapshot. **A write never blocks reads**: when a request
sees that the store moved (one ``SELECT revision`` at most every ``check_interval_s``), the
new snapshot is built by a background thread with its own session while requests keep being
answered from the previous one; every answer says which revision answered
(`REVISION_HEADER`). Writes arriving during a build are folded into the next build (at most
one build runs, and one waits); builds start at least ``rebuild_interval_s`` apart (2 s by
default) and never take more than half of the time, so that a stream of writes cannot take
the processor from the requests: a write is answered within a few seconds. Only the very
first snapshot is built in the request (or at startup, in the lifespan). ``refresh="inline"``
rebuilds in the request instead: for a session that no other connection can see (tests inside
a rolled-back transaction).
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy.orm import Session

from geodata.lru import LRUCache
from graph.inputs import STORED
from graph.matching import Offer, OfferTable, PartnerSite, RelationIndex, SupportTable
from graph.models import Eligibility
from service.errors import is_database_outage
from service.logs import exception_classes, masked_traceback
from service.store import queries

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Refresh = Literal["background", "inline"]

REVISION_HEADER = "X-Store-Revision"
"""Response header: the store revision whose snapshot answered the request."""


@dataclass(frozen=True, slots=True)
class Site:
    """An open partner as coverage sees it (`graph.coverage.SiteRecord`); lon/lat EPSG:4326."""

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    thematiques: tuple[str, ...]
    capacity: int | None


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """A stored demand layer, without its values."""

    id: int
    name: str
    label: str
    unit: str | None
    source: str | None
    zone_kind: str


Fingerprint = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class _Partners:
    """The open partners, by id: as matching sites, as coverage sites, their row versions, and
    the support table."""

    by_id: Mapping[str, PartnerSite]
    site_of: Mapping[str, Site]
    versions: Mapping[str, int]
    supports: SupportTable

    @cached_property
    def sites(self) -> tuple[Site, ...]:
        return tuple(self.site_of.values())


@dataclass(frozen=True, eq=False)
class _Communes:
    """Communes in code INSEE order: polygons EPSG:4326, population, town halls (n, 2) lon/lat
    (a point inside the commune when the town hall is unknown)."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    population: FloatArray
    geometries: Any
    points: FloatArray


@dataclass(frozen=True, eq=False)
class StoreSnapshot:
    """The store at one revision. Communes are in code INSEE order, sites in id order."""

    revision: int
    partners: _Partners  # matching's support table, coverage's sites
    offers: OfferTable
    relations: RelationIndex
    relation_pairs: tuple[tuple[str, str], ...]
    communes: _Communes
    layers: Mapping[str, LayerInfo]
    layer_data: Mapping[str, tuple[list[str], FloatArray]]
    fingerprints: Mapping[str, Fingerprint] = field(default_factory=dict, repr=False)
    build_seconds: float = 0.0
    derived: LRUCache[Hashable, Any] = field(default_factory=lambda: LRUCache(64), repr=False)

    @property
    def supports(self) -> SupportTable:
        return self.partners.supports

    @property
    def sites(self) -> tuple[Site, ...]:
        return self.partners.sites

    @cached_property
    def site_by_id(self) -> dict[str, Site]:
        return dict(self.partners.site_of)

    @property
    def codes(self) -> tuple[str, ...]:
        return self.communes.codes

    @property
    def names(self) -> tuple[str, ...]:
        return self.communes.names

    @property
    def population(self) -> FloatArray:
        return self.communes.population

    @property
    def geometries(self) -> Any:
        """Numpy array of shapely (Multi)Polygons, EPSG:4326."""
        return self.communes.geometries

    @property
    def points(self) -> FloatArray:
        return self.communes.points

    def layer_values(self, layer: LayerInfo) -> tuple[list[str], FloatArray]:
        """Zone ids and values of a stored layer."""
        return self.layer_data[layer.name]

    def derive(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A value computed once from this snapshot (LRU of 64 entries)."""
        return self.derived.get_or_compute(key, compute)


def current_revision(session: Session) -> int:
    """The store revision as the session sees it."""
    return int(session.scalar(queries.revision()) or 0)


class _Eligibilities:
    """Eligibility documents validated once each (they repeat a lot), by their ``jsonb`` text."""

    def __init__(self) -> None:
        self._found: dict[str | None, Eligibility] = {}

    def __call__(self, document: str | None) -> Eligibility:
        found = self._found.get(document)
        if found is None:
            found = Eligibility.model_validate(
                json.loads(document) if document else {}, context=STORED
            )
            self._found[document] = found
        return found


def _read_partners(
    session: Session, eligibility: _Eligibilities, previous: _Partners | None
) -> tuple[_Partners, set[str]]:
    """The open partners, and the ids whose record changed since ``previous`` (all of them
    without one). Only the rows whose version moved are read again."""
    versions: dict[str, int] = {
        pid: int(version) for pid, version in session.execute(queries.partner_versions())
    }
    rows: Iterable[Any]
    if previous is None:
        changed = set(versions)
        rows = session.execute(queries.open_partners())
    else:
        changed = {pid for pid, v in versions.items() if previous.versions.get(pid) != v}
        changed |= set(previous.versions).difference(versions)  # closed or deleted
        fresh = sorted(changed & versions.keys())
        rows = session.execute(queries.open_partners(fresh)) if fresh else iter(())
    read: dict[str, tuple[PartnerSite, Site]] = {}
    for pid, name, kind, lon, lat, themes, places, capacity, hours, elig, org, *contact in rows:
        address, phone, email, activities = contact
        thematiques = tuple(themes or ())
        x, y = float(lon), float(lat)
        site = PartnerSite(
            id=pid,
            name=name,
            kind=kind,
            lon=x,
            lat=y,
            thematiques=thematiques,
            available_places=places,
            capacity=capacity,
            opening_hours=hours,
            eligibility=eligibility(elig),
            organisation_id=org,
            address=address,
            phone=phone,
            email=email,
            activities=activities,
        )
        read[pid] = (site, Site(pid, name, kind, x, y, thematiques, capacity))
    by_id: dict[str, PartnerSite] = {}
    site_of: dict[str, Site] = {}
    for pid in versions:  # in id order, as a full read gives them
        if pid in read:
            by_id[pid], site_of[pid] = read[pid]
        elif previous is not None and pid in previous.by_id:
            by_id[pid], site_of[pid] = previous.by_id[pid], previous.site_of[pid]
    partners = _Partners(by_id, site_of, versions, SupportTable.from_sites(list(by_id.values())))
    return partners, changed


def _offer(row: Any, partner: PartnerSite, eligibility: _Eligibilities) -> Offer:
    return Offer(
        id=row.id,
        title=row.title,
        kind=row.kind,
        partner=partner,
        contract=row.contract,
        rome_code=row.rome_code,
        hours_min=row.hours_min,
        hours_max=row.hours_max,
        schedule=row.schedule,
        atypical_hours=row.atypical_hours,
        places=row.places,
        requirements=eligibility(row.requirements),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
    )


def _read_offers(
    session: Session,
    partners: _Partners,
    eligibility: _Eligibilities,
    *,
    previous: OfferTable | None,
    changed: set[str],
) -> OfferTable:
    """The offers of the open partners. With the ``previous`` table of an unchanged
    opportunity table, only the offers of the ``changed`` partners are read again."""
    by_id = partners.by_id
    if previous is None:
        every = session.execute(queries.opportunities())
        return OfferTable.from_offers(
            [_offer(o, by_id[o.partner_id], eligibility) for o in every if o.partner_id in by_id]
        )
    kept = [offer for offer in previous.offers if offer.partner.id not in changed]
    fresh = sorted(changed & by_id.keys())
    rows: Iterable[Any] = session.execute(queries.opportunities(fresh)) if fresh else iter(())
    offers = kept + [_offer(o, by_id[o.partner_id], eligibility) for o in rows]
    # the order of a full read (by uuid): a uuid's canonical text sorts as its 128 bits do
    offers.sort(key=lambda offer: offer.id)
    return OfferTable.from_offers(offers)


def _read_communes(session: Session) -> _Communes:
    rows = session.execute(queries.communes()).all()
    return _Communes(
        codes=tuple(row[0] for row in rows),
        names=tuple(row[1] for row in rows),
        population=np.array([float(row[2]) for row in rows], dtype=np.float64),
        geometries=shapely.from_wkb([bytes(row[3]) for row in rows])
        if rows
        else np.array([], dtype=object),
        points=np.array([(row[4], row[5]) for row in rows], dtype=np.float64).reshape(-1, 2),
    )


def _read_layers(
    session: Session,
) -> tuple[dict[str, LayerInfo], dict[str, tuple[list[str], FloatArray]]]:
    layers = {
        row.name: LayerInfo(row.id, row.name, row.label, row.unit, row.source, row.zone_kind)
        for row in session.scalars(queries.demand_layers())
    }
    data: dict[str, tuple[list[str], FloatArray]] = {}
    for layer in layers.values():
        rows = session.execute(queries.demand_values(layer.id)).all()
        data[layer.name] = (
            [zone for zone, _ in rows],
            np.array([v for _, v in rows], dtype=np.float64),
        )
    return layers, data


def build_snapshot(session: Session, previous: StoreSnapshot | None = None) -> StoreSnapshot:
    """Read partners, opportunities, relations, communes and demand layers.

    With a ``previous`` snapshot, the parts whose tables have not changed since (same
    fingerprint, `service.store.queries.table_fingerprints`) are kept as they are: a write to
    one partner re-reads the partners and their offers, not the communes, the relations or
    the demand layers. The revision is read first: a write that lands during the build makes
    the snapshot look older than what it holds, never newer, so it is rebuilt again rather
    than kept stale.
    """
    started = time.perf_counter()
    revision = current_revision(session)
    prints: dict[str, Fingerprint] = {
        name: (int(n), int(total), int(top))
        for name, n, total, top in session.execute(queries.table_fingerprints())
    }
    old = previous.fingerprints if previous is not None else {}

    def kept(*tables: str) -> bool:
        return previous is not None and all(old.get(t) == prints[t] for t in tables)

    eligibility = _Eligibilities()
    if previous is not None and kept("partner"):
        partners, changed = previous.partners, set[str]()
    else:
        partners, changed = _read_partners(
            session, eligibility, previous.partners if previous is not None else None
        )
    if previous is not None and kept("opportunity") and not changed:
        offers = previous.offers
    else:
        offers = _read_offers(
            session,
            partners,
            eligibility,
            previous=previous.offers if previous is not None and kept("opportunity") else None,
            changed=changed,
        )
    if previous is not None and kept("relation"):
        pairs, relations = previous.relation_pairs, previous.relations
    else:
        pairs = tuple((s, t) for s, t in session.execute(queries.relation_pairs()))
        relations = RelationIndex(pairs)
    if previous is not None and kept("commune"):
        communes = previous.communes
    else:
        communes = _read_communes(session)
    if previous is not None and kept("demand_layer", "demand_value"):
        layers, layer_data = dict(previous.layers), dict(previous.layer_data)
    else:
        layers, layer_data = _read_layers(session)
    return StoreSnapshot(
        revision=revision,
        partners=partners,
        offers=offers,
        relations=relations,
        relation_pairs=pairs,
        communes=communes,
        layers=layers,
        layer_data=layer_data,
        fingerprints=prints,
        build_seconds=time.perf_counter() - started,
    )


class SnapshotHolder:
    """The current `StoreSnapshot`, refreshed when the store revision moves.

    ``sessions`` opens a session of its own for background builds (`attach` sets it in the
    lifespan); without it, and with ``refresh="inline"``, a stale snapshot is rebuilt in the
    request that notices it.
    """

    def __init__(
        self,
        *,
        refresh: Refresh = "background",
        check_interval_s: float = 0.5,
        rebuild_interval_s: float = 2.0,
    ) -> None:
        self.refresh: Refresh = refresh
        self.check_interval_s = check_interval_s
        self.rebuild_interval_s = rebuild_interval_s
        self.build_starts: list[float] = []  # monotonic seconds, the last 100 background builds
        self.builds = 0
        self._snapshot: StoreSnapshot | None = None
        self._sessions: Callable[[], Session] | None = None
        self._checked_at = 0.0
        self._latest_seen = -1
        self._lock = threading.Lock()  # the first build and inline rebuilds
        self._worker: threading.Thread | None = None
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._stopping = False
        self._database_lost = False

    def attach(self, sessions: Callable[[], Session]) -> None:
        """Give the holder its own sessions (the lifespan's sessionmaker): builds go background."""
        self._sessions = sessions

    @property
    def current(self) -> StoreSnapshot | None:
        return self._snapshot

    def load(self, session: Session) -> StoreSnapshot:
        """Build the snapshot now, in this thread (startup), and keep it."""
        snapshot = build_snapshot(session, self._snapshot)
        self._install(snapshot)
        return snapshot

    def get(self, session: Session) -> StoreSnapshot:
        """The snapshot to answer with; never waits for a rebuild once one snapshot exists."""
        snapshot = self._snapshot
        if snapshot is None:
            with self._lock:
                snapshot = self._snapshot
                if snapshot is None:
                    snapshot = self.load(session)
            return snapshot
        background = self.refresh == "background" and self._sessions is not None
        now = time.monotonic()
        if background and now - self._checked_at < self.check_interval_s:
            return snapshot
        self._checked_at = now
        revision = current_revision(session)
        if revision == snapshot.revision:
            return snapshot
        if background:
            self._latest_seen = max(self._latest_seen, revision)
            self._request_build()
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.revision != current_revision(session):
                snapshot = self.load(session)
        return snapshot

    def wait_until(self, revision: int, timeout_s: float = 60.0) -> StoreSnapshot | None:
        """Wait for a snapshot at ``revision`` or later (tests, CLI); ``None`` on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            snapshot = self._snapshot
            if snapshot is not None and snapshot.revision >= revision:
                return snapshot
            self._latest_seen = max(self._latest_seen, revision)
            self._request_build()
            time.sleep(0.02)
        return None

    def close(self) -> None:
        """Stop the background builder (the lifespan's end)."""
        self._stopping = True
        self._stop.set()
        self._wanted.set()
        worker = self._worker
        if worker is not None:
            worker.join(timeout=30)

    # -- background builds

    def _request_build(self) -> None:
        self._wanted.set()
        worker = self._worker
        if worker is None or not worker.is_alive():
            with self._lock:
                worker = self._worker
                if worker is None or not worker.is_alive():
                    self._worker = threading.Thread(
                        target=self._run, name="maillage-snapshot", daemon=True
                    )
                    self._worker.start()

    def _run(self) -> None:
        while not self._stopping and self._wanted.wait(timeout=5.0):
            if self._stopping:
                return
            self._wanted.clear()
            sessions = self._sessions
            if sessions is None:
                return
            current = self._snapshot
            try:
                with sessions() as session, _yielding_often():
                    revision = current_revision(session)
                    if self._database_lost:
                        self._database_lost = False
                        logger.warning("instantané de la base : base de nouveau joignable")
                    if current is not None and revision == current.revision:
                        continue  # already up to date: a request raced the last build
                    self.build_starts = [*self.build_starts[-99:], time.monotonic()]
                    snapshot = build_snapshot(session, current)
            except Exception as exc:  # the previous snapshot keeps answering; retried in 1 s
                if not is_database_outage(exc):
                    logger.error(  # the traceback without its values
                        "instantané de la base non reconstruit (%s)\n%s",
                        exception_classes(exc),
                        masked_traceback(exc),
                    )
                elif not self._database_lost:  # once per outage, without a traceback
                    self._database_lost = True
                    logger.warning(
                        "instantané de la base non reconstruit : base injoignable (%s) ; "
                        "le précédent (révision %s) continue de répondre",
                        type(exc).__name__,
                        current.revision if current is not None else "aucune",
                    )
                if is_database_outage(exc):
                    self._wanted.set()  # try again until the database is back
                self._stop.wait(1.0)
                continue
            self._install(snapshot)
            if snapshot.revision < self._latest_seen:
                self._wanted.set()
            # Writes that arrive meanwhile wait for the next build: builds start at least
            # `rebuild_interval_s` apart, and never take more than half of the time.
            spacing = max(self.rebuild_interval_s, 2 * snapshot.build_seconds)
            self._stop.wait(max(0.0, spacing - snapshot.build_seconds))

    def _install(self, snapshot: StoreSnapshot) -> None:
        current = self._snapshot
        if current is None or snapshot.revision >= current.revision:
            self._snapshot = snapshot
            self.builds += 1
            if self.refresh == "background":  # a server; not a test inside a transaction
                _out_of_the_collectors_sight()
            logger.info(
                "instantané de la base : révision %d en %.2f s",
                snapshot.revision,
                snapshot.build_seconds,
            )


FULL_COLLECTION_EVERY_S = 600.0
"""How often (seconds, at most) the frozen objects are given back to a full collection."""

_last_full_collection = time.monotonic()


def _out_of_the_collectors_sight() -> None:
    """Move the long-lived objects (the snapshot's hundreds of thousands) out of the cyclic
    garbage collector's sight.

    Each full collection scans every tracked object: with a snapshot in memory, one took
    100–200 ms at 5,000 partners and stopped every request meanwhile. Frozen objects
    (`gc.freeze`) are skipped by the collector but still freed by reference counting: a
    snapshot holds no reference cycle, so a replaced one goes as soon as no request uses it.
    The young generations are collected first, so that little cyclic garbage is frozen; the
    little that is (measured: about 20 objects a build) is given back to one full collection
    every `FULL_COLLECTION_EVERY_S` at most.
    """
    global _last_full_collection  # noqa: PLW0603 - one process-wide clock, like the collector
    now = time.monotonic()
    if now - _last_full_collection >= FULL_COLLECTION_EVERY_S:
        _last_full_collection = now
        gc.unfreeze()
        gc.collect()
    else:
        gc.collect(1)
    gc.freeze()


BUILD_SWITCH_INTERVAL_S = 0.0005
"""The interpreter's thread switch interval while a snapshot is built in the background, s."""


@contextmanager
def _yielding_often() -> Iterator[None]:
    """Let request threads take the interpreter lock back quickly while a snapshot is built.

    A request waits for the lock after each database round trip; with a build running, that
    wait lasts up to the switch interval (5 ms by default) each time, and a request makes
    several: lowered to 0.5 ms during a build, a request barely notices it.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(BUILD_SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
