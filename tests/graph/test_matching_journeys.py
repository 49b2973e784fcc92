"""Proposals carry their journeys: `graph.matching.journeys` and the items of `match`.

The travel models are geodata's own estimates (`geodata.transit_estimate.EstimatedTravel`),
recording the calls, and a hand-made timetable that tells real rides for transit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from geodata.journeys import Journey, JourneyMinutes, Leg
from geodata.modes import TravelMode as Mode
from geodata.sphere import haversine_m
from geodata.transit_estimate import EstimatedTravel
from graph.eligibility import Situation
from graph.matching import (
    DROP_OFF_MINUTES,
    MatchResult,
    Offer,
    PartnerSite,
    Profile,
    TravelMode,
    match,
    match_batch,
)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

HOME = (4.0810, 44.1250)  # Alès
WALK_M_PER_MIN = 4.5 * 1000 / 60 / 1.3


def east(metres: float, north: float = 0.0) -> tuple[float, float]:
    """A point ``metres`` east and ``north`` metres north of HOME (EPSG:4326)."""
    lon = HOME[0] + metres / (6_371_008.8 * math.cos(math.radians(HOME[1]))) * 180 / math.pi
    return lon, HOME[1] + north / 6_371_008.8 * 180 / math.pi


def site(name: str, kind: str, where: tuple[float, float], **fields: Any) -> PartnerSite:
    return PartnerSite(
        id=name, name=f"{name} (test)", kind=kind, lon=where[0], lat=where[1], **fields
    )


def job(identifier: str, partner: PartnerSite, **fields: Any) -> Offer:
    fields.setdefault("title", f"Poste {identifier}")
    return Offer(id=identifier, kind="emploi", partner=partner, **fields)


def person(modes: dict[str, float], **fields: Any) -> Profile:
    return Profile(
        lon=HOME[0],
        lat=HOME[1],
        modes=[TravelMode(mode=m, max_minutes=v) for m, v in modes.items()],
        **fields,
    )


class Recording(EstimatedTravel):
    """Every mode by estimate, recording each ``journeys`` call (mode, origin, destinations)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, tuple[float, float], int, float | None]] = []

    def journeys(
        self,
        mode: Mode,
        lon: float,
        lat: float,
        destinations: FloatArray,
        *,
        max_minutes: float | None,
    ) -> Sequence[Journey | None]:
        self.asked.append((mode, (lon, lat), len(destinations), max_minutes))
        return super().journeys(mode, lon, lat, destinations, max_minutes=max_minutes)


class TimesOnly:
    """The estimates' times without their legs: a plain `geodata.journeys.TravelTimeModel`."""

    def __init__(self) -> None:
        self.inner = EstimatedTravel()

    def times(
        self,
        mode: Mode,
        lon: float,
        lat: float,
        destinations: FloatArray,
        *,
        max_minutes: float | None,
    ) -> JourneyMinutes:
        return self.inner.times(mode, lon, lat, destinations, max_minutes=max_minutes)


def journey_of(result: MatchResult, identifier: str) -> Journey:
    item = next(i for i in result.items if i.opportunity.id == identifier)
    assert item.travel.journey is not None
    return item.travel.journey


@pytest.fixture
def town() -> tuple[list[Offer], list[PartnerSite]]:
    """Five employers east of home, 150 m to 6 km; a crèche with places 500 m north."""
    employers = [
        site(f"E{k}", "entreprise", east(metres))
        for k, metres in enumerate((150, 900, 2500, 4200, 6000))
    ]
    offers = [
        job(f"J{k}", employer, schedule="Mo-Fr 09:00-16:00", places=1)
        for k, employer in enumerate(employers)
    ]
    creche = site(
        "CRECHE",
        "creches-avip",
        east(0, 500),
        available_places=3,
        opening_hours="Mo-Fr 07:30-18:30",
    )
    return offers, [creche]


def test_each_shown_proposal_carries_its_legs_and_they_add_up_to_its_trip(
    town: tuple[list[Offer], list[PartnerSite]],
) -> None:
    offers, supports = town
    travel = Recording()
    result = match(person({"transit": 90}), offers, supports, travel)
    assert len(result.items) == 5
    for item in result.items:
        journey = item.travel.journey
        assert journey is not None
        assert journey.mode == "transit"
        assert journey.minutes == pytest.approx(item.travel.minutes, abs=0.05)
        assert journey.estimated is item.travel.estimated is True
    # 150 m: the walk, not a phantom bus; 6 km: walk to a stop, wait, ride, walk
    assert [leg.kind for leg in journey_of(result, "J0").legs] == ["walk"]
    far = journey_of(result, "J4")
    assert [leg.kind for leg in far.legs] == ["walk", "wait", "ride", "walk"]
    assert far.legs[2].vehicle == "bus"
    assert far.minutes < haversine_m(*HOME, *east(6000)) / WALK_M_PER_MIN
    assert result.estimated_share == 1.0
    # legs asked once, for the five partners shown, within the mode's budget
    assert travel.asked == [("transit", HOME, 5, 90)]


def test_legs_are_asked_only_for_the_proposals_shown(
    town: tuple[list[Offer], list[PartnerSite]],
) -> None:
    offers, supports = town
    travel = Recording()
    result = match(person({"walk": 60, "bike": 30}, limit=2), offers, supports, travel)
    assert len(result.items) == 2
    assert sum(count for _, _, count, _ in travel.asked) == 2
    for item in result.items:
        journey = item.travel.journey
        assert journey is not None
        assert [leg.kind for leg in journey.legs] == [item.travel.mode]


def test_a_parent_s_journey_goes_through_the_creche_with_a_drop_off_leg(
    town: tuple[list[Offer], list[PartnerSite]],
) -> None:
    offers, supports = town
    travel = Recording()
    parent = person({"walk": 60}, situation=Situation(children_under_3=1, rsa=True))
    result = match(parent, offers, supports, travel)
    item = next(i for i in result.items if i.opportunity.id == "J1")
    assert item.travel.creche is not None
    journey = journey_of(result, "J1")
    assert [leg.kind for leg in journey.legs] == ["walk", "dropoff", "walk"]
    to_creche, drop_off, to_work = journey.legs
    assert drop_off.minutes == DROP_OFF_MINUTES
    assert drop_off.estimated is False
    assert drop_off.to_name == "CRECHE (test)"
    assert to_creche.minutes == pytest.approx(item.travel.creche.minutes or 0, abs=0.05)
    onward_m = haversine_m(*east(0, 500), *east(900))
    expected_onward = math.ceil(onward_m * 1.3 / (4.5 / 3.6)) / 60  # whole seconds, rounded up
    assert to_work.minutes == pytest.approx(expected_onward)
    assert journey.minutes == pytest.approx(item.travel.minutes, abs=0.05)
    assert journey.estimated is True
    # one call home → the crèche, one crèche → the partners shown through it
    assert [(mode, origin, count) for mode, origin, count, _ in travel.asked] == [
        ("walk", HOME, 1),
        ("walk", east(0, 500), len(result.items)),
    ]


def test_a_times_only_model_gets_one_leg_street_journeys_and_none_for_transit(
    town: tuple[list[Offer], list[PartnerSite]],
) -> None:
    offers, supports = town
    walking = match(person({"walk": 60}), offers, supports, TimesOnly())
    for item in walking.items:
        journey = item.travel.journey
        assert journey is not None
        assert [leg.kind for leg in journey.legs] == ["walk"]
        assert journey.minutes == pytest.approx(item.travel.minutes, abs=0.05)
    parent = person({"walk": 60}, situation=Situation(children_under_3=1, rsa=True))
    chained = match(parent, offers, supports, TimesOnly())
    assert [leg.kind for leg in journey_of(chained, "J1").legs] == ["walk", "dropoff", "walk"]
    assert journey_of(chained, "J1").minutes == pytest.approx(
        next(i for i in chained.items if i.opportunity.id == "J1").travel.minutes, abs=0.05
    )
    by_bus = match(person({"transit": 90}), offers, supports, TimesOnly())
    assert by_bus.items
    assert all(item.travel.journey is None for item in by_bus.items)
    assert by_bus.estimated_share == 1.0


class Timetable:
    """A hand-made timetable for transit: home → E3 by line 12, a real ride; every other trip
    and mode answered by the estimates."""

    def __init__(self, to: tuple[float, float]) -> None:
        self.to = to
        self.estimates = EstimatedTravel()
        self.legs: tuple[Leg, ...] = (
            Leg(kind="walk", minutes=4.0, estimated=True, metres=300, to_name="Alès Centre"),
            Leg(kind="wait", minutes=2.0, estimated=False, from_name="Alès Centre"),
            Leg(
                kind="ride",
                minutes=9.0,
                estimated=False,
                line="12",
                vehicle="bus",
                from_name="Alès Centre",
                to_name="Croix de Fer",
                departure=datetime(2025, 5, 13, 8, 6),  # noqa: DTZ001 — feed local time
                arrival=datetime(2025, 5, 13, 8, 15),  # noqa: DTZ001
            ),
            Leg(kind="walk", minutes=3.0, estimated=True, metres=220, from_name="Croix de Fer"),
        )

    def _served(self, destinations: FloatArray) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return np.asarray(np.isclose(destinations, self.to).all(axis=1), dtype=np.bool_)

    def times(
        self,
        mode: Mode,
        lon: float,
        lat: float,
        destinations: FloatArray,
        *,
        max_minutes: float | None,
    ) -> JourneyMinutes:
        answer = self.estimates.times(mode, lon, lat, destinations, max_minutes=max_minutes)
        if mode != "transit":
            return answer
        served = self._served(destinations)
        minutes = answer.minutes.copy()
        minutes[served] = sum(leg.minutes for leg in self.legs)
        return JourneyMinutes(minutes, answer.estimated & ~served)

    def journeys(
        self,
        mode: Mode,
        lon: float,
        lat: float,
        destinations: FloatArray,
        *,
        max_minutes: float | None,
    ) -> list[Journey | None]:
        answers = list(
            self.estimates.journeys(mode, lon, lat, destinations, max_minutes=max_minutes)
        )
        if mode == "transit":
            for k in np.flatnonzero(self._served(destinations)):
                answers[k] = Journey(mode="transit", legs=self.legs)
        return answers


def test_a_timetabled_ride_is_shown_with_its_line_and_clock_and_its_walks_stay_estimated(
    town: tuple[list[Offer], list[PartnerSite]],
) -> None:
    offers, supports = town
    timetable = Timetable(east(4200))
    result = match(person({"transit": 90}), offers, supports, timetable)
    journey = journey_of(result, "J3")
    ride = journey.legs[2]
    assert (ride.line, ride.vehicle, ride.from_name, ride.to_name) == (
        "12",
        "bus",
        "Alès Centre",
        "Croix de Fer",
    )
    assert ride.estimated is False
    assert journey.estimated is True  # its walks are estimates: the trip says so
    item = next(i for i in result.items if i.opportunity.id == "J3")
    assert item.travel.estimated is True
    assert item.travel.minutes == 18.0
    body = result.to_dict()
    shown = next(i for i in body["items"] if i["opportunity"]["id"] == "J3")
    assert shown["travel"]["journey"]["legs"][2]["departure"] == "2025-05-13T08:06:00"
    assert shown["travel"]["journey"]["minutes"] == 18.0
    assert body["estimated_share"] == 1.0


def test_real_trips_are_not_counted_as_estimated() -> None:
    near = site("PRES", "entreprise", east(4200))
    far = site("LOIN", "entreprise", east(6000))
    offers = [job("A", near, places=1), job("B", far, places=1)]

    class Real(Timetable):
        def __init__(self) -> None:
            super().__init__(east(4200))
            self.legs = tuple(leg.model_copy(update={"estimated": False}) for leg in self.legs)

    result = match(person({"transit": 90}), offers, [], Real())
    assert journey_of(result, "A").estimated is False
    assert journey_of(result, "B").estimated is True
    assert result.estimated_share == 0.5


def test_a_batch_shows_the_legs_of_assigned_and_alternative_proposals(
    town: tuple[list[Offer], list[PartnerSite]],
) -> None:
    offers, supports = town
    cohort = [person({"walk": 60}), person({"transit": 90})]
    result = match_batch(cohort, offers, supports, Recording(), alternatives=2)
    for entry in result.persons:
        shown = [entry.assigned, *entry.alternatives]
        assert entry.assigned is not None
        for item in shown:
            assert item is not None
            assert item.travel.journey is not None
            assert item.travel.journey.minutes == pytest.approx(item.travel.minutes, abs=0.05)
