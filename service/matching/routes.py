"""``/v1/matches``: the opportunities a person can reach, explained, with the supports.

Roles ``platform``, ``editor`` and ``admin``. The profile in the body is read for the request
only: it is never stored and never logged. Answers come from the store snapshot; the header
``X-Store-Revision`` says which revision answered.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from graph.matching import match, match_batch
from service.deps import PlatformDep, SessionDep, SnapshotDep, TravelDep
from service.matching.requests import (
    BATCH_EXAMPLES,
    MATCH_EXAMPLES,
    BatchRequest,
    BatchResponse,
    MatchRequest,
    MatchResponse,
    resolve_location,
    to_profile,
)

router = APIRouter(prefix="/v1/matches", tags=["mise en relation"])


@router.post("", summary="Proposer des opportunités atteignables à une personne")
def match_person(
    caller: PlatformDep,
    session: SessionDep,
    travel: TravelDep,
    snapshot: SnapshotDep,
    body: Annotated[MatchRequest, Body(openapi_examples=MATCH_EXAMPLES)],
) -> MatchResponse:
    """Croise les souhaits et la situation d'une personne avec l'offre du territoire, à la
    manière « emploi d'abord » : seules les conditions légales filtrent (autorisation de
    travail, âge TAPAJ, orientation CDAPH, RQTH, éligibilité IAE) ; tout autre obstacle est
    montré avec le partenaire qui peut le lever. Les situations inconnues valent « non
    renseigné ». Le profil n'est ni conservé ni journalisé.

    Chaque proposition dit son trajet étape par étape (``travel.journey`` : marche, attente,
    trajet en véhicule avec ligne et horaires, correspondance, dépôt à la crèche), chaque
    étape dite estimée ou non ; ``estimated_share`` est la part des trajets estimés.
    ``departure`` fixe le départ en transports en commun ; ``notice`` dit la date des
    horaires utilisée quand il sort de leur période de validité."""
    origin = resolve_location(session, body.location)
    trips = travel.at(body.departure, body.window_minutes)
    result = match(
        to_profile(body, origin),
        snapshot.offers,
        snapshot.supports,
        trips,
        relations=snapshot.relations,
    )
    return MatchResponse(
        **{name: getattr(result, name) for name in type(result).model_fields},
        notice=trips.notice,
    )


@router.post("/batch", summary="Répartir une cohorte sur les places (au plus 200 personnes)")
def match_cohort(
    caller: PlatformDep,
    session: SessionDep,
    travel: TravelDep,
    snapshot: SnapshotDep,
    body: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)],
) -> BatchResponse:
    """Affectation optimale d'une cohorte : la somme des scores est maximale et aucune offre ne
    reçoit plus de personnes que ses places ; chaque personne reçoit aussi ses meilleures
    autres propositions. Les personnes sont rendues dans l'ordre de la requête."""
    profiles = [
        to_profile(person, resolve_location(session, person.location, f"persons.{i}.location"))
        for i, person in enumerate(body.persons)
    ]
    trips = travel.at(body.departure, body.window_minutes)
    result = match_batch(
        profiles,
        snapshot.offers,
        snapshot.supports,
        trips,
        relations=snapshot.relations,
        alternatives=body.alternatives,
    )
    return BatchResponse(
        **{name: getattr(result, name) for name in type(result).model_fields},
        notice=trips.notice,
    )
