"""Obstacles of an item, each with the nearest partners that can lift it.

Legal conditions the situation does not settle (to check), childcare, driving licence, French
level, schedules. An obstacle never lowers the score nor removes the offer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from geodata.words import decimal
from graph.eligibility import Verdict
from graph.matching.evaluation import Evaluation
from graph.matching.nearest import nearest_supports, who_to_ask
from graph.matching.results import ExclusionRule, Obstacle, ObstacleKind, SiteRef
from graph.validation import FRENCH_LEVELS, french_level_rank, opening_hours_in_french


def obstacles_of(evaluation: Evaluation, position: int, structure: SiteRef) -> list[Obstacle]:
    """What must be solved for the candidate at ``position``.

    What is settled with the structure itself (age to confirm, hours to discuss) names
    ``structure``, the partner offering the opportunity; the other obstacles get the partners
    that can lift them from `with_supports`, once the trips beyond the budgets are known.
    """
    index = int(evaluation.candidates[position])
    obstacles = _legal_checks(evaluation, index)
    obstacles += _practical_obstacles(evaluation, position)
    return [
        obstacle.model_copy(update={"supports": [structure]})
        if OBSTACLE_NEEDS[obstacle.code] is None
        else obstacle
        for obstacle in obstacles
    ]


def with_supports(evaluation: Evaluation, obstacle: Obstacle) -> Obstacle:
    """The obstacle with the nearest partners that can lift it (`graph.matching.nearest`), or
    whom to ask when the territory knows none (said in its message)."""
    need = OBSTACLE_NEEDS[obstacle.code]
    if need is None:
        return obstacle
    supports, message = nearest_supports(evaluation, need), obstacle.message
    if not supports:
        supports, sentence = who_to_ask(evaluation, need)
        message += sentence
    return obstacle.model_copy(update={"supports": supports, "message": message})


def _obstacle(evaluation: Evaluation, code: str, message: str) -> Obstacle:
    return Obstacle(kind=_OBSTACLE_KINDS[code], code=code, message=message, supports=[])


OBSTACLE_NEEDS: Final[Mapping[str, str | None]] = {
    "autorisation-travail": "droits",
    "autorisation-demandee": "droits",
    "age": None,
    "orientation-cdaph": "mdph",
    "rqth": "mdph",
    "eligibilite-iae": "diagnostic-iae",
    "creche": "creche",
    "permis": "permis",
    "horaires-decales": "mobilite",
    "disponibilites": None,
    "niveau-francais": "langue",
}
"""The need each obstacle calls for (`graph.matching.supports.NEEDS`); ``None``: settled with
the structure offering the opportunity."""

_OBSTACLE_KINDS: Final[Mapping[str, ObstacleKind]] = {
    "autorisation-travail": "droits",
    "autorisation-demandee": "droits",
    "age": "administratif",
    "orientation-cdaph": "sante",
    "rqth": "sante",
    "eligibilite-iae": "administratif",
    "creche": "garde-enfants",
    "permis": "mobilite",
    "horaires-decales": "horaires",
    "disponibilites": "horaires",
    "niveau-francais": "langue",
}


def _legal_checks(evaluation: Evaluation, index: int) -> list[Obstacle]:
    """Legal conditions the situation does not tell about: what to check, and who can."""
    legal, verdicts = evaluation.legal, evaluation.verdicts
    conditions = evaluation.table.conditions[index]
    checks: list[Obstacle] = []

    def unknown(rule: ExclusionRule) -> bool:
        return legal.rule(evaluation.table, index, rule) is Verdict.CHECK

    if unknown("autorisation-travail"):
        checks.append(
            _obstacle(
                evaluation,
                "autorisation-travail",
                "Autorisation de travail à vérifier : un titre de séjour qui permet de "
                "travailler est nécessaire pour un emploi, une immersion ou un parcours IAE.",
            )
        )
    if conditions.stated_on_exempt and verdicts.work is not Verdict.PASS:
        checks.append(
            _obstacle(
                evaluation,
                "autorisation-demandee",
                "La structure demande une autorisation de travail, que la loi n'exige pas "
                "pour cette activité : à clarifier avec elle.",
            )
        )
    if unknown("age"):
        low, high = conditions.min_age, conditions.max_age
        if low is not None and high is not None:
            bounds = f"de {low} à {high} ans"
        elif low is not None:
            bounds = f"à partir de {low} ans"
        else:
            bounds = f"jusqu'à {high} ans"
        checks.append(
            _obstacle(evaluation, "age", f"Réservé aux personnes {bounds} : âge à confirmer.")
        )
    if unknown("orientation-cdaph"):
        checks.append(
            _obstacle(
                evaluation,
                "orientation-cdaph",
                "Travail en ESAT : une orientation CDAPH « ESAT » est nécessaire ; à vérifier, "
                "ou à demander à la MDPH.",
            )
        )
    if unknown("rqth"):
        checks.append(
            _obstacle(
                evaluation,
                "rqth",
                "Poste réservé aux travailleur·ses handicapé·es : reconnaissance (RQTH) à "
                "vérifier, ou à demander à la MDPH.",
            )
        )
    if unknown("eligibilite-iae"):
        verdict = verdicts.iae[conditions.iae_threshold]
        checks.append(_obstacle(evaluation, "eligibilite-iae", verdict.explanation()))
    return checks


def _practical_obstacles(evaluation: Evaluation, position: int) -> list[Obstacle]:
    """Childcare, licence, French, schedule: the opportunity stays, with supports."""
    table, profile = evaluation.table, evaluation.profile
    index = int(evaluation.candidates[position])
    situation = profile.situation
    obstacles: list[Obstacle] = []
    if evaluation.reach.childcare_missing[position] and (situation.children_under_3 or 0) > 0:
        obstacles.append(
            _obstacle(
                evaluation,
                "creche",
                "Garde d'enfant : aucune crèche avec une place libre et des horaires "
                "compatibles n'a été trouvée sur le trajet ; voici les crèches les plus proches "
                "qui ont des places.",
            )
        )
    if table.licence[index] and situation.driving_licence is not True:
        message = (
            "Permis B demandé par l'employeur : à vérifier."
            if situation.driving_licence is None
            else "Permis B demandé par l'employeur : une auto-école sociale peut vous y "
            "préparer ; demandez aussi si le poste l'exige vraiment."
        )
        obstacles.append(_obstacle(evaluation, "permis", message))
    obstacles += _language_obstacle(evaluation, index)
    obstacles += _schedule_obstacles(evaluation, position)
    return obstacles


def _language_obstacle(evaluation: Evaluation, index: int) -> list[Obstacle]:
    required = int(evaluation.table.french[index])
    level = evaluation.profile.situation.french_level
    if required < 0:
        return []
    needed = FRENCH_LEVELS[required]
    if level is None:
        if required < french_level_rank("A2"):
            return []
        message = (
            f"Niveau de français demandé : {needed} ; une plateforme linguistique peut "
            "évaluer le vôtre."
        )
    elif french_level_rank(level) < required:
        message = (
            f"Niveau de français demandé : {needed} (le vôtre : {level}) ; la plateforme "
            "linguistique oriente vers le cours adapté (FLE, POEI FLE pour apprendre en "
            "travaillant)."
        )
    else:
        return []
    return [_obstacle(evaluation, "niveau-francais", message)]


def _schedule_text(schedule: str | None) -> str:
    """The offer's hours in French words, or « horaires non précisés »."""
    return opening_hours_in_french(schedule) if schedule else "horaires non précisés"


def _schedule_obstacles(evaluation: Evaluation, position: int) -> list[Obstacle]:
    table, profile = evaluation.table, evaluation.profile
    index = int(evaluation.candidates[position])
    obstacles = []
    schedule = int(table.schedule[index])
    available = float(evaluation.available_hours[schedule]) if schedule >= 0 else math.inf
    need = float(table.need_hours[index])
    if math.isfinite(available) and not math.isnan(need) and available + 1e-9 < need:
        obstacles.append(
            _obstacle(
                evaluation,
                "disponibilites",
                f"Vos disponibilités couvrent {decimal(available)} h des {decimal(need)} h par "
                f"semaine du poste ({_schedule_text(table.offers[index].schedule)}) ; à "
                "discuter avec la structure.",
            )
        )
    mode = profile.modes[int(evaluation.reach.mode[position])].mode
    if table.atypical[index] and mode in ("walk", "transit"):
        obstacles.append(
            _obstacle(
                evaluation,
                "horaires-decales",
                "Horaires décalés (tôt le matin, le soir ou le dimanche) : bus et trajets à "
                "pied sont moins sûrs à ces heures ; une plateforme mobilité peut proposer "
                "une solution (deux-roues, covoiturage).",
            )
        )
    return obstacles
