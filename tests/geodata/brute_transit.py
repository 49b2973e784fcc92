"""A brute-force public transport search, independent of ``geodata``, for the router's tests.

It reads GTFS folders with the csv module, applies the rules that ``geodata.transit``
documents — in plain Python, written from the documentation, not from the code — and
explores a time-expanded graph with a heap (Dijkstra on event times):

- events: a rider *at* a stop at a time, *ready to board* at a stop at a time, and a
  vehicle's departure from and arrival at each call of each trip of the day;
- a ride links a trip's departure from call ``i`` to its arrival at call ``i + 1``; staying
  aboard links the arrival at a call to the departure from it;
- boarding: ready at a stop at ``t`` → any departure from that stop at ``t`` or later whose
  ``pickup_type`` is not 1 (a trip's last call has no departure);
- alighting (``drop_off_type`` not 1): the arrival → at the stop; → ready there after the
  stop's change time (unless forbidden); → at the end of each footpath after its walk, and
  ready there after its transfer time (unless forbidden);
- the start: at and ready at the source (an unserved station: at each of its served
  platforms); at and ready at the end of each footpath after its walk. A walk is one footpath.

Footpaths link *served* stops (where a rider may board a trip and alight further on, or
alight from a trip boarded before) at most
500 m apart, or sharing a ``parent_station``, in ``ceil(metres × 1.3 / (4.5 km/h))`` seconds
(the straight line stretched by the walk detour: every walk, access and egress included).
``transfers.txt`` rules between stops (types 0–3, no route or trip fields; a station stands
for its served platforms and loses to a rule naming a platform) set the transfer time, or the
change time from a stop to itself; a listed pair without footpath gets one at the rule's time.
``frequencies.txt`` trips run at ``start + k * headway`` before ``end``. Several folders are
merged by prefixing every identifier with ``"{name}:"``; an ``area`` keeps only the stops
inside for boarding, alighting and walking, the trips still passing through the others.
"""

from __future__ import annotations

import csv
import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

WALK_MPS = 4.5 / 3.6
WALK_DETOUR = 1.3
MAX_TRANSFER_M = 500.0
EARTH_RADIUS_M = 6_371_008.8
INF = math.inf


def hms(text: str) -> int:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def walk_seconds(metres: float) -> int:
    """Whole seconds walking ``metres`` of straight line (× the walk detour), rounded up."""
    return math.ceil(metres * WALK_DETOUR / WALK_MPS)


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / name
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return [
            {k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(stream)
        ]


@dataclass
class Call:
    stop: str
    arrival: int
    departure: int
    board: bool
    alight: bool


@dataclass
class Timetable:
    """Everything the search needs, identifiers already prefixed."""

    stops: dict[str, dict[str, str]] = field(default_factory=dict)
    trips: dict[str, tuple[str, list[Call]]] = field(default_factory=dict)  # service, calls
    running: Callable[[date], set[str]] = lambda day: set()
    served: set[str] = field(default_factory=set)
    walks: dict[str, dict[str, int]] = field(default_factory=dict)
    transfers: dict[str, dict[str, int]] = field(default_factory=dict)  # -1: forbidden
    change: dict[str, int] = field(default_factory=dict)  # -1: forbidden


def _services(folder: Path, prefix: str) -> Callable[[date], set[str]]:
    weekly = rows(folder, "calendar.txt")
    dates = rows(folder, "calendar_dates.txt")
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    def running(day: date) -> set[str]:
        ymd = day.strftime("%Y%m%d")
        active = {
            prefix + row["service_id"]
            for row in weekly
            if row[days[day.weekday()]] == "1" and row["start_date"] <= ymd <= row["end_date"]
        }
        for row in dates:
            if row["date"] == ymd:
                if row["exception_type"] == "1":
                    active.add(prefix + row["service_id"])
                else:
                    active.discard(prefix + row["service_id"])
        return active

    return running


def _trips(folder: Path, prefix: str) -> dict[str, tuple[str, list[Call]]]:
    service = {row["trip_id"]: row["service_id"] for row in rows(folder, "trips.txt")}
    calls: dict[str, list[tuple[int, Call]]] = defaultdict(list)
    for row in rows(folder, "stop_times.txt"):
        calls[row["trip_id"]].append(
            (
                int(row["stop_sequence"]),
                Call(
                    prefix + row["stop_id"],
                    hms(row["arrival_time"] or row["departure_time"]),
                    hms(row["departure_time"] or row["arrival_time"]),
                    row.get("pickup_type", "") != "1",
                    row.get("drop_off_type", "") != "1",
                ),
            )
        )
    ordered = {trip: [c for _, c in sorted(cs, key=lambda x: x[0])] for trip, cs in calls.items()}
    result = {}
    frequencies = defaultdict(list)
    for row in rows(folder, "frequencies.txt"):
        frequencies[row["trip_id"]].append(row)
    for trip, trip_calls in ordered.items():
        if trip not in frequencies:
            result[prefix + trip] = (prefix + service[trip], trip_calls)
            continue
        first = trip_calls[0].departure
        for row in frequencies[trip]:
            t = hms(row["start_time"])
            while t < hms(row["end_time"]):
                shift = t - first
                copy = [
                    Call(c.stop, c.arrival + shift, c.departure + shift, c.board, c.alight)
                    for c in trip_calls
                ]
                result[f"{prefix}{trip}@{t}"] = (prefix + service[trip], copy)
                t += int(row["headway_secs"])
    return result


def load(
    feeds: Path | Mapping[str, Path],
    *,
    min_transfer_s: int = 0,
    inside: Callable[[float, float], bool] | None = None,
) -> Timetable:
    """Read one folder (no prefix) or several (prefixed by their names) into a `Timetable`.

    ``inside(lon, lat)``, when given, says which stops are in the area.
    """
    folders = {"": feeds} if isinstance(feeds, Path) else {f"{k}:": v for k, v in feeds.items()}
    table = Timetable()
    runnings = []
    raw_transfers = []
    for prefix, folder in folders.items():
        for stop in rows(folder, "stops.txt"):
            parent = stop.get("parent_station", "")
            table.stops[prefix + stop["stop_id"]] = {
                **stop,
                "parent_station": prefix + parent if parent else "",
            }
        table.trips.update(_trips(folder, prefix))
        runnings.append(_services(folder, prefix))
        raw_transfers += [(prefix, row) for row in rows(folder, "transfers.txt")]
    table.running = lambda day: set().union(*(running(day) for running in runnings))
    if inside is not None:
        kept = {s for s in table.stops if table.stops[s]["stop_lat"] and inside(*_at(table, s))}
        for _, trip_calls in table.trips.values():
            for c in trip_calls:
                if c.stop not in kept:
                    c.board = c.alight = False
    served = table.served = _served(table)
    table.walks = _walks(table, served)
    table.transfers = {a: dict(ws) for a, ws in table.walks.items()}
    table.change = dict.fromkeys(served, min_transfer_s)
    _apply_rules(table, _rules(table, served, raw_transfers))
    return table


def _at(table: Timetable, stop: str) -> tuple[float, float]:
    row = table.stops[stop]
    return float(row["stop_lon"]), float(row["stop_lat"])


def _served(table: Timetable) -> set[str]:
    """Stops where a rider may board a trip and alight further on, or alight from a trip
    boarded before."""
    served = set()
    for _, trip_calls in table.trips.values():
        for i, c in enumerate(trip_calls):
            on = c.board and any(later.alight for later in trip_calls[i + 1 :])
            off = c.alight and any(earlier.board for earlier in trip_calls[:i])
            if on or off:
                served.add(c.stop)
    return served


def _walks(table: Timetable, served: set[str]) -> dict[str, dict[str, int]]:
    walks: dict[str, dict[str, int]] = {}
    for a in served:
        for b in served:
            metres = haversine(*_at(table, a), *_at(table, b))
            parent = table.stops[a].get("parent_station", "")
            same_station = parent != "" and parent == table.stops[b]["parent_station"]
            if a != b and (metres <= MAX_TRANSFER_M or same_station):
                walks.setdefault(a, {})[b] = walk_seconds(metres)
    return walks


Rule = tuple[int, int, dict[str, str]]  # how specific, row number, row
Node = tuple[Any, ...]  # ("at" | "ready", stop), ("dep" | "arr", trip, i)


def _rules(
    table: Timetable, served: set[str], raw: list[tuple[str, dict[str, str]]]
) -> dict[tuple[str, str], Rule]:
    """The rule of each pair of served stops (stations expanded, the most specific wins)."""

    def station(stop: str) -> bool:
        return table.stops[stop].get("location_type") == "1"

    def members(stop: str) -> list[str]:
        if station(stop):
            return [s for s in served if stop in (s, table.stops[s]["parent_station"])]
        return [stop] if stop in served else []

    rules: dict[tuple[str, str], Rule] = {}
    for number, (prefix, row) in enumerate(raw):
        vehicles = ("from_route_id", "to_route_id", "from_trip_id", "to_trip_id")
        a, b = prefix + row.get("from_stop_id", ""), prefix + row.get("to_stop_id", "")
        if any(row.get(k) for k in vehicles) or int(row.get("transfer_type") or 0) > 3:
            continue
        if a not in table.stops or b not in table.stops:
            continue
        specific = (not station(a)) + (not station(b))
        for x in members(a):
            for y in members(b):
                if (x, y) not in rules or rules[x, y][:2] <= (specific, number):
                    rules[x, y] = (specific, number, row)
    return rules


def _apply_rules(table: Timetable, rules: dict[tuple[str, str], Rule]) -> None:
    for (x, y), (_, _, row) in rules.items():
        kind = int(row.get("transfer_type") or 0)
        minimum = int(row["min_transfer_time"]) if row.get("min_transfer_time") else None
        if x == y:
            default = table.change[x]
        else:
            straight = walk_seconds(haversine(*_at(table, x), *_at(table, y)))
            default = table.walks.get(x, {}).get(y, straight)
        seconds = {0: default, 1: 0, 2: default if minimum is None else minimum, 3: -1}[kind]
        if x == y:
            table.change[x] = seconds
        elif y in table.walks.get(x, {}):
            table.transfers[x][y] = seconds
            if seconds >= 0:
                table.walks[x][y] = min(table.walks[x][y], seconds)
        elif seconds >= 0:
            table.walks.setdefault(x, {})[y] = seconds
            table.transfers.setdefault(x, {})[y] = seconds


def earliest(  # noqa: PLR0912 - one search loop, a branch per kind of event
    table: Timetable, day: date, source: str, start: int, horizon: int | None = None
) -> dict[str, float]:
    """Earliest arrival at every stop (stations: their earliest platform), ``inf`` if none.

    Rides departing after ``start + horizon`` are not taken and arrivals after it are
    ``inf``, as ``max_minutes`` does.
    """
    last = INF if horizon is None else start + horizon
    running = table.running(day)
    trips = {t: calls for t, (service, calls) in table.trips.items() if service in running}
    departures: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for trip, calls in trips.items():
        for i, c in enumerate(calls[:-1]):
            if c.board and c.departure <= last:
                departures[c.stop].append((c.departure, trip, i))

    best: dict[Node, int] = {}
    heap: list[tuple[int, Node]] = []

    def reach(node: Node, time: float) -> None:
        if time < best.get(node, INF):
            best[node] = int(time)
            heapq.heappush(heap, (int(time), node))

    def alight(stop: str, time: int) -> None:
        reach(("at", stop), time)
        if table.change[stop] >= 0:
            reach(("ready", stop), time + table.change[stop])
        for other, seconds in table.walks.get(stop, {}).items():
            reach(("at", other), time + seconds)
            if table.transfers[stop][other] >= 0:
                reach(("ready", other), time + table.transfers[stop][other])

    starts = [source]
    if table.stops[source].get("location_type") == "1" and source not in table.served:
        starts = [s for s in table.served if table.stops[s]["parent_station"] == source]
    for stop in starts:  # a station stands for its served platforms
        reach(("at", stop), start)
        reach(("ready", stop), start)
        for other, seconds in table.walks.get(stop, {}).items():
            reach(("at", other), start + seconds)
            reach(("ready", other), start + seconds)
    while heap:
        time, node = heapq.heappop(heap)
        if best[node] != time:
            continue
        if node[0] == "ready":  # board any later departure here
            for dep, trip, i in departures[node[1]]:
                if dep >= time:
                    reach(("dep", trip, i), dep)
        elif node[0] == "dep":  # ride to the next call
            _, trip, i = node
            reach(("arr", trip, i + 1), trips[trip][i + 1].arrival)
        elif node[0] == "arr":  # stay aboard, or alight
            _, trip, i = node
            call = trips[trip][i]
            if i < len(trips[trip]) - 1 and call.departure <= last:
                reach(("dep", trip, i), call.departure)
            if call.alight:
                alight(call.stop, time)
    result = dict.fromkeys(table.stops, INF)
    for node, time in best.items():
        if node[0] == "at" and time <= last:
            result[node[1]] = min(result[node[1]], time)
    for stop, row in table.stops.items():
        parent = row.get("parent_station", "")
        if parent in result:
            result[parent] = min(result[parent], result[stop])
    return result


def one_vehicle(table: Timetable, day: date, source: str, start: int) -> dict[str, float]:
    """Earliest arrival walking, riding at most one vehicle, walking: no transfer."""
    running = table.running(day)
    on_foot: dict[str, float] = defaultdict(lambda: INF)
    on_foot[source] = start
    for other, seconds in table.walks.get(source, {}).items():
        on_foot[other] = start + seconds
    best = defaultdict(lambda: INF, on_foot)
    for service, calls in table.trips.values():
        if service not in running:
            continue
        aboard = False
        for here, there in pairwise(calls):
            aboard = aboard or (here.board and on_foot[here.stop] <= here.departure)
            if aboard and there.alight:
                best[there.stop] = min(best[there.stop], there.arrival)
                for other, seconds in table.walks.get(there.stop, {}).items():
                    best[other] = min(best[other], there.arrival + seconds)
    return best
