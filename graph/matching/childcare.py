"""The childcare chain: home → crèche → work for a parent of children under 3.

Per mode, the 3 best crèches with a free place in reach (AVIP first, then micro-crèches
d'insertion, then other crèches; nearest first within a tier) and the nearest one are tried:
one travel call each, from the crèche to every partner needed, adding `DROP_OFF_MINUTES`. An
offer goes through the best crèche whose opening hours cover the hours its schedule needs,
the crèche → work trip and the drop-off included: the crèche must be open before the trip to
work starts, and until the parent is back (`_creche_covers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from geodata.journeys import TravelTimeModel
from graph.eligibility import Situation, Verdict
from graph.matching.arrays import BoolArray, FloatArray, IntArray
from graph.matching.legal import SituationVerdicts
from graph.matching.offers import OfferTable, PartnerSite
from graph.matching.profile import Profile, mode_budgets
from graph.matching.schedules import SLOT_MINUTES
from graph.matching.supports import SupportTable
from graph.matching.travel import CrecheChain, Reach, ask_times

DROP_OFF_MINUTES: Final = 5.0
"""Minutes spent at the crèche to leave the child, added to a home → crèche → work trip."""

_DEFAULT_CRECHE_HOURS: Final = "Mo-Fr 07:30-18:30"  # assumed when a crèche publishes none


def creche_trips(
    *,
    profile: Profile,
    table: OfferTable,
    sites: SupportTable,
    chains: Sequence[CrecheChain],
    reach: Reach,
) -> None:
    """Replace direct trips in ``reach`` by trips through a crèche, in place.

    An offer takes, among the chains within budget through a crèche whose opening hours cover
    the hours the offer's schedule needs, the best crèche tier (AVIP first), then the smallest
    ``minutes / max_minutes``; an offer reachable through no crèche keeps its direct trip,
    flagged ``childcare_missing``.
    """
    budgets = mode_budgets(profile)
    partner = table.offer_partner[reach.offers]
    best_tier = np.full(len(partner), np.iinfo(np.int64).max, dtype=np.int64)
    best_ratio = np.full(len(partner), np.inf)
    best_chain = np.full(len(partner), -1, dtype=np.int64)
    for number, chain in enumerate(chains):
        ratio = chain.minutes[partner] / budgets[chain.mode]
        covers = _creche_covers(table, sites.sites[chain.site], reach.offers, chain.leg[partner])
        feasible = covers & (ratio <= 1.0)
        better = feasible & (
            (chain.tier < best_tier) | ((chain.tier == best_tier) & (ratio < best_ratio))
        )
        best_tier[better], best_ratio[better], best_chain[better] = (
            chain.tier,
            ratio[better],
            number,
        )
    reach.childcare_missing = best_chain < 0
    for number, chain in enumerate(chains):
        rows = np.flatnonzero(best_chain == number)
        reach.minutes[rows] = chain.minutes[partner[rows]]
        reach.ratio[rows] = best_ratio[rows]
        reach.mode[rows] = chain.mode
        reach.estimated[rows] = chain.estimated[partner[rows]]
        reach.creche[rows] = chain.site


def creche_candidates(
    sites: SupportTable,
    situation: Situation,
    verdicts: SituationVerdicts,
    site_minutes: FloatArray,
    budgets: FloatArray,
) -> list[tuple[int, int]]:
    """(mode, site) pairs to try: per mode, the best crèches with a free place in reach.

    Best means crèche AVIP first, then micro-crèche d'insertion, then other crèches (their
    places are reserved for parents in insertion), nearest first within a tier:
    `_CRECHES_PER_MODE` of them, plus the nearest crèche of any tier as a fallback for hours.
    """
    tiers = sites.tiers["creche"]
    usable = (tiers >= 0) & (np.nan_to_num(sites.places, nan=0.0) > 0) & sites.open_to(situation)
    if verdicts.avip is Verdict.FAIL:
        usable &= sites.kinds != "creches-avip"
    pairs = []
    for m in range(site_minutes.shape[0]):
        ok = np.flatnonzero(usable & (site_minutes[m] + DROP_OFF_MINUTES <= budgets[m]))
        preferred = ok[np.lexsort((ok, site_minutes[m, ok], tiers[ok]))][:_CRECHES_PER_MODE]
        nearest = ok[np.lexsort((ok, site_minutes[m, ok]))][:1]
        pairs += [(m, int(site)) for site in dict.fromkeys([*preferred, *nearest])]
    return pairs


_CRECHES_PER_MODE: Final = 3


def creche_chains(
    *,
    profile: Profile,
    table: OfferTable,
    sites: SupportTable,
    travel: TravelTimeModel,
    partners: IntArray,
    pairs: Sequence[tuple[int, int]],
    site_minutes: FloatArray,
) -> list[CrecheChain]:
    """One travel call per (mode, crèche) pair: crèche → every needed partner, within the
    mode's budget (a leg beyond it cannot make a trip within it)."""
    chains = []
    for m, site in pairs:
        leg = np.full(len(table.partners), np.inf)
        estimated = np.zeros(len(table.partners), dtype=bool)
        origin = (float(sites.xy[site, 0]), float(sites.xy[site, 1]))
        leg[partners], estimated[partners] = ask_times(
            travel,
            profile.modes[m].mode,
            origin,
            table.partner_xy[partners],
            max_minutes=profile.modes[m].max_minutes,
        )
        chains.append(
            CrecheChain(
                mode=m,
                site=site,
                tier=int(sites.tiers["creche"][site]),
                minutes=site_minutes[m, site] + DROP_OFF_MINUTES + leg,
                estimated=estimated,
                leg=leg,
            )
        )
    return chains


def _creche_covers(
    table: OfferTable, creche: PartnerSite, offers: IntArray, leg: FloatArray
) -> BoolArray:
    """Whether the crèche keeps the child during enough of each offer's schedule (no schedule:
    yes), the trip between crèche and work included.

    The child is left before the trip to work and taken back after the trip home: a work
    quarter-hour counts only when the crèche is open from ``DROP_OFF_MINUTES + leg`` before it
    to as long after it, ``leg`` being the crèche → work minutes, rounded up to quarter-hours,
    and only quarter-hours the crèche is open throughout count (a crèche opening at 06:00 does
    not serve a job starting at 06:00). The hours so kept must
    reach the hours the offer's schedule needs (`OfferTable.need_hours`).
    """
    hours = np.full(len(offers), np.inf)
    schedule = table.schedule[offers]
    timed = schedule >= 0
    margins = np.zeros(len(offers), dtype=np.int64)
    finite = timed & np.isfinite(leg)
    margins[finite] = np.ceil((DROP_OFF_MINUTES + leg[finite]) / SLOT_MINUTES - 1e-9)
    opening = creche.opening_hours or _DEFAULT_CRECHE_HOURS
    for margin in np.unique(margins[timed]):
        rows = timed & (margins == margin)
        covered = table.hours_covered_by(opening, margin_slots=int(margin), whole=True)
        hours[rows] = covered[schedule[rows]]
    hours[timed & ~np.isfinite(leg)] = 0.0
    return np.asarray(hours + 1e-9 >= np.nan_to_num(table.need_hours[offers], nan=0.0), bool)
