"""The geocoder's query parameters (422 in French, never quoting the address typed)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from graph.inputs import NOT_BLANK, Documented, InputModel

MAX_CANDIDATES = 20

QueryLatitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
QueryLongitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class GeocodeQuery(InputModel):
    """An address or a place typed by a person, and an optional point to search around."""

    q: Annotated[str, Documented(lambda: {"pattern": NOT_BLANK})] = Field(
        min_length=1,
        max_length=200,
        description="adresse ou lieu tapé (« 12 rue de la République Alès », « ales », « mairie "
        "de saint-jean-du-gard ») ; ni conservé ni journalisé ; accents, majuscules et "
        "ponctuation ignorés, le dernier mot peut être incomplet",
    )
    limit: int = Field(
        5, ge=1, le=MAX_CANDIDATES, description="nombre de propositions (20 au plus)"
    )
    lat: QueryLatitude | None = Field(
        None, description="latitude d'un point autour duquel chercher d'abord (avec lon)"
    )
    lon: QueryLongitude | None = Field(
        None, description="longitude de ce point (avec lat ; lat et lon vont ensemble)"
    )

    @model_validator(mode="after")
    def _together(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat et lon vont ensemble : donnez les deux ou aucun")
        return self

    @property
    def near(self) -> tuple[float, float] | None:
        return None if self.lat is None or self.lon is None else (self.lon, self.lat)
