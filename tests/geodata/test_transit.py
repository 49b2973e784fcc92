"""The GTFS reader and the Connection Scan router, against a brute-force search on real data.

The brute force reads the Nantes feed with the csv module on its own (no code of
``geodata.gtfs``), builds the time-expanded graph of one day (nodes: (stop, time) events;
edges: rides, waiting at a stop, walks) and explores it with a plain heap.
"""

from __future__ import annotations

import csv
import heapq
import math
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from geodata import gtfs
from geodata.transit import TransitNetwork

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NANTES = SHARED_DATA / "gtfs" / "nantes-naolib-subset"
NYC = SHARED_DATA / "gtfs" / "nyc_subway_gtfs.zip"

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2025, 5, 13)  # inside the Nantes feed (2025-05-13 → 2025-05-22)
SATURDAY = date(2025, 5, 17)
OUTSIDE = date(2025, 6, 10)  # a Tuesday after the Nantes feed ends
NYC_WEEKDAY = date(2025, 1, 8)  # a Wednesday inside the NYC calendar (2024-12-15 → 2025-01-17)

WALK_MPS = 4.5 / 3.6
MAX_TRANSFER_M = 500.0
EARTH_RADIUS_M = 6_371_008.8


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} absent : les données partagées ../shared ne sont pas à côté du dépôt")
    return path


@pytest.fixture(scope="module")
def nantes() -> TransitNetwork:
    return TransitNetwork.from_gtfs(_shared(NANTES))


@pytest.fixture(scope="module")
def nyc() -> TransitNetwork:
    return TransitNetwork.from_gtfs(_shared(NYC))


def _hms(text: str) -> int:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


# --- the brute force, independent of geodata.gtfs -----------------------------------------

Ride = tuple[str, str, int, int, str]  # dep stop, arr stop, dep time, arr time, trip


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / name
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def _running_services(folder: Path, day: date) -> set[str]:
    ymd = day.strftime("%Y%m%d")
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    running = {
        row["service_id"]
        for row in _rows(folder, "calendar.txt")
        if row[weekday[day.weekday()]] == "1" and row["start_date"] <= ymd <= row["end_date"]
    }
    for row in _rows(folder, "calendar_dates.txt"):
        if row["date"] == ymd:
            if row["exception_type"] == "1":
                running.add(row["service_id"])
            else:
                running.discard(row["service_id"])
    return running


def _rides(folder: Path, day: date) -> list[Ride]:
    services = _running_services(folder, day)
    running = {
        row["trip_id"] for row in _rows(folder, "trips.txt") if row["service_id"] in services
    }
    calls: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _rows(folder, "stop_times.txt"):
        if row["trip_id"] in running:
            calls[row["trip_id"]].append(row)
    rides = []
    for trip, rows in calls.items():
        rows.sort(key=lambda row: int(row["stop_sequence"]))
        for here, there in pairwise(rows):
            dep, arr = _hms(here["departure_time"]), _hms(there["arrival_time"])
            rides.append((here["stop_id"], there["stop_id"], dep, arr, trip))
    return rides


def _haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _direct_walks(folder: Path) -> dict[tuple[str, str], int]:
    """Footpaths by the documented rule: ≤ 500 m straight line, or the same parent station."""
    stops = _rows(folder, "stops.txt")
    walks = {}
    for a in stops:
        for b in stops:
            if a is b:
                continue
            metres = _haversine(
                float(a["stop_lon"]),
                float(a["stop_lat"]),
                float(b["stop_lon"]),
                float(b["stop_lat"]),
            )
            same_parent = a.get("parent_station", "") != "" and a.get("parent_station") == b.get(
                "parent_station"
            )
            if metres <= MAX_TRANSFER_M or same_parent:
                walks[a["stop_id"], b["stop_id"]] = math.ceil(metres / WALK_MPS)
    return walks


def _walk_closure(folder: Path) -> dict[str, dict[str, int]]:
    """Shortest walk between stops over any number of footpaths (Floyd–Warshall)."""
    ids = [row["stop_id"] for row in _rows(folder, "stops.txt")]
    best = {a: {b: (0 if a == b else math.inf) for b in ids} for a in ids}
    for (a, b), seconds in _direct_walks(folder).items():
        best[a][b] = seconds
    for k in ids:
        for a in ids:
            for b in ids:
                best[a][b] = min(best[a][b], best[a][k] + best[k][b])
    return {
        a: {b: int(t) for b, t in row.items() if b != a and t < math.inf} for a, row in best.items()
    }


def _time_expanded_earliest(
    rides: list[Ride],
    walks: dict[str, dict[str, int]],
    source: str,
    start: int,
    horizon: int | None,
) -> dict[str, float]:
    """Earliest arrival per stop by Dijkstra on the time-expanded graph of the rides."""
    last = math.inf if horizon is None else start + horizon
    usable = [ride for ride in rides if start <= ride[2] <= last]
    index: dict[tuple[str, int], int] = {}
    events: list[tuple[str, int]] = []

    def node(stop: str, time: int) -> int:
        if (stop, time) not in index:
            index[stop, time] = len(events)
            events.append((stop, time))
        return index[stop, time]

    edges: dict[int, list[int]] = defaultdict(list)
    walk_from = [(source, start)]
    for dep_stop, arr_stop, dep, arr, _trip in usable:
        edges[node(dep_stop, dep)].append(node(arr_stop, arr))
        walk_from.append((arr_stop, arr))
    for stop, time in walk_from:
        here = node(stop, time)
        for other, seconds in walks.get(stop, {}).items():
            edges[here].append(node(other, time + seconds))
    by_stop: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for n, (stop, time) in enumerate(events):
        by_stop[stop].append((time, n))
    for calls in by_stop.values():
        calls.sort()
        for (_, before), (_, after) in pairwise(calls):
            edges[before].append(after)  # waiting at the stop

    origin = index[source, start]
    seen = {origin}
    heap = [(start, origin)]
    best: dict[str, float] = defaultdict(lambda: math.inf)
    while heap:
        time, n = heapq.heappop(heap)
        stop = events[n][0]
        best[stop] = min(best[stop], time)
        for m in edges[n]:
            if m not in seen:
                seen.add(m)
                heapq.heappush(heap, (events[m][1], m))
    return {stop: (t if t <= last else math.inf) for stop, t in best.items()}


def _one_vehicle_earliest(
    rides: list[Ride], walks: dict[str, dict[str, int]], source: str, start: int
) -> dict[str, float]:
    """Earliest arrival walking, riding at most one vehicle, walking: no transfer."""
    on_foot: dict[str, float] = defaultdict(lambda: math.inf)
    on_foot[source] = start
    for other, seconds in walks.get(source, {}).items():
        on_foot[other] = start + seconds
    best = defaultdict(lambda: math.inf, on_foot)
    by_trip: dict[str, list[Ride]] = defaultdict(list)
    for ride in rides:
        by_trip[ride[4]].append(ride)
    for legs in by_trip.values():
        aboard = False
        for dep_stop, arr_stop, dep, arr, _trip in sorted(legs, key=lambda ride: ride[2:4]):
            aboard = aboard or on_foot[dep_stop] <= dep
            if aboard:
                best[arr_stop] = min(best[arr_stop], arr)
                for other, seconds in walks.get(arr_stop, {}).items():
                    best[other] = min(best[other], arr + seconds)
    return best


# --- Nantes against the brute force ---------------------------------------------------------


def test_footpaths_follow_the_documented_rule(nantes: TransitNetwork) -> None:
    origin, target, seconds = nantes.footpaths.pairs()
    ids = nantes.stops.ids
    built = {
        (str(ids[a]), str(ids[b])): int(s) for a, b, s in zip(origin, target, seconds, strict=True)
    }
    assert built == _direct_walks(NANTES)


def test_earliest_arrivals_equal_a_time_expanded_brute_force(nantes: TransitNetwork) -> None:
    walks = _walk_closure(NANTES)
    ids = [str(stop) for stop in nantes.stops.ids]
    compared = need_a_transfer = 0
    for day in (TUESDAY, SATURDAY):
        rides = _rides(NANTES, day)
        for source in ("FFAU3", "CSMP1", "SBSA2", "BPTY1", "RREN3", "LGOF2"):
            for clock in ("06:40:00", "08:17:00", "12:30:30", "17:45:00", "21:10:00"):
                start = _hms(clock)
                expected = _time_expanded_earliest(rides, walks, source, start, horizon=90 * 60)
                got = nantes.earliest_arrival([source], [start], day, max_minutes=90)
                assert got.tolist() == [expected[stop] for stop in ids], (day, source, clock)
                one_vehicle = _one_vehicle_earliest(rides, walks, source, start)
                need_a_transfer += sum(expected[stop] < one_vehicle[stop] for stop in ids)
                compared += 1
    assert compared == 60
    assert need_a_transfer > 0  # some earliest arrivals take two vehicles


def test_full_day_scan_equals_the_brute_force(nantes: TransitNetwork) -> None:
    day = date(2025, 5, 16)  # a Friday: its own services
    rides = _rides(NANTES, day)
    walks = _walk_closure(NANTES)
    ids = [str(stop) for stop in nantes.stops.ids]
    for source, clock in (("FFAU1", "05:30:00"), ("RVAN4", "19:02:00"), ("BRUN2", "23:20:00")):
        expected = _time_expanded_earliest(rides, walks, source, _hms(clock), horizon=None)
        got = nantes.earliest_arrival(source, _hms(clock), day)
        assert got.tolist() == [expected[stop] for stop in ids], (source, clock)


def test_outside_the_calendar_only_walking_is_left(nantes: TransitNetwork) -> None:
    walks = _walk_closure(NANTES)
    start = _hms("08:00:00")
    got = nantes.earliest_arrival(["FFAU3"], [start], OUTSIDE)
    expected = {stop: start + seconds for stop, seconds in walks["FFAU3"].items()}
    expected["FFAU3"] = start
    assert got.tolist() == [expected.get(str(stop), math.inf) for stop in nantes.stops.ids]

    xy = np.column_stack([nantes.stops.lon, nantes.stops.lat])
    minutes = nantes.travel_times(
        xy[:3], xy, departure=datetime(2025, 6, 10, 8, 0, tzinfo=PARIS), window_minutes=10
    )
    walking = np.array(
        [[math.ceil(_haversine(*a, *b) / WALK_MPS) / 60 for b in xy] for a in xy[:3]]
    )
    np.testing.assert_allclose(minutes, walking, rtol=0, atol=1e-9)


def test_window_median_equals_numpy_median_of_minute_runs(nantes: TransitNetwork) -> None:
    xy = np.column_stack([nantes.stops.lon, nantes.stops.lat])
    origins = xy[[0, 9, 24]] + [[0.004, 0.002], [-0.003, 0.0], [0.0, 0.0035]]  # 250–350 m off
    departure = datetime(2025, 5, 13, 8, 0, tzinfo=PARIS)
    window = nantes.travel_times(origins, xy, departure=departure, window_minutes=60)
    runs = np.stack(
        [
            nantes.travel_times(
                origins, xy, departure=departure + timedelta(minutes=k), window_minutes=1
            )
            for k in range(60)
        ]
    )
    np.testing.assert_array_equal(window, np.median(runs, axis=0))
    assert window.shape == (3, 25)
    assert np.isfinite(window).all()
    assert (runs.min(axis=0) < runs.max(axis=0)).any()  # the departure time matters


def test_travel_times_bounds_and_walking(nantes: TransitNetwork) -> None:
    xy = np.column_stack([nantes.stops.lon, nantes.stops.lat])
    departure = datetime(2025, 5, 13, 8, 0)  # naive: the feed's local time  # noqa: DTZ001
    free = nantes.travel_times(xy, xy, departure=departure)
    assert np.diagonal(free).tolist() == [0.0] * 25
    walking = np.array([[math.ceil(_haversine(*a, *b) / WALK_MPS) / 60 for b in xy] for a in xy])
    assert (free <= walking + 1e-9).all()  # a person may always just walk
    bounded = nantes.travel_times(xy, xy, departure=departure, max_minutes=5)
    assert np.isinf(bounded[free > 5]).all()
    kept = np.isfinite(bounded)
    np.testing.assert_array_equal(bounded[kept], free[kept])
    assert kept.sum() > 25  # more than each stop to itself
    assert nantes.travel_times(np.zeros((0, 2)), xy, departure=departure).shape == (0, 25)
    with pytest.raises(ValueError, match="Coordonnées invalides"):
        nantes.travel_times([[200.0, 47.0]], xy, departure=departure)


def test_zip_and_folder_give_the_same_network(nantes: TransitNetwork, tmp_path: Path) -> None:
    archive = tmp_path / "nantes.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for table in sorted(NANTES.glob("*.txt")):
            out.write(table, f"nantes/{table.name}")  # tables in a sub-folder, as many feeds do
    zipped = TransitNetwork.from_gtfs(archive)
    for field in ("dep_stop", "arr_stop", "dep_time", "arr_time", "trip", "service"):
        np.testing.assert_array_equal(
            getattr(zipped.connections, field), getattr(nantes.connections, field)
        )
    np.testing.assert_array_equal(
        zipped.earliest_arrival(["CSMP2"], [_hms("08:00:00")], TUESDAY),
        nantes.earliest_arrival(["CSMP2"], [_hms("08:00:00")], TUESDAY),
    )


def test_save_and_load_roundtrip(nantes: TransitNetwork, tmp_path: Path) -> None:
    path = nantes.save(tmp_path / "nantes.npz")
    assert path == tmp_path / "nantes.npz"
    loaded = TransitNetwork.load(path)
    assert loaded.timezone == "Europe/Paris"
    assert loaded.service_period() == (date(2025, 5, 13), date(2025, 5, 22))
    assert loaded.walk_speed_kmh == nantes.walk_speed_kmh
    np.testing.assert_array_equal(loaded.stops.ids, nantes.stops.ids)
    np.testing.assert_array_equal(loaded.footpaths.seconds, nantes.footpaths.seconds)
    xy = np.column_stack([nantes.stops.lon, nantes.stops.lat])
    departure = datetime(2025, 5, 13, 17, 30, tzinfo=PARIS)
    np.testing.assert_array_equal(
        loaded.travel_times(xy, xy, departure=departure, window_minutes=15),
        nantes.travel_times(xy, xy, departure=departure, window_minutes=15),
    )
    (tmp_path / "other.npz").write_bytes(b"")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="n'est pas un réseau"):
        TransitNetwork.load(tmp_path / "other.npz")


def test_isochrone_holds_the_walking_disc_and_reached_stops(nantes: TransitNetwork) -> None:
    lon, lat = float(nantes.stops.lon[0]), float(nantes.stops.lat[0])
    area = nantes.isochrone(
        lon, lat, 8, departure=datetime(2025, 5, 13, 8, 0, tzinfo=PARIS), window_minutes=30
    )
    assert area.is_valid
    assert area.geom_type in {"Polygon", "MultiPolygon"}
    walk_deg = 8 * 60 * WALK_MPS / 111_195  # the walking radius, in degrees of latitude
    assert area.contains(_point(lon, lat + 0.9 * walk_deg))
    assert not area.contains(_point(lon, lat + 3 * walk_deg))


def _point(lon: float, lat: float) -> object:
    from shapely.geometry import Point

    return Point(lon, lat)


# --- small hand-made feeds ----------------------------------------------------------------

AGENCY = (
    "agency_id,agency_name,agency_url,agency_timezone\nA,Test,https://example.org,Europe/Paris\n"
)
# Four stops 2.2 km apart on a meridian: no walking transfer between them.
FAR_STOPS = (
    "stop_id,stop_name,stop_lat,stop_lon\n"
    "A,A,45.00,4.0\nB,B,45.02,4.0\nC,C,45.04,4.0\nD,D,45.06,4.0\nE,E,45.08,4.0\n"
)


def _feed(folder: Path, tables: dict[str, str], *, bom: bool = False) -> Path:
    folder.mkdir()
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8-sig" if bom else "utf-8")
    return folder


def test_calendar_dates_remove_and_add_services(tmp_path: Path) -> None:
    folder = _feed(
        tmp_path / "exceptions",
        {
            "agency.txt": AGENCY,
            "stops.txt": FAR_STOPS,
            "calendar.txt": (
                "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                "start_date,end_date\nWEEK,1,1,1,1,1,0,0,20250101,20251231\n"
            ),
            # 14 May: the weekday service is removed and a special one runs instead.
            "calendar_dates.txt": (
                "service_id,date,exception_type\nWEEK,20250514,2\nSPECIAL,20250514,1\n"
            ),
            "trips.txt": "route_id,service_id,trip_id\nR,WEEK,usual\nR,SPECIAL,special\n",
            "stop_times.txt": (
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                "usual,08:00:00,08:00:00,A,1\nusual,08:10:00,08:10:00,B,2\n"
                "special,08:20:00,08:20:00,A,1\nspecial,08:40:00,08:40:00,B,2\n"
            ),
        },
        bom=True,
    )
    network = TransitNetwork.from_gtfs(folder)
    start = _hms("07:55:00")
    b = 1
    assert network.earliest_arrival(["A"], [start], date(2025, 5, 13))[b] == _hms("08:10:00")
    assert network.earliest_arrival(["A"], [start], date(2025, 5, 14))[b] == _hms("08:40:00")
    assert network.earliest_arrival(["A"], [start], date(2025, 5, 17))[b] == math.inf  # Saturday
    assert _rides(folder, date(2025, 5, 14)) == [("A", "B", 30000, 31200, "special")]

    calendar = gtfs.read_calendar(folder)
    assert calendar.service_ids.tolist() == ["WEEK", "SPECIAL"]
    assert gtfs.active_services(calendar, date(2025, 5, 14)).tolist() == [False, True]
    assert gtfs.active_services(calendar, date(2025, 5, 15)).tolist() == [True, False]


def test_a_feed_with_only_calendar_dates(tmp_path: Path) -> None:
    folder = _feed(
        tmp_path / "dates_only",
        {
            "stops.txt": FAR_STOPS,
            "calendar_dates.txt": "service_id,date,exception_type\nONCE,20250514,1\n",
            "trips.txt": "route_id,service_id,trip_id\nR,ONCE,t\n",
            "stop_times.txt": (
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                "t,09:00:00,09:00:00,C,1\nt,09:05:00,09:05:00,D,2\n"
            ),
        },
    )
    network = TransitNetwork.from_gtfs(folder)
    assert network.timezone is None
    c, d = 2, 3
    assert network.earliest_arrival([c], [0], date(2025, 5, 14))[d] == _hms("09:05:00")
    assert network.earliest_arrival([c], [0], date(2025, 5, 15))[d] == math.inf


def test_times_past_midnight_belong_to_the_service_day(tmp_path: Path) -> None:
    folder = _feed(
        tmp_path / "night",
        {
            "agency.txt": AGENCY,
            "stops.txt": FAR_STOPS,
            "calendar.txt": (
                "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                "start_date,end_date\nMONDAY,1,0,0,0,0,0,0,20250101,20251231\n"
            ),
            "trips.txt": "route_id,service_id,trip_id\nN,MONDAY,night\n",
            # C has no time: interpolated halfway between 23:50 and 24:30.
            "stop_times.txt": (
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                "night,23:50:00,23:50:00,A,1\nnight,24:10:00,24:10:00,B,2\n"
                "night,,,C,3\nnight,24:30:00,24:30:00,D,4\n"
            ),
        },
    )
    stop_times = gtfs.read_stop_times(
        folder, gtfs.read_stops(folder), gtfs.read_trips(folder, gtfs.read_calendar(folder))
    )
    assert stop_times.arrival.tolist() == [85800, 87000, 87600, 88200]
    network = TransitNetwork.from_gtfs(folder)
    monday, tuesday, wednesday = date(2025, 5, 12), date(2025, 5, 13), date(2025, 5, 14)
    on_monday = network.earliest_arrival(["A"], [_hms("23:45:00")], monday)
    assert on_monday[1:4].tolist() == [87000, 87600, 88200]  # seconds after Monday midnight
    # At 00:05 on Tuesday, Monday's train is still running: board it at B.
    on_tuesday = network.earliest_arrival(["B"], [_hms("00:05:00")], tuesday)
    assert on_tuesday[2:4].tolist() == [_hms("00:20:00"), _hms("00:30:00")]
    on_wednesday = network.earliest_arrival(["B"], [_hms("00:05:00")], wednesday)
    assert np.isinf(on_wednesday[[0, 2, 3]]).all()


def test_walks_chain_several_footpaths(tmp_path: Path) -> None:
    # X is far; A, B, C sit 400 m apart in a row, so A–C (800 m) is no single footpath.
    # A trip on another day serves B and C: only served stops are walked to.
    folder = _feed(
        tmp_path / "walks",
        {
            "stops.txt": (
                "stop_id,stop_name,stop_lat,stop_lon\n"
                "X,X,45.1,4.0\nA,A,45.0,4.0\nB,B,45.0036,4.0\nC,C,45.0072,4.0\n"
            ),
            "calendar_dates.txt": (
                "service_id,date,exception_type\nS,20250514,1\nOTHER,20250515,1\n"
            ),
            "trips.txt": "route_id,service_id,trip_id\nR,S,t\nR,OTHER,u\n",
            "stop_times.txt": (
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                "t,08:00:00,08:00:00,X,1\nt,08:10:00,08:10:00,A,2\n"
                "u,09:00:00,09:00:00,B,1\nu,09:01:00,09:01:00,C,2\n"
            ),
        },
    )
    network = TransitNetwork.from_gtfs(folder)
    origin, target, _ = network.footpaths.pairs()
    assert sorted(zip(origin.tolist(), target.tolist(), strict=True)) == [
        (1, 2),
        (2, 1),
        (2, 3),
        (3, 2),
    ]
    got = network.earliest_arrival(["X"], [_hms("07:59:00")], date(2025, 5, 14))
    step = math.ceil(_haversine(4.0, 45.0, 4.0, 45.0036) / WALK_MPS)
    assert got.tolist() == [_hms("07:59:00"), _hms("08:10:00"), 29400 + step, 29400 + 2 * step]

    # A hook (a walking StreetNetwork's travel_times, here a stub) replaces the straight line:
    # 3 minutes between any two served stops, within the 500 m budget of 400 s.
    def three_minutes(xy: np.ndarray) -> np.ndarray:
        return np.where(np.eye(len(xy), dtype=bool), 0.0, 3.0)

    hooked = TransitNetwork.from_gtfs(folder, footpaths=three_minutes)
    assert hooked.footpaths.seconds.tolist() == [180] * 12
    got = hooked.earliest_arrival(["X"], [_hms("07:59:00")], date(2025, 5, 14))
    assert got.tolist() == [_hms("07:59:00")] + [_hms("08:02:00")] * 3  # X now walks anywhere


def test_a_transfer_between_two_zero_duration_hops(tmp_path: Path) -> None:
    # "second" is listed first, so its R→S hop sorts before "first"'s Q→R hop (both 08:05).
    folder = _feed(
        tmp_path / "zero",
        {
            "stops.txt": FAR_STOPS.replace("A,A", "P,P")
            .replace("B,B", "Q,Q")
            .replace("C,C", "R,R")
            .replace("D,D", "S,S")
            .replace("E,E", "T,T"),
            "calendar_dates.txt": "service_id,date,exception_type\nS,20250514,1\n",
            "trips.txt": "route_id,service_id,trip_id\nR,S,second\nR,S,first\n",
            "stop_times.txt": (
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                "second,08:05:00,08:05:00,R,1\nsecond,08:05:00,08:05:00,S,2\n"
                "second,08:10:00,08:10:00,T,3\n"
                "first,08:00:00,08:00:00,P,1\nfirst,08:05:00,08:05:00,Q,2\n"
                "first,08:05:00,08:05:00,R,3\n"
            ),
        },
    )
    got = TransitNetwork.from_gtfs(folder).earliest_arrival(["P"], [0], date(2025, 5, 14))
    assert got.tolist() == [0, 29100, 29100, 29100, 29400]


def test_missing_files_and_columns_are_refused_in_french(tmp_path: Path) -> None:
    folder = _feed(tmp_path / "broken", {"stops.txt": "stop_id,stop_lat\nA,45.0\n"})
    with pytest.raises(ValueError, match=r"Colonne obligatoire absente de stops\.txt : stop_lon"):
        gtfs.read_stops(folder)
    with pytest.raises(ValueError, match=r"Fichier GTFS obligatoire absent : trips\.txt"):
        gtfs.read_trips(
            folder,
            gtfs.read_calendar(
                _feed(
                    tmp_path / "cal",
                    {"calendar_dates.txt": "service_id,date,exception_type\nS,20250514,1\n"},
                )
            ),
        )
    with pytest.raises(ValueError, match=r"ni calendar\.txt ni calendar_dates\.txt"):
        gtfs.read_calendar(folder)
    with pytest.raises(ValueError, match="ni un dossier ni une archive zip"):
        gtfs.read_stops(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="Horaire GTFS invalide"):
        gtfs.parse_time("8h00")


# --- the NYC subway --------------------------------------------------------------------------


def test_nyc_subway_from_times_square(nyc: TransitNetwork) -> None:
    stations = np.flatnonzero(nyc.stops.location_type == 1)
    assert nyc.served.sum() == 182  # the feed holds lines 1 and 2: 91 stations, 182 platforms
    assert nyc.timezone == "America/New_York"
    assert nyc.service_period() == (date(2024, 12, 15), date(2025, 1, 17))
    start = _hms("08:00:00")
    arrival = nyc.earliest_arrival(["127"], [start], NYC_WEEKDAY)  # Times Sq-42 St (a station)
    within_90 = (arrival[stations] - start) <= 90 * 60
    assert within_90.sum() >= 85
    south_ferry = int(np.flatnonzero(nyc.stops.ids == "142")[0])
    assert 10 * 60 <= arrival[south_ferry] - start <= 25 * 60
    # On Christmas Day (a Wednesday) calendar_dates swaps the weekday service for Sunday's.
    christmas = nyc.earliest_arrival(["127"], [start], date(2024, 12, 25))
    sunday = nyc.earliest_arrival(["127"], [start], date(2024, 12, 22))
    np.testing.assert_array_equal(christmas, sunday)
    assert not np.array_equal(christmas, arrival)
    assert ((christmas[stations] - start) <= 90 * 60).sum() >= 80  # New Lots branch: not Sundays


def test_nyc_window_travel_times_and_isochrone(nyc: TransitNetwork) -> None:
    times_square = (-73.987495, 40.75529)
    destinations = np.column_stack([nyc.stops.lon[nyc.served], nyc.stops.lat[nyc.served]])
    minutes = nyc.travel_times(
        [times_square],
        destinations,
        departure=datetime(2025, 1, 8, 8, 0, tzinfo=NEW_YORK),
        max_minutes=90,
    )
    assert np.isfinite(minutes).mean() > 0.9
    area = nyc.isochrone(
        *times_square, 20, departure=datetime(2025, 1, 8, 8, 0, tzinfo=NEW_YORK), window_minutes=20
    )
    assert area.geom_type in {"Polygon", "MultiPolygon"}
    fourteenth_street = (-74.000201, 40.737826)  # 2.2 km away: 16 minutes' walk beyond 20 min
    assert area.contains(_point(*fourteenth_street))
    assert not area.contains(_point(-73.898583, 40.889248))  # Van Cortlandt Park-242 St
