"""From the results of `graph.network` to the bodies of `service.network.schemas`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from graph import vocabulary
from graph.network.explain import explanations, family_sentence, node_sentence
from graph.network.interlocutors import EmployerApproaches
from graph.network.model import (
    EMPLOYMENT_SIDE_DEFINITION,
    NetworkPartner,
    Scope,
    is_employment_side,
    is_shelter,
)
from graph.network.partnerships import Suggestion
from graph.network.structure import NetworkStructure
from service.network.schemas import (
    Approach,
    ApproachedEmployer,
    Broker,
    CommunityOut,
    ComponentOut,
    CutLink,
    CutPartner,
    EdgeOut,
    EmploymentCutsOut,
    Explanations,
    FamilyOut,
    NetworkGraphOut,
    NetworkStructureOut,
    NodeOut,
    PartnerRef,
    ScopeOut,
    SuggestionOut,
)


def partner_ref(partner: NetworkPartner) -> PartnerRef:
    return PartnerRef(
        id=partner.id,
        name=partner.name,
        kind=partner.kind,
        family=partner.family,
        lon=partner.lon,
        lat=partner.lat,
    )


def _ref(graph: Any, node: str) -> PartnerRef:
    return partner_ref(graph.nodes[node]["partner"])


def _sorted(values: Collection[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def scope_out(scope: Scope) -> ScopeOut:
    return ScopeOut(
        relation_kinds=_sorted(scope.relation_kinds),
        families=_sorted(scope.families),
        bbox=None if scope.bbox is None else list(scope.bbox),
        epci=_sorted(scope.epci),
        communes=_sorted(scope.communes),
    )


def _cut_sentence(name: str, cut: Sequence[str]) -> str:
    n = len(cut)
    return (
        f"Sans {name}, {n} structure{'s' if n > 1 else ''} d'hébergement "
        f"n'aurai{'en' if n > 1 else ''}t plus aucun chemin de relations vers un acteur du "
        f"côté emploi."
    )


def _employment_cuts(found: NetworkStructure) -> EmploymentCutsOut:
    graph = found.graph
    partners = [
        CutPartner(
            partner=_ref(graph, v),
            betweenness=found.betweenness.get(v, 0.0),
            shelters_cut_off=[_ref(graph, s) for s in cut],
            explanation=_cut_sentence(graph.nodes[v]["name"], cut),
        )
        for v, cut in sorted(found.cuts.vertices.items(), key=lambda item: -len(item[1]))
    ]
    links = []
    for (u, w), cut in sorted(found.cuts.bridges.items(), key=lambda item: -len(item[1])):
        kinds = sorted(
            {*graph.get_edge_data(u, w, default={}), *graph.get_edge_data(w, u, default={})}
        )
        names = f"le lien entre {graph.nodes[u]['name']} et {graph.nodes[w]['name']}"
        links.append(
            CutLink(
                source=_ref(graph, u),
                target=_ref(graph, w),
                kinds=kinds,
                shelters_cut_off=[_ref(graph, s) for s in cut],
                explanation=_cut_sentence(names, cut),
            )
        )
    return EmploymentCutsOut(
        partners=partners, links=links, shelters_cut_off=len(found.shelters_cut_off)
    )


def structure_out(found: NetworkStructure, scope: Scope, *, limit: int) -> NetworkStructureOut:
    graph = found.graph
    top = sorted(graph.nodes, key=lambda n: (-found.betweenness.get(n, 0.0), n))[:limit]
    brokers = []
    for n in top:
        degree, sent, received = found.degrees[n]
        brokers.append(
            Broker(
                partner=_ref(graph, n),
                betweenness=found.betweenness.get(n, 0.0),
                degree=degree,
                sent=sent,
                received=received,
                articulation=n in found.articulation_points,
                shelters_cut_off=len(found.cuts.vertices.get(n, ())),
                explanation=node_sentence(found, n),
            )
        )
    families = vocabulary.families()
    return NetworkStructureOut(
        scope=scope_out(scope),
        partners=graph.number_of_nodes(),
        relations=graph.number_of_edges(),
        links=found.simple.number_of_edges(),
        definition=EMPLOYMENT_SIDE_DEFINITION,
        explanations=Explanations(**explanations(found)),
        betweenness_sources=found.betweenness_sources,
        brokers=brokers,
        families=[
            FamilyOut(
                family=f.family,
                label=f.label,
                partners=f.partners,
                without_relation=f.without_relation,
                mean_degree=f.mean_degree,
                mean_betweenness=f.mean_betweenness,
                max_betweenness=f.max_betweenness,
                linked_families=dict(f.linked_families),
                explanation=family_sentence(f, families),
            )
            for f in found.families
        ],
        components=[
            ComponentOut(
                index=i,
                size=len(c.members),
                shelters=c.shelters,
                employment=c.employment,
                members=list(c.members),
            )
            for i, c in enumerate(found.components)
        ],
        articulation_points=[_ref(graph, n) for n in sorted(found.articulation_points)],
        bridges=[[_ref(graph, u), _ref(graph, w)] for u, w in found.bridges],
        employment_cuts=_employment_cuts(found),
        communities=[
            CommunityOut(
                index=i,
                size=len(c.members),
                families=dict(c.families),
                members=list(c.members),
                explanation=_community_sentence(i, c.members, c.families, families),
            )
            for i, c in enumerate(found.communities)
        ],
        modularity=found.modularity,
    )


def _community_sentence(
    index: int, members: Sequence[str], by_family: Mapping[str, int], families: Any
) -> str:
    main = ", ".join(
        f"{families[code].label} ({count})" for code, count in list(by_family.items())[:3]
    )
    return f"Communauté {index + 1} : {len(members)} structures, surtout {main}."


def graph_out(found: NetworkStructure, scope: Scope) -> NetworkGraphOut:
    graph = found.graph
    bridges = set(found.bridges)
    nodes = []
    for n, data in graph.nodes(data=True):
        degree, sent, received = found.degrees[n]
        nodes.append(
            NodeOut(
                id=n,
                name=data["name"],
                kind=data["kind"],
                family=data["family"],
                lon=data["lon"],
                lat=data["lat"],
                degree=degree,
                sent=sent,
                received=received,
                betweenness=found.betweenness.get(n, 0.0),
                component=found.component_of[n],
                community=found.community_of.get(n),
                articulation=n in found.articulation_points,
                shelter=is_shelter(data["kind"]),
                employment=is_employment_side(data["kind"]),
                shelters_cut_off=len(found.cuts.vertices.get(n, ())),
            )
        )
    edges = [
        EdgeOut(
            source=u,
            target=w,
            kind=kind,
            distance_m=round(float(data["distance_m"]), 1),
            bridge=(min(u, w), max(u, w)) in bridges,
        )
        for u, w, kind, data in graph.edges(keys=True, data=True)
    ]
    return NetworkGraphOut(
        scope=scope_out(scope),
        definition=EMPLOYMENT_SIDE_DEFINITION,
        explanations=Explanations(**explanations(found)),
        nodes=nodes,
        edges=edges,
    )


def suggestion_out(
    suggestion: Suggestion, partners: Mapping[str, NetworkPartner], *, side: str = "candidate"
) -> SuggestionOut:
    """A suggestion as the origin reads it (``side="candidate"``: the partner proposed is the
    candidate) or as the employer reads it (``side="origin"``)."""
    other = suggestion.candidate if side == "candidate" else suggestion.origin
    return SuggestionOut(
        partner=partner_ref(partners[other]),
        minutes=round(suggestion.minutes, 1),
        estimated=suggestion.estimated,
        score=suggestion.score,
        new_family=suggestion.new_family,
        open_places=suggestion.open_places,
        open_offers=suggestion.open_offers,
        warm_via=[partner_ref(partners[n]) for n in suggestion.warm_via if n in partners],
        reasons=list(suggestion.reasons),
        beyond_budget=suggestion.beyond_budget,
    )


def employer_out(
    found: EmployerApproaches, partners: Mapping[str, NetworkPartner]
) -> ApproachedEmployer:
    return ApproachedEmployer(
        employer=partner_ref(partners[found.employer]),
        structures=[
            Approach(partner=partner_ref(partners[n]), kinds=list(found.kinds[n]))
            for n in found.structures
        ],
        referent=partner_ref(partners[found.referent]),
        rule=found.rule,
        saved=found.saved,
        explanation=found.explanation,
    )
