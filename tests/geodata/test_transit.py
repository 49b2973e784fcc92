"""The GTFS reader and the Connection Scan router, against a brute-force search on real data.

The brute force (``brute_transit``) reads the feeds with the csv module on its own (no code of
``geodata``), builds the time-expanded graph of one day (events: at a stop, ready to board,
vehicle departures and arrivals; edges: rides, staying aboard, boarding, alighting, walks and
transfers) and explores it with a plain heap.
"""

from __future__ import annotations

import math
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from geodata import gtfs
from geodata.transit import TransitNetwork
from tests.geodata import brute_transit as brute
from tests.geodata.brute_transit import WALK_DETOUR, WALK_MPS, walk_seconds
from tests.geodata.brute_transit import haversine as _haversine
from tests.geodata.brute_transit import hms as _hms

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NANTES = SHARED_DATA / "gtfs" / "nantes-naolib-subset"
NYC = SHARED_DATA / "gtfs" / "nyc_subway_gtfs.zip"

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2025, 5, 13)  # inside the Nantes feed (2025-05-13 → 2025-05-22)
SATURDAY = date(2025, 5, 17)
OUTSIDE = date(2025, 6, 10)  # a Tuesday after the Nantes feed ends
NYC_WEEKDAY = date(2025, 1, 8)  # a Wednesday inside the NYC calendar (2024-12-15 → 2025-01-17)


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


@pytest.fixture(scope="module")
def nantes_brute() -> brute.Timetable:
    return brute.load(_shared(NANTES))


# --- Nantes against the brute force ---------------------------------------------------------


def test_footpaths_follow_the_documented_rule(
    nantes: TransitNetwork, nantes_brute: brute.Timetable
) -> None:
    origin, target, seconds = nantes.footpaths.pairs()
    ids = nantes.stops.ids
    built = {
        (str(ids[a]), str(ids[b])): int(s) for a, b, s in zip(origin, target, seconds, strict=True)
    }
    expected = {(a, b): s for a, walks in nantes_brute.walks.items() for b, s in walks.items()}
    assert built == expected
    assert len(built) > 25
    np.testing.assert_array_equal(nantes.footpaths.transfer, nantes.footpaths.seconds)


def test_earliest_arrivals_equal_a_time_expanded_brute_force(
    nantes: TransitNetwork, nantes_brute: brute.Timetable
) -> None:
    ids = [str(stop) for stop in nantes.stops.ids]
    compared = need_a_transfer = 0
    for day in (TUESDAY, SATURDAY):
        for source in ("FFAU3", "CSMP1", "SBSA2", "BPTY1", "RREN3", "LGOF2"):
            for clock in ("06:40:00", "08:17:00", "12:30:30", "17:45:00", "21:10:00"):
                start = _hms(clock)
                expected = brute.earliest(nantes_brute, day, source, start, horizon=90 * 60)
                got = nantes.earliest_arrival([source], [start], day, max_minutes=90)
                assert got.tolist() == [expected[stop] for stop in ids], (day, source, clock)
                one_vehicle = brute.one_vehicle(nantes_brute, day, source, start)
                need_a_transfer += sum(expected[stop] < one_vehicle[stop] for stop in ids)
                compared += 1
    assert compared == 60
    assert need_a_transfer > 0  # some earliest arrivals take two vehicles


def test_full_day_scan_equals_the_brute_force(
    nantes: TransitNetwork, nantes_brute: brute.Timetable
) -> None:
    day = date(2025, 5, 16)  # a Friday: its own services
    ids = [str(stop) for stop in nantes.stops.ids]
    for source, clock in (("FFAU1", "05:30:00"), ("RVAN4", "19:02:00"), ("BRUN2", "23:20:00")):
        expected = brute.earliest(nantes_brute, day, source, _hms(clock))
        got = nantes.earliest_arrival(source, _hms(clock), day)
        assert got.tolist() == [expected[stop] for stop in ids], (source, clock)


def test_outside_the_calendar_only_walking_is_left(
    nantes: TransitNetwork, nantes_brute: brute.Timetable
) -> None:
    start = _hms("08:00:00")
    got = nantes.earliest_arrival(["FFAU3"], [start], OUTSIDE)
    expected = {stop: start + seconds for stop, seconds in nantes_brute.walks["FFAU3"].items()}
    expected["FFAU3"] = start
    assert got.tolist() == [expected.get(str(stop), math.inf) for stop in nantes.stops.ids]

    xy = np.column_stack([nantes.stops.lon, nantes.stops.lat])
    minutes = nantes.travel_times(
        xy[:3], xy, departure=datetime(2025, 6, 10, 8, 0, tzinfo=PARIS), window_minutes=10
    )
    walking = np.array([[walk_seconds(_haversine(*a, *b)) / 60 for b in xy] for a in xy[:3]])
    np.testing.assert_allclose(minutes, walking, rtol=0, atol=1e-9)


def test_window_median_is_the_lower_median_of_minute_runs(nantes: TransitNetwork) -> None:
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
    # the 30th smallest of 60: a time one departure takes (R5's percentile, not numpy's mean
    # of the two middle ones)
    np.testing.assert_array_equal(window, np.sort(runs, axis=0)[29])
    assert (window != np.median(runs, axis=0)).any()
    assert window.shape == (3, 25)
    assert np.isfinite(window).all()
    assert (runs.min(axis=0) < runs.max(axis=0)).any()  # the departure time matters


def test_travel_times_bounds_and_walking(nantes: TransitNetwork) -> None:
    xy = np.column_stack([nantes.stops.lon, nantes.stops.lat])
    departure = datetime(2025, 5, 13, 8, 0)  # naive: the feed's local time  # noqa: DTZ001
    free = nantes.travel_times(xy, xy, departure=departure)
    assert np.diagonal(free).tolist() == [0.0] * 25
    walking = np.array([[walk_seconds(_haversine(*a, *b)) / 60 for b in xy] for a in xy])
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
    walk_deg = 8 * 60 * WALK_MPS / WALK_DETOUR / 111_195  # the walking radius, in degrees
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
    timetable = brute.load(folder)
    assert brute.earliest(timetable, date(2025, 5, 14), "A", start)["B"] == _hms("08:40:00")

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


def test_a_walk_is_one_footpath(tmp_path: Path) -> None:
    # X is far; A, B, C sit 400 m apart in a row, so A–C (800 m) is no single footpath and
    # two footpaths in a row are no walk. A trip on another day serves B and C: only served
    # stops are walked to.
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
    step = walk_seconds(_haversine(4.0, 45.0, 4.0, 45.0036))
    assert got.tolist() == [_hms("07:59:00"), _hms("08:10:00"), 29400 + step, math.inf]

    # A hook (a walking StreetNetwork's travel_times, here a stub) replaces the straight line:
    # 3 minutes between any two served stops, within the budget of 500 m (520 s walked).
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


def test_nyc_equals_the_brute_force_with_its_transfer_rules(
    nyc: TransitNetwork, tmp_path: Path
) -> None:
    # transfers.txt gives each station a change time (type 2, station to itself): 180 s at
    # 78 stations, 300 s at 2, 0 s at 7; 4 stations have no rule: min_transfer_s, 0.
    changes = nyc.change_seconds[nyc.served].tolist()
    assert (changes.count(180), changes.count(300), changes.count(0)) == (156, 4, 14 + 8)
    with zipfile.ZipFile(NYC) as archive:
        archive.extractall(tmp_path)
    timetable = brute.load(tmp_path)
    ids = [str(stop) for stop in nyc.stops.ids]
    for source in ("127", "142S", "101S", "201N"):  # Times Sq (a station), platforms
        for clock in ("08:00:00", "17:02:03"):
            expected = brute.earliest(timetable, NYC_WEEKDAY, source, _hms(clock), 90 * 60)
            got = nyc.earliest_arrival([source], [_hms(clock)], NYC_WEEKDAY, max_minutes=90)
            assert got.tolist() == [expected[stop] for stop in ids], (source, clock)
