"""Pathways the situation opens (PHC, TAPAJ, Convergence, AAVA, French, MDPH) and their carriers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np

from graph.eligibility import Verdict
from graph.matching.evaluation import Evaluation
from graph.matching.nearest import crow_nearest, far_partner_ref, nearest_supports, who_to_ask
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
    work = evaluation.verdicts.work
    pathways = []
    for code, extra in _opened(evaluation):
        title, message = _PATHWAY_TEXTS[code]
        check = (
            " Autorisation de travail à vérifier."
            if code in ("phc", "tapaj", "cvg") and work is Verdict.CHECK
            else ""
        )
        carriers = _carriers(evaluation, code)
        unknown = ""
        if not carriers:
            carriers, unknown = who_to_ask(evaluation, code)
        pathways.append(
            Pathway(
                code=code,
                title=title,
                message=message + extra + check + unknown,
                carriers=carriers,
            )
        )
    return pathways


def pathway_needs(evaluation: Evaluation) -> set[str]:
    """The needs (`graph.matching.supports.NEEDS`) of the pathways the situation opens."""
    return {code for code, _ in _opened(evaluation)}


def _opened(evaluation: Evaluation) -> list[tuple[PathwayCode, str]]:
    """The pathways the situation opens, each with the sentence its situation adds."""
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
    return opened


def _carriers(evaluation: Evaluation, code: PathwayCode, *, count: int = 3) -> list[SiteRef]:
    """Nearest carriers: support sites of the pathway's kind and partners offering it; up to
    ``count`` within the budgets, else the nearest beyond them (`graph.matching.nearest`)."""
    refs = {ref.id: ref for ref in nearest_supports(evaluation, code, count=count)}
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
    """Partners offering the pathway: within the budgets, or timed beyond them (`reach_far`),
    else the nearest as the crow flies."""
    table = evaluation.table
    partners = table.carriers[contract]
    if not len(partners):
        return []
    ratios = evaluation.partner_minutes[:, partners] / evaluation.budgets[:, np.newaxis]
    best = np.argmin(ratios, axis=0)
    refs = []
    for column, partner in enumerate(partners):
        minutes = float(evaluation.partner_minutes[best[column], partner])
        within = bool(ratios[best[column], column] <= 1.0)
        if within:
            refs.append(
                site_ref(
                    table.partners[partner],
                    evaluation.profile.modes[best[column]].mode,
                    minutes,
                    estimated=bool(evaluation.partner_estimated[best[column], partner]),
                    reachable=True,
                )
            )
        elif (far := far_partner_ref(evaluation, int(partner))) is not None:
            refs.append(far)
    if not refs:
        nearest = int(crow_nearest(evaluation, table.partner_xy, partners, 1)[0])
        refs.append(
            site_ref(table.partners[nearest], None, math.inf, estimated=False, reachable=False)
        )
    return refs
