"""Timetables as they come: transfers.txt, pickup/drop-off types, frequencies, merged feeds.

Each hand-made feed is checked twice: against the times one reads off its tables by hand
(named in the comments), and against the independent brute force of ``brute_transit`` from
every stop at several start times.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from geodata import gtfs
from geodata.transit import TransitNetwork
from tests.geodata import brute_transit as brute
from tests.geodata.brute_transit import hms

WEDNESDAY = date(2025, 5, 14)
EVERY_DAY_2025 = (
    "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    "S,1,1,1,1,1,1,1,20250101,20251231\n"
)
STOP_TIMES = "trip_id,arrival_time,departure_time,stop_id,stop_sequence"


def _feed(folder: Path, tables: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in tables.items():
        (folder / name).write_text(text.strip() + "\n", encoding="utf-8")
    return folder


def _trips(rows: dict[str, list[tuple[str, str]]], service: str = "S") -> dict[str, str]:
    """trips.txt and stop_times.txt for trips given as [(stop, "HH:MM:SS"), ...]."""
    trips = ["route_id,service_id,trip_id"] + [f"R,{service},{trip}" for trip in rows]
    times = [STOP_TIMES] + [
        f"{trip},{clock},{clock},{stop},{k + 1}"
        for trip, calls in rows.items()
        for k, (stop, clock) in enumerate(calls)
    ]
    return {"trips.txt": "\n".join(trips), "stop_times.txt": "\n".join(times)}


def _same_as_brute(
    network: TransitNetwork,
    timetable: brute.Timetable,
    day: date,
    clocks: tuple[str, ...],
    *,
    horizon: int | None = None,
) -> int:
    """Compare every served stop as a source at each clock; return how many were compared."""
    ids = [str(stop) for stop in network.stops.ids]
    compared = 0
    for source in np.flatnonzero(network.served):
        for clock in clocks:
            expected = brute.earliest(timetable, day, ids[source], hms(clock), horizon)
            got = network.earliest_arrival(
                [source], [hms(clock)], day, max_minutes=None if horizon is None else horizon / 60
            )
            assert got.tolist() == [expected[stop] for stop in ids], (ids[source], clock)
            compared += 1
    return compared


# --- transfers.txt ------------------------------------------------------------------------

# A station S with two platforms 11 m apart, and a bus stop T 111 m north; A, B, C, D, E and
# F lie kilometres away. Walks: S1–S2 12 s, S1–T 116 s, S2–T 105 s (× 1.3 at 4.5 km/h).
STATION_STOPS = """
stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station
S,Gare,45.0400,4.0,1,
S1,Gare quai 1,45.0400,4.0,0,S
S2,Gare quai 2,45.0401,4.0,0,S
T,Gare routière,45.0410,4.0,0,
A,A,45.00,4.0,0,
B,B,45.02,4.0,0,
C,C,45.06,4.0,0,
D,D,45.08,4.0,0,
E,E,45.10,4.0,0,
F,F,45.12,4.0,0,
"""
STATION_TRIPS = {
    "in_s1": [("A", "08:00:00"), ("S1", "08:10:00")],
    "s1_soon": [("S1", "08:12:00"), ("C", "08:20:00")],
    "s1_later": [("S1", "08:16:00"), ("C", "08:30:00")],
    "s2_soon": [("S2", "08:13:00"), ("D", "08:20:00")],
    "s2_later": [("S2", "08:20:00"), ("D", "08:40:00")],
    "t_soon": [("T", "08:14:00"), ("E", "08:25:00")],
    "t_later": [("T", "08:25:00"), ("E", "08:45:00")],
    "in_s2": [("B", "08:00:00"), ("S2", "08:10:00")],
    "s1_timed": [("S1", "08:10:00"), ("F", "08:50:00")],
    "c_on": [("C", "08:31:00"), ("F", "08:55:00")],
}
# 5 min to change at S1; S1 → S2 forbidden; S1 → T 10 min; the station as a whole is a timed
# transfer point (S2 → S1 then takes no time), which the platform rules above override; a rule
# restricted to routes is ignored.
STATION_TRANSFERS = """
from_stop_id,to_stop_id,transfer_type,min_transfer_time,from_route_id,to_route_id
S,S,1,,,
S1,S1,2,300,,
S1,S2,3,,,
S1,T,2,600,,
S2,S2,3,,R,R
"""


@pytest.fixture
def station(tmp_path: Path) -> Path:
    return _feed(
        tmp_path / "station",
        {
            "stops.txt": STATION_STOPS,
            "calendar.txt": EVERY_DAY_2025,
            "transfers.txt": STATION_TRANSFERS,
            **_trips(STATION_TRIPS),
        },
    )


def test_transfer_rules_are_honoured(station: Path) -> None:
    network = TransitNetwork.from_gtfs(station)
    at = network.earliest_arrival(["A"], [hms("07:55:00")], WEDNESDAY)
    index = {str(stop): k for k, stop in enumerate(network.stops.ids)}

    assert at[index["S1"]] == hms("08:10:00")
    assert at[index["C"]] == hms("08:30:00")  # 5 min at S1: 08:12 missed, 08:16 taken
    assert at[index["S2"]] == hms("08:10:12")  # walked to (12 s), ...
    assert at[index["D"]] == math.inf  # ... but changing from S1 to S2 is forbidden
    assert at[index["T"]] == hms("08:11:56")  # walked to (116 s), 10 min to change: 08:14 missed
    assert at[index["E"]] == hms("08:45:00")
    assert at[index["F"]] == hms("08:55:00")  # S1's 08:10 missed; C's 08:31 caught at once
    assert network.transfer_rules_ignored == 1

    # S2 → S1: the station's timed rule (0 s) beats the 12 s walk: the 08:10 from S1 is caught.
    from_b = network.earliest_arrival(["B"], [hms("07:55:00")], WEDNESDAY)
    assert from_b[index["F"]] == hms("08:50:00")
    assert from_b[index["D"]] == hms("08:20:00")  # the rule restricted to routes is ignored

    timetable = brute.load(station)
    assert _same_as_brute(network, timetable, WEDNESDAY, ("07:55:00", "08:10:00", "08:12:30")) > 20


def test_without_transfers_txt_a_change_costs_the_walk_and_min_transfer_s(station: Path) -> None:
    (station / "transfers.txt").unlink()
    free = TransitNetwork.from_gtfs(station)
    index = {str(stop): k for k, stop in enumerate(free.stops.ids)}
    at = free.earliest_arrival(["A"], [hms("07:55:00")], WEDNESDAY)
    assert at[index["C"]] == hms("08:20:00")  # 08:12 caught: no change time by default
    assert at[index["D"]] == hms("08:20:00")  # S1 → S2 (12 s) then 08:13
    assert at[index["E"]] == hms("08:25:00")  # S1 → T (116 s) then 08:14
    assert at[index["F"]] == hms("08:50:00")  # the 08:10 at S1 leaves as the rider alights
    assert free.earliest_arrival(["B"], [hms("07:55:00")], WEDNESDAY)[index["F"]] == hms(
        "08:55:00"  # 08:10 at S1 is 12 s away from S2: missed; C at 08:20, its 08:31
    )

    slow = TransitNetwork.from_gtfs(station, min_transfer_s=180)
    at = slow.earliest_arrival(["A"], [hms("07:55:00")], WEDNESDAY)
    assert at[index["C"]] == hms("08:30:00")  # 3 min at S1: 08:12 missed
    assert at[index["D"]] == hms("08:20:00")  # another platform: the walk, not the change time
    timetable = brute.load(station, min_transfer_s=180)
    clocks = ("07:55:00", "08:10:00")
    assert _same_as_brute(slow, timetable, WEDNESDAY, clocks) > 10
    assert _same_as_brute(free, brute.load(station), WEDNESDAY, clocks) > 10


def test_transfers_txt_is_read_with_its_station_rows(station: Path) -> None:
    stops = gtfs.read_stops(station)
    rules = gtfs.read_transfers(station, stops)
    assert [str(stops.ids[i]) for i in rules.from_stop] == ["S", "S1", "S1", "S1", "S2"]
    assert rules.kind.tolist() == [1, 2, 3, 2, 3]
    assert rules.min_seconds.tolist() == [-1, 300, -1, 600, -1]
    assert rules.restricted.tolist() == [False, False, False, False, True]


# --- pickup_type and drop_off_type -----------------------------------------------------------


def test_pickup_and_drop_off_types_are_honoured(tmp_path: Path) -> None:
    # The coach "express" runs A → B → C → D but only sets down at B (pickup_type 1) and only
    # picks up at C (drop_off_type 1): nobody rides B → C on it; it still runs through both.
    folder = _feed(
        tmp_path / "pickup",
        {
            "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
            "A,A,45.00,4.0\nB,B,45.02,4.0\nC,C,45.04,4.0\nD,D,45.06,4.0\nE,E,45.08,4.0",
            "calendar.txt": EVERY_DAY_2025,
            "trips.txt": "route_id,service_id,trip_id\nR,S,express\nR,S,local\nR,S,feeder",
            "stop_times.txt": STOP_TIMES + ",pickup_type,drop_off_type\n"
            "express,08:00:00,08:00:00,A,1,0,1\n"
            "express,08:10:00,08:10:00,B,2,1,0\n"
            "express,08:20:00,08:20:00,C,3,0,1\n"
            "express,08:30:00,08:30:00,D,4,1,0\n"
            "local,08:40:00,08:40:00,B,1,,\n"
            "local,09:10:00,09:10:00,D,2,,\n"
            "feeder,07:50:00,07:50:00,E,1,0,0\n"
            "feeder,08:05:00,08:05:00,B,2,0,0\n",
        },
    )
    network = TransitNetwork.from_gtfs(folder)
    b, c, d = 1, 2, 3
    from_a = network.earliest_arrival(["A"], [hms("07:55:00")], WEDNESDAY)
    assert from_a[[b, c, d]].tolist() == [hms("08:10:00"), math.inf, hms("08:30:00")]
    from_e = network.earliest_arrival(["E"], [hms("07:45:00")], WEDNESDAY)
    # At B at 08:05, the express (08:10) takes nobody there: the local at 08:40.
    assert from_e[[b, c, d]].tolist() == [hms("08:05:00"), math.inf, hms("09:10:00")]
    from_c = network.earliest_arrival(["C"], [hms("08:00:00")], WEDNESDAY)
    assert from_c[d] == hms("08:30:00")
    assert network.served.tolist() == [True] * 5

    timetable = brute.load(folder)
    assert _same_as_brute(network, timetable, WEDNESDAY, ("07:45:00", "08:05:00")) == 10


# --- frequencies.txt --------------------------------------------------------------------------


def test_frequencies_are_expanded_into_trips(tmp_path: Path) -> None:
    # Template "shuttle": A → B 10 min, B → C 15 min. Every 10 min from 06:00 to before 07:00
    # (a timetable), then every 20 min from 07:00 to before 08:00 (a frequency).
    folder = _feed(
        tmp_path / "frequencies",
        {
            "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
            "A,A,45.00,4.0\nB,B,45.02,4.0\nC,C,45.04,4.0\nD,D,45.06,4.0",
            "calendar.txt": EVERY_DAY_2025,
            "frequencies.txt": "trip_id,start_time,end_time,headway_secs,exact_times\n"
            "shuttle,06:00:00,07:00:00,600,1\nshuttle,07:00:00,08:00:00,1200,0",
            **_trips(
                {
                    "shuttle": [("A", "00:00:00"), ("B", "00:10:00"), ("C", "00:25:00")],
                    "onward": [("C", "07:50:00"), ("D", "08:00:00")],
                }
            ),
        },
    )
    network = TransitNetwork.from_gtfs(folder)
    departures = ["06:00", "06:10", "06:20", "06:30", "06:40", "06:50", "07:00", "07:20", "07:40"]
    assert network.trip_ids.tolist() == ["onward"] + [f"shuttle@{t}:00" for t in departures]
    assert network.connections.dep_time.size == 1 + 2 * 9
    c, d = 2, 3
    assert network.earliest_arrival(["A"], [hms("06:55:00")], WEDNESDAY)[c] == hms("07:25:00")
    assert network.earliest_arrival(["A"], [hms("07:01:00")], WEDNESDAY)[c] == hms("07:45:00")
    assert network.earliest_arrival(["A"], [hms("07:01:00")], WEDNESDAY)[d] == hms("08:00:00")
    assert network.earliest_arrival(["A"], [hms("07:41:00")], WEDNESDAY)[c] == math.inf
    assert network.earliest_arrival(["A"], [hms("05:00:00")], WEDNESDAY)[c] == hms("06:25:00")

    timetable = brute.load(folder)
    assert len(timetable.trips) == 10
    clocks = ("05:00:00", "06:31:00", "07:05:00")
    assert _same_as_brute(network, timetable, WEDNESDAY, clocks) == 12


def test_reading_frequencies_refuses_bad_rows(tmp_path: Path) -> None:
    folder = _feed(
        tmp_path / "bad",
        {
            "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nA,A,45.0,4.0\nB,B,45.1,4.0",
            "calendar.txt": EVERY_DAY_2025,
            "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nt,06:00:00,07:00:00,0",
            **_trips({"t": [("A", "00:00:00"), ("B", "00:10:00")]}),
        },
    )
    trips = gtfs.read_trips(folder, gtfs.read_calendar(folder))
    with pytest.raises(ValueError, match=r"frequencies\.txt \(headway_secs\)"):
        gtfs.read_frequencies(folder, trips)
