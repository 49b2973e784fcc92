"""The score of an offer for a person, and its components.

``score = 0.35 wish + 0.25 travel + 0.15 hours + 0.15 places + 0.10 warm`` (`WEIGHTS`), every
component in [0, 1]; see `score_components` for each one's formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

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
    *,
    profile: Profile,
    table: OfferTable,
    candidates: IntArray,
    reach: Reach,
    warm: BoolArray,
    available_hours: FloatArray,
) -> FloatArray:
    """Score components of the candidates, shape (candidates, 5), each in [0, 1].

    ``reach`` is aligned with ``candidates``; ``available_hours`` gives, per schedule of the
    table, its hours within the person's availability (``inf`` when not given).

    - wish: `wish_fit`;
    - travel: ``1 - minutes / max_minutes`` of the reported trip; 0 when the person needs a
      crèche and none was found on the way (the trip that works is not known);
    - hours: the share of the offer's hours the person can cover (`hours_fit`);
    - places: 1 with open places, 0.5 unknown, 0 when full for now;
    - warm: 1 when the referent structure already works with the partner.
    """
    wish = wish_fit(table, profile.wishes, candidates, learning_french=is_learning_french(profile))
    travel = np.clip(1.0 - reach.ratio, 0.0, 1.0)
    travel[reach.childcare_missing] = 0.0
    hours = hours_fit(table, profile.hours_per_week, available_hours, candidates)
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
    (``D``). Keywords: 0.5 + 0.5 x the share of keywords found in the title (0 when none is);
    for sheltered work, also 0.5 + 0.4 x the share found in the ESAT's activities (its
    description and thematiques: an ESAT admits to the establishment, whose workshops are
    all open to the worker).
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
        share = _share_found(table.texts, table.text[candidates], tokens)
        fit = np.maximum(fit, np.where(share > 0, 0.5 + 0.5 * share, 0.0))
        activity = table.activity[candidates]
        sheltered = activity >= 0
        if sheltered.any():
            share = np.zeros(len(candidates))
            share[sheltered] = _share_found(table.activity_texts, activity[sheltered], tokens)
            fit = np.maximum(fit, np.where(share > 0, 0.5 + _ACTIVITY_SHARE * share, 0.0))
    return fit


_ACTIVITY_SHARE: Final = 0.4
"""Keywords found in an ESAT's activities, not in the offer's title: 0.5 + 0.4 x share, so that
the workshop named in the title comes first."""


def _share_found(texts: npt.NDArray[np.str_], which: IntArray, tokens: list[str]) -> FloatArray:
    """Share of ``tokens`` found in ``texts[which]``, per element of ``which``."""
    unique, position = np.unique(which, return_inverse=True)
    found = np.zeros(len(unique))
    for token in tokens:
        found += _find(texts[unique], token) >= 0
    return np.asarray(found[position] / len(tokens), dtype=np.float64)


def activity_words(table: OfferTable, index: int, tokens: list[str]) -> list[str]:
    """The ``tokens`` found in the activities of the ESAT offering ``index`` (none otherwise)."""
    activity = int(table.activity[index])
    if activity < 0:
        return []
    text = str(table.activity_texts[activity])
    return [token for token in tokens if token in text]


def is_learning_french(profile: Profile) -> bool:
    """Whether the person's French is known and below B1: a French course then fits any wish."""
    level = profile.situation.french_level
    return level is not None and french_level_rank(level) < french_level_rank("B1")


def hours_fit(
    table: OfferTable,
    wished: HoursPerWeek | None,
    available_hours: FloatArray,
    candidates: IntArray,
) -> FloatArray:
    """Share of the offer's hours the person can cover, in [0, 1].

    The offer's hours are those its schedule needs (`OfferTable.need_hours`: its weekly hours
    within the schedule, or the whole schedule), else its weekly hours (``hours_min``). The
    person covers at most the hours of the schedule within their availability
    (``available_hours``, per schedule, ``inf`` when unknown) and at most the hours they wish
    (``wished.max``)::

        hours = min(offer, available, wished max) / offer

    0.5 when the offer states no hours, or when the person states neither availability nor
    wished hours (the same for every offer: it does not change the order).
    """
    need = table.need_hours[candidates]
    offered = np.where(np.isnan(need), table.hours_min[candidates], need)
    schedule = table.schedule[candidates]
    available = np.full(len(candidates), np.inf)
    available[schedule >= 0] = available_hours[schedule[schedule >= 0]]
    limit = np.inf if wished is None else wished.max
    covered = np.minimum(offered, np.minimum(available, limit))
    known = np.isfinite(available) | (wished is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(offered > 0, covered / offered, 1.0)
    return np.where(np.isnan(offered) | ~known, _NEUTRAL, np.clip(share, 0.0, 1.0))
