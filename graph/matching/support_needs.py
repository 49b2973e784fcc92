"""The supports summary of a result: crèches on the way, the supports the items' obstacles call
for, and those the situation calls for (housing, addiction care, mobility).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from graph.matching.evaluation import Evaluation
from graph.matching.nearest import nearest_supports, who_to_ask
from graph.matching.obstacles import OBSTACLE_NEEDS
from graph.matching.results import MatchItem, Obstacle, SiteRef, SupportNeed
from graph.matching.text import pluralize

_SUPPORT_LABELS: Final[Mapping[str, str]] = {
    "autorisation-travail": "Autorisation de travail à vérifier",
    "autorisation-demandee": "Autorisation de travail demandée par la structure",
    "age": "Âge à confirmer",
    "orientation-cdaph": "Orientation CDAPH à vérifier",
    "rqth": "RQTH à vérifier",
    "eligibilite-iae": "Éligibilité IAE à confirmer par un prescripteur",
    "creche": "Garde d'enfant à organiser",
    "permis": "Permis B demandé",
    "horaires-decales": "Horaires décalés",
    "disponibilites": "Horaires à discuter",
    "niveau-francais": "Niveau de français demandé",
}


def support_needs(evaluation: Evaluation, items: Sequence[MatchItem]) -> list[SupportNeed]:
    """Crèches on the way, supports the items' obstacles call for, then the situation's."""
    return (
        _creches_on_the_way(items)
        + _obstacle_supports(evaluation, items)
        + _situation_supports(evaluation)
    )


def _creches_on_the_way(items: Sequence[MatchItem]) -> list[SupportNeed]:
    used: dict[str, tuple[SiteRef, int]] = {}
    for item in items:
        creche = item.travel.creche
        if creche is not None:
            used[creche.id] = (creche, used.get(creche.id, (creche, 0))[1] + 1)
    if not used:
        return []
    ranked = sorted(used.values(), key=lambda entry: (-entry[1], entry[0].id))
    count = sum(uses for _, uses in ranked)
    names = ", ".join(creche.name for creche, _ in ranked)
    return [
        SupportNeed(
            kind="garde-enfants",
            code="creche-sur-le-trajet",
            message=f"Garde d'enfant sur le trajet de {pluralize(count, 'proposition')} : {names}.",
            items=count,
            partners=[creche for creche, _ in ranked],
        )
    ]


def _obstacle_supports(evaluation: Evaluation, items: Sequence[MatchItem]) -> list[SupportNeed]:
    """One support per obstacle code of the items: ``items`` counts the proposals concerned;
    the partners are those of the obstacle, or for what is settled with the structure itself
    (age, hours), the structures of the proposals concerned."""
    by_code: dict[str, tuple[Obstacle, int, list[SiteRef]]] = {}
    for item in items:
        for obstacle in item.obstacles:
            first, count, partners = by_code.get(obstacle.code, (obstacle, 0, []))
            by_code[obstacle.code] = (first, count + 1, [*partners, *obstacle.supports])
    needs = []
    for code, (obstacle, count, partners) in by_code.items():
        need = OBSTACLE_NEEDS[code]
        sentence = ""
        if need is not None and not nearest_supports(evaluation, need):
            sentence = who_to_ask(evaluation, need)[1]
        needs.append(
            SupportNeed(
                kind=obstacle.kind,
                code=code,
                message=f"{_SUPPORT_LABELS[code]} : {pluralize(count, 'proposition')} concernée"
                f"{'s' if count > 1 else ''}.{sentence}",
                items=count,
                partners=obstacle.supports if need is not None else _unique_refs(partners),
            )
        )
    return needs


def _partners_for(evaluation: Evaluation, need: str, message: str) -> tuple[list[SiteRef], str]:
    """The nearest partners for ``need``, or whom to ask (and the message saying so)."""
    partners = nearest_supports(evaluation, need)
    if partners:
        return partners, message
    asked, sentence = who_to_ask(evaluation, need)
    return asked, message + sentence


def _unique_refs(refs: Iterable[SiteRef]) -> list[SiteRef]:
    return list({ref.id: ref for ref in refs}.values())


def situation_needs(evaluation: Evaluation) -> set[str]:
    """The needs (`graph.matching.supports.NEEDS`) of the supports the situation calls for."""
    s = evaluation.profile.situation
    needs = set()
    if evaluation.car_only:
        needs |= {"permis" if s.driving_licence is not True else "vehicule", "mobilite"}
    if s.homeless is True:
        needs.add("logement")
    if s.addiction is True:
        needs.add("addictions")
    return needs


def _situation_supports(evaluation: Evaluation) -> list[SupportNeed]:
    s = evaluation.profile.situation
    needs = []
    if evaluation.car_only:
        need = "permis" if s.driving_licence is not True else "vehicule"
        count = evaluation.car_only
        wishes = evaluation.profile.wishes
        which = (
            "correspondant à vos souhaits"
            if wishes.rome_codes or wishes.keywords
            else "ouverte" + ("s" if count > 1 else "") + " à vous"
        )
        message = (
            f"{pluralize(count, 'offre')} {which} {'sont' if count > 1 else 'est'} "
            "à portée en voiture mais pas avec vos modes de déplacement : une solution de "
            f"mobilité (permis, location, covoiturage) {'les' if count > 1 else 'la'} "
            "rendrait accessible" + ("s." if count > 1 else ".")
        )
        partners, message = _partners_for(evaluation, need, message)
        needs.append(
            SupportNeed(
                kind="mobilite",
                code="hors-de-portee-sans-voiture",
                message=message,
                items=count,
                partners=_unique_refs(partners + nearest_supports(evaluation, "mobilite", count=1)),
            )
        )
    if s.homeless is True:
        partners, message = _partners_for(
            evaluation,
            "logement",
            "Sans logement stable : le SIAO (115) et les accueils de jour accompagnent vers un "
            "hébergement ; la reprise d'activité n'a pas à attendre.",
        )
        needs.append(
            SupportNeed(
                kind="logement", code="hebergement", message=message, items=0, partners=partners
            )
        )
    if s.addiction is True:
        partners, message = _partners_for(
            evaluation,
            "addictions",
            "Un accompagnement en addictologie (CSAPA, CAARUD) peut soutenir la reprise "
            "d'activité, sans condition préalable.",
        )
        needs.append(
            SupportNeed(
                kind="sante", code="addictions", message=message, items=0, partners=partners
            )
        )
    return needs
