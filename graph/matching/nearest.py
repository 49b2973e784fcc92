"""Who can help with a need: the nearest partners, within the budgets or beyond, or whom to ask.

Every obstacle, support and pathway names at least one partner:

1. the nearest sites addressing the need within the person's budgets (by tier of preference,
   then minutes, then id), from the trips already computed;
2. when none is within the budgets, the nearest one beyond them, with its trip and
   « au-delà de votre temps de trajet »: `reach_far` asks the travel model once per mode, with
   a budget of `FAR_MINUTES`, for the few nearest sites (great-circle) of every need shown
   (the items' obstacles, the pathways, the situation's supports) left without a site in
   reach; beyond `FAR_MINUTES`, the nearest site as the crow flies, its trip said « à plus de
   4 h de trajet »;
3. when the territory knows no partner at all for the need, whom to ask (`ASK`: the SIAO or the
   DDETS, the CCAS, France Travail...), and a French sentence saying so (`who_to_ask`).

Sites whose own eligibility excludes the person (age, RQTH) are left out; for crèches, only
those with free places, and no crèche AVIP when the person is known not eligible.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Final

import numpy as np

from geodata.journeys import TravelTimeModel
from geodata.sphere import great_circle_m
from graph.eligibility import Verdict
from graph.matching.arrays import BoolArray, FloatArray, IntArray
from graph.matching.evaluation import Evaluation
from graph.matching.offers import PATHWAY_CONTRACTS, PartnerSite
from graph.matching.results import FAR_MINUTES, SiteRef, site_ref
from graph.matching.supports import ASK, NEED_LABELS, NEEDS
from graph.matching.travel import ask_times

FAR_CANDIDATES: Final = 3
"""Sites of a need (nearest as the crow flies) whose trip beyond the budgets is asked."""


def usable_sites(evaluation: Evaluation, need: str) -> BoolArray:
    """Support sites addressing ``need`` that can serve the person (see the module)."""
    cached = evaluation.usable_cache.get(need)
    if cached is not None:
        return cached
    sites = evaluation.sites
    open_to = evaluation.usable_cache.get("")
    if open_to is None:
        open_to = evaluation.usable_cache[""] = sites.open_to(evaluation.profile.situation)
    usable = (sites.tiers[need] >= 0) & open_to
    if NEEDS[need].with_places:
        usable &= np.nan_to_num(sites.places, nan=0.0) > 0
    if evaluation.verdicts.avip is Verdict.FAIL:
        usable &= sites.kinds != "creches-avip"
    evaluation.usable_cache[need] = np.asarray(usable, dtype=bool)
    return evaluation.usable_cache[need]


def _best_trips(minutes: FloatArray, budgets: FloatArray) -> tuple[IntArray, FloatArray]:
    """Per column of ``minutes`` (modes, n): the mode with the smallest ``minutes / budget``
    and that ratio."""
    ratios = minutes / budgets[:, np.newaxis]
    best = np.argmin(ratios, axis=0) if len(ratios) else np.zeros(0, dtype=np.int64)
    return best.astype(np.int64), ratios[best, np.arange(ratios.shape[1])]


def crow_nearest(evaluation: Evaluation, xy: FloatArray, which: IntArray, count: int) -> IntArray:
    """The ``count`` elements of ``which`` nearest to the origin as the crow flies (ties: index)."""
    profile = evaluation.profile
    distance = great_circle_m(profile.lon, profile.lat, xy[which, 0], xy[which, 1])
    return which[np.lexsort((which, distance))][:count]


def reach_far(evaluation: Evaluation, travel: TravelTimeModel, needs: Collection[str]) -> None:
    """Trips beyond the budgets to the nearest carriers of the ``needs`` none reaches in budget.

    At most one ``times`` call per mode (budget `FAR_MINUTES`), and none when every one of the
    ``needs`` with a site in the territory has one in reach. Fills ``evaluation.far_sites``
    and ``evaluation.far_partners`` (pathway carriers known by their offers).
    """
    sites, table = evaluation.sites, evaluation.table
    budgets = evaluation.budgets
    _, site_ratio = _best_trips(evaluation.site_minutes, budgets)
    wanted_sites: set[int] = set()
    # whom to ask (`ASK`) only matters for a need the territory knows no one for
    asked = {ASK[need] for need in needs if not usable_sites(evaluation, need).any()}
    for need in sorted({*needs, *asked}):
        usable = usable_sites(evaluation, need)
        if usable.any() and not (usable & (site_ratio <= 1.0)).any():
            nearest = crow_nearest(evaluation, sites.xy, np.flatnonzero(usable), FAR_CANDIDATES)
            wanted_sites.update(int(i) for i in nearest)
    wanted_partners: set[int] = set()
    for contract in sorted(set(PATHWAY_CONTRACTS) & set(needs)):
        partners = table.carriers[contract]
        if (
            len(partners)
            and not (_best_trips(evaluation.partner_minutes[:, partners], budgets)[1] <= 1.0).any()
        ):
            nearest = crow_nearest(evaluation, table.partner_xy, partners, FAR_CANDIDATES)
            wanted_partners.update(int(i) for i in nearest)
    if not wanted_sites and not wanted_partners:
        return
    site_rows = np.array(sorted(wanted_sites), dtype=np.int64)
    partner_rows = np.array(sorted(wanted_partners), dtype=np.int64)
    xy = np.concatenate([sites.xy[site_rows], table.partner_xy[partner_rows]]).reshape(-1, 2)
    origin = (evaluation.profile.lon, evaluation.profile.lat)
    best = np.full(len(xy), np.inf)
    best_mode = np.zeros(len(xy), dtype=np.int64)
    best_estimated = np.zeros(len(xy), dtype=bool)
    for m, mode in enumerate(evaluation.profile.modes):
        minutes, estimated = ask_times(travel, mode.mode, origin, xy, max_minutes=FAR_MINUTES)
        better = minutes < best
        best[better], best_mode[better], best_estimated[better] = (
            minutes[better],
            m,
            estimated[better],
        )
    for row, index in enumerate([*site_rows.tolist(), *partner_rows.tolist()]):
        target = evaluation.far_sites if row < len(site_rows) else evaluation.far_partners
        target[index] = (int(best_mode[row]), float(best[row]), bool(best_estimated[row]))


def nearest_supports(evaluation: Evaluation, need: str, *, count: int = 3) -> list[SiteRef]:
    """The nearest sites addressing ``need``: up to ``count`` within the budgets (by tier, then
    minutes, then id), else the nearest beyond them (``reachable=False``); empty only when the
    territory knows no site for the need (then see `who_to_ask`)."""
    key = (need, count)
    cached = evaluation.nearest_cache.get(key)
    if cached is not None:
        return cached
    sites = evaluation.sites
    usable = usable_sites(evaluation, need)
    mode, ratio = _best_trips(evaluation.site_minutes, evaluation.budgets)
    minutes = evaluation.site_minutes[mode, np.arange(len(sites))]
    reachable = np.flatnonzero(usable & (ratio <= 1.0))
    if len(reachable):
        tiers = sites.tiers[need]
        chosen = reachable[np.lexsort((reachable, minutes[reachable], tiers[reachable]))][:count]
        refs = [_ref(evaluation, int(i), int(mode[i]), float(minutes[i]), True) for i in chosen]
    else:
        refs = _beyond(evaluation, np.flatnonzero(usable))
    evaluation.nearest_cache[key] = refs
    return refs


def _ref(evaluation: Evaluation, index: int, m: int, minutes: float, within: bool) -> SiteRef:
    """Support site ``index`` and the trip to it by mode ``m``, from the trips already known."""
    known = math.isfinite(minutes) and within
    estimated = bool(evaluation.site_estimated[m, index]) if known else False
    return _trip_ref(evaluation, evaluation.sites.sites[index], (m, minutes, estimated), within)


def _trip_ref(
    evaluation: Evaluation, site: PartnerSite, trip: tuple[int, float, bool], within: bool
) -> SiteRef:
    m, minutes, estimated = trip
    return site_ref(
        site,
        evaluation.profile.modes[m].mode,
        minutes,
        estimated=estimated,
        reachable=within,
        budget=float(evaluation.budgets[m]),
    )


def _beyond(evaluation: Evaluation, usable: IntArray) -> list[SiteRef]:
    """The nearest usable site beyond the budgets: quickest of those `reach_far` timed, else
    the nearest as the crow flies (trip unknown within `FAR_MINUTES`)."""
    if not len(usable):
        return []
    timed = [
        (found[1], int(i), found)
        for i in usable.tolist()
        if (found := evaluation.far_sites.get(int(i))) is not None and math.isfinite(found[1])
    ]
    if timed:
        _, index, trip = min(timed)
        return [_trip_ref(evaluation, evaluation.sites.sites[index], trip, False)]
    index = int(crow_nearest(evaluation, evaluation.sites.xy, usable, 1)[0])
    return [_ref(evaluation, index, 0, math.inf, False)]


def far_partner_ref(evaluation: Evaluation, partner: int) -> SiteRef | None:
    """A pathway carrier known by its offers, beyond the budgets (`reach_far`), if timed."""
    found = evaluation.far_partners.get(partner)
    if found is None:
        return None
    return _trip_ref(evaluation, evaluation.table.partners[partner], found, False)


def who_to_ask(evaluation: Evaluation, need: str) -> tuple[list[SiteRef], str]:
    """For a need the territory knows no partner for (open to the person): whom to ask
    (`graph.matching.supports.ASK`), and the sentence saying so, to add to the message."""
    refs = nearest_supports(evaluation, ASK[need], count=1)
    heading = (
        " Aucun partenaire ouvert à votre situation n'est connu sur le territoire pour "
        f"{NEED_LABELS[need]} : "
    )
    if refs:
        return refs, f"{heading}{refs[0].name} peut vous orienter."
    return [], f"{heading}renseignez-vous auprès de la DDETS du département."
