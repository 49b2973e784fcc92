"""Brokers and structure of the partner network: thin adapters over networkx's algorithms.

Every figure is networkx's own, computed on the graph of `graph.network.model`: the tests
compare each with networkx called directly. What is ours is the typed filtering (`Scope`), the
reading of the figures by family, the question of the seed — which structures, if they went,
would cut shelters off from every employment actor — and a French sentence for each figure.

1. **Degree** (`degrees`): distinct partners linked to a structure by at least one relation,
   in either direction (the undirected view); relations sent and received are counted apart
   on the typed graph.
2. **Betweenness** (`betweenness`, ``networkx.betweenness_centrality``, normalised): the share
   of shortest paths between two other structures that go through one. Exact up to
   `EXACT_BETWEENNESS_WORK` (nodes × (nodes + links)); beyond, estimated from ``k`` source
   structures drawn with a fixed seed (Brandes and Pich, 2007), and said so.
3. **Components** (``networkx.weakly_connected_components`` on the typed graph), largest first.
4. **Articulation points** and **bridges** of the undirected view
   (``networkx.articulation_points``, ``networkx.bridges``).
5. **Employment cut** (`employment_cuts`): among the articulation points and bridges, those
   whose removal leaves some shelter with no path at all to an employment-side actor
   (`graph.network.model.EMPLOYMENT_SIDE_DEFINITION`). Read from the block-cut tree of
   ``networkx.biconnected_components``: removing a cut vertex splits its component into the
   subtrees around it, and a shelter is cut off when its subtree holds no employment actor —
   linear in the size of the graph, checked against removing each vertex in turn.
6. **Communities** (``networkx.community.louvain_communities``, fixed seed `SEED`) and their
   modularity (``networkx.community.modularity``), both on the partners that have at least one
   relation (a partner without any would be a community of its own).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import networkx as nx

from graph import vocabulary
from graph.network.model import is_employment_side, is_shelter, undirected

__all__ = [
    "EXACT_BETWEENNESS_WORK",
    "SEED",
    "Community",
    "Component",
    "EmploymentCuts",
    "FamilyFigures",
    "NetworkStructure",
    "analyse",
    "betweenness",
    "betweenness_sources",
    "communities",
    "components",
    "degrees",
    "employment_cuts",
]

SEED: Final = 42
"""Seed of every random draw (Louvain's node order, betweenness sources): same graph, same
answer."""

EXACT_BETWEENNESS_WORK: Final = 750_000
"""Above this many nodes × (nodes + links), betweenness is estimated from a sample of source
structures (about half a second of networkx on this machine, loaded); the Gard demo
(425 × 980) is exact."""

MIN_BETWEENNESS_SOURCES: Final = 24
"""Fewest source structures of an estimated betweenness."""


def betweenness_sources(nodes: int, links: int) -> int | None:
    """How many source structures betweenness uses: ``None`` (all: exact) when
    ``nodes × (nodes + links)`` ≤ `EXACT_BETWEENNESS_WORK`, else
    ``max(MIN_BETWEENNESS_SOURCES, EXACT_BETWEENNESS_WORK // (nodes + links))`` (at most
    ``nodes``)."""
    if nodes * (nodes + links) <= EXACT_BETWEENNESS_WORK:
        return None
    return min(nodes, max(MIN_BETWEENNESS_SOURCES, EXACT_BETWEENNESS_WORK // (nodes + links)))


def betweenness(simple: Any, *, sources: int | None = None) -> dict[str, float]:
    """``networkx.betweenness_centrality`` of the undirected view, normalised to [0, 1];
    ``sources`` source structures drawn with `SEED` (``None``: exact)."""
    found: dict[str, float] = nx.betweenness_centrality(
        simple, k=sources, normalized=True, seed=SEED if sources is not None else None
    )
    return found


def degrees(graph: Any, simple: Any) -> dict[str, tuple[int, int, int]]:
    """Per partner: (distinct partners linked, relations sent, relations received)."""
    out_deg, in_deg = graph.out_degree(), graph.in_degree()
    return {n: (simple.degree(n), out_deg[n], in_deg[n]) for n in graph.nodes}


def components(graph: Any) -> list[set[str]]:
    """``networkx.weakly_connected_components``, largest first (then by smallest id)."""
    found = [set(c) for c in nx.weakly_connected_components(graph)]
    found.sort(key=lambda c: (-len(c), min(c)))
    return found


def linked_only(simple: Any) -> Any:
    """The partners of ``simple`` that have a relation, and their links, as a new graph without
    attributes (node order and edge order kept): not a subgraph view, which slows every
    algorithm that walks it, nor a copy of the attributes, which costs as much as Louvain."""
    linked = nx.Graph()
    linked.add_nodes_from(n for n, d in simple.degree() if d > 0)
    linked.add_edges_from(simple.edges())
    return linked


def communities(linked: Any) -> list[set[str]]:
    """``networkx.community.louvain_communities`` (seed `SEED`) of a `linked_only` graph,
    largest first: isolated partners (no relation) are left out, each would be a community of
    its own."""
    found = [set(c) for c in nx.community.louvain_communities(linked, seed=SEED)]
    found.sort(key=lambda c: (-len(c), min(c)))
    return found


@dataclass(frozen=True, slots=True)
class EmploymentCuts:
    """Cut vertices and bridges whose removal leaves shelters with no path to the employment
    side: each mapped to those shelters (ids, sorted)."""

    vertices: Mapping[str, tuple[str, ...]]
    bridges: Mapping[tuple[str, str], tuple[str, ...]]


def employment_cuts(
    simple: Any, shelters: Collection[str], employment: Collection[str]
) -> EmploymentCuts:
    """The articulation points and bridges of ``simple`` that cut shelters off from every
    employment-side actor (step 5 of the module's docstring).

    A shelter counts when, before the removal, its component held at least one employment
    actor other than itself and, after it, the part it is left in holds none. A cut vertex
    that is itself the last employment actor of its component counts too.
    """
    shelter_set, employment_set = set(shelters), set(employment)
    vertices: dict[str, tuple[str, ...]] = {}
    bridges: dict[tuple[str, str], tuple[str, ...]] = {}
    # blocks and cut vertices of the whole graph at once (no subgraph views: they are slow)
    all_cuts = set(nx.articulation_points(simple))
    component_of: dict[str, int] = {}
    components = list(nx.connected_components(simple))
    for i, component in enumerate(components):
        component_of.update(dict.fromkeys(component, i))
    blocks: dict[int, list[frozenset[str]]] = {}
    for block in nx.biconnected_components(simple):
        blocks.setdefault(component_of[next(iter(block))], []).append(frozenset(block))
    for i, component in enumerate(components):
        if not component & employment_set or not component & shelter_set:
            continue
        if len(component) == 2:
            u, w = sorted(component)
            cut = tuple(sorted(x for x in (u, w) if x in shelter_set and x not in employment_set))
            if cut and component & employment_set - set(cut):
                bridges[(u, w)] = cut
            continue
        cuts = all_cuts & component
        if cuts:  # else biconnected: no vertex nor link cuts it
            _cuts_in_component(blocks[i], cuts, shelter_set, employment_set, vertices, bridges)
    return EmploymentCuts(vertices, bridges)


def _cuts_in_component(  # noqa: PLR0917 - one component's parts and the two answers
    blocks: Sequence[frozenset[str]],
    cuts: set[str],
    shelters: set[str],
    employment: set[str],
    vertices: dict[str, tuple[str, ...]],
    bridges: dict[tuple[str, str], tuple[str, ...]],
) -> None:
    """`employment_cuts` within one connected component of three partners or more, given
    its blocks (biconnected components) and its cut vertices (at least one)."""
    tree = _BlockCutTree(blocks, cuts, shelters, employment)
    for v in sorted(cuts):
        cut_off = tree.cut_off_by_vertex(v)
        if cut_off:
            vertices[v] = cut_off
    for i, block in enumerate(blocks):
        if len(block) == 2:  # a bridge
            cut_off = tree.cut_off_by_bridge(i)
            if cut_off:
                u, w = sorted(block)
                bridges[(u, w)] = cut_off


class _BlockCutTree:
    """The block-cut tree of one component, rooted at a cut vertex, with the shelters and
    employment actors of every subtree counted once."""

    def __init__(
        self,
        blocks: Sequence[frozenset[str]],
        cuts: set[str],
        shelters: set[str],
        employment: set[str],
    ) -> None:
        self.blocks, self.cuts = blocks, cuts
        self.shelters, self.employment = shelters, employment
        adjacency: dict[Any, list[Any]] = {("c", v): [] for v in cuts}
        for i, block in enumerate(blocks):
            adjacency[("b", i)] = [("c", v) for v in sorted(block & cuts)]
            for v in block & cuts:
                adjacency[("c", v)].append(("b", i))
        root = ("c", min(cuts))
        self.parent: dict[Any, Any] = {root: None}
        order = [root]
        for node in order:  # breadth first: parents before children
            for nxt in adjacency[node]:
                if nxt not in self.parent:
                    self.parent[nxt] = node
                    order.append(nxt)
        self.children: dict[Any, list[Any]] = {node: [] for node in order}
        for node in order[1:]:
            self.children[self.parent[node]].append(node)
        self.employ: dict[Any, int] = {}
        for node in reversed(order):
            own = sum(1 for m in self._members(node) if m in employment)
            self.employ[node] = own + sum(self.employ[c] for c in self.children[node])
        self.root = root

    def _members(self, node: Any) -> Iterable[str]:
        """The partners a tree node stands for: a cut vertex itself, a block's other members."""
        if node[0] == "c":
            return (node[1],)
        members: frozenset[str] = self.blocks[node[1]] - self.cuts
        return members

    def _subtree(self, top: Any) -> list[str]:
        found: list[str] = []
        stack = [top]
        while stack:
            node = stack.pop()
            found.extend(self._members(node))
            stack.extend(self.children[node])
        return found

    def _everything_but(self, top: Any) -> list[str]:
        inside = set(self._subtree(top))
        return [m for m in self._subtree(self.root) if m not in inside]

    def _shelters_without_work(self, pieces: Iterable[tuple[int, Any]]) -> tuple[str, ...]:
        found: list[str] = []
        for employ, members in pieces:
            if employ == 0:
                found.extend(m for m in members() if m in self.shelters)
        return tuple(sorted(found))

    def cut_off_by_vertex(self, v: str) -> tuple[str, ...]:
        node = ("c", v)
        total = self.employ[self.root]
        pieces: list[tuple[int, Any]] = [
            (self.employ[c], lambda c=c: self._subtree(c)) for c in self.children[node]
        ]
        if self.parent[node] is not None:
            pieces.append((total - self.employ[node], lambda: self._everything_but(node)))
        return self._shelters_without_work(pieces)

    def cut_off_by_bridge(self, i: int) -> tuple[str, ...]:
        node = ("b", i)  # never the root (a cut vertex); its parent is one of its two ends
        total = self.employ[self.root]
        below = self.employ[node]
        return self._shelters_without_work(
            [
                (below, lambda: self._subtree(node)),
                (total - below, lambda: self._everything_but(node)),
            ]
        )


@dataclass(frozen=True, slots=True)
class Component:
    """A connected group of partners (``members``, ids sorted) with its shelters and
    employment-side actors counted."""

    members: tuple[str, ...]
    shelters: int
    employment: int


@dataclass(frozen=True, slots=True)
class Community:
    """A Louvain community: its members (ids sorted) and how many of each family."""

    members: tuple[str, ...]
    families: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class FamilyFigures:
    """Degree and betweenness of the partners of one family.

    ``linked_families`` counts, over the family's partners, their distinct neighbours by
    family (a CHRS linked to two SIAE adds 2 to « employeurs-inclusifs »).
    """

    family: str
    label: str
    partners: int
    without_relation: int
    mean_degree: float
    mean_betweenness: float
    max_betweenness: float
    linked_families: Mapping[str, int]


@dataclass(frozen=True)
class NetworkStructure:
    """Every figure of one analysis, keyed by partner id where it is a partner's.

    ``betweenness_sources`` is ``None`` when betweenness is exact, else the number of sampled
    source structures.
    """

    graph: Any
    simple: Any
    betweenness: Mapping[str, float]
    betweenness_sources: int | None
    degrees: Mapping[str, tuple[int, int, int]]
    components: Sequence[Component]
    component_of: Mapping[str, int]
    articulation_points: frozenset[str]
    bridges: tuple[tuple[str, str], ...]
    cuts: EmploymentCuts
    communities: Sequence[Community]
    community_of: Mapping[str, int]
    modularity: float | None
    families: Sequence[FamilyFigures] = field(default_factory=tuple)

    @property
    def shelters_cut_off(self) -> frozenset[str]:
        """Shelters some single cut vertex or bridge would cut off from the employment side."""
        found: set[str] = set()
        for ids in (*self.cuts.vertices.values(), *self.cuts.bridges.values()):
            found.update(ids)
        return frozenset(found)


def analyse(graph: Any) -> NetworkStructure:
    """Every figure of the module's docstring, for a graph of `graph.network.model.build_graph`."""
    simple = undirected(graph)
    kinds = dict(graph.nodes(data="kind"))
    shelters = [n for n, k in kinds.items() if is_shelter(k)]
    employment = [n for n, k in kinds.items() if is_employment_side(k)]
    sources = betweenness_sources(simple.number_of_nodes(), simple.number_of_edges())
    between = betweenness(simple, sources=sources)
    degree = degrees(graph, simple)
    groups = components(graph)
    shelter_set, employment_set = set(shelters), set(employment)
    linked = linked_only(simple)
    found_communities = communities(linked)
    modularity = (
        float(nx.community.modularity(linked, found_communities))
        if simple.number_of_edges()
        else None
    )
    return NetworkStructure(
        graph=graph,
        simple=simple,
        betweenness=between,
        betweenness_sources=sources,
        degrees=degree,
        components=[
            Component(
                members=tuple(sorted(c)),
                shelters=len(c & shelter_set),
                employment=len(c & employment_set),
            )
            for c in groups
        ],
        component_of={n: i for i, c in enumerate(groups) for n in c},
        articulation_points=frozenset(nx.articulation_points(simple)),
        bridges=tuple(sorted((min(u, w), max(u, w)) for u, w in nx.bridges(simple))),
        cuts=employment_cuts(simple, shelters, employment),
        communities=[
            Community(
                members=tuple(sorted(c)),
                families=dict(Counter(graph.nodes[n]["family"] for n in c).most_common()),
            )
            for c in found_communities
        ],
        community_of={n: i for i, c in enumerate(found_communities) for n in c},
        modularity=modularity,
        families=_family_figures(graph, simple, between),
    )


def _family_figures(
    graph: Any, simple: Any, between: Mapping[str, float]
) -> tuple[FamilyFigures, ...]:
    family_of = dict(graph.nodes(data="family"))
    found = []
    for code, term in vocabulary.families().items():
        members = [n for n, f in family_of.items() if f == code]
        if not members:
            continue
        linked: Counter[str] = Counter()
        for n in members:
            linked.update(family_of[m] for m in simple.neighbors(n))
        values = [between[n] for n in members]
        found.append(
            FamilyFigures(
                family=code,
                label=term.label,
                partners=len(members),
                without_relation=sum(1 for n in members if simple.degree(n) == 0),
                mean_degree=sum(simple.degree(n) for n in members) / len(members),
                mean_betweenness=sum(values) / len(values),
                max_betweenness=max(values),
                linked_families=dict(linked.most_common()),
            )
        )
    return tuple(found)
