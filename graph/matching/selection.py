"""Which candidates are proposed, and in what order: diversity across employers and kinds.

Order: score descending, minutes ascending, opportunity id ascending; at most ``per_employer``
items per employer; sheltered work first for a person oriented to ESAT, then offers matching
a wish; kinds mixed by a penalty of 0.03 per item of the same kind already taken.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from graph.matching.arrays import BoolArray, IntArray
from graph.matching.evaluation import Evaluation
from graph.matching.offers import KIND_CODES


def order_candidates(
    evaluation: Evaluation, positions: IntArray, *, wishes_first: bool = False
) -> IntArray:
    """Positions (into candidates) sorted by score desc, minutes asc, offer id asc.

    With ``wishes_first``, sheltered work first for a person oriented to ESAT
    (`ranks_first`), then offers matching a wish (wish component > 0), then the others.
    """
    index = evaluation.candidates[positions]
    keys: list[npt.NDArray[np.generic]] = [
        evaluation.table.id_rank[index],
        np.round(evaluation.reach.minutes[positions], 6),
        -evaluation.score[positions],
    ]
    if wishes_first:
        keys.append(evaluation.components[positions, 0] <= 0)
        keys.append(~ranks_first(evaluation, positions))
    return positions[np.lexsort(keys)]


def ranks_first(evaluation: Evaluation, positions: IntArray) -> BoolArray:
    """Candidates shown before all others: sheltered work (ESAT) when the CDAPH oriented the
    person to ESAT — the orientation is the decision the person and the MDPH took."""
    if evaluation.profile.situation.cdaph_orientation != "esat":
        return np.zeros(len(positions), dtype=bool)
    return np.asarray(evaluation.table.sheltered[evaluation.candidates[positions]], dtype=bool)


_KIND_PENALTY: Final = 0.03


def diversify(evaluation: Evaluation, limit: int, per_employer: int) -> list[int]:
    """Best candidates under diversity rules; returns positions into ``candidates``.

    - At most ``per_employer`` items per employer (partner, or organisation when known): only
      each employer's best ``per_employer`` candidates compete.
    - ESAT first: for a person the CDAPH oriented to ESAT, sheltered work comes before any
      other offer (`ranks_first`).
    - Wishes first: when the person stated wishes, offers that match none of them (wish
      component 0) only come after every offer that matches some.
    - Kinds mix: items are taken greedily by ``score - 0.03 x (items of the same opportunity
      kind already taken)``, so a tenth job needs a 0.27 lead over the first immersion,
      volunteering or training; with one kind only this is the score order.

    The list is returned with sheltered work first (ESAT orientation), then offers matching a
    wish, then in score order (ties: minutes, then id).
    """
    table = evaluation.table
    ranked = order_candidates(evaluation, np.arange(len(evaluation.candidates)))
    groups = table.partner_group[table.offer_partner[evaluation.candidates[ranked]]]
    ranked = ranked[_rank_within(groups) < per_employer]
    kinds = table.kind[evaluation.candidates[ranked]]
    scores = evaluation.score[ranked]
    # Offers matching no wish rank below every offer that matches one (scores lie in [0, 1]);
    # sheltered work for a person oriented to ESAT above both.
    scores = np.where(evaluation.components[ranked, 0] > 0, scores + 2.0, scores)
    scores = np.where(ranks_first(evaluation, ranked), scores + 4.0, scores)
    taken_per_kind = np.zeros(len(KIND_CODES))
    available = np.ones(len(ranked), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < limit and available.any():
        effective = np.where(available, scores - _KIND_PENALTY * taken_per_kind[kinds], -np.inf)
        best = int(np.argmax(effective))  # first of equals: the ranked order breaks ties
        chosen.append(int(ranked[best]))
        available[best] = False
        taken_per_kind[kinds[best]] += 1
    chosen_positions = np.array(chosen, dtype=np.int64)
    return [int(p) for p in order_candidates(evaluation, chosen_positions, wishes_first=True)]


def _rank_within(groups: IntArray) -> IntArray:
    """Rank of each element inside its group, in the given order: [7, 3, 7, 7] → [0, 0, 1, 2]."""
    by_group = np.argsort(groups, kind="stable")
    sorted_groups = groups[by_group]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    lengths = np.diff(np.r_[starts, len(groups)])
    ranks = np.empty(len(groups), dtype=np.int64)
    ranks[by_group] = np.arange(len(groups)) - np.repeat(starts, lengths)
    return ranks
