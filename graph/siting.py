"""Siting: where k new sites would newly cover the most uncovered demand.

The maximal covering location problem (MCLP; Church & ReVelle 1974), as PySAL ``spopt``'s
``MCLP.from_cost_matrix`` states it, with the existing sites kept: zones they already reach
within the budget count as covered and earn nothing more. It is solved **exactly** as an
integer program with ``scipy.optimize.milp`` (HiGHS): greedy selection, even with lazy
evaluation, only guarantees ``1 − 1/e`` of the optimum.

The program
-----------
Zones ``i`` with demand ``P_i`` (persons), candidate sites ``j``, budget ``d`` (minutes),
``N_i = {j : t_ij <= d}`` the candidates that reach zone ``i``, and ``U`` the zones not yet
covered by an existing site:

.. math::

   \\max \\sum_{i \\in U} P_i\\, y_i
   \\quad\\text{s.t.}\\quad y_i \\le \\sum_{j \\in N_i} x_j \\;(i \\in U), \\quad
   \\sum_j x_j \\le k, \\quad x_j \\in \\{0, 1\\}, \\quad 0 \\le y_i \\le 1.

``y`` may stay continuous: for integral ``x`` the optimum sets ``y_i = min(1, Σ_{N_i} x_j)``,
which is integral. Before solving, zones with the same ``N_i`` are merged (their demands
added) and candidates that reach no uncovered demand are dropped — the optimum is unchanged
and a grid of thousands of cells becomes a few hundred rows. ``Σ x_j <= k`` (``spopt``: ``= p``)
lets the answer hold fewer than ``k`` sites when fewer already cover every reachable zone; a
chosen site that covers nothing on its own is dropped, so every site returned earns its place.

Each newly covered zone is attributed to one chosen site — the nearest (lowest candidate index
on ties) — so that the demands newly covered per site add up to the total.
"""

# ruff: noqa: N803 - T, P are the matrix and the demand of the formulas in the docstrings

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.coverage import ReachTable, TravelTimes

__all__ = ["ChosenSite", "Siting", "maximal_covering"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class ChosenSite:
    """One new site of the answer.

    Attributes
    ----------
    candidate : int
        Column of the candidate in the travel-time matrix.
    newly_covered : float
        Demand (persons) of the zones attributed to this site: newly covered, and nearer to it
        than to any other chosen site.
    zones : numpy.ndarray
        int64, those zones' indices, increasing.
    """

    candidate: int
    newly_covered: float
    zones: IntArray


@dataclass(frozen=True, eq=False)
class Siting:
    """The answer of `maximal_covering`.

    Attributes
    ----------
    sites : tuple of ChosenSite
        The chosen sites, most demand newly covered first (then by candidate index).
    assignment : numpy.ndarray
        int64, shape (n_zones,): the candidate a zone is newly covered by, ``-1`` otherwise.
    newly_covered : float
        Demand newly covered by the chosen sites, persons (the objective).
    covered_before : float
        Demand of the zones the existing sites already cover.
    uncovered_after : float
        Demand still not covered with the chosen sites.
    unreachable : float
        Part of ``uncovered_after`` that no candidate reaches within the budget: no choice of
        sites among these candidates can cover it.
    total_demand : float
        ``Σ P_i``.
    optimal : bool
        Whether HiGHS proved the optimum (``False`` when the time limit stopped it; the sites
        are then the best found).
    bound : float
        Upper bound on the demand any ``k`` candidates can newly cover (= ``newly_covered``
        when ``optimal``).
    """

    sites: tuple[ChosenSite, ...]
    assignment: IntArray
    newly_covered: float
    covered_before: float
    uncovered_after: float
    unreachable: float
    total_demand: float
    optimal: bool
    bound: float

    @property
    def chosen(self) -> tuple[int, ...]:
        """Candidate indices of the chosen sites, in the order of `sites`."""
        return tuple(site.candidate for site in self.sites)


def maximal_covering(
    T_candidates: TravelTimes,
    P: npt.ArrayLike,
    *,
    max_minutes: float,
    k: int,
    covered_already: npt.ArrayLike | None = None,
    time_limit: float | None = 60.0,
) -> Siting:
    """The ``k`` candidate sites that newly cover the most uncovered demand within the budget.

    Parameters
    ----------
    T_candidates
        Minutes from each zone to each candidate site, shape (n_zones, n_candidates), ``inf``
        when unreachable, or a `graph.coverage.ReachTable`. Candidates are whatever the
        caller proposes: town halls, commune centroids, given points.
    P
        Demand per zone, persons, finite and ≥ 0.
    max_minutes
        Budget ``d``, minutes: a candidate covers a zone when ``t_ij <= d`` (as ``spopt``).
    k
        Number of new sites, ≥ 0.
    covered_already
        bool, shape (n_zones,): zones an existing site already reaches within the budget
        (``(T_existing <= d).any(axis=1)``); ``None`` when there is no existing site.
    time_limit
        Seconds HiGHS may spend, default 60; ``None`` for no limit. Geographic instances
        (coverage sets of nearby zones overlapping) solve in milliseconds to a second; when
        the limit is hit, `Siting.optimal` is ``False``, the sites are the best found and
        `Siting.bound` says how far from the optimum they may be.

    Returns
    -------
    Siting

    Raises
    ------
    ValueError
        In French, for invalid inputs.
    """
    pairs = _pairs_within(T_candidates, max_minutes)
    n = pairs.shape[0]
    demand = _demand(P, n)
    already = _already(covered_already, n)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"Nombre de sites invalide ({k}) : un entier ≥ 0.")
    reach = np.bincount(pairs.zones, minlength=n) > 0
    open_zone = ~already & (demand > 0) & reach
    groups, members = _merge_zones(pairs, open_zone)
    weights = np.array([demand[zones].sum() for zones in members], dtype=np.float64)
    chosen, optimal, bound = _solve(groups, weights, int(k), time_limit)
    chosen = _prune(chosen, groups)
    assignment = _attribute(pairs, open_zone, chosen)
    return _answer(
        demand,
        already=already,
        reach=reach,
        assignment=assignment,
        chosen=chosen,
        optimal=optimal,
        bound=bound,
    )


# --- the steps -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Pairs:
    """The (zone, candidate) pairs within the budget, sorted by zone then candidate."""

    shape: tuple[int, int]
    zones: IntArray
    sites: IntArray
    minutes: FloatArray


def _pairs_within(T: TravelTimes, max_minutes: float) -> _Pairs:
    budget = float(max_minutes)
    if not (math.isfinite(budget) and budget >= 0):
        raise ValueError(f"Budget de temps invalide ({max_minutes}) : minutes finies, ≥ 0.")
    if isinstance(T, ReachTable):
        table = T
    else:
        minutes = np.asarray(T, dtype=np.float64)
        if minutes.ndim != 2 or not (minutes >= 0).all():
            raise ValueError("Matrice de temps (zones × candidats) de minutes ≥ 0 attendue.")
        table = ReachTable.from_dense(minutes, max_minutes=budget)
    inside = table.minutes <= budget
    return _Pairs(table.shape, table.zones[inside], table.sites[inside], table.minutes[inside])


def _demand(P: npt.ArrayLike, n: int) -> FloatArray:
    demand = np.asarray(P, dtype=np.float64)
    if demand.shape != (n,) or not (np.isfinite(demand).all() and (demand >= 0).all()):
        raise ValueError(f"Demande par zone : {n} valeurs finies ≥ 0 attendues.")
    return demand


def _already(covered_already: npt.ArrayLike | None, n: int) -> BoolArray:
    if covered_already is None:
        return np.zeros(n, dtype=bool)
    already = np.asarray(covered_already)
    if already.shape != (n,) or already.dtype != np.bool_:
        raise ValueError(f"Zones déjà couvertes : {n} booléens attendus.")
    return already


def _merge_zones(pairs: _Pairs, open_zone: BoolArray) -> tuple[list[IntArray], list[IntArray]]:
    """Open zones with the same set of covering candidates, merged: (candidate sets, zones).

    Groups come in the order of their first zone, candidates in increasing order."""
    keep = open_zone[pairs.zones]
    zones, sites = pairs.zones[keep], pairs.sites[keep]
    if zones.size == 0:
        return [], []
    starts = np.flatnonzero(np.r_[True, zones[1:] != zones[:-1]])
    by_set: dict[bytes, list[int]] = {}
    sets: dict[bytes, IntArray] = {}
    for start, stop in zip(starts.tolist(), [*starts[1:].tolist(), zones.size], strict=True):
        candidates = sites[start:stop]
        key = candidates.tobytes()
        by_set.setdefault(key, []).append(int(zones[start]))
        sets.setdefault(key, candidates)
    return list(sets.values()), [np.array(members, dtype=np.int64) for members in by_set.values()]


def _solve(
    groups: list[IntArray], weights: FloatArray, k: int, time_limit: float | None
) -> tuple[list[int], bool, float]:
    """Optimal candidate set for merged zones; (chosen, proved optimal, upper bound)."""
    total = float(weights.sum())
    useful = np.unique(np.concatenate(groups)) if groups else np.zeros(0, dtype=np.int64)
    if k == 0 or useful.size == 0:
        return [], True, 0.0 if k == 0 else total
    if useful.size <= k:  # every useful candidate fits: everything reachable is covered
        return [int(j) for j in useful], True, total
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    position = {int(j): p for p, j in enumerate(useful)}
    n_x, n_y = int(useful.size), len(groups)
    rows, cols, values = [], [], []
    for g, candidates in enumerate(groups):  # y_g − Σ_{j ∈ N_g} x_j <= 0
        rows.append(g)
        cols.append(n_x + g)
        values.append(1.0)
        for j in candidates.tolist():
            rows.append(g)
            cols.append(position[j])
            values.append(-1.0)
    rows.extend([n_y] * n_x)  # Σ x_j <= k
    cols.extend(range(n_x))
    values.extend([1.0] * n_x)
    matrix = coo_array((values, (rows, cols)), shape=(n_y + 1, n_x + n_y)).tocsr()
    upper = np.zeros(n_y + 1)
    upper[-1] = k
    options: dict[str, Any] = {"mip_rel_gap": 0.0, "presolve": True}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    result = milp(
        c=np.concatenate([np.zeros(n_x), -weights]),
        integrality=np.concatenate([np.ones(n_x), np.zeros(n_y)]),
        bounds=Bounds(0.0, 1.0),
        constraints=LinearConstraint(matrix, -np.inf, upper),
        options=options,
    )
    bound_value = getattr(result, "mip_dual_bound", None)
    bound = -float(bound_value) if bound_value is not None else total
    chosen = (
        [int(useful[p]) for p in np.flatnonzero(np.asarray(result.x[:n_x]) > 0.5)]
        if result.x is not None
        else []
    )
    if result.status == 0 and result.x is not None:
        return chosen, True, min(bound, total)
    # Stopped by the time limit: keep the better of HiGHS's incumbent and the greedy answer.
    greedy = _greedy(groups, weights, k)
    if result.x is None or _value(greedy, groups, weights) > _value(chosen, groups, weights):
        chosen = greedy
    return chosen, False, min(bound, total)


def _value(chosen: list[int], groups: list[IntArray], weights: FloatArray) -> float:
    """Demand of the merged zones that ``chosen`` covers."""
    picked = set(chosen)
    return float(
        sum(w for g, w in zip(groups, weights.tolist(), strict=True) if picked & set(g.tolist()))
    )


def _greedy(groups: list[IntArray], weights: FloatArray, k: int) -> list[int]:
    """Plain greedy: repeatedly the candidate that adds the most demand (lowest index on ties).

    Only a fallback when the time limit stops HiGHS: it guarantees ``1 − 1/e`` of the optimum."""
    remaining = np.ones(len(groups), dtype=bool)
    chosen: list[int] = []
    for _ in range(k):
        gain: dict[int, float] = {}
        for g in np.flatnonzero(remaining).tolist():
            for j in groups[g].tolist():
                gain[j] = gain.get(j, 0.0) + float(weights[g])
        if not gain:
            break
        best = min(gain, key=lambda j: (-gain[j], j))
        chosen.append(best)
        for g in np.flatnonzero(remaining).tolist():
            if best in groups[g]:
                remaining[g] = False
    return chosen


def _prune(chosen: list[int], groups: list[IntArray]) -> list[int]:
    """Drop, highest index first, chosen sites every zone of which another chosen site covers:
    they add nothing (the solver may pick them when ``Σ x_j <= k`` is not binding)."""
    kept = set(chosen)
    for j in sorted(chosen, reverse=True):
        others = kept - {j}
        if all(not others.isdisjoint(g.tolist()) for g in groups if j in g.tolist()):
            kept = others
    return sorted(kept)


def _attribute(pairs: _Pairs, open_zone: BoolArray, chosen: list[int]) -> IntArray:
    """For each open zone, the nearest chosen candidate covering it (lowest index on ties)."""
    assignment = np.full(pairs.shape[0], -1, dtype=np.int64)
    keep = open_zone[pairs.zones] & np.isin(pairs.sites, np.array(chosen, dtype=np.int64))
    zones, sites, minutes = pairs.zones[keep], pairs.sites[keep], pairs.minutes[keep]
    order = np.lexsort((sites, minutes, zones))  # by zone, then time, then candidate
    zones, sites = zones[order], sites[order]
    first = np.r_[True, zones[1:] != zones[:-1]] if zones.size else np.zeros(0, dtype=bool)
    assignment[zones[first]] = sites[first]
    return assignment


def _answer(
    demand: FloatArray,
    *,
    already: BoolArray,
    reach: BoolArray,
    assignment: IntArray,
    chosen: list[int],
    optimal: bool,
    bound: float,
) -> Siting:
    sites = []
    for j in chosen:
        zones = np.flatnonzero(assignment == j).astype(np.int64)
        sites.append(ChosenSite(candidate=j, newly_covered=float(demand[zones].sum()), zones=zones))
    sites.sort(key=lambda site: (-site.newly_covered, site.candidate))
    newly = assignment >= 0
    uncovered = ~already & ~newly
    return Siting(
        sites=tuple(sites),
        assignment=assignment,
        newly_covered=float(demand[newly].sum()),
        covered_before=float(demand[already].sum()),
        uncovered_after=float(demand[uncovered].sum()),
        unreachable=float(demand[uncovered & ~reach].sum()),
        total_demand=float(demand.sum()),
        optimal=optimal,
        bound=max(bound, float(demand[newly].sum())),
    )
