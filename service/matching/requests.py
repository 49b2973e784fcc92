"""The matching requests: their bodies, and where the person's trips start from.

`graph.matching` runs on the store snapshot (`service.store.snapshot`). A person's profile is
read for one request: it is never stored and never logged — not here, not in the access log
(the body is not logged), not in an error message (validation errors never echo the input).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, TypeAdapter
from sqlalchemy.orm import Session

from graph.inputs import InputModel, Integer, Number, one_of
from graph.matching import BatchResult, MatchResult, Needs, Profile
from graph.models import CodeInsee
from service.errors import InvalidInputError
from service.matching import queries
from service.travel import DepartureTime

MAX_BATCH = 200
LOCATION_EXPECTED = "objet attendu : lat et lon, partner_id ou code_insee"


class PointLocation(InputModel):
    lat: Number = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude WGS84, degrés")
    lon: Number = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude WGS84, degrés")


class PartnerLocation(InputModel):
    partner_id: uuid.UUID = Field(
        description="la structure référente de la personne (aucun partenaire de cet "
        "identifiant : 422)"
    )


class CommuneLocation(InputModel):
    code_insee: CodeInsee = Field(
        description="commune : départ de sa mairie (commune absente du territoire chargé : 422)"
    )


_POINT = TypeAdapter(PointLocation)
_PARTNER = TypeAdapter(PartnerLocation)
_COMMUNE = TypeAdapter(CommuneLocation)


def _location_kind(value: Any) -> TypeAdapter[Any] | None:
    """A location is a referent partner, a commune or a point, told by its keys."""
    if not isinstance(value, Mapping):
        return None
    if "partner_id" in value:
        return _PARTNER
    if "code_insee" in value:
        return _COMMUNE
    return _POINT


Location = Annotated[
    PointLocation | PartnerLocation | CommuneLocation,
    one_of(_location_kind, "location_type", LOCATION_EXPECTED),
]


# The fields of a person's needs are declared once, in `graph.matching.Needs`; the body adds
# where the person's trips start, and when.
class PersonRequest(Needs):
    """One person of a cohort. Unknown situation fields mean « non renseigné », never « non »."""

    location: Location


class Departure(InputModel):
    """When the trips by public transport leave (the timetable's answer depends on it)."""

    departure: DepartureTime = Field(
        None,
        description="transports en commun : heure de départ (heure locale, début de la "
        "fenêtre) ; défaut : mardi prochain 08:00. Hors de la période de validité des "
        "horaires, le même jour de la semaine dans la période répond, et la réponse le dit "
        "(notice)",
    )
    window_minutes: Integer = Field(
        60,
        ge=1,
        le=180,
        description="transports en commun : fenêtre de départ, en minutes. Pour le trajet "
        "d'une personne, le temps retenu est celui du trajet le plus rapide qui part de chez "
        "elle dans la fenêtre, compté du départ de chez elle (sans attente à la maison), et "
        "ses étapes font ce temps ; la couverture et les isochrones retiennent la médiane "
        "sur la fenêtre (accessibilité d'ensemble, comme r5py)",
    )


class MatchRequest(PersonRequest, Departure):
    """One person's request. Unknown situation fields mean « non renseigné », never « non »."""


class BatchRequest(Departure):
    """A cohort (a platform's monthly session): at most 200 persons, one departure."""

    persons: Annotated[list[PersonRequest], Field(min_length=1, max_length=MAX_BATCH)]
    alternatives: Integer = Field(3, ge=0, le=10, description="autres propositions par personne")


class MatchResponse(MatchResult):
    """The answer to one person, and what to know about its travel times."""

    notice: str | None = Field(
        None,
        description="ce qu'il faut savoir des temps de trajet (ex. date des horaires utilisée "
        "quand le départ demandé sort de leur période de validité)",
    )


class BatchResponse(BatchResult):
    """The answer to a cohort, and what to know about its travel times."""

    notice: str | None = Field(
        None,
        description="ce qu'il faut savoir des temps de trajet (ex. date des horaires utilisée "
        "quand le départ demandé sort de leur période de validité)",
    )


@dataclass(frozen=True, slots=True)
class Origin:
    lon: float
    lat: float
    referent_id: str | None


def resolve_location(session: Session, location: Any, where: str = "location") -> Origin:
    """Where the person's trips start, EPSG:4326; a referent structure also brings relations.

    ``where`` names the field in a refusal (``persons.3.location`` in a batch).
    """
    if isinstance(location, PointLocation):
        return Origin(location.lon, location.lat, None)
    if isinstance(location, PartnerLocation):
        found = session.execute(queries.partner_point(location.partner_id)).first()
        if found is None:
            raise InvalidInputError(f"{where}.partner_id : aucun partenaire avec cet identifiant.")
        return Origin(float(found[0]), float(found[1]), str(location.partner_id))
    row = session.execute(queries.town_hall(location.code_insee)).first()
    if row is None:
        raise InvalidInputError(f"{where}.code_insee : commune absente du territoire chargé.")
    return Origin(float(row[0]), float(row[1]), None)


def to_profile(request: PersonRequest, origin: Origin) -> Profile:
    needs = {name: getattr(request, name) for name in Needs.model_fields}
    return Profile(lon=origin.lon, lat=origin.lat, referent_id=origin.referent_id, **needs)
