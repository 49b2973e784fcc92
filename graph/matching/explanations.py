"""The explained item: an offer with its trip, its score components and its reasons in French."""

from __future__ import annotations

from datetime import date

import numpy as np

from geodata.journeys import Journey
from geodata.modes import MODE_LABELS
from geodata.words import decimal
from graph.eligibility import Verdict
from graph.matching.evaluation import Evaluation
from graph.matching.obstacles import obstacles_of
from graph.matching.offers import OfferTable
from graph.matching.profile import Profile
from graph.matching.results import (
    Components,
    MatchItem,
    OpportunityView,
    PartnerView,
    Trip,
    site_ref,
)
from graph.matching.scoring import ROME_GROUP, activity_words, is_learning_french
from graph.matching.text import fold, french_date, hours_text, pluralize, search_tokens
from graph.models import HoursPerWeek


def explained_item(
    evaluation: Evaluation, position: int, journey: Journey | None = None
) -> MatchItem:
    """The explained item of one candidate, with the legs of its trip when known
    (`graph.matching.journeys.shown_journeys`)."""
    table, reach = evaluation.table, evaluation.reach
    index = int(evaluation.candidates[position])
    offer = table.offers[index]
    components = evaluation.components[position]
    mode = evaluation.profile.modes[int(reach.mode[position])]
    creche_index = int(reach.creche[position])
    creche = None
    if creche_index >= 0:
        m = int(reach.mode[position])
        creche = site_ref(
            evaluation.sites.sites[creche_index],
            mode.mode,
            float(evaluation.site_minutes[m, creche_index]),
            estimated=bool(evaluation.site_estimated[m, creche_index]),
            reachable=True,
        )
    trip = Trip(
        mode=mode.mode,
        minutes=round(float(reach.minutes[position]), 1),
        estimated=bool(reach.estimated[position]) or (journey is not None and journey.estimated),
        creche=creche,
        journey=journey,
    )
    places = table.places[index]
    return MatchItem(
        opportunity=OpportunityView(
            id=offer.id,
            title=offer.title,
            kind=offer.kind,
            contract=offer.contract,
            rome_code=offer.rome_code,
            hours_min=None if np.isnan(table.hours_min[index]) else float(table.hours_min[index]),
            hours_max=None if np.isnan(table.hours_max[index]) else float(table.hours_max[index]),
            schedule=offer.schedule,
            atypical_hours=bool(table.atypical[index]),
            places=None if np.isnan(places) else int(places),
            starts_on=offer.starts_on,
            ends_on=offer.ends_on,
        ),
        partner=PartnerView(
            id=offer.partner.id,
            name=offer.partner.name,
            kind=offer.partner.kind,
            family=offer.partner.family,
            address=offer.partner.address,
            phone=offer.partner.phone,
            email=offer.partner.email,
            opening_hours=offer.partner.opening_hours,
        ),
        score=round(float(evaluation.score[position]), 4),
        components=Components(
            wish=round(float(components[0]), 4),
            travel=round(float(components[1]), 4),
            hours=round(float(components[2]), 4),
            places=round(float(components[3]), 4),
            warm=round(float(components[4]), 4),
        ),
        travel=trip,
        reasons=_reasons(evaluation, position, trip),
        obstacles=obstacles_of(
            evaluation,
            position,
            site_ref(
                offer.partner, trip.mode, trip.minutes, estimated=trip.estimated, reachable=True
            ),
        ),
    )


def _reasons(evaluation: Evaluation, position: int, trip: Trip) -> list[str]:
    """Why the candidate at ``position`` fits, in plain French."""
    table, profile = evaluation.table, evaluation.profile
    index = int(evaluation.candidates[position])
    components = evaluation.components[position]
    offer = table.offers[index]
    reasons = [_wish_reason(evaluation, index, float(components[0]))]
    reasons.append(_trip_reason(trip, profile))
    reasons.append(_hours_reason(table, index, profile.hours_per_week))
    places = table.places[index]
    if not np.isnan(places):
        reasons.append(
            f"{pluralize(int(places), 'place ouverte', 'places ouvertes')}."
            if places > 0
            else full_offer_reason(offer.ends_on)
        )
    if components[4] > 0:
        reasons.append(
            f"Votre structure référente travaille déjà avec {offer.partner.name} : "
            "une mise en relation directe est possible."
        )
    reasons += _legal_reasons(evaluation, position)
    return [reason for reason in reasons if reason]


def _wish_reason(evaluation: Evaluation, index: int, fit: float) -> str:
    wishes, offer = evaluation.profile.wishes, evaluation.table.offers[index]
    if not wishes.rome_codes and not wishes.keywords:
        return ""
    code = (offer.rome_code or "").upper()
    tokens = search_tokens(wishes.keywords)
    found = [t for t in tokens if t in fold(offer.title)]
    in_activities = activity_words(evaluation.table, index, tokens)
    if code and code in {wished.upper() for wished in wishes.rome_codes}:
        reason = f"Correspond au métier recherché (fiche ROME {code})."
    elif found:
        reason = f"Correspond à vos mots-clés : {', '.join(found)}."
    elif in_activities:
        reason = (
            f"Un atelier de l'ESAT correspond à vos mots-clés ({', '.join(in_activities)}) : "
            "l'admission vaut pour l'établissement et ses ateliers."
        )
    elif evaluation.table.language_course[index] and is_learning_french(evaluation.profile):
        reason = "Un cours de français : un pas vers le métier recherché."
    elif fit >= ROME_GROUP and code:
        reason = f"Métier proche de ceux recherchés (fiche ROME {code})."
    elif fit > 0 and code:
        reason = f"Même domaine professionnel que les métiers recherchés (fiche ROME {code})."
    else:
        reason = "Une autre piste que vos souhaits, pour ouvrir le champ des possibles."
    return reason


def _trip_reason(trip: Trip, profile: Profile) -> str:
    label = MODE_LABELS[trip.mode]
    walked = trip.journey is not None and all(leg.kind == "walk" for leg in trip.journey.legs)
    if walked and trip.mode != "walk":  # the public transport answer is the walk: say so
        label = f"{MODE_LABELS['walk']} (plus rapide {_instead(trip.mode)})"
    estimate = " (estimation)" if trip.estimated else ""
    budget = next(m.max_minutes for m in profile.modes if m.mode == trip.mode)
    if trip.creche is not None:
        places = trip.creche.available_places
        return (
            f"Trajet de {trip.minutes:.0f} min {label}{estimate} en passant par "
            f"{trip.creche.name} ({pluralize(places or 0, 'place libre', 'places libres')}), "
            f"pour {decimal(budget)} min au plus."
        )
    return f"À {trip.minutes:.0f} min {label}{estimate}, pour {decimal(budget)} min au plus."


def _instead(mode: str) -> str:
    """« que les transports en commun », « qu'à vélo »… after « plus rapide »."""
    words = {"transit": "que les transports en commun", "bike": "qu'à vélo", "car": "qu'en voiture"}
    return words.get(mode, "")


def _hours_reason(table: OfferTable, index: int, wished: HoursPerWeek | None) -> str:
    low, high = table.hours_min[index], table.hours_max[index]
    if np.isnan(low):
        return ""
    text = hours_text(float(low), float(high))
    if wished is None:
        return f"{text} par semaine."
    if low > wished.max:
        return f"{text} par semaine : plus que les {decimal(wished.max)} h souhaitées, à discuter."
    if high < wished.min:
        return f"{text} par semaine : moins que les {decimal(wished.min)} h souhaitées."
    return f"{text} par semaine, dans la fourchette souhaitée."


def _legal_reasons(evaluation: Evaluation, position: int) -> list[str]:
    """Legal conditions met, said positively."""
    table, verdicts = evaluation.table, evaluation.verdicts
    index = int(evaluation.candidates[position])
    conditions = table.conditions[index]
    reasons = []
    threshold = conditions.iae_threshold
    if threshold and verdicts.iae[threshold].verdict is Verdict.PASS:
        reasons.append(verdicts.iae[threshold].explanation())
    if conditions.cdaph_orientation and verdicts.esat is Verdict.PASS:
        reasons.append("Votre orientation CDAPH « ESAT » ouvre l'accès à ce poste.")
    if conditions.rqth and verdicts.rqth is Verdict.PASS:
        reasons.append("Votre reconnaissance de travailleur·se handicapé·e (RQTH) ouvre ce poste.")
    if conditions.exempt and verdicts.work is not Verdict.PASS:
        reasons.append("Ouvert sans autorisation de travail.")
    creche = int(evaluation.reach.creche[position])
    if (
        creche >= 0
        and evaluation.sites.sites[creche].kind == "creches-avip"
        and verdicts.avip is Verdict.CHECK
    ):
        reasons.append(
            "Place en crèche AVIP sous réserve d'être inscrit·e à France Travail, au RSA, "
            "parent isolé, habitant·e d'un QPV ou jeune de moins de 25 ans sans diplôme."
        )
    return reasons


def full_offer_reason(ends_on: date | None) -> str:
    """A full offer, and when its places may open: when the current session or contract ends,
    if the offer says so."""
    if ends_on is None:
        return (
            "Complet pour le moment, date de prochaine ouverture non publiée : la demander à "
            "la structure."
        )
    return (
        f"Complet pour le moment ; l'offre en cours se termine le {french_date(ends_on)}, des "
        "places peuvent s'ouvrir alors : demander la prochaine ouverture à la structure."
    )
