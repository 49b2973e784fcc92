"""``/v1/reference``: the vocabularies the API speaks (typology, thematiques, publics...) and
the ROME job titles (``/v1/reference/jobs``, searched in the store: `service.reference.jobs`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from graph import vocabulary
from graph.models import CONTRACTS, OPPORTUNITY_KINDS, RELATION_KINDS
from service.deps import SessionDep
from service.reference.jobs import search_jobs
from service.reference.parameters import JobQuery
from service.reference.schemas import JobSearch, KindItem, ReferenceItem

router = APIRouter(prefix="/v1/reference", tags=["référentiels"])


def _items(terms: dict[str, str]) -> list[ReferenceItem]:
    return [ReferenceItem(code=code, label=label) for code, label in terms.items()]


@router.get("/kinds", summary="Typologie des partenaires, avec leur famille")
def kinds() -> list[KindItem]:
    """Codes data·inclusion v1 (réseaux porteurs) quand ils existent, codes maillage sinon."""
    return [
        KindItem(
            code=k.code,
            label=k.label,
            family=k.family,
            family_label=k.family_label,
            data_inclusion=k.data_inclusion,
        )
        for k in vocabulary.kinds().values()
    ]


@router.get("/families", summary="Familles d'acteurs")
def families() -> list[ReferenceItem]:
    return [ReferenceItem(code=t.code, label=t.label) for t in vocabulary.families().values()]


@router.get("/thematiques", summary="Thématiques data·inclusion v1")
def thematiques() -> list[ReferenceItem]:
    return [
        ReferenceItem(code=t.code, label=t.label, description=t.description)
        for t in vocabulary.thematiques().values()
    ]


@router.get("/publics", summary="Publics data·inclusion v1")
def publics() -> list[ReferenceItem]:
    return [
        ReferenceItem(code=t.code, label=t.label, description=t.description)
        for t in vocabulary.publics().values()
    ]


@router.get("/opportunity-kinds", summary="Types d'offres")
def opportunity_kinds() -> list[ReferenceItem]:
    return _items(OPPORTUNITY_KINDS)


@router.get("/contracts", summary="Types de contrats")
def contracts() -> list[ReferenceItem]:
    return _items(CONTRACTS)


@router.get("/relation-kinds", summary="Types de relations entre partenaires")
def relation_kinds() -> list[ReferenceItem]:
    return _items(RELATION_KINDS)


@router.get("/jobs", summary="Intitulés de métiers du ROME 4.0 et leurs codes")
def jobs(session: SessionDep, params: Annotated[JobQuery, Query()]) -> JobSearch:
    """Les intitulés de métiers (appellations) du répertoire ROME 4.0 de France Travail qui
    contiennent les mots donnés — sans tenir compte des accents, des majuscules ni de la
    ponctuation ; chaque mot peut n'être que le début d'un mot de l'intitulé (« libre serv »,
    « aide soig ») — chacun avec son code ROME, celui qu'attend la mise en relation. Les
    intitulés courants passent avant ceux que France Travail dit peu usités. ``source`` est la
    mention à afficher avec eux (« Source : France Travail, ROME 4.0 v460 (sept. 2025) »).
    Sans référentiel chargé (``maillage reference load-rome``) : aucun résultat et ``notice``
    le dit."""
    return search_jobs(session, params.q, params.limit)
