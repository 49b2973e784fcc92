"""The matching requests: their bodies, and where the person's trips start from.

`graph.matching` runs on the store snapshot (`service.store.snapshot`). A person's profile is
read for one request: it is never stored and never logged — not here, not in the access log
(the body is not logged), not in an error message (validation errors never echo the input).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

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


# Request examples for /docs (OpenAPI ``examples``), on the Gard demo territory: communes and
# town halls are real (Alès 30007, Saint-Jean-du-Gard 30265), the partners are fictitious.
AMINA: Final[dict[str, Any]] = {
    "location": {"code_insee": "30007"},
    "modes": [{"mode": "walk", "max_minutes": 30}, {"mode": "transit", "max_minutes": 45}],
    "wishes": {"rome_codes": ["D1507", "K2204"], "keywords": "vente nettoyage"},
    "hours_per_week": {"min": 20, "max": 26},
    "available": "Mo-Fr 08:30-16:30",
    "situation": {
        "age": 29,
        "work_authorization": True,
        "french_level": "B1",
        "driving_licence": False,
        "vehicle": False,
        "children_under_3": 1,
        "single_parent": True,
        "job_seeker_registered": True,
        "rsa": True,
    },
    "limit": 10,
}
YOUNG_HOMELESS: Final[dict[str, Any]] = {
    "location": {"lat": 44.1036, "lon": 3.8858},
    "modes": [{"mode": "walk", "max_minutes": 30}, {"mode": "bike", "max_minutes": 30}],
    "wishes": {"kinds": ["emploi", "immersion", "programme"], "keywords": "espaces verts"},
    "situation": {"age": 19, "homeless": True, "no_diploma": True},
    "limit": 5,
}
ESAT_ORIENTATION: Final[dict[str, Any]] = {
    "location": {"lat": 43.8367, "lon": 4.3601},
    "modes": [{"mode": "transit", "max_minutes": 40}],
    "wishes": {"keywords": "espaces verts"},
    "situation": {"age": 34, "rqth": True, "cdaph_orientation": "esat"},
}
MATCH_EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "amina": {
        "summary": "Mère isolée à Alès, sans voiture, au RSA",
        "description": "Vente ou nettoyage, 20 à 26 h par semaine en journée, à pied ou en "
        "transports en commun ; une fille de 2 ans à faire garder (crèche sur le trajet).",
        "value": {**AMINA, "departure": "2026-12-08T07:30:00"},
    },
    "jeune": {
        "summary": "Jeune de 19 ans sans logement à Saint-Jean-du-Gard",
        "description": "Un point de la carte ; tout le reste de la situation est inconnu (non "
        "renseigné, jamais « non »).",
        "value": YOUNG_HOMELESS,
    },
    "esat": {
        "summary": "Orientation CDAPH vers un ESAT, à Nîmes",
        "value": ESAT_ORIENTATION,
    },
}
BATCH_EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "session": {
        "summary": "Une session mensuelle de trois personnes (Alès, Saint-Jean-du-Gard, Nîmes)",
        "value": {
            "persons": [AMINA, YOUNG_HOMELESS, ESAT_ORIENTATION],
            "alternatives": 3,
            "departure": "2026-12-08T07:30:00",
        },
    }
}


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
