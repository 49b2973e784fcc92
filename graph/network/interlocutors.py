"""One interlocutor per employer: employers approached by several structures, and who should
be their single referent.

A structure *approaches* an employer when a relation links them that places people or offers
with it: ``oriente-vers``, ``prescrit``, ``convention`` or ``referent-employeur`` from the
structure to the employer, ``recrute`` (the employer recruits through the structure) or
``convention`` from the employer to the structure (`APPROACH_KINDS`). An employer's offers are
its own records: a structure that places people on them does so through such a relation, so
the relations are what is counted. Membership and funding are not approaches.

The suggested referent follows one rule, first match wins (`REFERENT_RULE`):

1. ``referent-existant`` — a structure already holds a ``referent-employeur`` relation to the
   employer (the way the DDETS or the territory names a referent is to record that relation):
   it stays the referent (several: the one with the most partners);
2. ``plateforme`` — a territorial employment platform (kind ``plateforme-emploi``, ex. TESA)
   approaches the employer, or counts approaching structures among its members: it coordinates
   them (several: the one with the most approaching members, then the most partners);
3. ``plus-de-liens`` — else the approaching structure with the most partners in the network
   (distinct partners, any relation), then by name.

With a single referent the employer answers one structure instead of ``n``: ``n − 1``
approaches saved.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from graph.coverage import EMPLOYER_FAMILIES

__all__ = [
    "APPROACH_KINDS",
    "DEFAULT_FAMILIES",
    "REFERENT_RULE",
    "EmployerApproaches",
    "ReferentRule",
    "approached_employers",
]

APPROACH_KINDS: Final = {
    "to_employer": frozenset({"oriente-vers", "prescrit", "convention", "referent-employeur"}),
    "from_employer": frozenset({"recrute", "convention"}),
}
"""Relation kinds that make an approach, by direction (module docstring)."""

DEFAULT_FAMILIES: Final = frozenset({"employeurs-ordinaires"})
"""Employers looked at by default: the ordinary ones (entreprises, intérim), whom several
structures solicit at once; SIAE and other inclusive employers can be added."""

PLATFORM_KIND: Final = "plateforme-emploi"

ReferentRule = Literal["referent-existant", "plateforme", "plus-de-liens"]

REFERENT_RULE: Final = (
    "Une structure approche un employeur quand une relation les lie pour y placer des personnes "
    "ou des offres : « oriente vers », « prescrit », « convention » ou « référent employeur » de "
    "la structure vers l'employeur, « recrute par l'intermédiaire de » ou « convention » de "
    "l'employeur vers la structure. Référent proposé, première règle qui s'applique : "
    "(1) la structure qui a déjà une relation « référent de la relation avec l'employeur » (c'est "
    "ainsi que la DDETS ou le territoire désigne un référent) ; (2) sinon la plateforme emploi "
    "du territoire (type TESA) qui l'approche ou dont des structures qui l'approchent sont "
    "membres ; (3) sinon la structure qui l'approche et qui a le plus de partenaires. Avec un "
    "seul référent, l'employeur n'a plus qu'un interlocuteur : n − 1 démarches épargnées."
)
"""The rule in French (every answer says it)."""

_RULE_SENTENCES: Final[Mapping[ReferentRule, str]] = {
    "referent-existant": "déjà référent de la relation avec l'employeur",
    "plateforme": "plateforme emploi du territoire qui coordonne des structures qui l'approchent",
    "plus-de-liens": "la structure qui l'approche et qui a le plus de partenaires",
}


@dataclass(frozen=True, slots=True)
class EmployerApproaches:
    """An employer approached by several structures.

    ``structures``: approaching partner ids, most partners first; ``kinds``: for each, the
    relation kinds of its approaches; ``referent`` and ``rule``: the suggested single
    interlocutor and why; ``saved``: approaches a single referent saves (``len(structures) −
    1``); ``explanation``: one French sentence.
    """

    employer: str
    structures: tuple[str, ...]
    kinds: Mapping[str, tuple[str, ...]]
    referent: str
    rule: ReferentRule
    saved: int
    explanation: str


def _approaches(graph: Any, employer: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for source, _, kind in graph.in_edges(employer, keys=True):
        if kind in APPROACH_KINDS["to_employer"]:
            found.setdefault(source, set()).add(kind)
    for _, target, kind in graph.out_edges(employer, keys=True):
        if kind in APPROACH_KINDS["from_employer"]:
            found.setdefault(target, set()).add(kind)
    return found


def approached_employers(
    graph: Any,
    simple: Any,
    *,
    families: Collection[str] = DEFAULT_FAMILIES,
    min_structures: int = 2,
) -> list[EmployerApproaches]:
    """Employers of ``families`` approached by at least ``min_structures`` structures, the
    most approached first (then by name), each with its suggested referent.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The typed network with every relation kind (`graph.network.model.build_graph`).
    simple : networkx.Graph
        Its undirected view: partners are counted on it.
    families : collection of str
        Families of `graph.coverage.EMPLOYER_FAMILIES` to look at.
    min_structures : int
        At least 1.
    """
    wanted = set(families) & EMPLOYER_FAMILIES
    nodes = graph.nodes
    found: list[EmployerApproaches] = []
    for employer in graph.nodes:
        if nodes[employer]["family"] not in wanted:
            continue
        approaches = _approaches(graph, employer)
        if len(approaches) < max(1, min_structures):
            continue
        structures = sorted(approaches, key=lambda n: (-simple.degree(n), nodes[n]["name"], n))
        referent, rule = _referent(graph, simple, employer, structures)
        found.append(
            EmployerApproaches(
                employer=employer,
                structures=tuple(structures),
                kinds={n: tuple(sorted(approaches[n])) for n in structures},
                referent=referent,
                rule=rule,
                saved=len(structures) - 1,
                explanation=_sentence(nodes, employer, structures, referent, rule),
            )
        )
    found.sort(key=lambda e: (-len(e.structures), nodes[e.employer]["name"], e.employer))
    return found


def _referent(
    graph: Any, simple: Any, employer: str, structures: list[str]
) -> tuple[str, ReferentRule]:
    nodes = graph.nodes
    named = [
        source
        for source, _, kind in graph.in_edges(employer, keys=True)
        if kind == "referent-employeur"
    ]
    if named:
        best = min(named, key=lambda n: (-simple.degree(n), nodes[n]["name"], n))
        return best, "referent-existant"
    platforms: dict[str, int] = {}
    for n in structures:
        if nodes[n]["kind"] == PLATFORM_KIND:
            platforms[n] = platforms.get(n, 0) + 1
        for _, target, kind in graph.out_edges(n, keys=True):
            if kind == "membre" and nodes[target]["kind"] == PLATFORM_KIND:
                platforms[target] = platforms.get(target, 0) + 1
    if platforms:
        best = min(
            platforms,
            key=lambda n: (-platforms[n], -simple.degree(n), nodes[n]["name"], n),
        )
        return best, "plateforme"
    return structures[0], "plus-de-liens"


def _sentence(
    nodes: Any, employer: str, structures: list[str], referent: str, rule: ReferentRule
) -> str:
    n = len(structures)
    return (
        f"{nodes[employer]['name']} est approché par {n} structures ; un seul interlocuteur, "
        f"{nodes[referent]['name']} ({_RULE_SENTENCES[rule]}), lui épargnerait "
        f"{n - 1} démarche{'s' if n - 1 > 1 else ''}."
    )
