"""``GET /v1/geocode``: candidates for an address typed by a person.

Which geocoder answers is a setting (`service.settings.Settings.geocoder`): the national
address API at ``MAILLAGE_GEOCODER_URL`` (`geodata.ban.BanGeocoder`), or the offline index of
what the store knows (`service.geocode.local`). The address typed is a person's: it is never
logged (uvicorn's access lines lose their query string, `service.logs`) nor quoted in an error.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from geodata.ban import BanGeocoder
from geodata.geocoding import GeocoderUnavailableError
from service.deps import SessionDep, SnapshotDep
from service.errors import ServiceUnavailableError
from service.geocode.local import LocalGeocoders
from service.geocode.parameters import GeocodeQuery
from service.geocode.schemas import CandidateOut, GeocodeOut

router = APIRouter(prefix="/v1/geocode", tags=["trajets"])

ATTRIBUTIONS = {
    "ban": "Base Adresse Nationale (Licence Ouverte 2.0)",
    "communes": "IGN, Insee (communes et mairies)",
    "osm": "© OpenStreetMap contributors (ODbL)",
}


def _geocoders(request: Request) -> tuple[BanGeocoder | None, LocalGeocoders]:
    """The app's geocoders, made at the first search (nothing is opened at import)."""
    state = request.app.state
    if getattr(state, "geocoders", None) is None:
        settings = state.settings
        ban = None
        if settings.geocoder == "ban":
            ban = BanGeocoder(settings.geocoder_url, timeout_s=settings.geocoder_timeout_seconds)
        state.geocoders = (ban, LocalGeocoders(settings.home))
    geocoders: tuple[BanGeocoder | None, LocalGeocoders] = state.geocoders
    return geocoders


@router.get("", summary="Adresses et lieux : propositions pour une adresse tapée")
def geocode(
    request: Request,
    session: SessionDep,
    snapshot: SnapshotDep,
    params: Annotated[GeocodeQuery, Query()],
) -> GeocodeOut:
    """Les lieux qui répondent à une adresse tapée, chacun avec son point, sa précision
    (numéro, rue, lieu-dit, commune), sa commune et sa source. Selon le réglage
    ``MAILLAGE_GEOCODER`` : ``ban``, le service national d'adresses (503 quand il ne répond
    pas) ; ``local``, ce que connaît ce serveur, hors ligne : les communes du territoire (à
    leur mairie), les adresses des partenaires et, quand un réseau de rues est inscrit, les
    adresses OpenStreetMap de son fichier. L'adresse tapée n'est ni conservée ni journalisée."""
    ban, local = _geocoders(request)
    if ban is not None:
        try:
            found = ban.search(params.q, limit=params.limit, near=params.near)
        except GeocoderUnavailableError as exc:
            raise ServiceUnavailableError(str(exc)) from None
        kind = "ban"
    else:
        found = local.get(session, snapshot).search(params.q, limit=params.limit, near=params.near)
        kind = "local"
    sources = dict.fromkeys(c.source for c in found)
    return GeocodeOut(
        geocoder=kind,
        attribution=[ATTRIBUTIONS[s] for s in sources if s in ATTRIBUTIONS],
        results=[CandidateOut.model_validate(c, from_attributes=True) for c in found],
    )
