"""Partnerships to create: employment-side actors a shelter or a SIAE could link to, ranked.

For each *origin* (a shelter of the AHI family, or a SIAE) and each *candidate* (an
employment-side actor, `graph.network.model.is_employment_side`, of another family than the
origin's), a partnership is suggested when

1. the origin's residents or employees reach the candidate within the budget:
   ``minutes[i, j] ≤ budget`` (minutes from the origin to the candidate by the mode asked, from
   the service's travel-time model; a straight-line estimate is said to be one), and
2. no relation links them yet, of any kind, in either direction.

Suggestions are ranked by a score in [0, 1]:

``score = 0.35 × proximity + 0.25 × opportunities + 0.25 × warm path + 0.15 × new family``

- proximity ``= 1 − minutes / budget``;
- opportunities ``= 1`` when the candidate publishes open places (free places, or places of
  its open offers), ``0.5`` when it has open offers without a number of places, ``0``
  otherwise;
- warm path ``= 1`` when the candidate is already a partner of one of the origin's partners
  (a partner of its partners: someone can introduce them), funding left out
  (`WARM_PATH_KINDS`), ``0`` otherwise;
- new family ``= 1`` when the origin has no relation yet with any partner of the candidate's
  family, ``0`` otherwise.

Ties go to the shorter trip, then to the name. Each suggestion says its reasons in French. An
origin that reaches no candidate within the budget is offered the `BEYOND_BUDGET` nearest
beyond it (where ``minutes`` is finite), flagged ``beyond_budget`` and said so: there is always
someone to approach.
The same pairs, read from the candidate's side, are the shelters and SIAE an employer could
work with (`suggest_for_candidate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from geodata.modes import MODE_LABELS
from graph import vocabulary
from graph.network.model import NetworkPartner, is_employment_side, is_shelter

__all__ = [
    "SCORE_RULE",
    "WARM_PATH_KINDS",
    "WEIGHTS",
    "Suggestion",
    "candidates_of",
    "origins_of",
    "suggest",
    "suggest_for_candidate",
]

WEIGHTS: Final = {"proximity": 0.35, "opportunities": 0.25, "warm_path": 0.25, "new_family": 0.15}
"""Weights of the score's four parts (they add up to 1)."""

SCORE_RULE: Final = (
    "Partenariats proposés : pour chaque structure d'hébergement et chaque SIAE, les acteurs du "
    "côté emploi d'une autre famille que la sienne, atteignables dans le budget de temps et avec "
    "lesquels elle n'a encore aucune relation. Score de 0 à 1 = 0,35 × proximité (1 − temps / "
    "budget) + 0,25 × offres (1 : places ouvertes publiées ; 0,5 : offres ouvertes sans nombre "
    "de places ; 0 : aucune) + 0,25 × chemin chaud (1 : déjà partenaire d'un de ses partenaires, "
    "qui peut les présenter ; les financements ne comptent pas) + 0,15 × famille nouvelle "
    "(1 : aucune relation encore avec cette famille d'acteurs)."
)
"""The ranking rule in French (every answer says it)."""

WARM_PATH_KINDS: Final = frozenset(
    {"oriente-vers", "prescrit", "convention", "membre", "recrute", "referent-employeur"}
)
"""Relations a warm path may follow: every kind but « finance » (a funder of every structure
would make every path warm)."""

BEYOND_BUDGET: Final = 3
"""An origin with no candidate within the budget is offered this many of the nearest beyond it
(within the search horizon the caller's times reach), flagged ``beyond_budget``."""

MAX_WARM_NAMED: Final = 3
"""At most this many go-betweens are named in a warm-path reason."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A partnership to create between ``origin`` and ``candidate`` (partner ids).

    ``minutes`` from the origin to the candidate by the mode asked, ``estimated`` when the
    travel model estimated it; ``warm_via``: the origin's partners already linked to the
    candidate (ids, by name); ``score`` in [0, 1] (module docstring).
    """

    origin: str
    candidate: str
    minutes: float
    estimated: bool
    score: float
    new_family: bool
    warm_via: tuple[str, ...]
    open_places: int
    open_offers: int
    reasons: tuple[str, ...]
    beyond_budget: bool = False


def origins_of(partners: Sequence[NetworkPartner]) -> list[NetworkPartner]:
    """The shelters (AHI family) and the SIAE among ``partners``, in the order given."""
    return [p for p in partners if is_shelter(p.kind) or p.kind in vocabulary.SIAE_KINDS]


def candidates_of(partners: Sequence[NetworkPartner]) -> list[NetworkPartner]:
    """The employment-side actors among ``partners``, in the order given."""
    return [p for p in partners if is_employment_side(p.kind)]


def _opportunities(candidate: NetworkPartner) -> tuple[float, int]:
    places = candidate.offer_places + (candidate.available_places or 0)
    if places > 0:
        return 1.0, places
    return (0.5 if candidate.offers > 0 else 0.0), 0


def _minutes_text(minutes: float) -> str:
    """Whole minutes, rounded half up, at least 1 (« à 1 min » for a next-door partner)."""
    return str(max(1, math.floor(minutes + 0.5)))


def suggest(
    simple: Any,
    origins: Sequence[NetworkPartner],
    candidates: Sequence[NetworkPartner],
    minutes: npt.ArrayLike,
    estimated: npt.ArrayLike,
    *,
    budget: float,
    mode: str,
    warm: Any | None = None,
    keep: int | None = None,
) -> dict[str, list[Suggestion]]:
    """The suggested partnerships, by origin id, best first (module docstring).

    Parameters
    ----------
    simple : networkx.Graph
        The undirected view of the whole network (`graph.network.model.undirected`): who is
        already linked to whom, by any relation.
    origins, candidates : sequences of NetworkPartner
    minutes : array (len(origins), len(candidates))
        Minutes from each origin to each candidate; ``inf`` beyond reach.
    estimated : bool array, same shape
        Which of those minutes are estimates.
    budget : float
        Minutes, bound included.
    mode : str
        ``walk``, ``bike``, ``car`` or ``transit``, named in the reasons.
    warm : networkx.Graph, optional
        The links a warm path may follow (default ``simple``): `WARM_PATH_KINDS` leaves
        funding out — a funder of everyone introduces no one.
    keep : int, optional
        At most this many suggestions per origin (all by default). Scores are computed for
        every pair at once (numpy); only the suggestions kept are written out with reasons.
    """
    pairs = _Pairs(simple, origins, candidates, minutes, estimated, budget, mode, warm)
    return {origin.id: pairs.row(i, keep) for i, origin in enumerate(origins)}


def suggest_for_candidate(  # noqa: PLR0917 - the arguments of `suggest`, and one id
    simple: Any,
    origins: Sequence[NetworkPartner],
    candidates: Sequence[NetworkPartner],
    minutes: npt.ArrayLike,
    estimated: npt.ArrayLike,
    candidate: str,
    *,
    budget: float,
    mode: str,
    warm: Any | None = None,
) -> list[Suggestion]:
    """The shelters and SIAE an employment-side actor (``candidate``, an id of
    ``candidates``) could work with: the pairs of `suggest` that name it, same scores, best
    first (then shorter trip, then origin name)."""
    pairs = _Pairs(simple, origins, candidates, minutes, estimated, budget, mode, warm)
    found: list[Suggestion] = []
    for j, c in enumerate(candidates):
        if c.id == candidate:
            found = [pairs.pair(i, j) for i in range(len(origins)) if pairs.eligible(i)[j]]
    found.sort(key=lambda s: (-s.score, s.minutes, pairs.name_of[s.origin], s.origin))
    return found


class _Pairs:
    """Every origin × candidate pair: scores by numpy, suggestions written out on demand."""

    def __init__(  # noqa: PLR0917 - the arguments of `suggest`
        self,
        simple: Any,
        origins: Sequence[NetworkPartner],
        candidates: Sequence[NetworkPartner],
        minutes: npt.ArrayLike,
        estimated: npt.ArrayLike,
        budget: float,
        mode: str,
        warm: Any | None,
    ) -> None:
        self.simple, self.warm = simple, simple if warm is None else warm
        self.origins, self.candidates = origins, candidates
        self.budget, self.mode = budget, mode
        self.times = np.asarray(minutes, dtype=np.float64).reshape(len(origins), len(candidates))
        self.guessed = np.asarray(estimated, dtype=bool).reshape(self.times.shape)
        self.name_of = {p.id: p.name for p in (*origins, *candidates)}
        self.column = {c.id: j for j, c in enumerate(candidates)}
        families = sorted({c.family for c in candidates})
        self.family_index = {f: k for k, f in enumerate(families)}
        self.candidate_family = np.array(
            [self.family_index[c.family] for c in candidates], dtype=np.int64
        )
        self.opportunity = np.array([_opportunities(c)[0] for c in candidates])
        self.family_of = dict(simple.nodes(data="family"))
        self._names = np.array([c.name for c in candidates], dtype=object)

    def _partners(self, i: int) -> set[str]:
        origin = self.origins[i].id
        return set(self.simple[origin]) if origin in self.simple else set()

    def _introducers(self, i: int) -> set[str]:
        origin = self.origins[i].id
        return set(self.warm[origin]) if origin in self.warm else set()

    def eligible(self, i: int, *, within: bool = True) -> npt.NDArray[np.bool_]:
        """Candidates within the budget (``within=False``: reached at all), not the origin,
        not linked to it, of another family."""
        origin = self.origins[i]
        row = self.times[i]
        ok: npt.NDArray[np.bool_] = row <= self.budget if within else np.isfinite(row)
        ok &= self.candidate_family != self.family_index.get(origin.family, -1)
        for n in (*self._partners(i), origin.id):
            j = self.column.get(n)
            if j is not None:
                ok[j] = False
        return ok

    def scores(self, i: int) -> npt.NDArray[np.float64]:
        """The score of every candidate for origin ``i`` (module docstring)."""
        proximity = np.clip(1.0 - self.times[i] / self.budget, 0.0, 1.0) if self.budget > 0 else 1.0
        linked = {self.family_of.get(n) for n in self._partners(i)}
        known = [self.family_index[f] for f in linked if f in self.family_index]
        new_family = ~np.isin(self.candidate_family, known)
        warm = np.zeros(len(self.candidates), dtype=bool)
        for n in self._introducers(i):
            for m in self.warm[n]:
                j = self.column.get(m)
                if j is not None:
                    warm[j] = True
        score: npt.NDArray[np.float64] = (
            WEIGHTS["proximity"] * proximity
            + WEIGHTS["opportunities"] * self.opportunity
            + WEIGHTS["warm_path"] * warm
            + WEIGHTS["new_family"] * new_family
        )
        return np.round(score, 4)

    def row(self, i: int, keep: int | None) -> list[Suggestion]:
        columns = np.flatnonzero(self.eligible(i))
        if columns.size == 0:  # the nearest beyond the budget, said so
            farther = np.flatnonzero(self.eligible(i, within=False))
            order = np.lexsort((self._names[farther].astype(str), self.times[i, farther]))
            return [self.pair(i, int(j)) for j in farther[order[:BEYOND_BUDGET]]]
        score = self.scores(i)[columns]
        order = np.lexsort((self._names[columns].astype(str), self.times[i, columns], -score))
        chosen = columns[order[:keep] if keep is not None else order]
        return [self.pair(i, int(j)) for j in chosen]

    def pair(self, i: int, j: int) -> Suggestion:
        partners = self._partners(i)
        return _suggestion(
            self.warm,
            self.origins[i],
            self.candidates[j],
            float(self.times[i, j]),
            bool(self.guessed[i, j]),
            partners=self._introducers(i),
            linked_families={self.family_of.get(n) for n in partners},
            budget=self.budget,
            mode=self.mode,
        )


def _suggestion(
    simple: Any,
    origin: NetworkPartner,
    candidate: NetworkPartner,
    minutes: float,
    estimated: bool,
    *,
    partners: set[str],
    linked_families: set[str | None],
    budget: float,
    mode: str,
) -> Suggestion:
    proximity = max(0.0, 1.0 - minutes / budget) if budget > 0 else 1.0
    opportunity, places = _opportunities(candidate)
    via = (
        tuple(sorted(partners & set(simple[candidate.id]), key=lambda n: (_name(simple, n), n)))
        if candidate.id in simple
        else ()
    )
    new_family = candidate.family not in linked_families
    score = (
        WEIGHTS["proximity"] * proximity
        + WEIGHTS["opportunities"] * opportunity
        + WEIGHTS["warm_path"] * (1.0 if via else 0.0)
        + WEIGHTS["new_family"] * (1.0 if new_family else 0.0)
    )
    beyond = minutes > budget
    reasons = [
        f"À {_minutes_text(minutes)} min {MODE_LABELS.get(mode, mode)} depuis "
        f"{origin.name} ({'temps estimé' if estimated else 'temps du réseau'})"
        + (
            f", au-delà du budget de {_minutes_text(budget)} min : aucun acteur du côté emploi "
            f"n'est plus proche."
            if beyond
            else "."
        )
    ]
    if places:
        plural = "s" if places > 1 else ""
        reasons.append(f"{places} place{plural} ouverte{plural} publiée{plural}.")
    elif candidate.offers:
        reasons.append(
            f"{candidate.offers} offre{'s' if candidate.offers > 1 else ''} ouverte"
            f"{'s' if candidate.offers > 1 else ''}, sans nombre de places publié."
        )
    if new_family:
        label = vocabulary.families()[candidate.family].label
        reasons.append(f"Aucune relation encore avec la famille « {label} ».")
    if via:
        named = ", ".join(_name(simple, n) for n in via[:MAX_WARM_NAMED])
        more = f" et {len(via) - MAX_WARM_NAMED} autre(s)" if len(via) > MAX_WARM_NAMED else ""
        reasons.append(
            f"Chemin chaud : déjà partenaire de {named}{more}, partenaire(s) de la structure."
        )
    return Suggestion(
        origin=origin.id,
        candidate=candidate.id,
        minutes=minutes,
        estimated=estimated,
        score=round(score, 4),
        new_family=new_family,
        warm_via=via,
        open_places=places,
        open_offers=candidate.offers,
        reasons=tuple(reasons),
        beyond_budget=beyond,
    )


def _name(simple: Any, node: str) -> str:
    name: str = simple.nodes[node].get("name", node)
    return name
