"""Journeys with legs: `geodata.journeys` (the model and the seam) and `EstimatedTravel`."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from pydantic import ValidationError

from geodata.journeys import (
    VEHICLE_LABELS,
    VEHICLES,
    Journey,
    JourneyModel,
    Leg,
    TravelTimeModel,
    estimated_share,
    street_journey,
    vehicle_of_route_type,
)
from geodata.sphere import haversine_m
from geodata.transit_estimate import EstimatedTravel

ALES = (4.0810, 44.1250)
NIMES = (4.3601, 43.8367)
ALES_STATION = (4.0787, 44.1275)


def ride(minutes: float, **fields: object) -> Leg:
    values: dict[str, object] = {
        "kind": "ride",
        "minutes": minutes,
        "estimated": False,
        "line": "TER",
        "vehicle": "train",
        "from_name": "Alès",
        "to_name": "Nîmes",
        "departure": datetime(2025, 5, 13, 8, 4),  # noqa: DTZ001 — timetable local time
        "arrival": datetime(2025, 5, 13, 8, 40),  # noqa: DTZ001
    }
    values.update(fields)
    return Leg.model_validate(values)


def test_a_journey_adds_its_legs_and_is_estimated_as_soon_as_one_leg_is() -> None:
    walk_to = Leg(kind="walk", minutes=4.2, estimated=True, metres=310, to_name="Alès")
    wait = Leg(kind="wait", minutes=3.0, estimated=False, from_name="Alès")
    walk_from = Leg(kind="walk", minutes=6.5, estimated=True, metres=480, from_name="Nîmes")
    journey = Journey(mode="transit", legs=(walk_to, wait, ride(36), walk_from))
    assert journey.minutes == 4.2 + 3.0 + 36 + 6.5
    assert journey.estimated is True
    real = Journey(mode="transit", legs=(wait, ride(36)))
    assert real.estimated is False
    assert real.minutes == 39.0
    assert ride(36).vehicle_label == "train"
    assert Leg(kind="ride", minutes=50, estimated=True, vehicle="coach").vehicle_label == "car"


def test_a_journey_serialises_rounded_with_its_computed_fields() -> None:
    walk = Leg(kind="walk", minutes=2.4372, estimated=True, metres=183.28)
    body = Journey(mode="transit", legs=(walk,), notice="À pied.").model_dump(mode="json")
    assert body["minutes"] == 2.4
    assert body["estimated"] is True
    assert body["legs"][0]["minutes"] == 2.4
    assert body["legs"][0]["metres"] == 183
    assert body["legs"][0]["vehicle_label"] is None
    assert body["notice"] == "À pied."
    timed = ride(36).model_dump(mode="json")
    assert (timed["departure"], timed["arrival"]) == ("2025-05-13T08:04:00", "2025-05-13T08:40:00")


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "walk", "minutes": -1.0, "estimated": True},
        {"kind": "walk", "minutes": float("nan"), "estimated": True},
        {"kind": "walk", "minutes": float("inf"), "estimated": True},
        {"kind": "walk", "minutes": 1.0, "estimated": True, "metres": -5.0},
        {"kind": "walk", "minutes": 1.0, "estimated": True, "line": "T1"},
        {"kind": "wait", "minutes": 1.0, "estimated": True, "vehicle": "bus"},
        {"kind": "teleport", "minutes": 1.0, "estimated": True},
    ],
)
def test_invalid_legs_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Leg.model_validate(fields)


def test_a_ride_arriving_before_it_leaves_and_an_empty_journey_are_refused() -> None:
    with pytest.raises(ValidationError, match="précède son départ"):
        ride(10, arrival=datetime(2025, 5, 13, 7, 0))  # noqa: DTZ001
    with pytest.raises(ValidationError):
        Journey(mode="walk", legs=())


def test_journeys_chain_through_a_creche_with_a_drop_off_leg() -> None:
    to_creche = street_journey("walk", 8.0, estimated=False, metres=600)
    drop_off = Leg(kind="dropoff", minutes=5.0, estimated=False, to_name="Crèche Les Lutins")
    to_work = Journey(
        mode="walk",
        legs=(Leg(kind="walk", minutes=12.0, estimated=True),),
        notice="Estimation à vol d'oiseau.",
    )
    chain = to_creche.then(drop_off, to_work)
    assert [leg.kind for leg in chain.legs] == ["walk", "dropoff", "walk"]
    assert chain.minutes == 25.0
    assert chain.estimated is True
    assert chain.notice == "Estimation à vol d'oiseau."
    assert chain.mode == "walk"


def test_street_journeys_are_one_leg_of_their_mode() -> None:
    for mode in ("walk", "bike", "car"):
        journey = street_journey(mode, 10.0, estimated=False)
        assert [leg.kind for leg in journey.legs] == [mode]
        assert journey.mode == mode
    with pytest.raises(ValueError, match="une seule étape"):
        street_journey("transit", 10.0, estimated=True)  # type: ignore[arg-type]


def test_estimated_share_counts_known_journeys() -> None:
    real = street_journey("walk", 3.0, estimated=False)
    guess = street_journey("walk", 3.0, estimated=True)
    assert estimated_share([real, guess, guess, None]) == pytest.approx(2 / 3)
    assert estimated_share([real]) == 0.0
    assert estimated_share([]) == 0.0
    assert estimated_share([None]) == 0.0


@pytest.mark.parametrize(
    ("route_type", "vehicle"),
    [
        (0, "tram"),
        (1, "metro"),
        (2, "train"),
        (3, "bus"),
        (4, "ferry"),
        (6, "cable"),
        (7, "funicular"),
        (11, "trolleybus"),
        (12, "monorail"),
        (102, "train"),
        (106, "train"),
        (200, "coach"),
        (202, "coach"),
        (401, "metro"),
        (405, "monorail"),
        (700, "bus"),
        (714, "bus"),
        (800, "trolleybus"),
        (900, "tram"),
        (1300, "cable"),
        (1400, "funicular"),
        (1100, None),
        (1500, None),
        (1700, None),
        (99, None),
        (-1, None),
    ],
)
def test_route_types_name_their_vehicle(route_type: int, vehicle: str | None) -> None:
    assert vehicle_of_route_type(route_type) == vehicle


def test_every_vehicle_has_a_french_label() -> None:
    assert set(VEHICLE_LABELS) == set(VEHICLES)


def test_estimated_travel_is_a_journey_model_whose_legs_agree_with_its_times() -> None:
    travel = EstimatedTravel()
    as_seam: TravelTimeModel = travel  # mypy checks the protocol
    assert isinstance(as_seam, JourneyModel)
    points = np.array([NIMES, ALES_STATION, (4.0815, 44.1252)])
    for mode in ("walk", "bike", "car", "transit"):
        times = travel.times(mode, *ALES, points, max_minutes=None)
        journeys = travel.journeys(mode, *ALES, points, max_minutes=None)
        assert times.estimated.all()
        for minutes, journey in zip(times.minutes, journeys, strict=True):
            assert journey is not None
            assert journey.minutes == minutes
            assert journey.estimated is True
            assert journey.mode == mode
    walk = travel.journeys("walk", *ALES, points[:1], max_minutes=None)[0]
    assert walk is not None
    metres = walk.legs[0].metres
    assert metres is not None
    assert metres == pytest.approx(haversine_m(*ALES, *NIMES) * 1.3)
    assert walk.minutes == pytest.approx(metres / 75.0, abs=1 / 60)
    beyond = travel.journeys("car", *ALES, points, max_minutes=10)
    assert beyond[0] is None
    assert beyond[1] is not None


def test_the_legs_written_out_add_up_to_the_minutes_written_out() -> None:
    """Each leg's minutes are rounded cumulatively: the legs shown make the total shown."""
    legs = (
        Leg(kind="walk", minutes=10.04, estimated=True),
        Leg(kind="wait", minutes=0.04, estimated=False),
        Leg(kind="ride", minutes=35.0, estimated=False),
        Leg(kind="walk", minutes=12.87, estimated=True),
    )
    journey = Journey(mode="transit", legs=legs)
    written = journey.model_dump(mode="json")
    shown = [leg["minutes"] for leg in written["legs"]]
    assert written["minutes"] == 57.9  # 57.95 exactly, a hair under in floating point
    assert shown == [10.0, 0.1, 35.0, 12.8]  # rounded one by one: 10.0, 0.0, 35.0, 12.9
    assert sum(shown) == pytest.approx(written["minutes"], abs=1e-9)
    assert all(abs(s - leg.minutes) < 0.1 for s, leg in zip(shown, legs, strict=True))
    assert journey.legs[1].minutes == 0.04  # the values themselves are not rounded
    longer = journey.then(Leg(kind="dropoff", minutes=5.05, estimated=False))
    assert [leg["minutes"] for leg in longer.model_dump()["legs"]] == [10.0, 0.1, 35.0, 12.8, 5.1]
    assert longer.model_dump()["minutes"] == 63.0
    assert [leg["minutes"] for leg in journey.model_dump()["legs"]] == shown  # unchanged
