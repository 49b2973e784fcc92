"""The French sentences that explain each figure of a `graph.network.structure.NetworkStructure`.

Each sentence says what the figure measures and what it is on this network, so that a steering
committee reads it without the method. Numbers are written the French way (decimal comma).
"""

from __future__ import annotations

from typing import Any, Final

from graph.network.structure import SEED, FamilyFigures, NetworkStructure

__all__ = [
    "BETWEENNESS_DEFINITION",
    "DEGREE_DEFINITION",
    "explanations",
    "family_sentence",
    "node_sentence",
]

BETWEENNESS_DEFINITION: Final = (
    "Intermédiarité (networkx, normalisée de 0 à 1) : la part des plus courts chemins entre deux "
    "autres structures du réseau qui passent par celle-ci, les relations étant lues dans les "
    "deux sens. Une structure à forte intermédiarité relie des parties du réseau qui, sans elle, "
    "ne se connaîtraient pas : c'est un courtier."
)
DEGREE_DEFINITION: Final = (
    "Degré : le nombre de partenaires distincts avec lesquels la structure a au moins une "
    "relation, dans un sens ou dans l'autre ; relations envoyées et reçues comptées à part."
)


def _fr(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count <= 1 else (plural or word + 's')}"


def explanations(found: NetworkStructure) -> dict[str, str]:
    """One French sentence per figure: ``betweenness``, ``degree``, ``components``,
    ``articulation_points``, ``bridges``, ``employment_cuts``, ``communities``."""
    n = found.simple.number_of_nodes()
    sources = found.betweenness_sources
    sampled = (
        f" Estimée à partir de {sources} structures de départ tirées au hasard (graine fixe "
        f"{SEED}) parmi {n} : un ordre de grandeur, exact à partir de moins de structures."
        if sources is not None
        else " Calcul exact sur toutes les structures."
    )
    groups = found.components
    largest = len(groups[0].members) if groups else 0
    lonely = sum(1 for c in groups if len(c.members) == 1)
    cut_vertices, cut_bridges = found.cuts.vertices, found.cuts.bridges
    modularity = (
        f" ; modularité Q = {_fr(found.modularity)} (au-delà de 0,3, les groupes sont nets)"
        if found.modularity is not None
        else ""
    )
    return {
        "betweenness": BETWEENNESS_DEFINITION + sampled,
        "degree": DEGREE_DEFINITION,
        "components": (
            f"Composantes connexes : les groupes de structures reliées par une chaîne de "
            f"relations, quel qu'en soit le sens. Le réseau en compte {len(groups)} ; la plus "
            f"grande réunit {largest} structures sur {n}, et {_plural(lonely, 'structure')} "
            f"n'{'ont' if lonely > 1 else 'a'} aucune relation."
        ),
        "articulation_points": (
            f"Points d'articulation : les structures dont le départ couperait le réseau en "
            f"morceaux (plus aucun chemin entre des structures qui en avaient un). "
            f"Il y en a {len(found.articulation_points)}."
        ),
        "bridges": (
            f"Ponts : les liens entre deux structures dont la rupture couperait le réseau en "
            f"morceaux. Il y en a {len(found.bridges)}."
        ),
        "employment_cuts": (
            f"Coupures hébergement–emploi : {_plural(len(cut_vertices), 'structure')} et "
            f"{_plural(len(cut_bridges), 'lien')} dont le départ laisserait "
            f"{_plural(len(found.shelters_cut_off), 'structure')} d'hébergement sans aucun "
            f"chemin vers un acteur du côté emploi. Doubler ces relations rend le réseau "
            f"plus solide."
        ),
        "communities": (
            f"Communautés (méthode de Louvain, networkx, graine fixe {SEED}) : des groupes de "
            f"structures plus liées entre elles qu'avec le reste du réseau. "
            f"{_plural(len(found.communities), 'communauté')}{modularity}. Les structures "
            f"sans relation n'en font partie d'aucune."
        ),
    }


def node_sentence(found: NetworkStructure, node: str) -> str:
    """What the figures of one partner say, in one French sentence."""
    name = found.graph.nodes[node]["name"]
    degree, sent, received = found.degrees[node]
    parts = [
        f"{name} a {_plural(degree, 'partenaire')} ({sent} relation(s) envoyée(s), "
        f"{received} reçue(s)), intermédiarité {_fr(found.betweenness.get(node, 0.0), 3)}"
    ]
    if node in found.articulation_points:
        parts.append("son départ couperait le réseau en morceaux")
    cut = found.cuts.vertices.get(node)
    if cut:
        parts.append(
            f"et laisserait {_plural(len(cut), 'structure')} d'hébergement sans chemin vers "
            f"l'emploi"
        )
    return " ; ".join(parts[:2]) + (" " + parts[2] if len(parts) > 2 else "") + "."


def family_sentence(figures: FamilyFigures, families: Any) -> str:
    """The figures of one family in one French sentence (``families``: the vocabulary)."""
    top = [
        f"{families[code].label} ({count})"
        for code, count in list(figures.linked_families.items())[:3]
        if code in families
    ]
    linked = f" ; liens surtout avec : {', '.join(top)}" if top else ""
    return (
        f"{figures.label} : {_plural(figures.partners, 'structure')}, "
        f"{figures.without_relation} sans relation, {_fr(figures.mean_degree, 1)} partenaires "
        f"en moyenne, intermédiarité moyenne {_fr(figures.mean_betweenness, 3)} "
        f"(au plus {_fr(figures.max_betweenness, 3)}){linked}."
    )
