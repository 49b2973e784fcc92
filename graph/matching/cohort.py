"""A cohort at once: the assignment with the largest total score under the places, and every
person explained as a single match would be.

Each profile is evaluated as in `graph.matching.match` (same legal conditions, trips and
scores); `graph.assignment.assign` then gives each person at most one opportunity, never more
persons to an opportunity than its places (unknown places count as 1; full offers take no one).
A person left without one is told why (`Unassigned`: nothing in reach, offers full, places
given to others of the cohort) with the nearest offers without a place left and when their
places may open (the end of the current session or contract, when published). The result
counts the persons assigned, the others by reason, and the places used per opportunity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np

from geodata.journeys import TravelTimeModel
from graph.assignment import Assignment, assign
from graph.matching.answers import explained_items
from graph.matching.arrays import IntArray
from graph.matching.evaluation import Evaluation, evaluate
from graph.matching.explanations import full_offer_reason
from graph.matching.offers import Offer, OfferTable, PartnerSite
from graph.matching.pathways import open_pathways
from graph.matching.profile import Profile
from graph.matching.relations import RelationIndex, Relations
from graph.matching.results import (
    BatchPerson,
    BatchResult,
    MatchItem,
    PlacesUsed,
    Unassigned,
    UnassignedCount,
    UnassignedReason,
)
from graph.matching.selection import order_candidates
from graph.matching.support_needs import support_needs
from graph.matching.supports import SupportTable
from graph.matching.text import pluralize

FULL_OFFERS_SHOWN: Final = 3
"""Nearest offers without a place left shown to a person left unassigned."""


def as_tables(
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    relations: Relations,
) -> tuple[OfferTable, SupportTable, RelationIndex]:
    """The prepared tables, built from sequences when not given prepared."""
    table = offers if isinstance(offers, OfferTable) else OfferTable(offers)
    sites = supports if isinstance(supports, SupportTable) else SupportTable(supports)
    index = relations if isinstance(relations, RelationIndex) else RelationIndex(relations)
    return table, sites, index


def match_batch(
    profiles: Sequence[Profile],
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    travel: TravelTimeModel,
    *,
    relations: Relations = frozenset(),
    alternatives: int = 3,
) -> BatchResult:
    """Assign a cohort to opportunities, maximising the total score under the places.

    Each person's ``m`` best candidates with a place are kept (``m`` = cohort size, at least
    ``alternatives + 1``), which keeps the assignment exact (see `graph.assignment`).

    Parameters
    ----------
    profiles : sequence of Profile
        The cohort (the service bounds it, e.g. to 200).
    offers, supports, travel, relations
        As in `graph.matching.match`.
    alternatives : int, optional
        Next best opportunities to return per person (by score, assigned one excluded).

    Returns
    -------
    BatchResult
        One `BatchPerson` per profile, in order (assigned, alternatives, and as in a single
        match: pathways, supports, exclusions; when unassigned, why and the nearest offers
        without a place left); the total score; the persons assigned, the others counted by
        reason, the places used per opportunity.
    """
    table, sites, index = as_tables(offers, supports, relations)
    evaluations = [evaluate(p, table, sites, travel, index) for p in profiles]
    keep = max(len(profiles), alternatives + 1)
    kept = [_with_places(ev, order_candidates(ev, np.arange(len(ev.candidates))))[:keep]
            for ev in evaluations]  # fmt: skip
    columns = np.unique(
        np.concatenate([ev.candidates[k] for ev, k in zip(evaluations, kept, strict=True)])
        if kept
        else np.zeros(0, dtype=np.int64)
    ).astype(np.int64)
    scores = np.full((len(profiles), len(columns)), np.nan)
    position_of: list[dict[int, int]] = []
    for row, (ev, positions) in enumerate(zip(evaluations, kept, strict=True)):
        cols = np.searchsorted(columns, ev.candidates[positions])
        scores[row, cols] = ev.score[positions]
        position_of.append(dict(zip(cols.tolist(), positions.tolist(), strict=True)))
    result = assign(scores, np.nan_to_num(table.places[columns], nan=1.0).astype(np.int64))
    persons = [
        _person(
            evaluation=ev,
            travel=travel,
            result=result,
            row=row,
            columns=columns,
            position_of=position_of[row],
            alternative_columns=shown,
        )
        for row, (ev, shown) in enumerate(
            zip(evaluations, result.top_alternatives(alternatives), strict=True)
        )
    ]
    return BatchResult(
        persons=persons,
        total_score=round(result.total_score, 4),
        assigned=sum(person.assigned is not None for person in persons),
        unassigned=_unassigned_counts(persons),
        places_used=_places_used(table, columns, result),
    )


def _with_places(evaluation: Evaluation, positions: IntArray) -> IntArray:
    """The positions whose offer has a place, or an unknown number of them (not full)."""
    places = evaluation.table.places[evaluation.candidates[positions]]
    return positions[~(places <= 0)]


def _person(
    *,
    evaluation: Evaluation,
    travel: TravelTimeModel,
    result: Assignment,
    row: int,
    columns: IntArray,
    position_of: Mapping[int, int],
    alternative_columns: IntArray,
) -> BatchPerson:
    column = int(result.offer_of[row])
    assigned_at = position_of[column] if column >= 0 else None
    shown = [position_of[int(c)] for c in alternative_columns]
    taken = _taken(evaluation, result, columns)
    full = [] if assigned_at is not None else _nearest_full(evaluation, taken)
    positions = [*shown, *full, *([] if assigned_at is None else [assigned_at])]
    explained = explained_items(evaluation, positions, travel)
    assigned = None if assigned_at is None else explained[assigned_at]
    alternatives = [explained[p] for p in shown]
    items = alternatives if assigned is None else [assigned, *alternatives]
    return BatchPerson(
        assigned=assigned,
        alternatives=alternatives,
        unassigned=None if assigned is not None else _why(evaluation, taken),
        full_offers=[_full_item(evaluation, explained[p], p, p in taken) for p in full],
        pathways=open_pathways(evaluation),
        supports=support_needs(evaluation, items),
        exclusions=evaluation.exclusions,
        considered=evaluation.considered,
        reachable=len(evaluation.candidates),
    )


def _taken(evaluation: Evaluation, result: Assignment, columns: IntArray) -> set[int]:
    """Positions of the candidates with places whose places all went to the cohort."""
    offers = evaluation.candidates
    found = np.searchsorted(columns, offers)
    inside = found < len(columns)
    inside[inside] = columns[found[inside]] == offers[inside]
    remaining = result.remaining_places
    full = np.zeros(len(offers), dtype=bool)
    full[inside] = remaining[found[inside]] <= 0
    return {int(p) for p in np.flatnonzero(full)}


def _nearest_full(evaluation: Evaluation, taken: set[int]) -> list[int]:
    """Positions of the nearest offers without a place left: full for now, or taken."""
    places = evaluation.table.places[evaluation.candidates]
    without = np.flatnonzero(places <= 0)
    without = np.union1d(without, np.array(sorted(taken), dtype=np.int64)).astype(np.int64)
    order = np.lexsort(
        (evaluation.table.id_rank[evaluation.candidates[without]],
         evaluation.reach.minutes[without])
    )  # fmt: skip
    return [int(p) for p in without[order][:FULL_OFFERS_SHOWN]]


def _full_item(evaluation: Evaluation, item: MatchItem, position: int, taken: bool) -> MatchItem:
    """A full offer shown to a person left unassigned; one whose places went to others of the
    cohort says so, and when places may open."""
    if not taken:
        return item
    offer = evaluation.table.offers[int(evaluation.candidates[position])]
    reasons = [
        *item.reasons,
        "Ses places sont toutes données à d'autres personnes de la cohorte.",
        full_offer_reason(offer.ends_on),
    ]
    return item.model_copy(update={"reasons": reasons})


def _why(evaluation: Evaluation, taken: set[int]) -> Unassigned:
    """Why the person got no opportunity, in French."""
    candidates = len(evaluation.candidates)
    places = evaluation.table.places[evaluation.candidates]
    with_places = int((~(places <= 0)).sum())
    reason: UnassignedReason
    if candidates == 0:
        reason, message = "aucune-offre-a-portee", _nothing_in_reach(evaluation)
    elif with_places == 0:
        reason = "offres-completes"
        message = (
            f"{_offers_in_reach(candidates)} complète{'s' if candidates > 1 else ''} pour le "
            "moment : voici les plus proches, et quand des places peuvent s'ouvrir."
        )
    elif len(taken) >= with_places:
        reason = "places-prises"
        message = (
            f"Les places {_of_offers(with_places)} à portée sont données à d'autres personnes "
            "de la cohorte (affectation au meilleur total des scores) : voici les plus "
            "proches et les autres propositions, à discuter."
        )
    else:
        reason = "non-retenu"
        message = "Aucune offre retenue par l'affectation : voir les autres propositions."
    return Unassigned(reason=reason, message=message)


def _offers_in_reach(count: int) -> str:
    return "L'offre à portée est" if count == 1 else f"Les {count} offres à portée sont"


def _of_offers(count: int) -> str:
    return "de l'offre" if count == 1 else f"des {count} offres"


def _nothing_in_reach(evaluation: Evaluation) -> str:
    considered = evaluation.considered
    excluded = max((e.count for e in evaluation.exclusions), default=0)
    parts = [
        f"Aucune des {pluralize(considered, 'offre')} considérées n'est à portée de vos "
        "temps de trajet"
        if considered
        else "Le territoire ne compte aucune offre des types souhaités"
    ]
    if excluded:
        parts.append(
            f"{pluralize(excluded, 'offre à portée écartée', 'offres à portée écartées')} par "
            "une condition légale (voir les exclusions)"
        )
    if evaluation.car_only:
        parts.append(
            f"{pluralize(evaluation.car_only, 'offre')} à portée en voiture seulement (voir "
            "les soutiens)"
        )
    return " ; ".join(parts) + " : les parcours et soutiens ouvrent d'autres pistes."


_UNASSIGNED_TEXTS: Final[Mapping[UnassignedReason, str]] = {
    "aucune-offre-a-portee": "aucune offre à portée de leurs temps de trajet, ou toutes "
    "écartées par une condition légale",
    "offres-completes": "les offres à portée sont complètes pour le moment",
    "places-prises": "les places à portée sont données à d'autres personnes de la cohorte",
    "non-retenu": "aucune offre retenue par l'affectation",
}


def _unassigned_counts(persons: Sequence[BatchPerson]) -> list[UnassignedCount]:
    counts = Counter(p.unassigned.reason for p in persons if p.unassigned is not None)
    return [
        UnassignedCount(
            reason=reason,
            count=counts[reason],
            message=f"{pluralize(counts[reason], 'personne')} sans affectation : {text}.",
        )
        for reason, text in _UNASSIGNED_TEXTS.items()
        if counts[reason]
    ]


def _places_used(table: OfferTable, columns: IntArray, result: Assignment) -> list[PlacesUsed]:
    load = result.load
    used = np.flatnonzero(load > 0)
    order = used[np.lexsort((table.id_rank[columns[used]], -load[used]))]
    rows = []
    for column in order.tolist():
        index = int(columns[column])
        offer = table.offers[index]
        places = table.places[index]
        rows.append(
            PlacesUsed(
                opportunity_id=offer.id,
                title=offer.title,
                partner_id=offer.partner.id,
                partner_name=offer.partner.name,
                places=None if np.isnan(places) else int(places),
                used=int(load[column]),
            )
        )
    return rows
