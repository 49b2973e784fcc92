"""The travel seam: what a source of travel times answers, typed, with the budget it is asked for.

`graph.matching` asks a `TravelTimeModel` for the minutes from one origin to many destinations,
by one mode, within a budget (``max_minutes``) it passes itself; the model answers with a
`JourneyTimes`. The service's `TravelService` (street networks, timetables and straight-line
fallbacks) is one such model, a test's hand-made table another: both satisfy the protocol
structurally, without inheriting from it.

Journeys with legs
------------------
Times are asked for every partner at once and must stay cheap (arrays); the *legs* of a trip —
walk to the stop, wait, ride, transfer, walk, crèche drop-off — are asked only for the few
trips a person is shown. A model that can tell them is a `JourneyModel`: the same `times`, plus
`journeys` for a few destinations, answering one `Journey` (or ``None`` beyond the budget) per
destination. A `Journey` is a sequence of `Leg`; its ``minutes`` is the sum of its legs'
and it is ``estimated`` as soon as one leg is: nothing estimated is ever labelled real.

A journey's legs agree with the model's ``times`` for the same trip: the same figure, split.

Units: points are EPSG:4326 ``(lon, lat)`` in degrees, times are minutes, distances metres,
clock times naive datetimes in the timetable's local time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    computed_field,
    field_serializer,
    model_validator,
)

from geodata.modes import STREET_MODES, StreetMode, TravelMode

__all__ = [
    "LEG_KINDS",
    "VEHICLES",
    "VEHICLE_LABELS",
    "Journey",
    "JourneyMinutes",
    "JourneyModel",
    "JourneyTimes",
    "Leg",
    "LegKind",
    "TravelTimeModel",
    "Vehicle",
    "estimated_share",
    "street_journey",
    "vehicle_of_route_type",
]

LegKind = Literal["walk", "bike", "car", "wait", "ride", "transfer", "dropoff"]
"""What a leg is: a street mode (``walk``, ``bike``, ``car``), a ``wait`` at a stop, a ``ride``
in a vehicle, a ``transfer`` between two stops, a crèche ``dropoff``."""

LEG_KINDS: Final[tuple[LegKind, ...]] = (
    "walk", "bike", "car", "wait", "ride", "transfer", "dropoff",
)  # fmt: skip

Vehicle = Literal[
    "train", "coach", "bus", "trolleybus", "tram", "metro", "ferry", "cable", "funicular",
    "monorail",
]  # fmt: skip
"""The vehicle of a ride, from the GTFS ``route_type`` (`vehicle_of_route_type`)."""

VEHICLES: Final[tuple[Vehicle, ...]] = (
    "train", "coach", "bus", "trolleybus", "tram", "metro", "ferry", "cable", "funicular",
    "monorail",
)  # fmt: skip

VEHICLE_LABELS: Final[dict[Vehicle, str]] = {
    "train": "train",
    "coach": "car",
    "bus": "bus",
    "trolleybus": "trolleybus",
    "tram": "tramway",
    "metro": "métro",
    "ferry": "bateau",
    "cable": "téléphérique",
    "funicular": "funiculaire",
    "monorail": "monorail",
}
"""French names, as a sentence says them (« en car », « en tramway »)."""

_BASIC_ROUTE_TYPES: Final[dict[int, Vehicle]] = {
    0: "tram",
    1: "metro",
    2: "train",
    3: "bus",
    4: "ferry",
    5: "tram",  # cable tram
    6: "cable",  # aerial lift
    7: "funicular",
    11: "trolleybus",
    12: "monorail",
}
_EXTENDED_ROUTE_TYPES: Final[tuple[tuple[int, Vehicle | None], ...]] = (
    (100, "train"),  # railway service
    (200, "coach"),  # coach service
    (300, "train"),  # suburban railway
    (400, "metro"),  # urban railway (405 monorail: below)
    (500, "metro"),
    (600, "metro"),  # underground
    (700, "bus"),
    (800, "trolleybus"),
    (900, "tram"),
    (1000, "ferry"),  # water transport
    (1100, None),  # air service
    (1200, "ferry"),
    (1300, "cable"),  # aerial lift, telecabin
    (1400, "funicular"),
    (1500, None),  # taxi, self drive, miscellaneous: not a scheduled line
)


def vehicle_of_route_type(route_type: int) -> Vehicle | None:
    """The vehicle of a GTFS ``route_type``: the basic values (0 tram … 12 monorail) and the
    extended Google « Hierarchical Vehicle Type » ranges (100–199 railway, 200–299 coach,
    700–799 bus, 900–999 tram…). ``None`` for a value neither knows."""
    if route_type in _BASIC_ROUTE_TYPES:
        return _BASIC_ROUTE_TYPES[route_type]
    if route_type == 405:
        return "monorail"
    for start, vehicle in reversed(_EXTENDED_ROUTE_TYPES):
        if start <= route_type:
            return vehicle if route_type < start + 100 else None
    return None


class Leg(BaseModel):
    """One part of a journey, with its duration and whether that duration is an estimate.

    Attributes
    ----------
    kind : LegKind
    minutes : float
        Duration, minutes (finite, ≥ 0).
    estimated : bool
        ``True`` when the duration is not read from a network or a timetable (a straight line
        × detour at a stated speed, an assumed wait…).
    metres : float or None
        Walks, bike and car legs, rides when known: distance along the way, metres.
    line : str or None
        Rides: the line's short name (GTFS ``route_short_name``), when known.
    vehicle : Vehicle or None
        Rides: train, coach, bus, tram…
    from_name, to_name : str or None
        Where the leg starts and ends: stop names for rides, waits (``from_name``), walks to
        or from a stop, transfers; the crèche for a drop-off (``to_name``).
    departure, arrival : datetime or None
        Rides from a timetable: clock times, naive, in the timetable's local time.
    """

    model_config = ConfigDict(frozen=True)

    kind: LegKind
    minutes: float = Field(ge=0, allow_inf_nan=False, description="minutes")
    estimated: bool
    metres: float | None = Field(None, ge=0, allow_inf_nan=False, description="mètres")
    line: str | None = None
    vehicle: Vehicle | None = None
    from_name: str | None = None
    to_name: str | None = None
    departure: datetime | None = None
    arrival: datetime | None = None
    _shown: float | None = PrivateAttr(default=None)  # minutes written out (`Journey`)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def vehicle_label(self) -> str | None:
        """The vehicle's French name (« car » for a coach), for sentences."""
        return None if self.vehicle is None else VEHICLE_LABELS[self.vehicle]

    @model_validator(mode="after")
    def _consistent(self) -> Leg:
        if self.kind != "ride" and (self.line is not None or self.vehicle is not None):
            raise ValueError("seul un trajet en véhicule (ride) porte une ligne ou un véhicule")
        if (
            self.departure is not None
            and self.arrival is not None
            and self.arrival < self.departure
        ):
            raise ValueError("l'arrivée d'une étape précède son départ")
        return self

    @field_serializer("minutes")
    def _minutes_out(self, value: float) -> float:
        """Rounded to 0.1; within a journey, cumulatively (`Journey`)."""
        return round(value, 1) if self._shown is None else self._shown

    @field_serializer("metres")
    def _metres_out(self, value: float | None) -> float | None:
        return None if value is None else round(value)


class Journey(BaseModel):
    """A trip from an origin to a destination by one mode, as a sequence of legs.

    ``minutes`` is the sum of the legs' minutes; ``estimated`` is ``True`` as soon as one leg
    is. A transit journey may be a single walk leg: when walking is quicker than any ride,
    the answer is the walk. ``notice`` says in French what the reader must know (a timetable
    date moved into its validity period, the assumptions of an estimate).
    """

    model_config = ConfigDict(frozen=True)

    mode: TravelMode
    legs: tuple[Leg, ...] = Field(min_length=1)
    notice: str | None = None

    @model_validator(mode="after")
    def _round_legs(self) -> Journey:
        """Written out, the legs' minutes are rounded to 0.1 *cumulatively*: each is the
        rounded time at the leg's end minus the rounded time at its start, so the legs shown
        add up to the journey's rounded minutes (each within 0.1 of its own time)."""
        legs = tuple(leg.model_copy() for leg in self.legs)
        before = elapsed = 0.0
        for leg in legs:
            elapsed += leg.minutes
            leg._shown = round(round(elapsed, 1) - round(before, 1), 1)
            before = elapsed
        object.__setattr__(self, "legs", legs)
        return self

    @computed_field(description="minutes")  # type: ignore[prop-decorator]
    @property
    def minutes(self) -> float:
        """The sum of the legs, minutes (in leg order, as the models add them)."""
        total = 0.0
        for leg in self.legs:
            total += leg.minutes
        return total

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated(self) -> bool:
        """Whether some leg is an estimate."""
        return any(leg.estimated for leg in self.legs)

    @field_serializer("minutes")
    def _minutes_out(self, value: float) -> float:
        return round(value, 1)

    def then(self, *others: Journey | Leg, notice: str | None = None) -> Journey:
        """This journey followed by legs and journeys, as one journey of this mode; notices
        are kept once each, in order, with ``notice`` last."""
        legs = list(self.legs)
        notices = [self.notice]
        for other in others:
            if isinstance(other, Leg):
                legs.append(other)
            else:
                legs.extend(other.legs)
                notices.append(other.notice)
        notices.append(notice)
        kept = list(dict.fromkeys(n for n in notices if n))
        return Journey(mode=self.mode, legs=tuple(legs), notice=" ".join(kept) or None)


def street_journey(
    mode: StreetMode, minutes: float, *, estimated: bool, metres: float | None = None
) -> Journey:
    """A walk, bike or car trip told as one leg of that mode (what a street network or a
    straight-line estimate knows)."""
    if mode not in STREET_MODES:
        raise ValueError("un trajet d'une seule étape se fait à pied, à vélo ou en voiture")
    return Journey(
        mode=mode, legs=(Leg(kind=mode, minutes=minutes, estimated=estimated, metres=metres),)
    )


def estimated_share(journeys: Iterable[Journey | None]) -> float:
    """Share of the journeys (``None`` ignored) that are estimated, in [0, 1]; 0 for none."""
    known = [journey for journey in journeys if journey is not None]
    if not known:
        return 0.0
    return sum(journey.estimated for journey in known) / len(known)


class JourneyTimes(Protocol):
    """Minutes from one origin to each of ``n`` destinations, and which of them are estimates."""

    @property
    def minutes(self) -> NDArray[np.float64]:
        """Shape ``(n,)``, minutes; ``inf`` when not reachable within the budget."""
        ...

    @property
    def estimated(self) -> NDArray[np.bool_]:
        """Shape ``(n,)``: ``True`` where the time is a straight-line estimate, not a network's."""
        ...


class TravelTimeModel(Protocol):
    """A source of travel times by mode: a network, a timetable, an estimate, or a mix."""

    def times(
        self,
        mode: TravelMode,
        lon: float,
        lat: float,
        destinations: NDArray[np.float64],
        *,
        max_minutes: float | None,
    ) -> JourneyTimes:
        """Minutes from ``(lon, lat)`` (EPSG:4326 degrees) to each destination, by ``mode``.

        Parameters
        ----------
        mode : geodata.modes.TravelMode
        lon, lat : float
            The origin, EPSG:4326 degrees.
        destinations : numpy.ndarray of float64, shape (n, 2)
            EPSG:4326 ``(lon, lat)`` rows.
        max_minutes : float or None
            The budget, minutes: a destination farther than this may be answered ``inf``
            (a model may stop searching there); ``None`` for no budget. Times within the
            budget are exact whatever the budget.

        Returns
        -------
        JourneyTimes
            ``minutes`` and ``estimated``, each of shape ``(n,)``.
        """
        ...


@runtime_checkable
class JourneyModel(TravelTimeModel, Protocol):
    """A `TravelTimeModel` that also tells the legs of a few trips."""

    def journeys(
        self,
        mode: TravelMode,
        lon: float,
        lat: float,
        destinations: NDArray[np.float64],
        *,
        max_minutes: float | None,
    ) -> Sequence[Journey | None]:
        """The journey from ``(lon, lat)`` to each destination, by ``mode``.

        Same parameters as `TravelTimeModel.times`; meant for a few destinations (the trips
        shown), not for all. Returns one `Journey` per destination — whose ``minutes`` and
        ``estimated`` are what `times` answers for it — or ``None`` where `times` answers
        ``inf``.
        """
        ...


@dataclass(frozen=True, slots=True)
class JourneyMinutes:
    """A `JourneyTimes` held as two arrays (minutes, estimate flags), each of shape ``(n,)``."""

    minutes: NDArray[np.float64]
    estimated: NDArray[np.bool_]
