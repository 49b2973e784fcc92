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
    horaires utilisée quand il sort de leur période de validité.

    Règles des propositions (README, « Règles des propositions ») :

    - ``components.hours`` est la part des heures de l'offre que la personne peut assurer,
      dans ses disponibilités et ses heures souhaitées au plus ; un obstacle
      « disponibilites » dit les mêmes heures ;
    - avec un enfant de moins de 3 ans, la crèche du trajet est ouverte avant le départ vers
      le travail (dépôt de 5 min et trajet crèche → travail compris) et jusqu'au retour ;
    - une orientation CDAPH « ESAT » place le travail en ESAT en tête ; les mots-clés sont
      cherchés aussi dans les ateliers de l'ESAT ;
    - chaque obstacle, soutien et parcours nomme au moins un partenaire : le plus proche
      dans le budget, sinon le plus proche au-delà avec son trajet (``access`` : « au-delà
      de votre temps de trajet »), sinon à qui s'adresser (SIAO, DDETS, CCAS…) ; ``items``
      d'un soutien est le nombre d'offres que son message compte ;
    - chaque proposition porte l'adresse, le téléphone, le courriel et les horaires de la
      structure (``partner``) et son trajet étape par étape."""
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
    reçoit plus de personnes que ses places (places inconnues : une personne ; offre
    complète : personne) ; chaque personne reçoit aussi ses meilleures autres propositions.
    Les personnes sont rendues dans l'ordre de la requête, chacune expliquée comme une mise
    en relation seule : parcours, soutiens, exclusions ; sans affectation, ``unassigned``
    dit pourquoi (rien à portée, offres complètes, places données à d'autres personnes de
    la cohorte) et ``full_offers`` les offres sans place les plus proches, avec quand des
    places peuvent s'ouvrir si l'offre le dit. La réponse compte les personnes affectées
    (``assigned``), les autres par raison (``unassigned``) et les places utilisées par offre
    (``places_used``)."""
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
