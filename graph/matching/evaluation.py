"""One request's evaluation of the table: trips, legal verdicts, scores of reachable offers.

`evaluate` runs the steps of `graph.matching.match` up to the score; the `Evaluation` it
returns is what selection and explanations read (`graph.matching.nearest` answers "which
partners can help with this need").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from geodata.journeys import TravelTimeModel
from graph.eligibility import Verdict
from graph.matching.arrays import BoolArray, FloatArray, IntArray
from graph.matching.childcare import creche_candidates, creche_chains, creche_trips
from graph.matching.legal import (
    LEGAL_RULES,
    LegalVerdicts,
    SituationVerdicts,
    count_exclusions,
    legal_verdicts,
    situation_verdicts,
)
from graph.matching.offers import KIND_CODES, OfferTable
from graph.matching.profile import Profile, Wishes, mode_budgets
from graph.matching.relations import RelationIndex
from graph.matching.results import Exclusion, SiteRef
from graph.matching.scoring import WEIGHTS, score_components, wish_fit
from graph.matching.supports import SupportTable
from graph.matching.text import search_tokens
from graph.matching.travel import (
    Reach,
    ask_times,
    direct_trips,
    partners_in_reach,
    partners_to_reach,
    times_by_mode,
)


@dataclass(slots=True)
class Evaluation:
    """Everything one request computed; candidates are offers kept and reachable."""

    profile: Profile
    table: OfferTable
    sites: SupportTable
    verdicts: SituationVerdicts
    legal: LegalVerdicts
    site_minutes: FloatArray  # (modes, sites)
    site_estimated: BoolArray
    partner_minutes: FloatArray  # (modes, partners)
    partner_estimated: BoolArray
    reach: Reach
    candidates: IntArray
    score: FloatArray  # aligned on candidates
    components: FloatArray  # (candidates, 5)
    available_hours: FloatArray  # per schedule of the table, hours within availability
    exclusions: list[Exclusion]
    considered: int
    car_only: int = 0
    esat_wished: int = 0
    nearest_cache: dict[tuple[str, int], list[SiteRef]] = field(default_factory=dict)
    usable_cache: dict[str, BoolArray] = field(default_factory=dict)  # "": open to the person
    # trips beyond the budgets to the nearest carriers (`graph.matching.nearest.reach_far`):
    # support-site index, or table partner index → (mode index, minutes, estimated)
    far_sites: dict[int, tuple[int, float, bool]] = field(default_factory=dict)
    far_partners: dict[int, tuple[int, float, bool]] = field(default_factory=dict)

    @property
    def budgets(self) -> FloatArray:
        return mode_budgets(self.profile)


def evaluate(
    profile: Profile,
    table: OfferTable,
    sites: SupportTable,
    travel: TravelTimeModel,
    relations: RelationIndex,
) -> Evaluation:
    """Evaluate the table for one profile: trips, legal verdicts, scores of reachable offers.

    Work proportional to the table (50,000 offers) is limited to a few vectorised gathers;
    everything else runs on the partners (thousands) or on the reachable offers.
    """
    situation = profile.situation
    verdicts = situation_verdicts(situation)
    legal = legal_verdicts(table, situation, verdicts)
    kinds = _wanted_kinds(profile.wishes)
    partners = partners_to_reach(table, kinds)
    (partner_minutes, partner_estimated), (site_minutes, site_estimated) = times_by_mode(
        profile, travel, (table.partner_xy, partners), (sites.xy, np.arange(len(sites)))
    )
    chains = []
    if (situation.children_under_3 or 0) > 0:
        pairs = creche_candidates(sites, situation, verdicts, site_minutes, mode_budgets(profile))
        chains = creche_chains(
            profile=profile,
            table=table,
            sites=sites,
            travel=travel,
            partners=partners,
            pairs=pairs,
            site_minutes=site_minutes,
        )
        for chain in chains:
            chain.estimated |= site_estimated[chain.mode, chain.site]
    in_reach = partners_in_reach(profile, partner_minutes, chains)
    evaluated = np.flatnonzero(kinds[table.kind] & in_reach[table.offer_partner])
    reach = direct_trips(
        profile=profile,
        table=table,
        evaluated=evaluated,
        minutes=partner_minutes,
        estimated=partner_estimated,
    )
    if (situation.children_under_3 or 0) > 0:
        creche_trips(profile=profile, table=table, sites=sites, chains=chains, reach=reach)
    reach = reach.take(reach.ratio <= 1.0)
    state = legal.state[table.condition_id[reach.offers]]
    excluded = reach.offers[state == Verdict.FAIL]
    reach = reach.take(state < Verdict.FAIL)
    candidates = reach.offers
    warm = _warm_partners(table, profile.referent_id, relations)
    available_hours = _available_hours(table, profile.available)
    components = score_components(
        profile=profile,
        table=table,
        candidates=candidates,
        reach=reach,
        warm=warm,
        available_hours=available_hours,
    )
    evaluation = Evaluation(
        profile=profile,
        table=table,
        sites=sites,
        verdicts=verdicts,
        legal=legal,
        site_minutes=site_minutes,
        site_estimated=site_estimated,
        partner_minutes=partner_minutes,
        partner_estimated=partner_estimated,
        reach=reach,
        candidates=candidates,
        score=np.round(components @ np.array(WEIGHTS.as_tuple()), 9),
        components=components,
        available_hours=available_hours,
        exclusions=count_exclusions(table, legal, excluded),
        considered=int(table.kind_counts[kinds].sum()),
    )
    evaluation.car_only = _car_only_count(evaluation, travel, kinds, partners, in_reach)
    evaluation.esat_wished = _esat_wished(evaluation, excluded)
    return evaluation


def _wanted_kinds(wishes: Wishes) -> BoolArray:
    """Mask over `OPPORTUNITY_KINDS` of the kinds asked for (all when none given)."""
    if not wishes.kinds:
        return np.ones(len(KIND_CODES), dtype=bool)
    return np.isin(np.arange(len(KIND_CODES)), [KIND_CODES.index(k) for k in wishes.kinds])


def _available_hours(table: OfferTable, available: str | None) -> FloatArray:
    """Hours of each schedule of the table within the person's availability (``inf``: unknown)."""
    if available is None:
        return np.full(len(table.schedule_texts), np.inf)
    return table.hours_covered_by(available)


def _warm_partners(
    table: OfferTable, referent_id: str | None, relations: RelationIndex
) -> BoolArray:
    """Partners the referent structure is related to (or is, or shares an organisation with)."""
    warm = np.zeros(len(table.partners), dtype=bool)
    if referent_id is None:
        return warm
    for partner_id in relations.neighbours(referent_id) | {referent_id}:
        index = table.partner_index.get(partner_id)
        if index is not None:
            warm[index] = True
        for member in table.organisation_members.get(partner_id, ()):
            warm[member] = True
    return warm


def _car_only_count(
    evaluation: Evaluation,
    travel: TravelTimeModel,
    kinds: BoolArray,
    partners: IntArray,
    in_reach: BoolArray,
) -> int:
    """Wished, open offers out of reach that a car would reach within the largest budget.

    Only asked when the person does not travel by car and lacks a licence or a vehicle (or
    that is not known); one more travel call. With wishes, only offers matching them count.
    """
    profile, table = evaluation.profile, evaluation.table
    situation = profile.situation
    if any(m.mode == "car" for m in profile.modes) or (
        situation.driving_licence is True and situation.vehicle is True
    ):
        return 0
    budget = max(m.max_minutes for m in profile.modes)
    car = np.full(len(table.partners), np.inf)
    car[partners] = ask_times(
        travel, "car", (profile.lon, profile.lat), table.partner_xy[partners], max_minutes=budget
    )[0]
    by_car = (car <= budget) & ~in_reach
    offers = np.flatnonzero(kinds[table.kind] & by_car[table.offer_partner])
    offers = offers[evaluation.legal.state[table.condition_id[offers]] < Verdict.FAIL]
    if profile.wishes.rome_codes or profile.wishes.keywords:
        offers = offers[wish_fit(table, profile.wishes, offers) > 0]
    return len(offers)


_ESAT_WORDS: Final = frozenset({"esat", "protege", "handicap", "handicape"})


def _esat_wished(evaluation: Evaluation, excluded: IntArray) -> int:
    """Whether the person asks for sheltered work (ESAT) without the orientation it needs.

    Returns the number of reachable ESAT offers excluded for want of orientation when the
    keywords ask for it (``esat``, ``protégé``, ``handicap``), at least 1 when they do;
    0 otherwise.
    """
    if not _ESAT_WORDS & set(search_tokens(evaluation.profile.wishes.keywords)):
        return 0
    if evaluation.verdicts.esat is Verdict.PASS:
        return 0
    table, legal = evaluation.table, evaluation.legal
    column = LEGAL_RULES.index("orientation-cdaph")
    failing = legal.rules[table.condition_id[excluded], column] == Verdict.FAIL
    return max(1, int(failing.sum()))
