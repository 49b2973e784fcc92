"""Several feeds in one network, clipped to a territory, with their validity; the real TER.

Hand-made feeds are checked against the independent brute force of ``brute_transit``; the
national TER timetable against the trains one reads off its ``stop_times.txt`` with the csv
module.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
import zipfile
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point, box, shape

from geodata import feeds
from geodata.transit import TransitNetwork
from tests.geodata import brute_transit as brute
from tests.geodata.brute_transit import hms
from tests.geodata.test_transit_rules import EVERY_DAY_2025, _feed, _same_as_brute, _trips

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TER = SHARED_DATA / "gtfs" / "sncf_ter_2025.zip"
GARD = SHARED_DATA / "gard" / "departement-30-gard.geojson"
WEDNESDAY = date(2025, 5, 14)

# --- two feeds merged --------------------------------------------------------------------------

# Both feeds name their stops "1" and "2" and their service "S". The train runs 1 → 2 on
# Wednesday 14 May 2025 only; the bus stop "1" stands 33 m from the station "2".
TRAIN = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nT,Train,https://t.example,"
    "Europe/Paris",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n1,Gare amont,45.0,4.0\n2,Gare aval,45.2,4.0",
    "calendar_dates.txt": "service_id,date,exception_type\nS,20250514,1",
    **_trips({"ter": [("1", "08:00:00"), ("2", "08:30:00")]}),
}
BUS = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nB,Bus,https://b.example,"
    "Europe/Paris",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n1,Gare routière,45.2003,4.0\n"
    "2,Village,45.3,4.0",
    "calendar.txt": EVERY_DAY_2025,
    "transfers.txt": "from_stop_id,to_stop_id,transfer_type,min_transfer_time\n1,1,2,120",
    **_trips(
        {
            "early": [("1", "08:30:20"), ("2", "08:45:00")],
            "bus": [("1", "08:31:00"), ("2", "08:50:00")],
            "back": [("2", "09:00:00"), ("1", "09:20:00")],
        }
    ),
}


@pytest.fixture
def two_feeds(tmp_path: Path) -> dict[str, Path]:
    return {"train": _feed(tmp_path / "train", TRAIN), "bus": _feed(tmp_path / "bus", BUS)}


def test_two_feeds_merge_into_one_network(two_feeds: dict[str, Path]) -> None:
    network = TransitNetwork.from_gtfs(two_feeds)
    ids = network.stops.ids.tolist()
    assert ids == ["train:1", "train:2", "bus:1", "bus:2"]
    assert network.trip_ids.tolist() == ["train:ter", "bus:early", "bus:bus", "bus:back"]
    assert network.feed_names == ("train", "bus")
    assert network.timezone == "Europe/Paris"
    # The walk between feeds: 33 m (43 m walked), 35 s; the bus leaving 20 s after the train
    # arrives is missed, the 08:31 one is caught.
    origin, target, seconds = network.footpaths.pairs()
    assert (ids.index("train:2"), ids.index("bus:1"), 35) in set(
        zip(origin.tolist(), target.tolist(), seconds.tolist(), strict=True)
    )
    at = network.earliest_arrival(["train:1"], [hms("07:55:00")], WEDNESDAY)
    assert at.tolist() == [hms("07:55:00"), hms("08:30:00"), hms("08:30:35"), hms("08:50:00")]
    # Calendars stay per feed: on Thursday the bus runs, the train does not.
    thursday = network.earliest_arrival(["bus:1"], [hms("08:00:00")], date(2025, 5, 15))
    assert thursday.tolist() == [math.inf, hms("08:00:35"), hms("08:00:00"), hms("08:45:00")]
    assert network.service_period("train") == (WEDNESDAY, WEDNESDAY)
    assert network.service_period("bus") == (date(2025, 1, 1), date(2025, 12, 31))
    assert network.service_period() == (date(2025, 1, 1), date(2025, 12, 31))

    timetable = brute.load(two_feeds)
    clocks = ("07:55:00", "08:30:00", "08:55:00")
    assert _same_as_brute(network, timetable, WEDNESDAY, clocks) == 12


def test_merging_refuses_unnamed_or_clashing_feeds(two_feeds: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="nom distinct"):
        TransitNetwork.from_gtfs({"a:b": two_feeds["train"], "bus": two_feeds["bus"]})
    paris, other = (
        feeds.read_feed(two_feeds["train"], name="x"),
        feeds.read_feed(two_feeds["bus"], name="y"),
    )
    with pytest.raises(ValueError, match="fuseau horaire"):
        feeds.merge_feeds([paris, replace(other, timezone="Europe/London")])


# --- clipped to an area -----------------------------------------------------------------------

# Six stops on a meridian, 2.2 km apart; the area keeps A, B, (not C), D, E.
LINE_STOPS = (
    "stop_id,stop_name,stop_lat,stop_lon\n"
    "A,A,45.00,4.0\nB,B,45.02,4.0\nC,C,45.04,4.0\nD,D,45.06,4.0\nE,E,45.08,4.0\nF,F,45.30,4.0"
)
LINE_TRIPS = {
    "through": [("A", "08:00:00"), ("B", "08:05:00"), ("C", "08:10:00"), ("D", "08:15:00")],
    "from_c": [("C", "08:20:00"), ("E", "08:40:00")],
    "onward": [("D", "08:20:00"), ("E", "08:30:00"), ("F", "09:00:00")],
    "outside": [("F", "07:00:00"), ("C", "07:30:00")],
}


def test_clipping_keeps_trips_riding_through_the_outside(tmp_path: Path) -> None:
    folder = _feed(
        tmp_path / "line",
        {"stops.txt": LINE_STOPS, "calendar.txt": EVERY_DAY_2025, **_trips(LINE_TRIPS)},
    )
    area = box(3.99, 44.99, 4.01, 45.10).difference(Point(4.0, 45.04).buffer(0.005))
    network = TransitNetwork.from_gtfs(folder, area=area)
    assert network.stops.ids.tolist() == ["A", "B", "D", "E"]
    assert sorted(network.trip_ids.tolist()) == ["onward", "through"]  # from_c, outside: 1 call
    assert network.connections.dep_time.size == 2 + 1  # A→B, B→D (through C); D→E
    at = network.earliest_arrival(["A"], [hms("07:55:00")], WEDNESDAY)
    assert at.tolist() == [hms("07:55:00"), hms("08:05:00"), hms("08:15:00"), hms("08:30:00")]

    timetable = brute.load(folder, inside=lambda lon, lat: area.intersects(Point(lon, lat)))
    ids = network.stops.ids.tolist()
    for source in ids:
        for clock in ("07:55:00", "08:12:00"):
            expected = brute.earliest(timetable, WEDNESDAY, source, hms(clock))
            got = network.earliest_arrival([source], [hms(clock)], WEDNESDAY)
            assert got.tolist() == [expected[s] for s in ids], (source, clock)


def test_a_buffer_is_drawn_in_metres() -> None:
    square = box(4.0, 44.0, 4.1, 44.1)
    grown = feeds.buffered_area(square, 1000.0)
    east = 4.1 + 1 / (111.195 * math.cos(math.radians(44.05)))  # 1 km east, in degrees
    assert grown.contains(Point(4.1 + 0.95 * (east - 4.1), 44.05))
    assert not grown.contains(Point(4.1 + 1.05 * (east - 4.1), 44.05))
    assert grown.contains(Point(4.05, 44.1 + 0.95 / 111.195))
    assert not grown.contains(Point(4.05, 44.1 + 1.05 / 111.195))
    assert feeds.buffered_area(square, 0.0) is square
    with pytest.raises(ValueError, match="mètres"):
        feeds.buffered_area(square, -1.0)


# --- validity ---------------------------------------------------------------------------------


def test_a_date_outside_the_period_takes_the_same_weekday_inside(
    two_feeds: dict[str, Path],
) -> None:
    train = TransitNetwork.from_gtfs(two_feeds["train"])
    assert train.resolve_date(WEDNESDAY) == (WEDNESDAY, None)
    used, notice = train.resolve_date(date(2026, 12, 9))
    assert used == WEDNESDAY
    assert notice == (
        "Horaires du réseau valables du 14/05/2025 au 14/05/2025 : "
        "le mercredi 14/05/2025 a servi pour le mercredi 09/12/2026."
    )
    assert train.resolve_date(date(2026, 12, 8)) == (  # no Tuesday in the period
        date(2026, 12, 8),
        "Horaires du réseau valables du 14/05/2025 au 14/05/2025 : "
        "le mardi 08/12/2026 est hors de cette période.",
    )

    merged = TransitNetwork.from_gtfs(two_feeds)  # the common period: the train's day
    assert merged.resolve_date(date(2025, 3, 5))[0] == WEDNESDAY
    bus = TransitNetwork.from_gtfs(two_feeds["bus"])
    used, notice = bus.resolve_date(date(2024, 12, 30))  # a Monday before the period
    assert used == date(2025, 1, 6)
    assert notice is not None
    assert notice.endswith("le lundi 06/01/2025 a servi pour le lundi 30/12/2024.")


# --- the national TER timetable ------------------------------------------------------------------

ALES = "StopPoint:OCETrain TER-87775288"
NIMES = "StopPoint:OCETrain TER-87775007"
TER_TUESDAY = date(2025, 2, 4)


@pytest.fixture(scope="module")
def ter_trains() -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Direct TER trains Alès ↔ Nîmes Centre on Tuesday 4 February 2025, read with csv."""
    if not TER.exists():
        pytest.skip(f"{TER} absent : les données partagées ../shared ne sont pas à côté du dépôt")
    with zipfile.ZipFile(TER) as archive:

        def table(name: str) -> list[dict[str, str]]:
            with archive.open(name) as raw:
                return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")))

        running = {
            row["service_id"]
            for row in table("calendar_dates.txt")
            if row["date"] == "20250204" and row["exception_type"] == "1"
        }
        today = {row["trip_id"] for row in table("trips.txt") if row["service_id"] in running}
        calls: dict[str, list[tuple[int, str, int, int]]] = defaultdict(list)
        for row in table("stop_times.txt"):
            if row["trip_id"] in today and row["stop_id"] in (ALES, NIMES):
                calls[row["trip_id"]].append(
                    (
                        int(row["stop_sequence"]),
                        row["stop_id"],
                        hms(row["arrival_time"]),
                        hms(row["departure_time"]),
                    )
                )
    trains: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for stops in calls.values():
        if len(stops) == 2:
            (_, a, _, departure), (_, b, arrival, _) = sorted(stops)
            trains[a, b].append((departure, arrival))
    return {pair: sorted(times) for pair, times in trains.items()}


def test_ter_trains_between_ales_and_nimes(
    ter_trains: dict[tuple[str, str], list[tuple[int, int]]],
) -> None:
    outward = ter_trains[NIMES, ALES]
    assert len(outward) == 20
    assert {(arr - dep) // 60 for dep, arr in outward} <= set(range(31, 42))
    started = time.perf_counter()
    network = TransitNetwork.from_gtfs(TER)
    seconds = time.perf_counter() - started
    assert network.trip_ids.size == 33_280
    assert network.stops.ids.size == 9_196
    assert network.service_period() == (date(2025, 1, 22), date(2025, 4, 22))
    print(f"TER national : {seconds:.2f} s, {network}")

    index = {str(stop): k for k, stop in enumerate(network.stops.ids)}
    ales_station, nimes_station = index["StopArea:OCE87775288"], index["StopArea:OCE87775007"]
    morning = [(dep, arr) for dep, arr in ter_trains[ALES, NIMES] if dep < hms("10:00:00")]
    assert len(morning) >= 4
    for dep, arr in morning:
        got = network.earliest_arrival([ales_station], [dep], TER_TUESDAY)[nimes_station]
        assert got <= arr  # that train, or a quicker one
        assert 31 * 60 <= got - dep <= 41 * 60
    assert {arr for _, arr in morning} == {
        network.earliest_arrival([ales_station], [dep], TER_TUESDAY)[nimes_station]
        for dep, _ in morning
    }


def test_ter_clipped_to_the_gard_and_its_validity(tmp_path: Path) -> None:
    if not (TER.exists() and GARD.exists()):
        pytest.skip("données partagées ../shared absentes")
    gard = shape(json.loads(GARD.read_text(encoding="utf-8"))["geometry"])
    started = time.perf_counter()
    network = TransitNetwork.from_gtfs(TER, area=gard, buffer_m=10_000)
    seconds = time.perf_counter() - started
    print(f"TER du Gard + 10 km : {seconds:.2f} s, {network}")
    whole = TransitNetwork.from_gtfs(TER)
    served = network.stops.ids[network.served]
    assert 50 < served.size < 400
    inside = feeds.buffered_area(gard, 10_000)
    assert all(
        inside.intersects(Point(lon, lat))
        for lon, lat in zip(
            network.stops.lon[network.served], network.stops.lat[network.served], strict=True
        )
    )
    names = set(network.stops.names[network.served].tolist())
    assert {"Alès", "Nîmes Centre", "Beaucaire", "Pont-Saint-Esprit", "Bagnols-sur-Cèze"} <= names

    # Within the Gard, the clipped network answers as the whole one.
    here = {str(s): k for k, s in enumerate(network.stops.ids)}
    there = {str(s): k for k, s in enumerate(whole.stops.ids)}
    for source in ("StopArea:OCE87775288", "StopArea:OCE87775007"):
        for clock in ("06:30:00", "08:00:00", "17:00:00"):
            ours = network.earliest_arrival([source], [hms(clock)], TER_TUESDAY, max_minutes=60)
            theirs = whole.earliest_arrival([source], [hms(clock)], TER_TUESDAY, max_minutes=60)
            near = [s for s in ("StopArea:OCE87775288", "StopArea:OCE87775007") if s != source]
            for stop in near:
                assert ours[here[stop]] == theirs[there[stop]]

    # Against the brute force, the area given as "no boarding, no alighting outside".
    folder = tmp_path / "ter"
    with zipfile.ZipFile(TER) as archive:
        archive.extractall(folder)
    area = feeds.buffered_area(gard, 10_000)
    timetable = brute.load(folder, inside=lambda x, y: area.intersects(Point(x, y)))
    ids = [str(stop) for stop in network.stops.ids]
    sources = ids[:: len(ids) // 8]
    assert {network.stops.location_type[here[s]] for s in sources} == {0, 1}
    for source in sources:
        for clock in ("07:00:00", "16:10:00"):
            expected = brute.earliest(timetable, TER_TUESDAY, source, hms(clock), 120 * 60)
            got = network.earliest_arrival([source], [hms(clock)], TER_TUESDAY, max_minutes=120)
            assert got.tolist() == [expected[stop] for stop in ids], (source, clock)

    used, notice = network.resolve_date(date(2026, 12, 8))
    assert used == date(2025, 4, 22)
    assert notice == (
        "Horaires du réseau valables du 22/01/2025 au 22/04/2025 : "
        "le mardi 22/04/2025 a servi pour le mardi 08/12/2026."
    )
    # Easter Monday runs half the usual trains: a Monday query takes the Monday before.
    assert whole.resolve_date(date(2026, 12, 7))[0] == date(2025, 4, 14)
    assert whole.resolve_date(TER_TUESDAY) == (TER_TUESDAY, None)
    assert (
        np.isfinite(whole.earliest_arrival(["StopArea:OCE87775288"], [hms("08:00:00")], used)).sum()
        > 10
    )


# --- persistence --------------------------------------------------------------------------------


def test_save_and_load_keep_rules_feeds_and_flags(
    two_feeds: dict[str, Path], tmp_path: Path
) -> None:
    (two_feeds["bus"] / "stop_times.txt").write_text(
        (two_feeds["bus"] / "stop_times.txt")
        .read_text()
        .replace("early,08:30:20,08:30:20,1,1", "early,08:30:20,08:30:20,1,1,1,0")
        .replace(STOP_TIMES_HEADER, STOP_TIMES_HEADER + ",pickup_type,drop_off_type"),
        encoding="utf-8",
    )
    network = TransitNetwork.from_gtfs(two_feeds, min_transfer_s=60)
    # "early" takes nobody at bus:1, its first call: nobody can ride it.
    assert network.connections.flags.tolist() == [3, 0, 3, 3]
    loaded = TransitNetwork.load(network.save(tmp_path / "merged.npz"))
    assert loaded.feed_names == ("train", "bus")
    assert loaded.min_transfer_s == 60
    assert loaded.service_period("train") == (WEDNESDAY, WEDNESDAY)
    for field in ("flags", "trip", "dep_time"):
        np.testing.assert_array_equal(
            getattr(loaded.connections, field), getattr(network.connections, field)
        )
    np.testing.assert_array_equal(loaded.change_seconds, network.change_seconds)
    assert sorted(set(network.change_seconds.tolist())) == [60, 120]
    np.testing.assert_array_equal(loaded.footpaths.transfer, network.footpaths.transfer)
    for source in network.stops.ids:
        np.testing.assert_array_equal(
            loaded.earliest_arrival([source], [hms("07:50:00")], WEDNESDAY),
            network.earliest_arrival([source], [hms("07:50:00")], WEDNESDAY),
        )

    # A network saved before this format: every call boards and alights, no change time.
    with np.load(tmp_path / "merged.npz") as data:
        old = {k: data[k] for k in data.files if k in FIRST_FORMAT_ARRAYS}
    old["format"] = np.array("maillage-transit-1")
    np.savez_compressed(tmp_path / "old.npz", **old)
    first = TransitNetwork.load(tmp_path / "old.npz")
    assert first.feed_names == ("",)
    assert (first.connections.flags == 3).all()
    assert (first.change_seconds == 0).all()


STOP_TIMES_HEADER = "trip_id,arrival_time,departure_time,stop_id,stop_sequence"
FIRST_FORMAT_ARRAYS = {
    "walk_speed_kmh", "timezone", "stop_ids", "stop_names", "stop_lon", "stop_lat",
    "stop_location_type", "stop_parent", "stop_parent_ids", "dep_stop", "arr_stop", "dep_time",
    "arr_time", "trip", "service", "trip_ids", "service_ids", "weekdays", "start", "end",
    "exception_service", "exception_date", "exception_type", "fp_indptr", "fp_to", "fp_seconds",
}  # fmt: skip
