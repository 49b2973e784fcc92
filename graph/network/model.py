"""The partner network as a typed directed graph, and the scope an analysis looks at.

`build_graph` turns plain records — `NetworkPartner` (an open partner, EPSG:4326 lon/lat in
degrees) and `NetworkRelation` (a typed, directed relation of ``graph.models.RELATION_KINDS``) —
into a :class:`networkx.MultiDiGraph`: one node per partner (its id), one edge per relation,
keyed by its kind, so that two partners may be linked by a « convention » and an « oriente-vers »
at once. Every edge carries its great-circle length (``distance_m``, metres,
`geodata.sphere.haversine_m`): how far the two structures are, which a person oriented along
the edge has to travel.

A `Scope` narrows the graph before any analysis: relation kinds, families of partners, a
bounding box, a list of EPCI (SIREN) or of communes (code INSEE). A partner outside the scope is
dropped with its relations; a relation of a kind outside the scope is dropped alone.

The analyses of `graph.network.structure` read the *undirected view* (`undirected`): a simple
graph where two partners are neighbours when any relation, in either direction, links them.
Brokerage, cut vertices and communities are properties of who is connected to whom; the
direction and the kind of a link only matter for the flows (orientations), which the typed
graph keeps.

The **employment side** is defined here once (`is_employment_side`,
`EMPLOYMENT_SIDE_DEFINITION`): the employers — every kind of the families « Employeurs
inclusifs » (SIAE, ESAT, EA, GEIQ…) and « Employeurs ordinaires » (entreprises, intérim),
`graph.coverage.EMPLOYER_FAMILIES` — and the service public de l'emploi with its platforms
(`SPE_KINDS`). The **shelters** are the partners of the family « Hébergement (AHI) »
(`graph.coverage.AHI_FAMILY`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Final

import networkx as nx

from geodata.sphere import haversine_m
from graph import vocabulary
from graph.coverage import AHI_FAMILY, EMPLOYER_FAMILIES

__all__ = [
    "AHI_FAMILY",
    "EMPLOYMENT_SIDE_DEFINITION",
    "SPE_KINDS",
    "NetworkPartner",
    "NetworkRelation",
    "Scope",
    "build_graph",
    "is_employment_side",
    "is_shelter",
    "undirected",
]

SPE_KINDS: Final = frozenset(
    {
        "france-travail",
        "mission-locale",
        "cap-emploi-reseau-cheops",
        "plie",
        "maisons-de-l-emploi",
        "plateforme-emploi",
    }
)
"""The service public de l'emploi and the territorial employment platforms (ex. TESA), which
count on the employment side with the employers."""

EMPLOYMENT_SIDE_DEFINITION: Final = (
    "Côté emploi : les employeurs — inclusifs (SIAE, ESAT, entreprises adaptées, GEIQ…) et "
    "ordinaires (entreprises, agences d'intérim) — et le service public de l'emploi avec ses "
    "plateformes (France Travail, missions locales, Cap emploi, PLIE, maisons de l'emploi, "
    "plateformes de médiation vers l'emploi comme TESA). Côté hébergement : les structures de la "
    "famille « Hébergement (AHI) » (CHRS, CHU, CPH, CADA, pensions de famille…)."
)
"""What the employment side and the shelters are, in French (every answer that uses them)."""


def is_employment_side(kind: str) -> bool:
    """Whether a partner of this kind is on the employment side (`EMPLOYMENT_SIDE_DEFINITION`)."""
    return kind in SPE_KINDS or vocabulary.family_of(kind) in EMPLOYER_FAMILIES


def is_shelter(kind: str) -> bool:
    """Whether a partner of this kind is a hosting (AHI) structure."""
    return vocabulary.family_of(kind) == AHI_FAMILY


@dataclass(frozen=True, slots=True)
class NetworkPartner:
    """An open partner as the network analyses see it.

    Attributes
    ----------
    id, name, kind : str
        ``kind`` is a code of ``vocabulary.kinds``; the family follows from it.
    lon, lat : float
        EPSG:4326, degrees.
    code_insee, epci : str or None
        The commune (code INSEE) and its EPCI (SIREN), when known.
    available_places : int or None
        Free places the partner publishes (hosting, crèche, SIAE…), ``None`` when unknown.
    offers : int
        Its opportunities that are open: places > 0, or places not said.
    offer_places : int
        Sum of the places its open opportunities state.
    """

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    code_insee: str | None = None
    epci: str | None = None
    available_places: int | None = None
    offers: int = 0
    offer_places: int = 0

    @property
    def family(self) -> str:
        return vocabulary.family_of(self.kind)


@dataclass(frozen=True, slots=True)
class NetworkRelation:
    """A typed, directed relation from ``source`` to ``target`` (partner ids); ``kind`` is one
    of ``graph.models.RELATION_KINDS``."""

    source: str
    target: str
    kind: str


@dataclass(frozen=True, slots=True)
class Scope:
    """What an analysis looks at; ``None`` everywhere is the whole territory.

    Attributes
    ----------
    relation_kinds : frozenset of str or None
        Relation kinds kept (``oriente-vers``, ``convention``…).
    families : frozenset of str or None
        Partner families kept.
    bbox : (west, south, east, north) or None
        EPSG:4326 degrees, bounds included.
    epci : frozenset of str or None
        EPCI SIREN codes: partners of their communes.
    communes : frozenset of str or None
        Codes INSEE. With ``epci``, a partner in either is kept.
    """

    relation_kinds: frozenset[str] | None = None
    families: frozenset[str] | None = None
    bbox: tuple[float, float, float, float] | None = None
    epci: frozenset[str] | None = None
    communes: frozenset[str] | None = None

    def keeps(self, partner: NetworkPartner) -> bool:
        """Whether ``partner`` is inside the scope (families, bbox, EPCI or communes)."""
        if self.families is not None and partner.family not in self.families:
            return False
        if self.bbox is not None:
            west, south, east, north = self.bbox
            if not (west <= partner.lon <= east and south <= partner.lat <= north):
                return False
        if self.epci is None and self.communes is None:
            return True
        return (self.epci is not None and partner.epci in self.epci) or (
            self.communes is not None and partner.code_insee in self.communes
        )

    def keeps_relation(self, kind: str) -> bool:
        return self.relation_kinds is None or kind in self.relation_kinds


WHOLE_TERRITORY: Final = Scope()


def build_graph(
    partners: Iterable[NetworkPartner],
    relations: Iterable[NetworkRelation],
    scope: Scope = WHOLE_TERRITORY,
) -> Any:
    """The typed directed graph of the partners and relations inside ``scope``.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes: partner ids, in the order given, with the attributes ``partner``
        (`NetworkPartner`), ``name``, ``kind``, ``family``, ``lon``, ``lat``. Edges: one per
        relation whose two ends are kept, ``source → target``, key and attribute ``kind``,
        and ``distance_m`` (great circle between the two partners, metres). Relations naming
        an unknown partner (closed, or outside the scope) are dropped; a duplicate
        (same ends, same kind) is kept once.
    """
    graph = nx.MultiDiGraph()
    for p in partners:
        if scope.keeps(p):
            graph.add_node(
                p.id, partner=p, name=p.name, kind=p.kind, family=p.family, lon=p.lon, lat=p.lat
            )
    nodes = graph.nodes
    for r in relations:
        if r.source == r.target or not scope.keeps_relation(r.kind):
            continue
        if r.source not in nodes or r.target not in nodes:
            continue
        a, b = nodes[r.source]["partner"], nodes[r.target]["partner"]
        graph.add_edge(
            r.source,
            r.target,
            key=r.kind,
            kind=r.kind,
            distance_m=haversine_m(a.lon, a.lat, b.lon, b.lat),
        )
    return graph


def undirected(graph: Any) -> Any:
    """The undirected simple view of a typed graph: one edge between two partners linked by at
    least one relation, in either direction — networkx's own conversion, ``networkx.Graph(graph)``
    (same nodes and node attributes; an edge keeps the attributes of one of its relations)."""
    return nx.Graph(graph)


def partners_of(graph: Any, ids: Collection[str] | None = None) -> list[NetworkPartner]:
    """The `NetworkPartner` of the graph's nodes (or of ``ids``), in node order."""
    nodes = graph.nodes
    wanted = nodes if ids is None else [i for i in nodes if i in ids]
    return [nodes[i]["partner"] for i in wanted]
