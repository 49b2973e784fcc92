"""Pathways the situation opens (PHC, TAPAJ, Convergence, AAVA, French, MDPH) and their carriers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np

from graph.eligibility import Verdict
from graph.matching.evaluation import Evaluation, nearest_supports
from graph.matching.offers import PATHWAY_CONTRACTS
from graph.matching.results import Pathway, PathwayCode, SiteRef, site_ref
from graph.matching.scoring import is_learning_french

_PATHWAY_TEXTS: Final[Mapping[PathwayCode, tuple[str, str]]] = {
    "phc": (
        "Premières heures en chantier (PHC)",
        "Pour reprendre une activité sans sélection ni prérequis : quelques heures par semaine "
        "(4 à 20 h) dans un chantier d'insertion, puis un CDDI.",
    ),
    "tapaj": (
        "TAPAJ : travail payé à la journée",
        "Pour les 16-25 ans : des missions de quelques heures payées le jour même, sans "
        "engagement sur la durée, avec un accompagnement (addictologie si besoin).",
    ),
    "cvg": (
        "Convergence",
        "Un accompagnement renforcé (santé, logement, emploi) dans un chantier d'insertion, "
        "jusqu'à cinq ans.",
    ),
    "aava": (
        "Atelier d'adaptation à la vie active (AAVA)",
        "Une activité en atelier avec un pécule, sans autorisation de travail : pour "
        "reprendre un rythme et être utile en attendant.",
    ),
    "langue": (
        "Apprendre le français",
        "La plateforme linguistique évalue le niveau et oriente vers le cours adapté "
        "(FLE, alphabétisation, ateliers sociolinguistiques).",
    ),
    "mdph": (
        "Constituer un dossier MDPH",
        "Une demande à la MDPH (RQTH, orientation CDAPH vers un ESAT ou le milieu ordinaire) "
        "ouvre le travail protégé et adapté.",
    ),
}


def open_pathways(evaluation: Evaluation) -> list[Pathway]:
    """Programmes the situation opens, each with its nearest carriers."""
    s = evaluation.profile.situation
    work = evaluation.verdicts.work
    paid_ok = work is not Verdict.FAIL
    precarity = any(v is True for v in (s.homeless, s.hosted, s.addiction, s.justice))
    young = s.age is not None and 16 <= s.age <= 25
    french_low = is_learning_french(evaluation.profile)
    oriented = s.cdaph_orientation not in (None, "aucune")
    health = (s.rqth is True or s.aah is True) and not oriented
    opened: list[tuple[PathwayCode, str]] = []
    if s.homeless is True and paid_ok:
        opened.append(("phc", ""))
    if young and precarity and paid_ok:
        opened.append(("tapaj", ""))
    if s.homeless is True and (s.addiction is True or s.justice is True) and paid_ok:
        opened.append(("cvg", ""))
    if (s.hosted is True or s.homeless is True) and work is not Verdict.PASS:
        opened.append(("aava", ""))
    if french_low:
        extra = (
            " Avec une autorisation de travail, une POEI FLE associe un emploi et une "
            "formation en français."
            if work is Verdict.PASS
            else " Les cours de français ne demandent pas d'autorisation de travail."
        )
        opened.append(("langue", extra))
    if evaluation.esat_wished or health:
        extra = (
            " Sans orientation CDAPH « ESAT », le travail en ESAT n'est pas encore possible : "
            "c'est la première démarche."
            if evaluation.esat_wished
            else ""
        )
        opened.append(("mdph", extra))
    pathways = []
    for code, extra in opened:
        title, message = _PATHWAY_TEXTS[code]
        check = (
            " Autorisation de travail à vérifier."
            if code in ("phc", "tapaj", "cvg") and work is Verdict.CHECK
            else ""
        )
        pathways.append(
            Pathway(
                code=code,
                title=title,
                message=message + extra + check,
                carriers=_carriers(evaluation, code),
            )
        )
    return pathways


_PATHWAY_NEEDS: Final[Mapping[PathwayCode, str]] = {
    "phc": "phc",
    "tapaj": "tapaj",
    "cvg": "cvg",
    "aava": "aava",
    "langue": "langue",
    "mdph": "mdph",
}


def _carriers(evaluation: Evaluation, code: PathwayCode, *, count: int = 3) -> list[SiteRef]:
    """Nearest carriers: support sites of the pathway's kind and partners offering it."""
    refs = {ref.id: ref for ref in nearest_supports(evaluation, _PATHWAY_NEEDS[code], count=count)}
    if code in PATHWAY_CONTRACTS:
        refs.update(
            {ref.id: ref for ref in _offer_carriers(evaluation, code) if ref.id not in refs}
        )
    ranked = sorted(
        refs.values(),
        key=lambda r: (not r.reachable, r.minutes if r.minutes is not None else math.inf, r.id),
    )
    reachable = [r for r in ranked if r.reachable]
    return reachable[:count] if reachable else ranked[:1]


def _offer_carriers(evaluation: Evaluation, contract: str) -> list[SiteRef]:
    table = evaluation.table
    partners = table.carriers[contract]
    if not len(partners):
        return []
    ratios = evaluation.partner_minutes[:, partners] / evaluation.budgets[:, np.newaxis]
    best = np.argmin(ratios, axis=0)
    refs = []
    for column, partner in enumerate(partners):
        minutes = float(evaluation.partner_minutes[best[column], partner])
        if not math.isfinite(minutes):
            continue
        refs.append(
            site_ref(
                table.partners[partner],
                evaluation.profile.modes[best[column]].mode,
                minutes,
                estimated=bool(evaluation.partner_estimated[best[column], partner]),
                reachable=bool(ratios[best[column], column] <= 1.0),
            )
        )
    return refs
