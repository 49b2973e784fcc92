"""The supports summary of a result: crèches on the way, the supports the items' obstacles call
for, and those the situation calls for (housing, addiction care, mobility).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from graph.matching.evaluation import Evaluation, nearest_supports
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
    return _creches_on_the_way(items) + _obstacle_supports(items) + _situation_supports(evaluation)


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


def _obstacle_supports(items: Sequence[MatchItem]) -> list[SupportNeed]:
    by_code: dict[str, tuple[Obstacle, int]] = {}
    for item in items:
        for obstacle in item.obstacles:
            first, count = by_code.get(obstacle.code, (obstacle, 0))
            by_code[obstacle.code] = (first, count + 1)
    needs = [
        SupportNeed(
            kind=obstacle.kind,
            code=code,
            message=f"{_SUPPORT_LABELS[code]} : {pluralize(count, 'proposition')} concernée"
            f"{'s' if count > 1 else ''}.",
            items=count,
            partners=obstacle.supports,
        )
        for code, (obstacle, count) in by_code.items()
    ]
    return needs


def _unique_refs(refs: Iterable[SiteRef]) -> list[SiteRef]:
    return list({ref.id: ref for ref in refs}.values())


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
        needs.append(
            SupportNeed(
                kind="mobilite",
                code="hors-de-portee-sans-voiture",
                message=f"{pluralize(count, 'offre')} {which} {'sont' if count > 1 else 'est'} "
                "à portée en voiture mais pas avec vos modes de déplacement : une solution de "
                f"mobilité (permis, location, covoiturage) {'les' if count > 1 else 'la'} "
                "rendrait accessible" + ("s." if count > 1 else "."),
                items=0,
                partners=_unique_refs(
                    nearest_supports(evaluation, need)
                    + nearest_supports(evaluation, "mobilite", count=1)
                ),
            )
        )
    if s.homeless is True:
        needs.append(
            SupportNeed(
                kind="logement",
                code="hebergement",
                message="Sans logement stable : le SIAO (115) et les accueils de jour "
                "accompagnent vers un hébergement ; la reprise d'activité n'a pas à attendre.",
                items=0,
                partners=nearest_supports(evaluation, "logement"),
            )
        )
    if s.addiction is True:
        needs.append(
            SupportNeed(
                kind="sante",
                code="addictions",
                message="Un accompagnement en addictologie (CSAPA, CAARUD) peut soutenir la "
                "reprise d'activité, sans condition préalable.",
                items=0,
                partners=nearest_supports(evaluation, "addictions"),
            )
        )
    return needs
