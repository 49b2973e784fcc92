"""The isochrones' query parameters: described, bounded, cross-checked (422 in French)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from geodata.modes import TravelMode
from graph.inputs import InputModel
from service.travel import DEPARTURE_DESCRIPTION, MAX_MINUTES, DepartureTime


def _minutes_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return _minutes_list(value[0])
    return value


class IsochroneQuery(InputModel):
    """Areas reachable from a point within given times, by one mode."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude WGS84, degrés")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude WGS84, degrés")
    mode: TravelMode = Field(description="walk, bike, car ou transit")
    minutes: Annotated[
        list[Annotated[float, Field(gt=0, le=MAX_MINUTES, allow_inf_nan=False)]],
        BeforeValidator(_minutes_list),
        Field(min_length=1, max_length=6),
    ] = Field(description="budgets de temps en minutes, ex. 15,30,45 (6 au plus, 180 au plus)")
    departure: DepartureTime = Field(None, description=DEPARTURE_DESCRIPTION)
    window_minutes: int = Field(
        60,
        ge=1,
        le=180,
        description="transports en commun : fenêtre de départ, en minutes ; la zone est celle "
        "du temps médian sur la fenêtre (accessibilité d'ensemble, comme r5py), pas du "
        "trajet le plus rapide d'une personne",
    )
