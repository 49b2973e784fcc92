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
    quand aucun réseau ne couvre le point pour ce mode (cercle à vol d'oiseau corrigé d'un
    facteur de détour)."""
    features = []
    for minutes in sorted(set(params.minutes), reverse=True):
        polygon, estimated, network = travel.isochrone(
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
                "geometry": mapping(polygon),
                "properties": {
                    "minutes": minutes,
                    "mode": params.mode,
                    "estimated": estimated,
                    "network": network,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
