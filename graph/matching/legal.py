"""Use of `graph.eligibility` in the matching: legal verdicts per offer, and counted exclusions.

The situation is judged once per request (`situation_verdicts`); each distinct set of legal
conditions of the table (a few dozen for 50,000 offers) then gets one verdict per rule
(`legal_verdicts`). ``FAIL`` excludes an offer and is counted per rule (`count_exclusions`);
``CHECK`` keeps it with an obstacle saying what to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from graph.eligibility import (
    IaeVerdict,
    Situation,
    Verdict,
    age_verdict,
    avip_verdict,
    esat_verdict,
    iae_verdict,
    rqth_verdict,
    work_authorization_verdict,
)
from graph.matching.arrays import IntArray
from graph.matching.offers import OfferTable
from graph.matching.results import Exclusion, ExclusionRule
from graph.matching.text import pluralize

LEGAL_RULES: Final[tuple[ExclusionRule, ...]] = (
    "autorisation-travail",
    "age",
    "orientation-cdaph",
    "rqth",
    "eligibilite-iae",
)


@dataclass(slots=True)
class SituationVerdicts:
    """The situation's legal verdicts, computed once per request."""

    work: Verdict
    esat: Verdict
    rqth: Verdict
    iae: dict[int, IaeVerdict]
    avip: Verdict


@dataclass(slots=True)
class LegalVerdicts:
    """Legal verdicts per distinct set of conditions (offers share a few dozen of them).

    ``rules[c, r]`` is the verdict of rule ``LEGAL_RULES[r]`` for condition set ``c`` of
    `OfferTable.condition_sets`; ``state[c]`` their maximum.
    """

    rules: IntArray
    state: IntArray

    def rule(self, table: OfferTable, index: int, rule: ExclusionRule) -> Verdict:
        return Verdict(int(self.rules[table.condition_id[index], LEGAL_RULES.index(rule)]))


def situation_verdicts(situation: Situation) -> SituationVerdicts:
    """The verdicts that depend on the situation only, once per request."""
    return SituationVerdicts(
        work=work_authorization_verdict(situation),
        esat=esat_verdict(situation),
        rqth=rqth_verdict(situation),
        iae={threshold: iae_verdict(situation, threshold) for threshold in (2, 3)},
        avip=avip_verdict(situation),
    )


def legal_verdicts(
    table: OfferTable, situation: Situation, verdicts: SituationVerdicts
) -> LegalVerdicts:
    """Verdict of each legal rule for each distinct set of conditions of the table."""
    rows = [
        (
            verdicts.work if conditions.work_authorization else Verdict.PASS,
            age_verdict(situation, conditions.min_age, conditions.max_age),
            verdicts.esat if conditions.cdaph_orientation else Verdict.PASS,
            verdicts.rqth if conditions.rqth else Verdict.PASS,
            _iae(verdicts, situation, conditions.iae_threshold).verdict,
        )
        for conditions in table.condition_sets
    ]
    rules = np.array(rows, dtype=np.int64).reshape(-1, len(LEGAL_RULES))
    return LegalVerdicts(rules=rules, state=rules.max(axis=1, initial=int(Verdict.PASS)))


def _iae(verdicts: SituationVerdicts, situation: Situation, threshold: int) -> IaeVerdict:
    if threshold == 0:
        return IaeVerdict(Verdict.PASS, 0, (), ())
    if threshold not in verdicts.iae:
        verdicts.iae[threshold] = iae_verdict(situation, threshold)
    return verdicts.iae[threshold]


_EXCLUSION_REASONS: Final[Mapping[ExclusionRule, str]] = {
    "autorisation-travail": "une autorisation de travail est exigée pour l'emploi, l'immersion "
    "et l'IAE (le bénévolat, les AAVA, l'activité en OACAS et les cours de français restent "
    "ouverts)",
    "age": "tranche d'âge réservée (TAPAJ : 16 à 25 ans ; dispositifs pour les jeunes)",
    "orientation-cdaph": "travail en ESAT, sur orientation de la CDAPH (voir le parcours "
    "« Constituer un dossier MDPH »)",
    "rqth": "postes réservés aux travailleur·ses handicapé·es reconnu·es (RQTH)",
    "eligibilite-iae": "embauches en IAE dont les critères d'éligibilité ne sont pas remplis "
    "(ni critère de niveau 1, ni assez de critères de niveau 2)",
}


def count_exclusions(
    table: OfferTable, legal: LegalVerdicts, excluded: IntArray
) -> list[Exclusion]:
    """Count, per rule, the excluded offers (reachable, of the wished kinds) it excludes.

    An offer failing two rules counts under both.
    """
    per_set = np.bincount(table.condition_id[excluded], minlength=len(table.condition_sets))
    result = []
    for column, rule in enumerate(LEGAL_RULES):
        count = int(per_set[legal.rules[:, column] == Verdict.FAIL].sum())
        if count:
            heading = pluralize(count, "offre à portée écartée", "offres à portée écartées")
            message = f"{heading} : {_EXCLUSION_REASONS[rule]}."
            result.append(Exclusion(rule=rule, count=count, message=message))
    return result
