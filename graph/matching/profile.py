"""The person's request: travel modes with their budgets, wishes, situation.

Coordinates are EPSG:4326 longitude/latitude in degrees, budgets in minutes, working time in
hours per week. A profile lives for one call: nothing is stored or logged.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, ConfigDict, Field

from geodata import modes
from graph.eligibility import Situation
from graph.inputs import InputModel, Integer, Number
from graph.matching.arrays import FloatArray
from graph.models import HoursPerWeek, Latitude, Longitude, OpeningHours, OpportunityKind, RomeCode


class _Record(InputModel):
    model_config = ConfigDict(frozen=True)


# The record keeps the name `TravelMode` (the HTTP contract's schema name); the mode itself is
# `geodata.modes.TravelMode`, the one vocabulary of modes.
class TravelMode(_Record):
    """A way the person travels, with the longest trip they accept, in minutes."""

    mode: modes.TravelMode
    max_minutes: Number = Field(gt=0, le=240, allow_inf_nan=False, description="minutes")


def _unique_modes(modes: list[TravelMode]) -> list[TravelMode]:
    if len({m.mode for m in modes}) != len(modes):
        raise ValueError("chaque mode de déplacement ne peut figurer qu'une fois")
    return modes


class Wishes(_Record):
    """What the person would like to do.

    Attributes
    ----------
    rome_codes : list of str
        Wished jobs (ROME codes, e.g. ``D1106``); related codes count partly.
    kinds : list of str
        Kinds of opportunity wanted (``emploi``, ``immersion``, ``formation``, ``benevolat``,
        ``programme``); empty means all. A choice of the person, not a legal filter.
    keywords : str, optional
        Free words looked for in titles (accents and case ignored).
    """

    rome_codes: list[RomeCode] = Field(default_factory=list, max_length=20)
    kinds: list[OpportunityKind] = Field(default_factory=list)
    keywords: str | None = Field(None, max_length=200)


class Needs(_Record):
    """What a person asks for, wherever their trips start: the part of a request the HTTP
    body and the core share (`Profile` adds the origin).

    Attributes
    ----------
    modes : list of TravelMode
        Ways of travelling (1 to 4, each once), each with its own budget in minutes.
    wishes : Wishes
    hours_per_week : graph.models.HoursPerWeek, optional
        Wished working time, in hours per week.
    available : str, optional
        When the person is available, OSM ``opening_hours`` syntax (``Mo-Fr 08:30-16:30``).
    situation : graph.eligibility.Situation
    limit : int
        Number of items wanted (1 to 100).
    """

    modes: Annotated[list[TravelMode], AfterValidator(_unique_modes)] = Field(
        min_length=1,
        max_length=len(modes.TRAVEL_MODES),
        description="modes de déplacement, chacun avec son budget ; un mode ne figure "
        "qu'une fois (422 sinon)",
    )
    wishes: Wishes = Field(default_factory=Wishes)
    hours_per_week: HoursPerWeek | None = None
    available: OpeningHours | None = None
    situation: Situation = Field(default_factory=Situation)
    limit: Integer = Field(20, ge=1, le=100)


class Profile(Needs):
    """One person's request: where from (`lon`, `lat`, `referent_id`) and their `Needs`.

    Attributes
    ----------
    lon, lat : float
        Origin of the trips, EPSG:4326 degrees (home, or the referent structure).
    referent_id : str, optional
        The person's referent structure (partner id): its relations make warm introductions.
    """

    lon: Longitude
    lat: Latitude
    referent_id: str | None = Field(None, max_length=200)


def mode_budgets(profile: Profile) -> FloatArray:
    """Budget of each of the profile's modes, in their order, minutes, shape ``(modes,)``."""
    return np.array([m.max_minutes for m in profile.modes], dtype=np.float64)
