"""Travel legs from the person's origin: one call per mode, and the best direct trip per offer.

Times are minutes, coordinates EPSG:4326 lon/lat in degrees. An offer is reached by a mode when
its partner's minutes are within that mode's budget; the reported mode is the one with the
smallest ``minutes / max_minutes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geodata.journeys import TravelTimeModel
from geodata.modes import TravelMode
from graph.matching.arrays import BoolArray, FloatArray, IntArray
from graph.matching.offers import OfferTable
from graph.matching.profile import Profile, mode_budgets


@dataclass(slots=True)
class CrecheChain:
    """Home → crèche → partner trips through one crèche by one mode, per partner."""

    mode: int
    site: int
    tier: int
    minutes: FloatArray  # (partners,) the whole trip, home → crèche → partner
    estimated: BoolArray
    leg: FloatArray  # (partners,) crèche → partner, minutes


@dataclass(slots=True)
class Reach:
    """Best trip to each of ``offers`` (over modes, and over crèches when childcare is needed).

    Every array is aligned with ``offers`` (table indices).
    """

    offers: IntArray
    minutes: FloatArray
    ratio: FloatArray
    mode: IntArray
    estimated: BoolArray
    creche: IntArray  # support-site index, -1 for a direct trip
    childcare_missing: BoolArray

    def take(self, mask: BoolArray) -> Reach:
        """The trips of the offers selected by ``mask``."""
        return Reach(
            offers=self.offers[mask],
            minutes=self.minutes[mask],
            ratio=self.ratio[mask],
            mode=self.mode[mask],
            estimated=self.estimated[mask],
            creche=self.creche[mask],
            childcare_missing=self.childcare_missing[mask],
        )


def ask_times(
    travel: TravelTimeModel,
    mode: TravelMode,
    origin: tuple[float, float],
    xy: FloatArray,
    *,
    max_minutes: float,
) -> tuple[FloatArray, BoolArray]:
    """One call of the travel model within ``max_minutes``, checked: ``nan`` becomes ``inf``.

    ``origin`` is EPSG:4326 ``(lon, lat)``, ``xy`` an ``(n, 2)`` array of destinations; returns
    minutes (``inf`` beyond the budget) and estimate flags, each of shape ``(n,)``.
    """
    if len(xy) == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    answer = travel.times(mode, origin[0], origin[1], xy, max_minutes=max_minutes)
    minutes = np.asarray(answer.minutes, dtype=np.float64).reshape(-1)
    estimated = np.asarray(answer.estimated, dtype=bool).reshape(-1)
    if minutes.shape[0] != len(xy) or estimated.shape[0] != len(xy):
        raise ValueError("temps de trajet : une valeur par destination attendue")
    return np.where(np.isnan(minutes), np.inf, minutes), estimated


def times_by_mode(
    profile: Profile, travel: TravelTimeModel, *targets: tuple[FloatArray, IntArray]
) -> list[tuple[FloatArray, BoolArray]]:
    """Minutes from the origin to points, per mode: one call per mode for all the targets,
    within that mode's budget.

    Each target ``(xy, which)`` gets ``(minutes, estimated)`` of shape ``(modes, len(xy))``
    for the points ``xy[which]``; the other points stay at ``inf``.
    """
    origin = (profile.lon, profile.lat)
    points = np.concatenate([xy[which] for xy, which in targets]).reshape(-1, 2)
    bounds = np.cumsum([0, *(len(which) for _, which in targets)])
    results = [
        (
            np.full((len(profile.modes), len(xy)), np.inf),
            np.zeros((len(profile.modes), len(xy)), bool),
        )
        for xy, _ in targets
    ]
    for m, mode in enumerate(profile.modes):
        minutes, estimated = ask_times(
            travel, mode.mode, origin, points, max_minutes=mode.max_minutes
        )
        for (_, which), (all_minutes, all_estimated), start, stop in zip(
            targets, results, bounds[:-1], bounds[1:], strict=True
        ):
            all_minutes[m, which] = minutes[start:stop]
            all_estimated[m, which] = estimated[start:stop]
    return results


def partners_to_reach(table: OfferTable, kinds: BoolArray) -> IntArray:
    """Partners whose travel times are needed: those offering a wished kind, pathway carriers."""
    return np.flatnonzero(table.partner_kinds[:, kinds].any(axis=1) | table.pathway_partners)


def partners_in_reach(
    profile: Profile, minutes: FloatArray, chains: Sequence[CrecheChain]
) -> BoolArray:
    """Partners some mode reaches within its budget, directly or through a crèche."""
    budgets = mode_budgets(profile)
    in_reach = np.any(minutes <= budgets[:, np.newaxis], axis=0)
    for chain in chains:
        in_reach |= chain.minutes <= budgets[chain.mode]
    return np.asarray(in_reach, dtype=bool)


def direct_trips(
    *,
    profile: Profile,
    table: OfferTable,
    evaluated: IntArray,
    minutes: FloatArray,
    estimated: BoolArray,
) -> Reach:
    """Best direct trip to each evaluated offer: the mode with the smallest ``minutes /
    max_minutes``.

    ``minutes`` and ``estimated`` are per mode and partner, shape ``(modes, partners)``; trips
    through a crèche replace some of them afterwards (`graph.matching.childcare.creche_trips`).
    """
    partner = table.offer_partner[evaluated]
    ratios = minutes[:, partner] / mode_budgets(profile)[:, np.newaxis]
    best = np.argmin(ratios, axis=0)
    columns = np.arange(len(evaluated))
    reach = Reach(
        offers=evaluated,
        minutes=minutes[best, partner],
        ratio=ratios[best, columns],
        mode=best.astype(np.int64),
        estimated=estimated[best, partner],
        creche=np.full(len(evaluated), -1, dtype=np.int64),
        childcare_missing=np.zeros(len(evaluated), dtype=bool),
    )
    return reach
