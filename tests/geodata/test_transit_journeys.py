"""Journeys with legs from the timetable, and the profile search of a departure window.

A journey's legs are read off hand-made feeds (the times one reads in their tables, named in
the comments) and off the real TER; each journey's minutes must be exactly the window's lower
median `TransitNetwork.travel_times` reports. The profile search must give exactly the
medians of one query per minute, on hand-made, NYC, Nantes and TER samples.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import shape

from geodata import gtfs, transit
from geodata.journeys import Journey
from geodata.sphere import great_circle_m
from geodata.transit import TransitNetwork, WindowMethod, WindowStatistic
from geodata.transit_estimate import StopService
from tests.geodata.brute_transit import walk_seconds
from tests.geodata.test_transit_rules import EVERY_DAY_2025, STOP_TIMES, _feed

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TER = SHARED_DATA / "gtfs" / "sncf_ter_2025.zip"
GARD = SHARED_DATA / "gard" / "departement-30-gard.geojson"
NANTES = SHARED_DATA / "gtfs" / "nantes-naolib-subset"
NYC = SHARED_DATA / "gtfs" / "nyc_subway_gtfs.zip"
WEDNESDAY = datetime.fromisoformat("2025-05-14T08:00")  # naive: the feed's clock


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} absent : les données partagées ../shared ne sont pas à côté du dépôt")
    return path


# --- a hand-made feed: a tram, a change of platform, a coach -------------------------------

# The tram T1 runs A → B1 every 30 minutes; the express coach (no short name, route_type 200)
# B2 → C every 30 minutes, 5 minutes after the tram reaches B1. B1 and B2 are two platforms of
# station B, 56 m apart; transfers.txt asks 3 minutes to change from B1 to B2. The origin O
# lies 167 m south of A, the destination Z 222 m north of C.
ORIGIN = (4.0, 44.9985)
STOPS = """
stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station
A,Amont,45.0000,4.0,0,
B,Pôle d'échanges,45.0400,4.0,1,
B1,Pôle d'échanges quai tram,45.0400,4.0,0,B
B2,Pôle d'échanges quai car,45.0405,4.0,0,B
C,Village,45.1000,4.0,0,
"""
ROUTES = """
route_id,route_short_name,route_long_name,route_type
TRAM,T1,Amont - Pôle,0
EXPRESS,,Ligne express,200
"""


def _hand_made(folder: Path, *, transfers: bool = True) -> Path:
    trips, times = ["route_id,service_id,trip_id"], [STOP_TIMES]
    for start in range(7 * 60 + 5, 11 * 60, 30):  # trams leave A at 07:05, 07:35, ...
        tram, coach = f"tram{start}", f"coach{start}"
        trips += [f"TRAM,S,{tram}", f"EXPRESS,S,{coach}"]
        for k, (stop, minutes) in enumerate((("A", start), ("B1", start + 15))):
            times.append(f"{tram},{_clock(minutes)},{_clock(minutes)},{stop},{k + 1}")
        for k, (stop, minutes) in enumerate((("B2", start + 20), ("C", start + 40))):
            times.append(f"{coach},{_clock(minutes)},{_clock(minutes)},{stop},{k + 1}")
    tables = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "A,Test,https://example.org,Europe/Paris",
        "stops.txt": STOPS,
        "routes.txt": ROUTES,
        "calendar.txt": EVERY_DAY_2025,
        "trips.txt": "\n".join(trips),
        "stop_times.txt": "\n".join(times),
    }
    if transfers:
        tables["transfers.txt"] = (
            "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB1,B2,2,180"
        )
    return _feed(folder, tables)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _destination(metres_north: float, of: tuple[float, float] = (4.0, 45.1)) -> list[float]:
    return [of[0], of[1] + metres_north / 111_195.0]


def _walk_minutes(a: tuple[float, float] | list[float], b: tuple[float, float]) -> float:
    return walk_seconds(float(great_circle_m(a[0], a[1], b[0], b[1]))) / 60


def _check_sum(journey: Journey) -> None:
    total = 0.0
    for leg in journey.legs:
        total += leg.minutes
    assert journey.minutes == total


def test_a_journey_tells_walk_wait_ride_transfer_ride_walk(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed"))
    assert network.trip_route_types.tolist()[:2] == [0, 200]
    z = _destination(200)
    [journey] = network.journeys(*ORIGIN, [z], departure=WEDNESDAY, window_minutes=1)
    assert journey is not None
    assert journey.mode == "transit"
    assert journey.notice is None
    assert [leg.kind for leg in journey.legs] == [
        "walk", "wait", "ride", "transfer", "wait", "ride", "walk"
    ]  # fmt: skip
    walk, wait, tram, change, wait2, coach, last = journey.legs
    # the walk: 167 m of straight line, 217 m walked (× 1.3) at 4.5 km/h, 174 s, an estimate
    assert walk.estimated
    assert walk.to_name == "Amont"
    assert walk.from_name is None
    assert walk.metres == pytest.approx(166.8 * 1.3, abs=0.1)
    assert walk.minutes == _walk_minutes(ORIGIN, (4.0, 45.0))
    # the wait for the 08:05 tram: from 08:02:54
    assert not wait.estimated
    assert wait.from_name == "Amont"
    assert wait.minutes == pytest.approx(5 - walk.minutes)
    assert (tram.line, tram.vehicle, tram.vehicle_label) == ("T1", "tram", "tramway")
    assert (tram.from_name, tram.to_name) == ("Amont", "Pôle d'échanges quai tram")
    assert (tram.departure, tram.arrival) == (
        datetime.fromisoformat("2025-05-14T08:05"),
        datetime.fromisoformat("2025-05-14T08:20"),
    )
    assert tram.minutes == 15
    assert not tram.estimated
    # transfers.txt: 3 minutes from B1 to B2, read from the feed, not estimated
    assert change.minutes == 3
    assert not change.estimated
    assert (change.from_name, change.to_name) == (
        "Pôle d'échanges quai tram",
        "Pôle d'échanges quai car",
    )
    assert wait2.minutes == 2
    assert wait2.from_name == "Pôle d'échanges quai car"
    # no short name: the long one; route_type 200 is a coach
    assert (coach.line, coach.vehicle, coach.vehicle_label) == ("Ligne express", "coach", "car")
    assert (coach.departure, coach.arrival) == (
        datetime.fromisoformat("2025-05-14T08:25"),
        datetime.fromisoformat("2025-05-14T08:45"),
    )
    assert last.estimated
    assert last.from_name == "Village"
    assert last.to_name is None
    assert last.minutes == pytest.approx(_walk_minutes((4.0, 45.1), (z[0], z[1])))
    assert journey.estimated  # it walks on straight lines
    _check_sum(journey)
    [[reported]] = network.travel_times([ORIGIN], [z], departure=WEDNESDAY, window_minutes=1)
    assert journey.minutes == reported
    assert reported == pytest.approx(45 + last.minutes)


def test_a_transfer_without_rule_walks_and_says_so(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed", transfers=False))
    [journey] = network.journeys(
        *ORIGIN, [_destination(200)], departure=WEDNESDAY, window_minutes=1
    )
    assert journey is not None
    change = journey.legs[3]
    # the 56 m between the platforms, 72 m walked (× 1.3), 58 s at 4.5 km/h: an estimate
    assert change.kind == "transfer"
    assert change.estimated
    assert change.minutes == 58 / 60
    assert change.metres == pytest.approx(55.6 * 1.3, abs=0.1)

    # A street network's walks (the footpaths hook) are not estimates; the walks to and from
    # the stops still are.
    def platforms_30_s_apart(xy: np.ndarray) -> np.ndarray:  # a street network stand-in
        metres = great_circle_m(xy[:, None, 0], xy[:, None, 1], xy[:, 0], xy[:, 1])
        return np.where(metres == 0, 0.0, np.where(metres < 100, 0.5, np.inf))

    hooked = TransitNetwork.from_gtfs(tmp_path / "feed", footpaths=platforms_30_s_apart)
    [journey] = hooked.journeys(*ORIGIN, [_destination(200)], departure=WEDNESDAY, window_minutes=1)
    assert journey is not None
    change = journey.legs[3]
    assert change.minutes == 0.5
    assert not change.estimated
    assert change.metres is None
    assert journey.legs[0].estimated
    assert journey.legs[-1].estimated


def test_walking_wins_when_quicker_and_none_beyond_the_budget(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed"))
    near = _destination(300, of=ORIGIN)  # 300 m (390 m walked): the walk beats the tram
    far = _destination(200)
    journeys = network.journeys(
        *ORIGIN, [near, far], departure=WEDNESDAY, window_minutes=1, max_minutes=30
    )
    walk = journeys[0]
    assert walk is not None
    assert [leg.kind for leg in walk.legs] == ["walk"]
    assert walk.legs[0].estimated
    assert walk.legs[0].metres == pytest.approx(300 * 1.3, abs=0.5)
    assert walk.minutes == _walk_minutes(ORIGIN, (near[0], near[1]))
    assert journeys[1] is None  # 48 minutes by tram and coach, beyond 30
    reported = network.travel_times(
        [ORIGIN], [near, far], departure=WEDNESDAY, window_minutes=1, max_minutes=30
    )[0]
    assert reported[0] == walk.minutes
    assert math.isinf(reported[1])


def test_the_window_journey_is_the_median_departure(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed"))
    z = _destination(200)
    [journey] = network.journeys(*ORIGIN, [z], departure=WEDNESDAY, window_minutes=60)
    [[reported]] = network.travel_times([ORIGIN], [z], departure=WEDNESDAY, window_minutes=60)
    assert journey is not None
    assert journey.minutes == reported
    _check_sum(journey)
    rides = [leg for leg in journey.legs if leg.kind == "ride"]
    # Leaving 08:00–08:02 catches the 08:05 tram (43–45 min to C), 08:03–08:32 the 08:35 one
    # (72–43 min), 08:33–08:59 the 09:05 one (72–46 min): the 30th smallest of the 60 times
    # is 57 min to C, first taken leaving at 08:18 (the 08:35 tram, the 08:55 coach).
    assert rides[0].departure == datetime.fromisoformat("2025-05-14T08:35")
    assert rides[1].arrival == datetime.fromisoformat("2025-05-14T09:15")
    assert journey.legs[0].kind == "walk"
    assert journey.legs[1].kind == "wait"
    assert journey.legs[1].minutes == pytest.approx(17 - journey.legs[0].minutes)
    assert reported == pytest.approx(57 + journey.legs[-1].minutes)


def test_a_date_outside_the_timetable_gets_a_notice(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed"))
    [journey] = network.journeys(
        *ORIGIN,
        [_destination(200)],
        departure=datetime.fromisoformat("2026-05-13T08:00"),
        window_minutes=1,
    )
    assert journey is not None
    assert journey.notice == (
        "Horaires du réseau valables du 01/01/2025 au 31/12/2025 : le mercredi 31/12/2025 a "
        "servi pour le mercredi 13/05/2026."
    )
    assert journey.legs[2].departure == datetime.fromisoformat("2025-12-31T08:05")


def test_lines_are_saved_and_an_older_network_loads_without_them(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed"))
    loaded = TransitNetwork.load(network.save(tmp_path / "net.npz"))
    np.testing.assert_array_equal(loaded.trip_route_types, network.trip_route_types)
    np.testing.assert_array_equal(loaded.routes.short_names, network.routes.short_names)
    np.testing.assert_array_equal(
        loaded.footpaths.transfer_estimated, network.footpaths.transfer_estimated
    )
    np.testing.assert_array_equal(loaded.change_estimated, network.change_estimated)
    z = [_destination(200)]
    assert loaded.journeys(*ORIGIN, z, departure=WEDNESDAY) == network.journeys(
        *ORIGIN, z, departure=WEDNESDAY
    )
    with np.load(tmp_path / "net.npz") as data:
        older = {k: data[k] for k in data.files if not k.startswith(("route", "trip_route"))}
    older = {k: v for k, v in older.items() if "estimated" not in k}
    older["format"] = np.array("maillage-transit-2")
    np.savez_compressed(tmp_path / "older.npz", **older)
    second = TransitNetwork.load(tmp_path / "older.npz")
    assert (second.trip_route_types == -1).all()
    [journey] = second.journeys(*ORIGIN, z, departure=WEDNESDAY, window_minutes=1)
    assert journey is not None
    ride = journey.legs[2]
    assert ride.kind == "ride"
    assert ride.line is None
    assert ride.vehicle is None
    assert journey.legs[3].estimated  # without the flags, every transfer counts as estimated


# --- real feeds ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ter() -> TransitNetwork:
    gard = shape(json.loads(_shared(GARD).read_text(encoding="utf-8"))["geometry"])
    return TransitNetwork.from_gtfs(_shared(TER), area=gard, buffer_m=10_000)


@pytest.fixture(scope="module")
def nantes() -> TransitNetwork:
    return TransitNetwork.from_gtfs(_shared(NANTES))


@pytest.fixture(scope="module")
def nyc() -> TransitNetwork:
    return TransitNetwork.from_gtfs(_shared(NYC))


ALES_TOWN = (4.0810, 44.1250)  # 450 m from Alès station
NIMES_ARENES = (4.3598, 43.8347)  # the arenas, 500 m from Nîmes Centre station
TER_TUESDAY = datetime.fromisoformat("2025-02-04T08:00")
NYC_WEDNESDAY = datetime.fromisoformat("2025-01-08T07:40")
NO_SERVICE = datetime.fromisoformat("2030-01-01T08:00")  # outside every feed: walks only


def test_ter_from_ales_to_nimes_rides_the_train(ter: TransitNetwork) -> None:
    [journey] = ter.journeys(*ALES_TOWN, [NIMES_ARENES], departure=TER_TUESDAY, max_minutes=120)
    assert journey is not None
    assert journey.notice is None
    [ride] = [leg for leg in journey.legs if leg.kind == "ride"]
    assert (ride.from_name, ride.to_name) == ("Alès", "Nîmes Centre")
    assert ride.vehicle == "train"
    assert ride.line  # the TER line's short name
    assert 31 <= ride.minutes <= 41
    assert not ride.estimated
    assert ride.departure is not None
    assert ride.departure.date() == date(2025, 2, 4)
    assert [leg.kind for leg in journey.legs] == ["walk", "wait", "ride", "walk"]
    assert journey.legs[0].estimated
    assert journey.legs[-1].estimated
    [[reported]] = ter.travel_times(
        [ALES_TOWN], [NIMES_ARENES], departure=TER_TUESDAY, max_minutes=120
    )
    assert journey.minutes == reported
    _check_sum(journey)

    # A Tuesday of 2026, outside the 2025 timetable: the nearest typical Tuesday answers.
    [later] = ter.journeys(
        *ALES_TOWN,
        [NIMES_ARENES],
        departure=datetime.fromisoformat("2026-12-08T08:00"),
        max_minutes=120,
    )
    assert later is not None
    assert later.notice is not None
    assert "22/01/2025 au 22/04/2025" in later.notice
    assert "mardi 08/12/2026" in later.notice
    assert any(leg.kind == "ride" and leg.to_name == "Nîmes Centre" for leg in later.legs)

    # The estimate's stops know the timetable's vehicles.
    stops = StopService.from_network(ter, trip_route_types=ter.trip_route_types)
    ales = int(np.flatnonzero(stops.names == "Alès")[0])
    assert stops.vehicle[ales] >= 0


def _near_points(network: TransitNetwork, n: int, seed: int, spread_m: float = 600.0) -> np.ndarray:
    """``n`` points scattered around served stops (normal, ``spread_m`` metres)."""
    rng = np.random.default_rng(seed)
    served = np.flatnonzero(network.served)
    pick = rng.choice(served, n)
    lat = network.stops.lat[pick] + rng.normal(0, spread_m / 111_195, n)
    scale = 111_195 * np.cos(np.radians(network.stops.lat[pick]))
    lon = network.stops.lon[pick] + rng.normal(0, 1.0, n) * spread_m / scale
    return np.column_stack([lon, lat])


@pytest.mark.parametrize("feed", ["nantes", "nyc", "ter"])
def test_journey_minutes_are_the_reported_medians(
    feed: str, request: pytest.FixtureRequest
) -> None:
    network: TransitNetwork = request.getfixturevalue(feed)
    departure = {"nantes": WEDNESDAY, "nyc": NYC_WEDNESDAY, "ter": TER_TUESDAY}[feed]
    points = _near_points(network, 40, seed=7, spread_m=800.0)
    window = network.travel_times(points, points, departure=departure, max_minutes=150)
    walks = network.travel_times(points, points, departure=NO_SERVICE, window_minutes=1)
    riders = np.flatnonzero((window < walks).any(axis=1))  # origins some ride serves
    assert riders.size >= 4
    rides = 0
    for origin in points[riders[:4]]:
        lon, lat = float(origin[0]), float(origin[1])
        journeys = network.journeys(lon, lat, points, departure=departure, max_minutes=150)
        reported = network.travel_times([origin], points, departure=departure, max_minutes=150)[0]
        for journey, minutes in zip(journeys, reported, strict=True):
            if journey is None:
                assert math.isinf(minutes)
                continue
            assert journey.minutes == minutes
            _check_sum(journey)
            kinds = [leg.kind for leg in journey.legs]
            rides += kinds.count("ride")
            assert kinds == ["walk"] or (kinds[0] == "walk" and kinds[-1] == "walk")
            for leg in journey.legs:
                if leg.kind == "ride":
                    assert leg.departure is not None
                    assert leg.arrival is not None
                    assert leg.from_name
                    assert leg.to_name
                    assert not leg.estimated
    assert rides > 0


# --- the profile search equals the per-minute medians ----------------------------------------


@pytest.mark.parametrize(
    ("feed", "budget", "window", "step"),
    [
        ("nantes", None, 60, 1),
        ("nantes", 20.0, 45, 2),
        ("nyc", None, 60, 1),
        ("nyc", 45.0, 60, 1),
        ("ter", 90.0, 60, 1),
        ("ter", None, 15, 1),
    ],
)
def test_profile_search_equals_one_query_per_minute(
    feed: str,
    budget: float | None,
    window: int,
    step: int,
    request: pytest.FixtureRequest,
) -> None:
    network: TransitNetwork = request.getfixturevalue(feed)
    departure = {"nantes": WEDNESDAY, "nyc": NYC_WEDNESDAY, "ter": TER_TUESDAY}[feed]
    origins = _near_points(network, 150, seed=11)
    destinations = np.vstack([_near_points(network, 60, seed=12), origins[:5]])

    def medians(method: WindowMethod) -> np.ndarray:
        return network.travel_times(
            origins,
            destinations,
            departure=departure,
            window_minutes=window,
            step_minutes=step,
            max_minutes=budget,
            method=method,
        )

    per_minute = medians("per_minute")
    np.testing.assert_array_equal(medians("profile"), per_minute)
    walk = network.travel_times(origins, destinations, window_minutes=1, departure=NO_SERVICE)
    assert (per_minute < walk).sum() > 100  # rides matter
    np.testing.assert_array_equal(medians("auto"), per_minute)


@pytest.mark.parametrize("feed", ["nantes", "ter"])
def test_the_quickest_of_the_window_is_the_best_departure_by_both_methods(
    feed: str, request: pytest.FixtureRequest
) -> None:
    """One person's trip: the quickest of the window's departures — the profile search and
    one query per minute agree, and it is the minimum of the single departures' times."""
    network: TransitNetwork = request.getfixturevalue(feed)
    departure = {"nantes": WEDNESDAY, "ter": TER_TUESDAY}[feed]
    origins = _near_points(network, 60, seed=31)
    destinations = _near_points(network, 40, seed=32)

    def window(method: WindowMethod, statistic: WindowStatistic) -> np.ndarray:
        return network.travel_times(
            origins,
            destinations,
            departure=departure,
            window_minutes=30,
            max_minutes=120,
            method=method,
            statistic=statistic,
        )

    quickest = window("per_minute", "quickest")
    np.testing.assert_array_equal(window("profile", "quickest"), quickest)
    single = [
        network.travel_times(
            origins,
            destinations,
            departure=departure + timedelta(minutes=k),
            window_minutes=1,
            max_minutes=120,
            method="per_minute",
        )
        for k in range(30)
    ]
    np.testing.assert_array_equal(quickest, np.min(single, axis=0))
    median = window("per_minute", "median")
    assert (quickest <= median).all()
    assert (quickest < median).sum() > 20  # waiting at home is gone


def test_a_person_s_journey_is_the_quickest_departure(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed"))
    z = _destination(200)
    [journey] = network.journeys(
        *ORIGIN, [z], departure=WEDNESDAY, window_minutes=60, statistic="quickest"
    )
    [[reported]] = network.travel_times(
        [ORIGIN], [z], departure=WEDNESDAY, window_minutes=60, statistic="quickest"
    )
    assert journey is not None
    assert journey.minutes == reported
    _check_sum(journey)
    # Leaving 08:02 (174 s to the stop) catches the 08:05 tram with 6 s to spare: C at 08:45,
    # 43 minutes, the quickest of the window (the median is 57).
    rides = [leg for leg in journey.legs if leg.kind == "ride"]
    assert rides[0].departure == datetime.fromisoformat("2025-05-14T08:05")
    assert journey.legs[1].kind == "wait"
    assert journey.legs[1].minutes == pytest.approx(0.1)
    assert reported == pytest.approx(43 + journey.legs[-1].minutes)


def test_profile_search_in_batches_of_destinations(
    nantes: TransitNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    origins = _near_points(nantes, 80, seed=21)
    destinations = _near_points(nantes, 50, seed=22)
    whole = nantes.travel_times(origins, destinations, departure=WEDNESDAY, method="profile")
    monkeypatch.setattr(transit, "_PROFILE_MAX_BYTES", 4096)  # one batch per few destinations
    batched = nantes.travel_times(origins, destinations, departure=WEDNESDAY, method="profile")
    np.testing.assert_array_equal(batched, whole)
    per_minute = nantes.travel_times(
        origins, destinations, departure=WEDNESDAY, method="per_minute"
    )
    np.testing.assert_array_equal(batched, per_minute)


def test_routes_are_read_leniently(tmp_path: Path) -> None:
    folder = _hand_made(tmp_path / "feed")
    (folder / "routes.txt").write_text(
        "route_id,route_short_name,route_type\nTRAM,T1,0\nTRAM,T2,3\nEXPRESS,,\n",
        encoding="utf-8",
    )
    routes = gtfs.read_routes(folder)  # a route listed twice keeps its first row
    assert routes.ids.tolist() == ["TRAM", "EXPRESS"]
    assert routes.short_names.tolist() == ["T1", ""]
    assert routes.route_type.tolist() == [0, -1]
    network = TransitNetwork.from_gtfs(folder)
    [journey] = network.journeys(*ORIGIN, [_destination(200)], departure=WEDNESDAY)
    assert journey is not None
    rides = [leg for leg in journey.legs if leg.kind == "ride"]
    assert [(r.line, r.vehicle) for r in rides] == [("T1", "tram"), (None, None)]
    (folder / "routes.txt").unlink()  # no routes.txt: unnamed lines of unknown vehicle
    network = TransitNetwork.from_gtfs(folder)
    assert (network.trip_route_types == -1).all()
    [journey] = network.journeys(*ORIGIN, [_destination(200)], departure=WEDNESDAY)
    assert journey is not None
    assert all(leg.line is None for leg in journey.legs)


# --- walks timed by a walking network (a hook) ---------------------------------------------


def _slow_walk(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A walking network stand-in: twice the estimated walk, whole seconds; it cannot say
    (NaN) for points between 3.9° and 3.99° of longitude (off its streets)."""
    metres = great_circle_m(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1])
    minutes = np.ceil(metres * 1.3 / (4.5 / 3.6)) * 2 / 60

    def outside(xy: np.ndarray) -> np.ndarray:
        return (xy[:, 0] > 3.9) & (xy[:, 0] < 3.99)

    off = outside(a)[:, None] | outside(b)[None, :]
    return np.where(off, np.nan, minutes)


def test_a_walking_network_times_the_walks_to_and_from_the_stops(tmp_path: Path) -> None:
    network = TransitNetwork.from_gtfs(_hand_made(tmp_path / "feed"))
    z = _destination(200)
    [journey] = network.journeys(
        *ORIGIN, [z], departure=WEDNESDAY, window_minutes=1, walk=_slow_walk
    )
    assert journey is not None
    walk_to, *_, walk_from = journey.legs
    # the hook's walks: not estimated, no straight-line metres, twice the estimated walk
    assert (walk_to.kind, walk_to.estimated, walk_to.metres) == ("walk", False, None)
    assert walk_to.minutes == 2 * _walk_minutes(ORIGIN, (4.0, 45.0))
    assert (walk_from.kind, walk_from.estimated, walk_from.metres) == ("walk", False, None)
    assert walk_from.minutes == pytest.approx(2 * _walk_minutes((4.0, 45.1), (z[0], z[1])))
    assert not journey.estimated  # the tram, the transfer of transfers.txt, the coach
    [[reported]] = network.travel_times(
        [ORIGIN], [z], departure=WEDNESDAY, window_minutes=1, walk=_slow_walk
    )
    assert journey.minutes == reported
    # off the hook's network (NaN): the estimated walk, said so
    west = (3.9899, 45.0)
    [[direct]] = network.travel_times(
        [west], [ORIGIN], departure=WEDNESDAY, window_minutes=1, walk=_slow_walk
    )
    assert direct == _walk_minutes(west, ORIGIN)
    [only] = network.journeys(
        *west, [ORIGIN], departure=WEDNESDAY, window_minutes=1, walk=_slow_walk
    )
    assert only is not None
    assert [(leg.kind, leg.estimated) for leg in only.legs] == [("walk", True)]


@pytest.mark.parametrize("statistic", ["median", "quickest"])
def test_hooked_walks_compose_with_the_one_to_all_scan(
    nantes: TransitNetwork, statistic: WindowStatistic
) -> None:
    """With a hook, each departure's time is the best of the hooked walk, and of the walks to
    the stops (the hook's, the estimate where it is silent), the scan from them and the
    walks from the stops — by both methods."""
    origins = _near_points(nantes, 12, seed=41)
    destinations = _near_points(nantes, 15, seed=42)
    origins[0, 0] = 3.95  # off the hook's streets: the estimated walk stands

    def window(method: WindowMethod) -> np.ndarray:
        return nantes.travel_times(
            origins,
            destinations,
            departure=WEDNESDAY,
            window_minutes=10,
            max_minutes=90,
            method=method,
            statistic=statistic,
            walk=_slow_walk,
        )

    per_minute = window("per_minute")
    np.testing.assert_array_equal(window("profile"), per_minute)
    stop_xy = np.column_stack([nantes.stops.lon, nantes.stops.lat])
    served = np.flatnonzero(nantes.served)
    start = 8 * 3600
    expected = np.empty_like(per_minute)
    for i, origin in enumerate(origins):
        runs = []
        for k in range(10):
            tau = start + 60 * k
            straight = great_circle_m(origin[0], origin[1], stop_xy[served, 0], stop_xy[served, 1])
            near = served[straight <= 1000.0]
            hooked = _slow_walk(origin[None, :], stop_xy[near])[0]
            estimated = np.array([walk_seconds(m) for m in straight[straight <= 1000.0]])
            to_stop = np.where(np.isnan(hooked), estimated, np.round(hooked * 60))
            arrival = nantes.earliest_arrival(near, tau + to_stop.astype(np.int64), WEDNESDAY)
            times = []
            for d in destinations:
                direct = _slow_walk(origin[None, :], d[None, :])[0, 0] * 60
                if np.isnan(direct):
                    direct = walk_seconds(float(great_circle_m(*origin, *d)))
                best = float(direct)
                gap = great_circle_m(stop_xy[served, 0], stop_xy[served, 1], *d)
                ends = served[gap <= 1000.0]
                from_stop = _slow_walk(stop_xy[ends], d[None, :])[:, 0] * 60
                egress = np.where(
                    np.isnan(from_stop),
                    [walk_seconds(m) for m in gap[gap <= 1000.0]],
                    np.round(from_stop),
                )
                if ends.size:
                    best = min(best, float(np.min(arrival[ends] + egress)) - tau)
                times.append(best if best <= 90 * 60 else np.inf)
            runs.append(times)
        rank = 0 if statistic == "quickest" else 4
        expected[i] = np.sort(np.array(runs), axis=0)[rank] / 60
    np.testing.assert_array_equal(per_minute, expected)
    estimated = nantes.travel_times(  # the estimated walks: half the hook's
        origins,
        destinations,
        departure=WEDNESDAY,
        window_minutes=10,
        max_minutes=90,
        statistic=statistic,
    )
    assert (per_minute >= estimated).all()
    assert (per_minute > estimated).sum() > 50
    np.testing.assert_array_equal(per_minute[0], estimated[0])  # off the hook's streets
