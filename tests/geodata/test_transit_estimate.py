"""The honest transit estimate: `geodata.transit_estimate`.

The expected figures are computed here from the documented model (walk to a stop, half the
headway, the ride at its vehicle's speed, the walk from the stop, or the walk when quicker),
with the haversine of this file, not with the module's own helpers.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

from geodata import gtfs
from geodata.transit import TransitNetwork
from geodata.transit_estimate import (
    DEFAULT_ACCESS_M,
    DEFAULT_HEADWAY_MINUTES,
    RIDE_DETOUR_FACTOR,
    RIDE_SPEED_KMH,
    URBAN_RIDE_MAX_M,
    StopService,
    TransitAssumptions,
    TransitEstimate,
)
from geodata.traveltime import StraightLineEstimator

R = 6_371_008.8
WALK_M_PER_MIN = 4.5 * 1000 / 60 / 1.3  # straight-line metres walked per minute
SECOND = 1 / 60 + 1e-9  # minutes
ALES = (4.0810, 44.1250)
NIMES = (4.3601, 43.8367)
TUESDAY = date(2025, 5, 13)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[1]), math.radians(b[1])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2
    )
    return 2 * R * math.asin(math.sqrt(h))


def walk_minutes(metres: float) -> float:
    """The estimated walk over ``metres`` of straight line: × 1.3 at 4.5 km/h, whole seconds
    rounded up (`geodata.walking`)."""
    return math.ceil(metres * 1.3 / (4.5 / 3.6)) / 60


def moved(point: tuple[float, float], metres: float, bearing: float) -> tuple[float, float]:
    """The point ``metres`` away on the sphere along ``bearing`` (degrees from north)."""
    lon, lat = map(math.radians, point)
    delta, theta = metres / R, math.radians(bearing)
    lat2 = math.asin(
        math.sin(lat) * math.cos(delta) + math.cos(lat) * math.sin(delta) * math.cos(theta)
    )
    lon2 = lon + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(lat),
        math.cos(delta) - math.sin(lat) * math.sin(lat2),
    )
    return math.degrees(lon2), math.degrees(lat2)


def ride_minutes(metres: float, vehicle: str) -> float:
    return metres * RIDE_DETOUR_FACTOR / (RIDE_SPEED_KMH[vehicle] * 1000 / 60)  # type: ignore[index]


def default_ride(metres: float) -> float:
    """Without a timetable: a bus up to 10 km, a coach beyond, never quicker than the bus."""
    if metres <= URBAN_RIDE_MAX_M:
        return ride_minutes(metres, "bus")
    return max(ride_minutes(URBAN_RIDE_MAX_M, "bus"), ride_minutes(metres, "coach"))


def expected_without_timetable(a: tuple[float, float], b: tuple[float, float]) -> float:
    d = haversine(a, b)
    walk = walk_minutes(d)
    access = egress = walk_minutes(DEFAULT_ACCESS_M)
    transit = access + DEFAULT_HEADWAY_MINUTES / 2 + default_ride(d) + egress
    return min(walk, transit)


# --- without a timetable ------------------------------------------------------------------


def test_141_metres_by_transit_is_the_walk_of_about_two_minutes() -> None:
    estimate = TransitEstimate()
    there = moved(ALES, 141, 30)
    minutes = estimate.travel_times([ALES], [there])[0, 0]
    assert minutes == pytest.approx(walk_minutes(141))
    assert 2.0 < minutes < 2.6
    (journey,) = estimate.journeys(*ALES, [there])
    assert journey is not None
    assert [leg.kind for leg in journey.legs] == ["walk"]
    assert journey.mode == "transit"
    assert journey.estimated is True
    assert journey.minutes == minutes
    assert journey.legs[0].metres == pytest.approx(141 * 1.3)
    assert journey.notice is not None
    assert "À pied" in journey.notice


def test_at_200_metres_transit_is_never_faster_than_walking() -> None:
    there = moved(ALES, 200, 120)
    walk = StraightLineEstimator("walk").travel_times([ALES], [there])[0, 0]
    transit = TransitEstimate().travel_times([ALES], [there])[0, 0]
    assert transit == pytest.approx(walk)
    assert transit >= walk - 1e-9
    # the estimator the service falls back on for transit is this one
    assert StraightLineEstimator("transit").travel_times([ALES], [there])[0, 0] == transit


def test_a_5_km_trip_walks_waits_rides_and_walks_every_leg_estimated() -> None:
    there = moved(ALES, 5000, 75)
    (journey,) = TransitEstimate().journeys(*ALES, [there])
    assert journey is not None
    assert [leg.kind for leg in journey.legs] == ["walk", "wait", "ride", "walk"]
    assert all(leg.estimated for leg in journey.legs)
    access, wait, ride, egress = journey.legs
    assert access.minutes == pytest.approx(walk_minutes(DEFAULT_ACCESS_M))
    assert access.metres == pytest.approx(DEFAULT_ACCESS_M * 1.3)
    assert wait.minutes == DEFAULT_HEADWAY_MINUTES / 2
    assert ride.vehicle == "bus"
    assert ride.vehicle_label == "bus"
    assert ride.minutes == pytest.approx(ride_minutes(haversine(ALES, there), "bus"))
    assert egress.minutes == access.minutes
    assert access.to_name is None  # no stop known: the notice says it is assumed
    assert journey.notice is not None
    assert "arrêt supposé à 400 m" in journey.notice
    assert "un départ supposé toutes les 60 min" in journey.notice
    assert "bus à 17 km/h" in journey.notice
    assert "1,3 fois" in journey.notice
    assert journey.minutes == TransitEstimate().travel_times([ALES], [there])[0, 0]
    assert journey.minutes < walk_minutes(haversine(ALES, there))


def test_ales_to_nimes_without_a_timetable_rides_a_coach() -> None:
    (journey,) = TransitEstimate().journeys(*ALES, [NIMES])
    assert journey is not None
    ride = journey.legs[2]
    assert ride.vehicle == "coach"
    assert ride.vehicle_label == "car"
    assert journey.minutes == pytest.approx(expected_without_timetable(ALES, NIMES))


def test_the_budget_turns_longer_estimates_into_unreachable() -> None:
    estimate = TransitEstimate()
    minutes = estimate.travel_times([ALES], [NIMES])[0, 0]
    assert np.isinf(estimate.travel_times([ALES], [NIMES], max_minutes=minutes - 1)[0, 0])
    assert estimate.journeys(*ALES, [NIMES], max_minutes=minutes - 1) == [None]
    assert estimate.journeys(*ALES, [NIMES], max_minutes=minutes)[0] is not None
    times = estimate.times(*ALES, [NIMES, ALES], max_minutes=minutes)
    assert times.estimated.tolist() == [True, True]
    assert times.minutes[1] == 0


@settings(max_examples=300, deadline=None)
@given(
    lon=st.floats(-4.5, 7.5),
    lat=st.floats(42.5, 50.5),
    metres=st.floats(0.0, 80_000.0),
    bearing=st.floats(0.0, 360.0),
)
def test_the_estimate_is_the_quicker_of_the_walk_and_the_ride_never_slower_than_walking(
    lon: float, lat: float, metres: float, bearing: float
) -> None:
    origin = (lon, lat)
    there = moved(origin, metres, bearing)
    estimate = TransitEstimate()
    minutes = float(estimate.travel_times([origin], [there])[0, 0])
    walk = float(StraightLineEstimator("walk").travel_times([origin], [there])[0, 0])
    # a second at most: the whole seconds of two haversines agreeing to a nanometre
    assert minutes == pytest.approx(expected_without_timetable(origin, there), abs=SECOND)
    assert minutes <= walk + 1e-9
    (journey,) = estimate.journeys(lon, lat, [there])
    assert journey is not None
    assert journey.minutes == minutes
    assert journey.estimated
    if len(journey.legs) > 1:  # a ride: never quicker than the walks and the wait around it
        access, wait, _, egress = journey.legs
        assert minutes >= access.minutes + wait.minutes + egress.minutes
        assert minutes < walk
    else:
        assert journey.legs[0].kind == "walk"
        assert minutes == pytest.approx(walk, rel=1e-12)
    # no place is reached sooner for being farther
    farther = moved(origin, metres * 1.1 + 10, bearing)
    assert estimate.travel_times([origin], [farther])[0, 0] >= minutes - 1e-9


@pytest.mark.parametrize("minutes", [20.0, 60.0, 90.0, 150.0])
def test_the_isochrone_is_the_disc_the_times_draw(minutes: float) -> None:
    estimate = TransitEstimate()
    disc = estimate.isochrone(*ALES, minutes)
    for bearing in range(0, 360, 60):
        radius = _radius(estimate, minutes, bearing)
        inside, outside = moved(ALES, radius * 0.98, bearing), moved(ALES, radius * 1.02, bearing)
        assert disc.contains(Point(inside))
        assert not disc.contains(Point(outside))
        assert estimate.travel_times([ALES], [inside])[0, 0] <= minutes
        assert estimate.travel_times([ALES], [outside])[0, 0] > minutes
    assert StraightLineEstimator("transit").isochrone(*ALES, minutes).equals(disc)


def _radius(estimate: TransitEstimate, minutes: float, bearing: float) -> float:
    """The distance at which the estimate reaches ``minutes``, by bisection on the times."""
    low, high = 0.0, 500_000.0
    for _ in range(60):
        middle = (low + high) / 2
        if estimate.travel_times([ALES], [moved(ALES, middle, bearing)])[0, 0] <= minutes:
            low = middle
        else:
            high = middle
    return low


def test_assumptions_are_stated_and_overridable() -> None:
    slower = TransitEstimate(assumptions=TransitAssumptions(headway_minutes=120))
    there = moved(ALES, 8000, 10)
    journey = slower.journeys(*ALES, [there])[0]
    assert journey is not None
    assert journey.legs[1].minutes == 60
    faster = TransitAssumptions(ride_speed_kmh={**RIDE_SPEED_KMH, "bus": 30.0})
    quick = TransitEstimate(assumptions=faster).journeys(*ALES, [there])[0]
    assert quick is not None
    assert quick.legs[2].minutes == pytest.approx(8000 * 1.3 / 500)
    with pytest.raises(ValueError, match="Hypothèses d'estimation invalides"):
        TransitAssumptions(ride_detour=0.5)
    with pytest.raises(ValueError, match="Hypothèses d'estimation invalides"):
        TransitAssumptions(ride_speed_kmh={"bus": 17.0})
    with pytest.raises(ValueError, match="TransitAssumptions"):
        StraightLineEstimator("transit", speed_kmh=15)
    with pytest.raises(ValueError, match="Coordonnées invalides"):
        TransitEstimate().travel_times([[200.0, 0.0]], [ALES])


# --- with a timetable ---------------------------------------------------------------------

CENTRE = ALES  # « Alès Centre », a bus stop
CHRISTOL = moved(ALES, 6000, 90)  # « Saint-Christol », 6 km east
MIDWAY = moved(ALES, 3000, 95)  # « Mi-chemin », a stop between them
GARE = moved(ALES, 1500, 0)  # « Alès Gare », a station with two platforms
LOIN = moved(GARE, 30_000, 200)  # « Gare lointaine », 30 km south-west


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:00"


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-made weekday feed, 07:00–18:59: bus 1 Centre → Saint-Christol every 15 min
    non-stop and every 30 min stopping at Mi-chemin, back every 30 min non-stop; trains from
    both platforms of Alès Gare to a far station every hour, the second platform half an
    hour after the first."""
    folder = tmp_path_factory.mktemp("feed")
    stops = [
        ("CENTRE", "Alès Centre", CENTRE, "", ""),
        ("CHRISTOL", "Saint-Christol", CHRISTOL, "", ""),
        ("MIDWAY", "Mi-chemin", MIDWAY, "", ""),
        ("GARE", "Alès Gare", GARE, "1", ""),
        ("QUAI1", "Alès Gare", moved(GARE, 40, 90), "0", "GARE"),
        ("QUAI2", "Alès Gare", moved(GARE, 40, 270), "0", "GARE"),
        ("LOIN", "Gare lointaine", LOIN, "0", ""),
    ]
    (folder / "stops.txt").write_text(
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        + "".join(f"{i},{n},{p[1]:.7f},{p[0]:.7f},{t},{s}\n" for i, n, p, t, s in stops)
    )
    (folder / "routes.txt").write_text("route_id,route_short_name,route_type\nB1,1,3\nTER,TER,2\n")
    (folder / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "SEMAINE,1,1,1,1,1,0,0,20250501,20250630\n"
    )
    trips, times = (
        ["route_id,service_id,trip_id\n"],
        ["trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"],
    )

    def trip(route: str, name: str, start: int, calls: list[tuple[str, int]]) -> None:
        trips.append(f"{route},SEMAINE,{name}\n")
        for sequence, (stop, offset) in enumerate(calls):
            at = _hms(start + offset)
            times.append(f"{name},{at},{at},{stop},{sequence}\n")

    for k, start in enumerate(range(7 * 3600, 19 * 3600, 900)):
        trip("B1", f"aller{k}", start, [("CENTRE", 0), ("CHRISTOL", 1200)])
    for k, start in enumerate(range(7 * 3600, 19 * 3600, 1800)):
        trip("B1", f"retour{k}", start, [("CHRISTOL", 0), ("CENTRE", 1200)])
        trip("B1", f"omnibus{k}", start + 300, [("CENTRE", 0), ("MIDWAY", 700), ("CHRISTOL", 1500)])
    for k, start in enumerate(range(7 * 3600, 19 * 3600, 3600)):
        trip("TER", f"ter1-{k}", start, [("QUAI1", 0), ("LOIN", 1500)])
        trip("TER", f"ter2-{k}", start + 1800, [("QUAI2", 0), ("LOIN", 1500)])
    (folder / "trips.txt").write_text("".join(trips))
    (folder / "stop_times.txt").write_text("".join(times))
    return folder


@pytest.fixture(scope="module")
def network(feed: Path) -> TransitNetwork:
    return TransitNetwork.from_gtfs(feed)


def route_types(feed: Path, network: TransitNetwork) -> np.ndarray:
    """The GTFS route_type of each trip of the network, read from routes.txt and trips.txt."""
    routes = gtfs.read_table(feed, "routes.txt", required=("route_id", "route_type"))
    trips = gtfs.read_table(feed, "trips.txt", required=("route_id", "trip_id"))
    assert routes is not None
    assert trips is not None
    kind = dict(zip(routes["route_id"], routes["route_type"].astype(int), strict=True))
    by_trip = dict(zip(trips["trip_id"], trips["route_id"], strict=True))
    return np.array([kind[by_trip[t]] for t in network.trip_ids])


@pytest.fixture(scope="module")
def stops(feed: Path, network: TransitNetwork) -> StopService:
    return StopService.from_network(network, trip_route_types=route_types(feed, network))


def by_name(stops: StopService) -> dict[str, tuple[float, int]]:
    return {
        str(name): (float(headway), int(vehicle))
        for name, headway, vehicle in zip(
            stops.names, stops.headway_minutes, stops.vehicle, strict=True
        )
    }


def test_stops_know_their_weekday_headway_and_vehicle(
    network: TransitNetwork, stops: StopService
) -> None:
    assert sorted(stops.names.tolist()) == sorted(
        ["Alès Centre", "Saint-Christol", "Mi-chemin", "Alès Gare", "Alès Gare", "Gare lointaine"]
    )
    known = by_name(stops)
    # eastward, non-stop and stopping buses together: 72 departures in 12 h; VEHICLES[2] == "bus"
    assert known["Alès Centre"] == (10.0, 2)
    assert known["Mi-chemin"] == (30.0, 2)
    assert known["Saint-Christol"] == (30.0, 2)  # westward only
    assert known["Alès Gare"] == (30.0, 0)  # both platforms together; VEHICLES[0] == "train"
    assert math.isnan(known["Gare lointaine"][0])  # no departure: unknown
    assert known["Gare lointaine"][1] == 0  # trains arrive there
    plain = StopService.from_network(network, day=TUESDAY)
    assert (plain.vehicle == -1).all()
    np.testing.assert_array_equal(plain.headway_minutes, stops.headway_minutes)
    sunday = StopService.from_network(network, day=date(2025, 5, 18))
    assert np.isnan(sunday.headway_minutes).all()


def test_a_trip_between_two_served_stops_walks_to_them_and_waits_half_their_headway(
    stops: StopService,
) -> None:
    origin = moved(CENTRE, 120, 180)
    there = moved(CHRISTOL, 300, 0)
    estimate = TransitEstimate(stops)
    (journey,) = estimate.journeys(*origin, [there])
    assert journey is not None
    access, wait, ride, egress = journey.legs
    assert (access.to_name, wait.from_name) == ("Alès Centre", "Alès Centre")
    assert (ride.from_name, ride.to_name, egress.from_name) == (
        "Alès Centre",
        "Saint-Christol",
        "Saint-Christol",
    )
    assert access.minutes == pytest.approx(
        walk_minutes(120), abs=1 / 60
    )  # stops.txt keeps 7 decimals: ~1 cm, a second at most
    assert wait.minutes == 5.0
    assert ride.vehicle == "bus"
    assert ride.minutes == pytest.approx(ride_minutes(haversine(CENTRE, CHRISTOL), "bus"))
    assert egress.minutes == pytest.approx(
        walk_minutes(300), abs=1 / 60
    )  # stops.txt keeps 7 decimals: ~1 cm, a second at most
    assert journey.notice is not None
    assert "arrêt le plus proche à 120 m" in journey.notice
    assert "un départ toutes les 10 min en semaine à cet arrêt" in journey.notice
    assert journey.minutes == estimate.travel_times([origin], [there])[0, 0]


def test_far_from_every_stop_the_stop_is_assumed_and_the_same_stop_gives_the_walk(
    stops: StopService,
) -> None:
    estimate = TransitEstimate(stops)
    remote = moved(CENTRE, 4000, 270)  # 4 km west: no served stop within 1 km
    there = moved(CHRISTOL, 200, 90)
    journey = estimate.journeys(*remote, [there])[0]
    assert journey is not None
    assert journey.legs[0].to_name is None
    assert journey.legs[0].minutes == pytest.approx(walk_minutes(DEFAULT_ACCESS_M))
    assert journey.legs[1].minutes == DEFAULT_HEADWAY_MINUTES / 2
    assert journey.notice is not None
    assert "arrêt supposé à 400 m" in journey.notice
    # both ends nearest to Alès Centre, 1.6 km apart: no ride, the walk
    west, east = moved(CENTRE, 800, 270), moved(CENTRE, 800, 90)
    (walk,) = estimate.journeys(*west, [east])
    assert walk is not None
    assert [leg.kind for leg in walk.legs] == ["walk"]
    assert walk.minutes == pytest.approx(
        walk_minutes(1600), abs=1 / 60
    )  # stops.txt keeps 7 decimals: ~1 cm, a second at most


def test_a_ride_is_the_slower_vehicle_of_its_two_stops(stops: StopService) -> None:
    estimate = TransitEstimate(stops)
    near_gare = moved(GARE, 100, 0)
    by_train, to_bus_stop = estimate.journeys(
        *near_gare, [moved(LOIN, 100, 0), moved(CHRISTOL, 100, 0)]
    )
    assert by_train is not None
    assert to_bus_stop is not None
    assert by_train.legs[2].vehicle == "train"
    assert by_train.legs[1].minutes == 15.0  # a departure every 30 min from the station
    assert to_bus_stop.legs[2].vehicle == "bus"
    assert to_bus_stop.legs[2].to_name == "Saint-Christol"


@settings(max_examples=150, deadline=None)
@given(
    origin_metres=st.floats(0.0, 12_000.0),
    origin_bearing=st.floats(0.0, 360.0),
    metres=st.floats(0.0, 40_000.0),
    bearing=st.floats(0.0, 360.0),
)
def test_with_stops_the_estimate_is_still_the_quicker_of_walk_and_ride(
    stops: StopService,
    origin_metres: float,
    origin_bearing: float,
    metres: float,
    bearing: float,
) -> None:
    origin = moved(CENTRE, origin_metres, origin_bearing)
    there = moved(origin, metres, bearing)
    estimate = TransitEstimate(stops)
    minutes = float(estimate.travel_times([origin], [there])[0, 0])
    walk = walk_minutes(haversine(origin, there))
    assert minutes <= walk + SECOND
    (journey,) = estimate.journeys(*origin, [there])
    assert journey is not None
    assert journey.minutes == minutes
    if len(journey.legs) == 1:
        assert minutes == pytest.approx(walk, abs=SECOND)
    else:
        assert [leg.kind for leg in journey.legs] == ["walk", "wait", "ride", "walk"]
        assert minutes < float(StraightLineEstimator("walk").travel_times([origin], [there])[0, 0])


def test_a_transit_network_is_read_for_its_stops(network: TransitNetwork) -> None:
    estimate = TransitEstimate(network)
    assert estimate.stops is not None
    assert len(estimate.stops) == 6
    assert "6 arrêts" in repr(estimate)
