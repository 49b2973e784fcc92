"""Siting (`graph.siting.maximal_covering`): the exact MCLP against a brute-force optimum over
every k-subset on seeded tiny cases, against PySAL spopt's ``MCLP.from_cost_matrix``, and the
attribution of newly covered zones to the chosen sites."""

# ruff: noqa: N806 - T, P are the matrix and the demand of the formulas

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from graph.coverage import ReachTable
from graph.siting import Siting, maximal_covering


def _brute_force(
    times: np.ndarray, demand: np.ndarray, d: float, k: int, already: np.ndarray
) -> float:
    """Most demand newly covered by any k candidates (every subset of size k is tried)."""
    covers = times <= d
    best = 0.0
    for subset in itertools.combinations(range(times.shape[1]), k):
        hit = covers[:, list(subset)].any(axis=1) & ~already
        best = max(best, float(demand[hit].sum()))
    return best


def _check(
    siting: Siting, times: np.ndarray, demand: np.ndarray, d: float, already: np.ndarray
) -> None:
    """The answer is consistent: attribution, per-site sums, totals."""
    covers = times <= d
    chosen = list(siting.chosen)
    newly = np.zeros(len(demand), dtype=bool)
    if chosen:
        newly = covers[:, chosen].any(axis=1) & ~already & (demand > 0)
    assert siting.newly_covered == pytest.approx(float(demand[newly].sum()), abs=1e-9)
    assert sum(site.newly_covered for site in siting.sites) == pytest.approx(
        siting.newly_covered, abs=1e-9
    )
    assigned = siting.assignment >= 0
    np.testing.assert_array_equal(assigned, newly)
    for zone in np.flatnonzero(assigned):
        j = siting.assignment[zone]
        reached = np.where(covers[zone, chosen], times[zone, chosen], np.inf)
        assert times[zone, j] == reached.min()  # the nearest chosen site
        assert j == min(c for c in chosen if times[zone, c] == reached.min())  # lowest index
    for site in siting.sites:
        assert site.newly_covered > 0  # no useless site is returned
    total = siting.covered_before + siting.newly_covered + siting.uncovered_after
    assert total == pytest.approx(siting.total_demand)


@pytest.mark.parametrize("seed", range(40))
def test_equals_brute_force_on_tiny_random_cases(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(3, 13)), int(rng.integers(2, 9))
    k = int(rng.integers(1, min(c, 4) + 1))
    T = rng.uniform(0, 40, (n, c))
    T[rng.random((n, c)) < 0.2] = np.inf
    if seed % 3 == 0:
        T = np.round(T)  # ties in minutes and on the budget
    P = rng.integers(0, 100, n).astype(float)
    already = rng.random(n) < 0.25
    expected = _brute_force(T, P, 15.0, k, already)
    for times in (T, ReachTable.from_dense(T)):
        siting = maximal_covering(times, P, max_minutes=15, k=k, covered_already=already)
        assert siting.optimal
        assert len(siting.chosen) <= k
        assert siting.newly_covered == pytest.approx(expected, abs=1e-9)
        assert siting.bound == pytest.approx(expected, abs=1e-6)
        _check(siting, T, P, 15.0, already)


def test_a_hand_drawn_case() -> None:
    # Candidates: A covers zones 0, 1 (500 people); B covers 1, 2, 3 (600); C covers 3, 4 (650).
    # Zone 4 is already covered by an existing site, so C is worth 150 only.
    # k = 1 → B (600). k = 2 → A + C? 500 + 150 = 650; B + C: 600 + 0 (zone 4) + 0 = 600
    # (zone 3 shared); A + B: 500 + 300 (zones 2, 3) = 800 → the optimum.
    inf = np.inf
    T = np.array(
        [
            [5.0, inf, inf],  # zone 0, 300 people
            [9.0, 12.0, inf],  # zone 1, 200
            [inf, 4.0, inf],  # zone 2, 250
            [inf, 18.0, 6.0],  # zone 3, 150
            [inf, inf, 2.0],  # zone 4, 500 (already covered)
        ]
    )
    P = np.array([300.0, 200.0, 250.0, 150.0, 500.0])
    already = np.array([False, False, False, False, True])
    one = maximal_covering(T, P, max_minutes=20, k=1, covered_already=already)
    assert one.chosen == (1,)
    assert one.newly_covered == 600.0
    two = maximal_covering(T, P, max_minutes=20, k=2, covered_already=already)
    assert set(two.chosen) == {0, 1}
    assert two.newly_covered == 900.0  # 300 + 200 + 250 + 150
    # zone 1 is reached by A (9 min) and B (12 min): attributed to A, the nearer
    assert two.assignment.tolist() == [0, 0, 1, 1, -1]
    assert [(s.candidate, s.newly_covered, s.zones.tolist()) for s in two.sites] == [
        (0, 500.0, [0, 1]),
        (1, 400.0, [2, 3]),
    ]
    assert (two.covered_before, two.uncovered_after, two.unreachable) == (500.0, 0.0, 0.0)
    # Within 5 min, A covers zone 0, B zone 2, C only zone 4 (already covered): C is useless,
    # and zones 1 (9, 12 min) and 3 (18, 6 min) are out of every candidate's reach.
    tight = maximal_covering(T, P, max_minutes=5, k=3, covered_already=already)
    assert tight.chosen == (0, 1)
    assert (tight.newly_covered, tight.unreachable, tight.uncovered_after) == (550.0, 350.0, 350.0)


def test_fewer_sites_when_fewer_cover_everything() -> None:
    T = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    siting = maximal_covering(T, [10.0, 20.0], max_minutes=5, k=3)
    assert siting.chosen == (0,)  # one site covers both zones; the others would add nothing
    assert siting.newly_covered == 30.0
    nothing = maximal_covering(T, [10.0, 20.0], max_minutes=5, k=0)
    assert (nothing.chosen, nothing.newly_covered, nothing.uncovered_after) == ((), 0.0, 30.0)
    covered = maximal_covering(T, [10.0, 20.0], max_minutes=5, k=2, covered_already=[True, True])
    assert (covered.chosen, covered.covered_before) == ((), 30.0)


def test_equals_spopt_mclp_from_cost_matrix() -> None:
    # spopt keeps the existing sites as predefined facilities among the candidates and places
    # p = existing + k; its objective counts every covered zone, ours the newly covered ones.
    import pulp
    from spopt.locate import MCLP

    rng = np.random.default_rng(30)
    zones = rng.uniform(0, 30, (80, 2))  # km
    existing = rng.uniform(0, 30, (3, 2))
    candidates = rng.uniform(0, 30, (15, 2))
    minutes = 60 / 40 * 1.4  # minutes per km by car (straight line × detour)
    T_existing = np.linalg.norm(zones[:, None] - existing[None], axis=2) * minutes
    T_candidates = np.linalg.norm(zones[:, None] - candidates[None], axis=2) * minutes
    P = rng.integers(10, 500, 80).astype(float)
    d = 8.0
    already = (T_existing <= d).any(axis=1)
    for k in (1, 2, 4):
        ours = maximal_covering(T_candidates, P, max_minutes=d, k=k, covered_already=already)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3 announces its 4.0 API
            model = MCLP.from_cost_matrix(
                np.hstack([T_existing, T_candidates]),
                P,
                service_radius=d,
                p_facilities=3 + k,
                predefined_facilities_arr=np.r_[np.ones(3), np.zeros(15)].astype(int),
            )
            model.solve(pulp.PULP_CBC_CMD(msg=False))
        theirs = float(pulp.value(model.problem.objective))
        assert ours.covered_before + ours.newly_covered == pytest.approx(theirs, abs=1e-6)
        spopt_sites = [j - 3 for j in range(3, 18) if model.fac_vars[j].value() > 0.5]
        spopt_new = (T_candidates[:, spopt_sites] <= d).any(axis=1) & ~already
        assert float(P[spopt_new].sum()) == pytest.approx(ours.newly_covered, abs=1e-6)


def test_a_grid_sized_problem_is_solved_exactly() -> None:
    # 2,500 zones, 120 candidates, structured geography: merged zones keep the program small.
    rng = np.random.default_rng(7)
    zones = rng.uniform(0, 100, (2_500, 2))
    candidates = rng.uniform(0, 100, (120, 2))
    T = np.linalg.norm(zones[:, None] - candidates[None], axis=2) * 2.1
    P = rng.lognormal(3, 1.5, 2_500)
    siting = maximal_covering(T, P, max_minutes=15, k=8, time_limit=60)
    assert siting.optimal
    assert siting.newly_covered == pytest.approx(siting.bound, rel=1e-9)
    assert len(siting.chosen) == 8
    _check(siting, T, P, 15.0, np.zeros(2_500, dtype=bool))


def test_time_limit_reports_a_feasible_answer_and_a_bound() -> None:
    # Coverage drawn at random (no geography) is the hard case of the MCLP: stopped at once,
    # the answer is still k useful sites, flagged as not proved, with a bound above it.
    rng = np.random.default_rng(1)
    T = rng.uniform(0, 100, (1_500, 150))
    P = rng.uniform(1, 100, 1_500)
    siting = maximal_covering(T, P, max_minutes=12, k=10, time_limit=1e-6)
    assert not siting.optimal
    assert len(siting.chosen) == 10
    assert siting.bound > siting.newly_covered > 0
    _check(siting, T, P, 12.0, np.zeros(1_500, dtype=bool))


def test_invalid_inputs_are_refused_in_french() -> None:
    T = np.array([[1.0, 2.0]])
    with pytest.raises(ValueError, match="Nombre de sites invalide"):
        maximal_covering(T, [1.0], max_minutes=5, k=-1)
    with pytest.raises(ValueError, match="Zones déjà couvertes"):
        maximal_covering(T, [1.0], max_minutes=5, k=1, covered_already=[1])
    with pytest.raises(ValueError, match="Demande par zone"):
        maximal_covering(T, [1.0, 2.0], max_minutes=5, k=1)
    with pytest.raises(ValueError, match="Budget de temps invalide"):
        maximal_covering(T, [1.0], max_minutes=float("nan"), k=1)
    with pytest.raises(ValueError, match="minutes ≥ 0"):
        maximal_covering([[-1.0]], [1.0], max_minutes=5, k=1)
