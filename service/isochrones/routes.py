"""``/v1/isochrones``: the area reachable from a point within given times, as GeoJSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from shapely.geometry import mapping

from service.deps import TravelDep
from service.isochrones.parameters import IsochroneQuery

router = APIRouter(prefix="/v1/isochrones", tags=["trajets"])


@router.get("", summary="Zones atteignables (isochrones)")
def isochrones(travel: TravelDep, params: Annotated[IsochroneQuery, Query()]) -> dict[str, Any]:
    """Une FeatureCollection GeoJSON (EPSG:4326) : un polygone par budget de temps, du plus
    grand au plus petit pour qu'une carte les superpose lisiblement. ``estimated`` est vrai
    quand une part de la zone est estimée : aucun réseau ne couvre le point pour ce mode
    (cercle à vol d'oiseau corrigé d'un facteur de détour), ou, en transports en commun, la
    marche vers les arrêts et depuis eux, estimée (1,3 fois la ligne droite). ``notice`` dit
    en français ce qui est supposé, et la date des horaires utilisée quand le départ demandé
    sort de leur période de validité ; la zone est celle du temps médian sur la fenêtre de
    départ."""
    features = []
    for minutes in sorted(set(params.minutes), reverse=True):
        area = travel.isochrone(
            params.mode,
            params.lon,
            params.lat,
            minutes,
            departure=params.departure,
            window_minutes=params.window_minutes,
        )
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(area.polygon),
                "properties": {
                    "minutes": minutes,
                    "mode": params.mode,
                    "estimated": area.estimated,
                    "network": area.network,
                    "notice": area.notice,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
