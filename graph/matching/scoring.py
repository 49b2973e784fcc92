"""The score of an offer for a person, and its components.

``score = 0.35 wish + 0.25 travel + 0.15 hours + 0.15 places + 0.10 warm`` (`WEIGHTS`), every
component in [0, 1]; see `score_components` for each one's formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from graph.matching.arrays import BoolArray, FloatArray, IntArray
from graph.matching.offers import OfferTable
from graph.matching.profile import Profile, Wishes
from graph.matching.text import search_tokens
from graph.matching.travel import Reach
from graph.models import HoursPerWeek
from graph.validation import french_level_rank


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the score components; they sum to 1 so that the score lies in [0, 1].

    Attributes
    ----------
    wish : float
        Fit with the wishes (ROME codes, keywords): first, as "emploi d'abord" starts there.
    travel : float
        ``1 - minutes / max_minutes`` of the reported trip: closer is easier to hold.
    hours : float
        Weekly hours against the wished range.
    places : float
        Open places (1), unknown (0.5), none for now (0).
    warm : float
        The referent structure already works with the partner: a warm introduction.
    """

    wish: float = 0.35
    travel: float = 0.25
    hours: float = 0.15
    places: float = 0.15
    warm: float = 0.10

    def __post_init__(self) -> None:
        total = self.wish + self.travel + self.hours + self.places + self.warm
        if not math.isclose(total, 1.0) or min(self.as_tuple()) < 0:
            raise ValueError("les poids du score doivent être positifs et de somme 1")

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """``(wish, travel, hours, places, warm)``."""
        return (self.wish, self.travel, self.hours, self.places, self.warm)


WEIGHTS: Final = ScoreWeights()
"""The weights used by `match`: wish 0.35, travel 0.25, hours 0.15, places 0.15, warm 0.10."""


def score_components(
    profile: Profile, table: OfferTable, candidates: IntArray, reach: Reach, warm: BoolArray
) -> FloatArray:
    """Score components of the candidates, shape (candidates, 5), each in [0, 1].

    ``reach`` is aligned with ``candidates``.

    - wish: `wish_fit`;
    - travel: ``1 - minutes / max_minutes`` of the reported trip; 0 when the person needs a
      crèche and none was found on the way (the trip that works is not known);
    - hours: 1 when the offer's weekly hours meet the wished range, decreasing by 0.1 per hour
      of gap, 0.5 when either is unknown;
    - places: 1 with open places, 0.5 unknown, 0 when full for now;
    - warm: 1 when the referent structure already works with the partner.
    """
    wish = wish_fit(table, profile.wishes, candidates, learning_french=is_learning_french(profile))
    travel = np.clip(1.0 - reach.ratio, 0.0, 1.0)
    travel[reach.childcare_missing] = 0.0
    hours = _hours_fit(table, profile.hours_per_week, candidates)
    places = table.places[candidates]
    places_fit = np.where(np.isnan(places), 0.5, np.where(places > 0, 1.0, 0.0))
    warm_fit = warm[table.offer_partner[candidates]].astype(np.float64)
    return np.column_stack([wish, travel, hours, places_fit, warm_fit]).reshape(-1, 5)


_ROME_FULL, ROME_GROUP, _ROME_DOMAIN = 1.0, 0.6, 0.3
_find: Final = getattr(np, "strings", np.char).find  # numpy ≥ 2: np.strings; before: np.char
_NEUTRAL: Final = 0.5


def wish_fit(
    table: OfferTable, wishes: Wishes, candidates: IntArray, *, learning_french: bool = False
) -> FloatArray:
    """Fit with the wishes, in [0, 1].

    ROME: 1 for a wished code, 0.6 for the same group (``D11``), 0.3 for the same domain
    (``D``). Keywords: 0.5 + 0.5 x the share of keywords found in the title (0 when none is).
    With both, the better of the two; with no wish at all, 0.5 for every offer. When the
    person's French is below B1 (``learning_french``), a French course is a step towards any
    wished job: at least 0.6.
    """
    tokens = search_tokens(wishes.keywords)
    if not wishes.rome_codes and not tokens:
        return np.full(len(candidates), _NEUTRAL)
    fit = np.zeros(len(candidates))
    if learning_french:
        fit = np.where(table.language_course[candidates], ROME_GROUP, fit)
    if wishes.rome_codes:
        full, group, domain = table.rome_indices(wishes.rome_codes)
        fit = np.where(np.isin(table.rome_domain[candidates], domain), _ROME_DOMAIN, fit)
        fit = np.where(np.isin(table.rome_group[candidates], group), ROME_GROUP, fit)
        fit = np.where(np.isin(table.rome_full[candidates], full), _ROME_FULL, fit)
    if tokens:
        texts, position = np.unique(table.text[candidates], return_inverse=True)
        found = np.zeros(len(texts))
        for token in tokens:
            found += _find(table.texts[texts], token) >= 0
        share = found[position] / len(tokens)
        fit = np.maximum(fit, np.where(share > 0, 0.5 + 0.5 * share, 0.0))
    return fit


def is_learning_french(profile: Profile) -> bool:
    """Whether the person's French is known and below B1: a French course then fits any wish."""
    level = profile.situation.french_level
    return level is not None and french_level_rank(level) < french_level_rank("B1")


def _hours_fit(table: OfferTable, wished: HoursPerWeek | None, candidates: IntArray) -> FloatArray:
    low, high = table.hours_min[candidates], table.hours_max[candidates]
    if wished is None:
        return np.full(len(candidates), _NEUTRAL)
    gap = np.maximum(np.maximum(low - wished.max, wished.min - high), 0.0)
    return np.where(np.isnan(gap), _NEUTRAL, np.clip(1.0 - gap / 10.0, 0.0, 1.0))
