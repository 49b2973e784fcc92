"""graph.network: the adapter and the typed filtering, each figure equal to networkx called
directly on the Gard demo graph, the employment cuts equal to removing each vertex or link in
turn, and the partnership and referent rules on toy networks whose answers are known."""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
import numpy as np
import pytest

from graph.network.interlocutors import approached_employers
from graph.network.model import (
    NetworkPartner,
    NetworkRelation,
    Scope,
    build_graph,
    is_employment_side,
    is_shelter,
    undirected,
)
from graph.network.partnerships import WEIGHTS, suggest, suggest_for_candidate
from graph.network.structure import SEED, analyse, betweenness_sources, employment_cuts

WORK = frozenset({"oriente-vers", "prescrit", "convention", "recrute"})


def _demo(features: list[dict[str, Any]]) -> tuple[list[NetworkPartner], list[NetworkRelation]]:
    partners, relations = [], []
    for feature in features:
        p = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        partners.append(
            NetworkPartner(
                id=p["source_id"], name=p["name"], kind=p["kind"], lon=lon, lat=lat,
                code_insee=p.get("code_insee"), offers=len(p.get("opportunities", [])),
            )
        )  # fmt: skip
        relations += [
            NetworkRelation(p["source_id"], r["target_source_id"], r["kind"])
            for r in p.get("relations", [])
        ]
    return partners, relations


@pytest.fixture(scope="module")
def demo(demo_features: list[dict[str, Any]]) -> tuple[list[NetworkPartner], list[NetworkRelation]]:
    return _demo(demo_features)


def test_the_adapter_keeps_types_direction_and_the_scope(demo: Any) -> None:
    partners, relations = demo
    graph = build_graph(partners, relations)
    assert graph.number_of_nodes() == len(partners)
    assert graph.number_of_edges() == len(relations)  # unique by ends and kind in the demo
    r = relations[0]
    assert graph.has_edge(r.source, r.target, key=r.kind)
    assert graph.edges[r.source, r.target, r.kind]["distance_m"] > 0
    orientations = build_graph(
        partners, relations, Scope(relation_kinds=frozenset({"oriente-vers"}))
    )
    assert {k for *_, k in orientations.edges(keys=True)} == {"oriente-vers"}
    assert orientations.number_of_edges() == sum(r.kind == "oriente-vers" for r in relations)
    shelters = build_graph(partners, relations, Scope(families=frozenset({"hebergement"})))
    assert all(d == "hebergement" for _, d in shelters.nodes(data="family"))
    assert all(shelters.has_node(u) and shelters.has_node(v) for u, v in shelters.edges())
    ales = build_graph(partners, relations, Scope(communes=frozenset({"30007"})))
    assert 0 < ales.number_of_nodes() < len(partners)
    assert all(p.code_insee == "30007" for p in nx.get_node_attributes(ales, "partner").values())
    box = build_graph(partners, relations, Scope(bbox=(4.0, 44.0, 4.2, 44.2)))
    assert all(4.0 <= d["lon"] <= 4.2 and 44.0 <= d["lat"] <= 44.2 for _, d in box.nodes(data=True))
    simple = undirected(graph)
    plain = nx.Graph(graph)
    assert list(simple.nodes) == list(plain.nodes)
    assert {frozenset(e) for e in simple.edges} == {frozenset(e) for e in plain.edges}


@pytest.mark.parametrize("kinds", [None, WORK])
def test_every_figure_equals_networkx_on_the_demo(demo: Any, kinds: frozenset[str] | None) -> None:
    partners, relations = demo
    graph = build_graph(partners, relations, Scope(relation_kinds=kinds))
    found = analyse(graph)
    plain = nx.Graph(graph)
    assert found.betweenness_sources is None
    assert found.betweenness == nx.betweenness_centrality(plain)
    assert sorted(c.members for c in found.components) == sorted(
        tuple(sorted(c)) for c in nx.weakly_connected_components(graph)
    )
    assert found.articulation_points == set(nx.articulation_points(plain))
    assert set(found.bridges) == {tuple(sorted(b)) for b in nx.bridges(plain)}
    linked = nx.Graph()  # the partners with a relation, without attributes
    linked.add_nodes_from(n for n in plain if plain.degree(n))
    linked.add_edges_from(plain.edges())
    communities = nx.community.louvain_communities(linked, seed=SEED)
    assert sorted(c.members for c in found.communities) == sorted(
        tuple(sorted(c)) for c in communities
    )
    assert found.modularity == pytest.approx(nx.community.modularity(linked, communities))
    assert {n: d[0] for n, d in found.degrees.items()} == dict(plain.degree())
    assert {n: d[1] for n, d in found.degrees.items()} == dict(graph.out_degree())


def test_a_large_graph_samples_betweenness_as_networkx_does() -> None:
    plain = nx.gnm_random_graph(1_500, 3_000, seed=1)
    graph = nx.relabel_nodes(plain, {n: f"p{n:04d}" for n in plain})
    sources = betweenness_sources(graph.number_of_nodes(), graph.number_of_edges())
    assert sources is not None
    assert sources < 1_500
    from graph.network.structure import betweenness

    assert betweenness(graph, sources=sources) == nx.betweenness_centrality(
        graph, k=sources, seed=SEED
    )


def _cut_off_by_removal(
    simple: nx.Graph, shelters: set[str], employment: set[str]
) -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, str], tuple[str, ...]]]:
    """The employment cuts the plain way: every articulation point and bridge removed."""

    def linked(graph: nx.Graph) -> set[str]:
        return {n for c in nx.connected_components(graph) if c & employment for n in c}

    before = linked(simple) & shelters
    vertices, bridges = {}, {}
    for v in nx.articulation_points(simple):
        without = simple.copy()
        without.remove_node(v)
        lost = tuple(sorted(s for s in before - {v} if s not in linked(without)))
        if lost:
            vertices[v] = lost
    for u, w in nx.bridges(simple):
        without = simple.copy()
        without.remove_edge(u, w)
        lost = tuple(sorted(s for s in before if s not in linked(without)))
        if lost:
            bridges[(min(u, w), max(u, w))] = lost
    return vertices, bridges


def test_employment_cuts_equal_removing_each_vertex_and_link(demo: Any) -> None:
    partners, relations = demo
    graph = build_graph(partners, relations, Scope(relation_kinds=WORK))
    simple = undirected(graph)
    kinds = dict(graph.nodes(data="kind"))
    shelters = {n for n, k in kinds.items() if is_shelter(k)}
    employment = {n for n, k in kinds.items() if is_employment_side(k)}
    found = employment_cuts(simple, shelters, employment)
    vertices, bridges = _cut_off_by_removal(simple, shelters, employment)
    assert vertices  # the working relations alone have cuts on the demo
    assert dict(found.vertices) == vertices
    assert dict(found.bridges) == bridges


@pytest.mark.parametrize("seed", range(12))
def test_employment_cuts_on_random_sparse_graphs(seed: int) -> None:
    rng = random.Random(seed)
    plain = nx.gnm_random_graph(60, rng.randint(50, 80), seed=seed)
    simple = nx.relabel_nodes(plain, {n: f"n{n:02d}" for n in plain})
    nodes = sorted(simple)
    shelters = set(rng.sample(nodes, 15))
    employment = set(rng.sample(sorted(set(nodes) - shelters), 10))
    found = employment_cuts(simple, shelters, employment)
    assert (dict(found.vertices), dict(found.bridges)) == _cut_off_by_removal(
        simple, shelters, employment
    )


def _partner(pid: str, kind: str, lon: float = 4.08, **more: Any) -> NetworkPartner:
    return NetworkPartner(id=pid, name=pid.upper(), kind=kind, lon=lon, lat=44.12, **more)


def test_partnerships_rule_on_a_toy_network() -> None:
    shelter = _partner("chrs", "chrs")
    aci = _partner("aci", "aci", offer_places=4, offers=2)
    firm = _partner("firm", "entreprise", offers=1)
    far = _partner("far", "entreprise", offer_places=9, offers=1)
    linked = _partner("agency", "france-travail")
    funder = _partner("ddets", "ddets")
    other = _partner("ei", "ei")
    partners = [shelter, aci, firm, far, linked, funder, other]
    relations = [
        NetworkRelation("chrs", "agency", "oriente-vers"),  # already linked: never suggested
        NetworkRelation("agency", "aci", "prescrit"),  # warm: the agency knows the ACI
        NetworkRelation("ddets", "chrs", "finance"),
        NetworkRelation("ddets", "firm", "finance"),  # funding is no warm path
    ]
    graph = build_graph(partners, relations)
    simple = undirected(graph)
    warm = undirected(build_graph(partners, relations, Scope(relation_kinds=frozenset(
        {"oriente-vers", "prescrit", "convention", "membre", "recrute", "referent-employeur"}
    ))))  # fmt: skip
    origins, candidates = [shelter, aci], [aci, firm, far, linked, other]
    minutes = np.array([[10.0, 20.0, 60.0, 5.0, 40.0], [0.0, 15.0, 30.0, 25.0, 2.0]])
    estimated = np.ones_like(minutes, dtype=bool)
    found = suggest(
        simple, origins, candidates, minutes, estimated, budget=40, mode="walk", warm=warm
    )
    assert [s.candidate for s in found["chrs"]] == ["aci", "firm", "ei"]  # far: beyond 40 min
    first = found["chrs"][0]
    expected = (
        WEIGHTS["proximity"] * (1 - 10 / 40)
        + WEIGHTS["opportunities"] * 1
        + WEIGHTS["warm_path"] * 1
        + WEIGHTS["new_family"] * 1
    )
    assert first.score == pytest.approx(round(expected, 4))
    assert first.warm_via == ("agency",)
    assert first.reasons[0] == "À 10 min à pied depuis CHRS (temps estimé)."
    assert "Chemin chaud : déjà partenaire de AGENCY" in first.reasons[-1]
    assert found["chrs"][1].warm_via == ()  # the DDETS funds both: not an introduction
    assert found["chrs"][2].score == pytest.approx(0.15)  # at the budget, nothing published
    # a SIAE is offered other families than its own: not the EI
    assert [s.candidate for s in found["aci"]] == ["firm", "far"]  # the agency: linked
    side = suggest_for_candidate(
        simple, origins, candidates, minutes, estimated, "firm", budget=40, mode="walk", warm=warm
    )
    assert [(s.origin, s.score) for s in side] == sorted(
        [("aci", found["aci"][0].score), ("chrs", found["chrs"][1].score)],
        key=lambda pair: -pair[1],
    )


def test_the_referent_rule_in_order() -> None:
    firm, shop = _partner("firm", "entreprise"), _partner("shop", "entreprise")
    ft, aci, chrs = (
        _partner("ft", "france-travail"),
        _partner("aci", "aci"),
        _partner("chrs", "chrs"),
    )
    platform = _partner("tesa", "plateforme-emploi")
    relations = [
        NetworkRelation("ft", "firm", "prescrit"),
        NetworkRelation("aci", "firm", "convention"),
        NetworkRelation("firm", "chrs", "recrute"),
        NetworkRelation("chrs", "firm", "referent-employeur"),  # named: wins
        NetworkRelation("ft", "shop", "oriente-vers"),
        NetworkRelation("aci", "shop", "convention"),
        NetworkRelation("chrs", "shop", "oriente-vers"),
        NetworkRelation("aci", "tesa", "membre"),  # the platform coordinates a member
        NetworkRelation("ft", "aci", "prescrit"),
        NetworkRelation("tesa", "ddets", "membre"),  # unknown partner: dropped
    ]
    graph = build_graph([firm, shop, ft, aci, chrs, platform], relations)
    found = {
        e.employer: e for e in approached_employers(graph, undirected(graph), min_structures=3)
    }
    assert (found["firm"].referent, found["firm"].rule, found["firm"].saved) == (
        "chrs", "referent-existant", 2,
    )  # fmt: skip
    assert (found["shop"].referent, found["shop"].rule) == ("tesa", "plateforme")
    assert set(found["firm"].structures) == {"ft", "aci", "chrs"}
    assert found["firm"].kinds["chrs"] == ("recrute", "referent-employeur")
    without_platform = build_graph([firm, shop, ft, aci, chrs], relations)
    plain = approached_employers(without_platform, undirected(without_platform), min_structures=3)
    shop_only = next(e for e in plain if e.employer == "shop")
    assert (shop_only.referent, shop_only.rule) == ("aci", "plus-de-liens")  # most partners
    assert shop_only.explanation.startswith("SHOP est approché par 3 structures")


def test_an_origin_with_nobody_within_the_budget_gets_the_nearest_beyond() -> None:
    shelter = _partner("chu", "chu")
    firms = [_partner(f"firm{i}", "entreprise") for i in range(5)]
    graph = build_graph([shelter, *firms], [])
    minutes = np.array([[70.0, 50.0, np.inf, 90.0, 60.0]])
    found = suggest(
        undirected(graph), [shelter], firms, minutes, np.ones_like(minutes, dtype=bool),
        budget=30, mode="walk",
    )  # fmt: skip
    assert [s.candidate for s in found["chu"]] == ["firm1", "firm4", "firm0"]  # nearest 3
    assert all(s.beyond_budget for s in found["chu"])
    assert found["chu"][0].reasons[0] == (
        "À 50 min à pied depuis CHU (temps estimé), au-delà du budget de 30 min : aucun acteur "
        "du côté emploi n'est plus proche."
    )
    within = suggest(
        undirected(graph), [shelter], firms, minutes, np.ones_like(minutes, dtype=bool),
        budget=55, mode="walk",
    )  # fmt: skip
    assert [(s.candidate, s.beyond_budget) for s in within["chu"]] == [("firm1", False)]
