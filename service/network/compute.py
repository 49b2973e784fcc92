"""The network analyses of one store snapshot, computed once and cached beside it.

`territory` assembles the records of `graph.network` from the snapshot (open partners, their
free places, their open offers) and two reads of `service.network.queries` (typed relations,
commune and EPCI of each partner): once per snapshot revision. `structure` and `partnerships`
cache their results under the snapshot too (`StoreSnapshot.derive`), keyed by their
parameters: any write to the store gives a new snapshot, hence fresh answers.

Travel times of the partnerships come from the service's travel model (`TravelService.matrix`:
the registered street networks and timetables, straight-line estimates elsewhere), from each
shelter or SIAE to each employment-side actor, within the budget asked; the estimated ones are
flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from graph.network.model import (
    NetworkPartner,
    NetworkRelation,
    Scope,
    build_graph,
    is_employment_side,
    undirected,
)
from graph.network.partnerships import (
    WARM_PATH_KINDS,
    Suggestion,
    candidates_of,
    origins_of,
    suggest,
    suggest_for_candidate,
)
from graph.network.structure import NetworkStructure, analyse
from service.network import queries
from service.store.snapshot import StoreSnapshot
from service.travel import TravelService


@dataclass(frozen=True, eq=False)
class Territory:
    """The whole network at one revision: partners by id, relations, the typed graph with every
    relation kind, its undirected view, and the undirected view of the links a warm path may
    follow (`graph.network.partnerships.WARM_PATH_KINDS`)."""

    partners: Mapping[str, NetworkPartner]
    relations: tuple[NetworkRelation, ...]
    graph: Any
    simple: Any
    warm: Any

    def in_scope(self, scope: Scope) -> list[NetworkPartner]:
        return [p for p in self.partners.values() if scope.keeps(p)]


def _open_offers(snapshot: StoreSnapshot) -> dict[str, tuple[int, int]]:
    """Per partner id: (open offers — places > 0 or not said —, places they state)."""
    found: dict[str, tuple[int, int]] = {}
    for offer in snapshot.offers.offers:
        if offer.places is not None and offer.places <= 0:
            continue
        count, places = found.get(offer.partner.id, (0, 0))
        found[offer.partner.id] = (count + 1, places + (offer.places or 0))
    return found


def _build_territory(session: Session, snapshot: StoreSnapshot) -> Territory:
    places = {pid: (code, epci) for pid, code, epci in session.execute(queries.partner_places())}
    offers = _open_offers(snapshot)
    partners: dict[str, NetworkPartner] = {}
    for pid, site in snapshot.partners.by_id.items():
        code, epci = places.get(pid, (None, None))
        count, offer_places = offers.get(pid, (0, 0))
        partners[pid] = NetworkPartner(
            id=pid,
            name=site.name,
            kind=site.kind,
            lon=site.lon,
            lat=site.lat,
            code_insee=code,
            epci=epci,
            available_places=site.available_places,
            offers=count,
            offer_places=offer_places,
        )
    relations = tuple(
        NetworkRelation(source, target, kind)
        for source, target, kind in session.execute(queries.typed_relations())
    )
    graph = build_graph(partners.values(), relations)
    warm = undirected(
        build_graph(partners.values(), relations, Scope(relation_kinds=WARM_PATH_KINDS))
    )
    return Territory(partners, relations, graph, undirected(graph), warm)


def territory(session: Session, snapshot: StoreSnapshot) -> Territory:
    """The network of ``snapshot`` (read once per revision)."""
    found: Territory = snapshot.derive(
        ("network", "territory"), lambda: _build_territory(session, snapshot)
    )
    return found


def structure(session: Session, snapshot: StoreSnapshot, scope: Scope) -> NetworkStructure:
    """`graph.network.structure.analyse` of the network inside ``scope``."""
    whole = territory(session, snapshot)

    def compute() -> NetworkStructure:
        graph = (
            whole.graph
            if scope == Scope()
            else build_graph(whole.partners.values(), whole.relations, scope)
        )
        return analyse(graph)

    found: NetworkStructure = snapshot.derive(("network", "structure", scope), compute)
    return found


def search_horizon(max_minutes: float) -> float:
    """How far times are searched, minutes: three times the budget, at least 90 and at most
    240 — the nearest employment actors beyond the budget of an origin that has none within
    it are looked for up to there."""
    return min(240.0, max(90.0, 3 * max_minutes))


KEEP = 20
"""Suggestions kept per origin (the most ``limit`` of ``/v1/network/partnerships`` asks)."""


@dataclass(frozen=True, eq=False)
class Partnerships:
    """Suggested partnerships of every shelter and SIAE, by origin id (best first), with the
    travel times' provenance: ``estimated_share`` of the origin–candidate pairs within the
    budget that are estimates, the networks that answered and their notices."""

    origins: tuple[NetworkPartner, ...]
    candidates: tuple[NetworkPartner, ...]
    minutes: np.ndarray
    estimated: np.ndarray
    mode: str
    max_minutes: float
    suggestions: Mapping[str, Sequence[Suggestion]]
    employment_linked: frozenset[str]
    estimated_share: float
    networks: tuple[str, ...]
    notices: tuple[str, ...]

    def for_candidate(self, territory: Territory, candidate: str) -> list[Suggestion]:
        """The same pairs read from an employment-side actor's side, best first."""
        return suggest_for_candidate(
            territory.simple,
            self.origins,
            self.candidates,
            self.minutes,
            self.estimated,
            candidate,
            budget=self.max_minutes,
            mode=self.mode,
            warm=territory.warm,
        )


def partnerships(
    session: Session,
    snapshot: StoreSnapshot,
    travel: TravelService,
    *,
    mode: str,
    max_minutes: float,
) -> Partnerships:
    """`graph.network.partnerships.suggest` for the whole territory, by ``mode`` within
    ``max_minutes``."""
    whole = territory(session, snapshot)

    def compute() -> Partnerships:
        everyone = list(whole.partners.values())
        origins, candidates = origins_of(everyone), candidates_of(everyone)
        matrix = travel.matrix(
            mode,
            np.array([(p.lon, p.lat) for p in origins], dtype=np.float64).reshape(-1, 2),
            np.array([(p.lon, p.lat) for p in candidates], dtype=np.float64).reshape(-1, 2),
            max_minutes=search_horizon(max_minutes),
        )
        within = matrix.minutes <= max_minutes
        share = float(matrix.estimated[within].mean()) if within.any() else 0.0
        found = suggest(
            whole.simple,
            origins,
            candidates,
            matrix.minutes,
            matrix.estimated,
            budget=max_minutes,
            mode=mode,
            warm=whole.warm,
            keep=KEEP,
        )
        kinds = dict(whole.simple.nodes(data="kind"))
        linked = frozenset(
            p.id for p in origins if any(is_employment_side(kinds[n]) for n in whole.simple[p.id])
        )
        return Partnerships(
            origins=tuple(origins),
            candidates=tuple(candidates),
            minutes=matrix.minutes,
            estimated=matrix.estimated,
            mode=mode,
            max_minutes=max_minutes,
            suggestions=found,
            employment_linked=linked,
            estimated_share=share,
            networks=matrix.networks,
            notices=matrix.notices,
        )

    key = ("network", "partnerships", mode, float(max_minutes))
    result: Partnerships = snapshot.derive(key, compute)
    return result
