"""``/v1/network/...``: the partner network as a graph — brokers and structure, the network to
draw, partnerships to create, one interlocutor per employer.

Role ``viewer`` or higher (``platform``, ``editor``, ``admin``), as coverage: these are analyses
of the territory for the DDETS and the platforms; they name structures, never persons. The
algorithms are `graph.network`'s (networkx); results are cached with the store snapshot
(`service.network.compute`). ``/v1/network/isolated`` (public) stays in `service.territory`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from graph.network.interlocutors import REFERENT_RULE, approached_employers
from graph.network.model import EMPLOYMENT_SIDE_DEFINITION, is_employment_side, is_shelter
from graph.network.partnerships import SCORE_RULE
from service.deps import SessionDep, SnapshotDep, TravelDep, ViewerDep
from service.errors import NotFoundError
from service.network import compute
from service.network.answers import (
    employer_out,
    graph_out,
    partner_ref,
    structure_out,
    suggestion_out,
)
from service.network.exports import employers_csv, partnerships_csv
from service.network.parameters import (
    EmployerPartnershipsQuery,
    EmployersQuery,
    GraphQuery,
    PartnershipsQuery,
    StructureQuery,
)
from service.network.schemas import (
    ApproachedEmployersOut,
    EmployerPartnershipsOut,
    NetworkGraphOut,
    NetworkStructureOut,
    OriginOut,
    PartnershipsOut,
)

router = APIRouter(prefix="/v1/network", tags=["réseau"])

CSV = "text/csv; charset=utf-8"
_CSV_TOO: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON ou CSV selon « format »", "content": {"text/csv": {}}}
}
NOT_AN_EMPLOYMENT_ACTOR = "Aucun acteur ouvert du côté emploi ne porte cet identifiant."


def _csv(body: bytes, name: str) -> Response:
    return Response(
        body, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/structure", summary="Courtiers et structure du réseau")
def structure(
    _: ViewerDep,
    session: SessionDep,
    snapshot: SnapshotDep,
    params: Annotated[StructureQuery, Query()],
) -> NetworkStructureOut:
    """Le réseau des relations du périmètre demandé (types de relations, familles, rectangle,
    EPCI ou communes), lu comme un graphe : intermédiarité (courtiers) et degré par structure
    et par famille, composantes connexes, points d'articulation et ponts, les structures et
    liens dont le départ couperait des structures d'hébergement de tout acteur du côté emploi,
    communautés (Louvain). Chaque chiffre est expliqué par une phrase (``explanations``) ;
    les algorithmes sont ceux de networkx."""
    scope = params.network_scope()
    found = compute.structure(session, snapshot, scope)
    return structure_out(found, scope, limit=params.limit)


@router.get("/graph", summary="Le réseau à dessiner : structures et relations")
def graph(
    _: ViewerDep,
    session: SessionDep,
    snapshot: SnapshotDep,
    params: Annotated[GraphQuery, Query()],
) -> NetworkGraphOut:
    """Les structures du périmètre (``nodes`` : position, famille, degré, intermédiarité,
    composante, communauté, point d'articulation, structures d'hébergement que son départ
    couperait de l'emploi) et leurs relations (``edges`` : une par type et par sens, distance à
    vol d'oiseau, pont ou non), pour une carte du réseau."""
    scope = params.network_scope()
    found = compute.structure(session, snapshot, scope)
    return graph_out(found, scope)


@router.get(
    "/partnerships",
    summary="Partenariats à créer, pour chaque structure d'hébergement et chaque SIAE",
    response_model=PartnershipsOut,
    responses=_CSV_TOO,
)
def partnerships(
    _: ViewerDep,
    session: SessionDep,
    snapshot: SnapshotDep,
    travel: TravelDep,
    params: Annotated[PartnershipsQuery, Query()],
) -> Any:
    """Pour chaque structure d'hébergement (et chaque SIAE) du périmètre, les acteurs du côté
    emploi avec lesquels elle n'a encore aucune relation et que ses résidents atteignent dans
    le budget de temps : classés par un score expliqué (``rule``) — proximité, places ou
    offres ouvertes, famille d'acteurs nouvelle pour elle, chemin chaud (déjà partenaire d'un
    de ses partenaires) —, chacun avec ses raisons en phrases et son temps de trajet, dit
    estimé quand il l'est. ``format=csv`` : le tableau pour un comité de pilotage."""
    found = compute.partnerships(
        session, snapshot, travel, mode=params.mode, max_minutes=params.max_minutes
    )
    scope = params.scope()
    wanted = set(params.origins) or {"hebergement", "siae"}
    partners = compute.territory(session, snapshot).partners
    origins = [
        OriginOut(
            partner=partner_ref(origin),
            employment_linked=origin.id in found.employment_linked,
            suggestions=[
                suggestion_out(s, partners) for s in found.suggestions[origin.id][: params.limit]
            ],
        )
        for origin in found.origins
        if scope.keeps(origin)
        and ("hebergement" if is_shelter(origin.kind) else "siae") in wanted
        and not (params.unlinked_only and origin.id in found.employment_linked)
    ]
    origins.sort(key=lambda o: (o.employment_linked, o.partner.name, o.partner.id))
    if params.format == "csv":
        return _csv(partnerships_csv(origins), "partenariats-a-creer.csv")
    return PartnershipsOut(
        mode=params.mode,
        max_minutes=params.max_minutes,
        rule=SCORE_RULE,
        definition=EMPLOYMENT_SIDE_DEFINITION,
        estimated_share=found.estimated_share,
        notice=" ".join(found.notices) or None,
        origins=origins,
    )


@router.get(
    "/employers/{partner_id}/partnerships",
    summary="Partenariats à créer, du côté d'un employeur",
)
def employer_partnerships(
    _: ViewerDep,
    session: SessionDep,
    snapshot: SnapshotDep,
    travel: TravelDep,
    partner_id: Annotated[uuid.UUID, Path(description="identifiant d'un acteur du côté emploi")],
    params: Annotated[EmployerPartnershipsQuery, Query()],
) -> EmployerPartnershipsOut:
    """Les structures d'hébergement et les SIAE proches d'un employeur (ou d'un acteur du
    service public de l'emploi) avec lesquelles il n'a encore aucune relation : les mêmes
    paires et le même score que ``/v1/network/partnerships``, lues de son côté ; le temps est
    celui du trajet de la structure jusqu'à lui. 404 si l'identifiant n'est pas celui d'un
    acteur ouvert du côté emploi."""
    whole = compute.territory(session, snapshot)
    partners = whole.partners
    employer = partners.get(str(partner_id))
    if employer is None or not is_employment_side(employer.kind):
        raise NotFoundError(NOT_AN_EMPLOYMENT_ACTOR)
    found = compute.partnerships(
        session, snapshot, travel, mode=params.mode, max_minutes=params.max_minutes
    )
    items = found.for_candidate(whole, employer.id)[: params.limit]
    return EmployerPartnershipsOut(
        employer=partner_ref(employer),
        mode=params.mode,
        max_minutes=params.max_minutes,
        rule=SCORE_RULE,
        estimated_share=found.estimated_share,
        notice=" ".join(found.notices) or None,
        items=[suggestion_out(s, partners, side="origin") for s in items],
    )


@router.get(
    "/employers",
    summary="Un interlocuteur par employeur : employeurs approchés par plusieurs structures",
    response_model=ApproachedEmployersOut,
    responses=_CSV_TOO,
)
def employers(
    _: ViewerDep,
    session: SessionDep,
    snapshot: SnapshotDep,
    params: Annotated[EmployersQuery, Query()],
) -> Any:
    """Les employeurs (ordinaires par défaut) approchés par au moins ``min_structures``
    structures — relations « oriente vers », « prescrit », « convention », « référent
    employeur », ou « recrute par l'intermédiaire de » —, les plus approchés d'abord, chacun
    avec la liste des structures, l'interlocuteur unique proposé, la règle qui le désigne
    (``rule``) et les démarches qu'il épargnerait. ``format=csv`` : une ligne par structure."""
    whole = compute.territory(session, snapshot)
    scope = params.scope()
    families = params.employer_families()
    found = [
        e
        for e in approached_employers(
            whole.graph, whole.simple, families=families, min_structures=params.min_structures
        )
        if scope.keeps(whole.partners[e.employer])
    ]
    items = [employer_out(e, whole.partners) for e in found]
    if params.format == "csv":
        return _csv(employers_csv(items), "interlocuteur-unique.csv")
    return ApproachedEmployersOut(
        rule=REFERENT_RULE,
        families=sorted(families),
        min_structures=params.min_structures,
        employers=len(items),
        saved=sum(item.saved for item in items),
        items=items,
    )
