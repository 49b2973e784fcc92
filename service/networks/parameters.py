"""The networks' query parameters (422 in French)."""

from __future__ import annotations

from typing import Final, Self

from pydantic import Field, model_validator

from geodata.modes import TravelMode
from graph.inputs import InputModel


class NetworkQuery(InputModel):
    """Which registered networks to list."""

    mode: TravelMode | None = Field(
        None, description="walk, bike, car ou transit : les réseaux de ce mode seulement"
    )


MAX_ROAD_BOX_DEGREES: Final = 5.0
NUMBER = r"-?[0-9]{1,3}([.][0-9]{1,20})?"


class RoadsQuery(InputModel):
    """The map's extent whose main roads are asked."""

    bbox: str = Field(
        max_length=120,
        pattern=rf"^ *{NUMBER} *(, *{NUMBER} *){{3}}$",
        description="l'étendue de la carte : ouest,sud,est,nord (degrés WGS84), au plus "
        "5 degrés de côté",
    )

    @model_validator(mode="after")
    def _a_box(self) -> Self:
        west, south, east, north = self.box
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError("bbox : ouest < est et sud < nord, en degrés WGS84")
        if east - west > MAX_ROAD_BOX_DEGREES or north - south > MAX_ROAD_BOX_DEGREES:
            raise ValueError("bbox : au plus 5 degrés de côté ; rapprochez la carte")
        return self

    @property
    def box(self) -> tuple[float, float, float, float]:
        west, south, east, north = (float(part) for part in self.bbox.split(","))
        return west, south, east, north
