"""The childcare chain: home → crèche → work for a parent of children under 3.

Per mode, the 3 best crèches with a free place in reach (AVIP first, then micro-crèches
d'insertion, then other crèches; nearest first within a tier) and the nearest one are tried:
one travel call each, from the crèche to every partner needed, adding `DROP_OFF_MINUTES`. An
offer goes through the best crèche whose opening hours cover the hours its schedule needs.
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
from graph.matching.supports import SupportTable, site_open_to
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
        covers = _creche_covers(table, sites.sites[chain.site], reach.offers)
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
    usable = (tiers >= 0) & (np.nan_to_num(sites.places, nan=0.0) > 0)
    for index in np.flatnonzero(usable):
        site = sites.sites[index]
        if not site_open_to(site, situation) or (
            site.kind == "creches-avip" and verdicts.avip is Verdict.FAIL
        ):
            usable[index] = False
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
            )
        )
    return chains


def _creche_covers(table: OfferTable, creche: PartnerSite, offers: IntArray) -> BoolArray:
    """Whether the crèche is open during enough of each offer's schedule (no schedule: yes)."""
    covered = table.hours_covered_by(creche.opening_hours or _DEFAULT_CRECHE_HOURS)
    schedule = table.schedule[offers]
    hours = np.full(len(offers), np.inf)
    hours[schedule >= 0] = covered[schedule[schedule >= 0]]
    return np.asarray(hours + 1e-9 >= np.nan_to_num(table.need_hours[offers], nan=0.0), bool)
