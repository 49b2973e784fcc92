"""Optimal capacity-constrained assignment: checked against brute force on small cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from graph.assignment import assign


def brute_force(scores: np.ndarray, places: np.ndarray) -> float:
    """Best total score over every assignment (each person: nobody or one offer)."""
    persons, offers = scores.shape
    best = 0.0
    for choice in itertools.product(range(-1, offers), repeat=persons):
        load = np.zeros(offers, dtype=int)
        total = 0.0
        for person, offer in enumerate(choice):
            if offer < 0:
                continue
            if not np.isfinite(scores[person, offer]):
                break
            load[offer] += 1
            total += scores[person, offer]
        else:
            if np.all(load <= places):
                best = max(best, total)
    return best


def random_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    persons, offers = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    scores = rng.random((persons, offers)).round(2)
    scores[rng.random((persons, offers)) < 0.25] = np.nan  # forbidden pairs
    scores[rng.random((persons, offers)) < 0.05] = -np.inf
    places = rng.integers(0, 3, offers)  # 0 to 2 places
    return scores, places


@pytest.mark.parametrize("seed", range(8))
def test_total_score_equals_the_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        scores, places = random_case(rng)
        result = assign(scores, places)
        assert result.total_score == pytest.approx(brute_force(scores, places), abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_never_exceeds_places_nor_uses_a_forbidden_pair(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for _ in range(40):
        scores, places = random_case(rng)
        result = assign(scores, places)
        assert np.all(result.load <= places)
        assert np.all(result.remaining_places >= 0)
        for person, offer in enumerate(result.offer_of):
            if offer >= 0:
                assert np.isfinite(scores[person, offer])
        assigned = result.offer_of >= 0
        recomputed = scores[np.flatnonzero(assigned), result.offer_of[assigned]].sum()
        assert result.total_score == pytest.approx(recomputed)


def test_five_persons_four_offers_known_answer() -> None:
    nan = np.nan
    scores = np.array(
        [
            [0.9, 0.8, nan, 0.1],
            [0.85, 0.2, 0.3, nan],
            [0.9, nan, nan, nan],
            [nan, 0.7, 0.6, 0.5],
            [0.8, 0.7, nan, nan],
        ]
    )
    places = np.array([1, 2, 0, 1])
    result = assign(scores, places)
    # Person 2 can only take offer 0; offer 2 has no place; offer 1 takes two persons.
    assert result.offer_of.tolist() == [1, -1, 0, 3, 1]
    assert result.total_score == pytest.approx(0.8 + 0.9 + 0.5 + 0.7)
    assert result.load.tolist() == [1, 2, 0, 1]


def test_a_person_with_only_negative_or_forbidden_scores_stays_unassigned() -> None:
    result = assign(np.array([[-0.5, np.nan], [0.4, 0.3]]), np.array([3, 3]))
    assert result.offer_of.tolist() == [-1, 0]
    assert result.total_score == pytest.approx(0.4)


def test_more_persons_than_places() -> None:
    scores = np.tile(np.array([[0.5, 0.4]]), (30, 1)) + np.linspace(0, 0.29, 30)[:, None]
    result = assign(scores, np.array([2, 1]))
    assert (result.offer_of >= 0).sum() == 3
    assert result.load.tolist() == [2, 1]
    # The best-scored persons get the places.
    assert set(np.flatnonzero(result.offer_of >= 0)) == {27, 28, 29}


def test_empty_inputs() -> None:
    assert assign(np.zeros((0, 3)), np.array([1, 1, 1])).offer_of.tolist() == []
    assert assign(np.zeros((2, 0)), np.zeros(0, dtype=int)).offer_of.tolist() == [-1, -1]
    assert assign(np.full((2, 2), np.nan), np.array([1, 1])).total_score == 0.0


def test_top_alternatives_exclude_the_assigned_offer_and_forbidden_pairs() -> None:
    scores = np.array([[0.9, 0.5, np.nan, 0.7], [0.2, 0.8, 0.8, 0.1]])
    result = assign(scores, np.array([1, 1, 0, 1]))
    alternatives = result.top_alternatives(2)
    assert result.offer_of.tolist() == [0, 1]
    assert alternatives[0].tolist() == [3, 1]  # offer 2 forbidden
    assert alternatives[1].tolist() == [0, 3]  # offer 2 has no place; ties by column
    assert [a.tolist() for a in result.top_alternatives(0)] == [[], []]
    with pytest.raises(ValueError, match="positif"):
        result.top_alternatives(-1)


@pytest.mark.parametrize(
    ("scores", "places", "message"),
    [
        (np.zeros(3), np.ones(3), "matrice"),
        (np.zeros((2, 3)), np.ones(2), "une valeur par offre"),
        (np.zeros((2, 2)), np.array([1, -1]), "positives"),
        (np.zeros((2, 2)), np.array([1.5, 1]), "entiers"),
    ],
)
def test_invalid_inputs_are_refused_in_french(
    scores: np.ndarray, places: np.ndarray, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        assign(scores, places)


def test_a_cohort_of_200_is_solved_quickly() -> None:
    rng = np.random.default_rng(7)
    scores = rng.random((200, 2_000))
    scores[rng.random(scores.shape) < 0.95] = np.nan
    places = rng.integers(0, 4, 2_000)
    result = assign(scores, places)
    assert np.all(result.load <= places)
    # Optimality certificate on a relaxation: nobody could move to a free, better offer.
    remaining = result.remaining_places
    for person, offer in enumerate(result.offer_of):
        current = scores[person, offer] if offer >= 0 else 0.0
        better = np.flatnonzero(
            (np.nan_to_num(scores[person], nan=-1.0) > current) & (remaining > 0)
        )
        assert better.size == 0
