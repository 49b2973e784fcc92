"""The networks' query parameters (422 in French)."""

from __future__ import annotations

from pydantic import Field

from geodata.modes import TravelMode
from graph.inputs import InputModel


class NetworkQuery(InputModel):
    """Which registered networks to list."""

    mode: TravelMode | None = Field(
        None, description="walk, bike, car ou transit : les réseaux de ce mode seulement"
    )
