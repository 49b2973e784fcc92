"""Benchmark of street travel times: maillage vs networkx vs pandana vs scipy, on the same graphs.

    scripts/bench traveltime                # the full run (~5 minutes on 2 cores)
    scripts/bench traveltime --grid-only    # the 1,000 × 1,000 matrix on the grid, alone
    scripts/bench traveltime --side 100     # a quick run on a 10,000-node grid
    scripts/bench traveltime --tiny         # a smoke run: 12 × 12 grid, no real network

Networks: a ~100,000-node street grid that this script writes as an OSM XML file (317 × 317
nodes 100 m apart near Nîmes, primary/secondary/residential streets with maxspeed tags, one-way
streets in both directions, a few footways) and loads through `geodata.network.build_network`
like any OSM file — city extracts are small, the grid shows how cost grows —, Helsinki (walk)
and Saint-Barthélemy (car) from ``../shared/data/osm``. Each is saved and loaded again as the
CLI does (with its contraction hierarchy; the time to build it and the file sizes are shown).

Queries, each the median of a few repetitions:

- one → all: from one origin (its coordinates) to every node (their coordinates). maillage:
  `StreetNetwork.travel_times`, destinations snapped on the first call and reused (the
  content-keyed snap cache; the first call is reported apart). networkx:
  ``single_source_dijkstra_path_length`` on the graph as OSMnx builds it (a ``MultiDiGraph``
  with ``travel_time`` on the edges: what ``osmnx.routing`` runs), and on a plain ``DiGraph``.
  pandana: ``nodes_in_range`` from the origin (its contraction-hierarchy range query). scipy:
  ``scipy.sparse.csgraph.dijkstra`` from the origin.
- 1,000 × 1,000: origins and destinations drawn among the nodes; maillage gets fresh origins
  at each repetition, the same destinations. networkx runs one single-source search per
  origin; pandana ``shortest_path_lengths`` on the pairs; scipy ``dijkstra(indices=origins)``.
  Where a run would take too long, it runs on a subset of origins and is extrapolated
  linearly — the table says so (≈). On the grid, maillage's other methods are timed on the
  same matrix too: one Dijkstra search per origin (the method before the hierarchy), and
  RPHAST (`phast_candidate`, measured and not kept), with their largest difference to the
  default answer.

Every query checks that all agree within 1 second on the pairs both computed. The machine's
load average is printed with the figures: on a shared machine, "quiet" means a 1-minute load
below half the cores.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from geodata.network import build_network
from geodata.sphere import EARTH_RADIUS_M
from geodata.traveltime import MatrixMethod, StreetNetwork, load_network, warm_up

ROOT = Path(__file__).resolve().parents[2]
OSM = ROOT.parent / "shared" / "data" / "osm"
TOLERANCE_S = 1.0
GOAL_S = 2.0  # issue 13: the 1,000 × 1,000 matrix on the ~100k-node grid, 2 cores


# -- the grid ---------------------------------------------------------------------------------


def _street_tags(index: int) -> dict[str, str]:
    """Tags of the index-th row or column: a mix of classes, speeds and one-ways."""
    if index % 20 == 0:
        tags = {"highway": "primary", "maxspeed": "70"}
    elif index % 5 == 0:
        tags = {"highway": "secondary"}
    elif index % 3 == 1:
        tags = {"highway": "residential", "maxspeed": "FR:zone30"}
    else:
        tags = {"highway": "residential"}
    if tags["highway"] == "residential" and index % 7 == 3:
        tags["oneway"] = "yes"
    elif tags["highway"] == "residential" and index % 7 == 5:
        tags["oneway"] = "-1"
    return tags


def write_grid(
    path: Path, side: int, *, spacing_m: float = 100.0, sw: tuple[float, float] = (4.30, 43.78)
) -> Path:
    """A side × side street grid as OSM XML: one way per row and per column, footway diagonals."""
    lon0, lat0 = sw
    dlat = math.degrees(spacing_m / EARTH_RADIUS_M)
    dlon = math.degrees(spacing_m / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))

    def node(i: int, j: int) -> int:
        return 1 + i * side + j

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="maillage">']
    lines += [
        f'<node id="{node(i, j)}" lat="{lat0 + i * dlat:.7f}" lon="{lon0 + j * dlon:.7f}"/>'
        for i in range(side)
        for j in range(side)
    ]
    ways = [([node(i, j) for j in range(side)], _street_tags(i)) for i in range(side)]
    ways += [([node(i, j) for i in range(side)], _street_tags(j)) for j in range(side)]
    ways += [
        ([node(k, k), node(k + 1, k + 1)], {"highway": "footway"}) for k in range(1, side - 1, 10)
    ]
    for way_id, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'<way id="{way_id}">')
        lines += [f'<nd ref="{ref}"/>' for ref in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- measuring --------------------------------------------------------------------------------


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence pandana's C++ progress output (written to file descriptor 1)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def median_time(run: Callable[[int], Any], repeat: int) -> tuple[float, list[Any]]:
    """Median wall time (s) of run(0), run(1), …, and their results."""
    times, results = [], []
    for rep in range(repeat):
        start = time.perf_counter()
        results.append(run(rep))
        times.append(time.perf_counter() - start)
    return statistics.median(times), results


@dataclass
class Timing:
    seconds: float | None
    note: str = ""  # "≈k" when extrapolated from k origins

    def cell(self) -> str:
        if self.seconds is None:
            return "—"
        value = self.seconds * 1000
        text = f"{value:,.1f} ms" if value < 10_000 else f"{self.seconds:,.1f} s"
        return f"{'≈' if self.note else ''}{text}"


@dataclass
class Row:
    network: str
    query: str
    ours: Timing
    nx_multi: Timing = field(default_factory=lambda: Timing(None))
    nx_plain: Timing = field(default_factory=lambda: Timing(None))
    pandana: Timing = field(default_factory=lambda: Timing(None))
    scipy: Timing = field(default_factory=lambda: Timing(None))
    nx_diff_s: float | None = None
    pandana_diff_s: float | None = None
    scipy_diff_s: float | None = None
    notes: list[str] = field(default_factory=list)


def ratio(other: Timing, ours: Timing) -> str:
    if other.seconds is None or ours.seconds is None or ours.seconds == 0:
        return "—"
    return f"{other.seconds / ours.seconds:,.1f}×"


# -- one network ------------------------------------------------------------------------------


@dataclass
class Subject:
    name: str
    net: StreetNetwork
    multi: nx.MultiDiGraph
    plain: nx.DiGraph
    pandana: Any
    scipy: Any


def prepare(name: str, osm: Path, mode: str, *, hierarchy: bool) -> tuple[Subject, list[str]]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from scipy.sparse import csr_matrix

    facts = []
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(name, total=1.0)

        def progress(step: str, done: float) -> None:
            bar.update(task, description=f"{name} : {step}", completed=done)

        start = time.perf_counter()
        built = build_network(osm, mode, progress=progress)
        facts.append(f"build from {osm.name} {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        bare = built.save(Path(tmp) / "bare.npz", hierarchy=False)
        size = f".npz {bare.stat().st_size / 1e6:.1f} MB"
        if hierarchy:
            start = time.perf_counter()
            h = built.hierarchy
            facts.append(
                f"contraction hierarchy given up after {time.perf_counter() - start:.1f} s"
                if h is None
                else f"contraction hierarchy {time.perf_counter() - start:.1f} s "
                f"({h.n_arcs:,} arcs with shortcuts, {h.nbytes / 1e6:.1f} MB in memory)"
            )
        saved = built.save(Path(tmp), hierarchy=hierarchy)
        if hierarchy:
            size += f", {saved.stat().st_size / 1e6:.1f} MB with the hierarchy"
        facts.append(size)
        start = time.perf_counter()
        net = load_network(saved, mode)
        facts.append(f".npz load {1000 * (time.perf_counter() - start):.1f} ms")
    start = time.perf_counter()
    multi = net.to_networkx()
    plain = net.to_networkx(multigraph=False)
    facts.append(f"networkx graphs {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    pandana_net = make_pandana(net)
    facts.append(f"pandana CH {time.perf_counter() - start:.1f} s")
    facts.insert(0, f"{mode}, {net.n_nodes:,} nodes, {net.n_arcs:,} arcs")
    graph = csr_matrix((net.weights, net.indices, net.indptr), shape=(net.n_nodes,) * 2)
    return Subject(name, net, multi, plain, pandana_net, graph), facts


def make_pandana(net: StreetNetwork) -> Any:
    import pandana
    import pandas as pd

    tails = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    nodes = pd.RangeIndex(net.n_nodes)
    with quiet_stdout():
        return pandana.Network(
            pd.Series(net.node_lon, index=nodes),
            pd.Series(net.node_lat, index=nodes),
            pd.Series(tails),
            pd.Series(net.indices.astype(np.int64)),
            pd.DataFrame({"travel_time": net.weights}),
            twoway=False,
        )


def _disagreement(ours: np.ndarray, reference: np.ndarray) -> float:
    """Largest |difference| in seconds; inf when they disagree on what is reachable."""
    if not np.array_equal(np.isfinite(ours), np.isfinite(reference)):
        return math.inf
    finite = np.isfinite(ours)
    return float(np.max(np.abs(ours[finite] - reference[finite]), initial=0.0))


def one_to_all(subject: Subject, repeat: int, rng: np.random.Generator) -> list[Row]:
    net = subject.net
    points = np.column_stack([net.node_lon, net.node_lat])
    # the baselines route between the nodes the points snap to (a point is a node's position,
    # but two nodes may share one: then the point goes to one of them, for everybody)
    at = net.snap(points)
    legs = at.leg_seconds
    sources = rng.choice(net.n_nodes, repeat, replace=False)
    start = time.perf_counter()
    net.travel_times(points[sources[:1]], points)  # snaps every destination once
    first = Timing(time.perf_counter() - start)
    ours_t, ours = median_time(
        lambda r: net.travel_times(points[sources[r] : sources[r] + 1], points)[0] * 60, repeat
    )
    slow_repeat = min(repeat, 3)

    def nx_run(graph: Any) -> Callable[[int], np.ndarray]:
        def run(r: int) -> np.ndarray:
            source = int(at.nodes[sources[r]])
            lengths = nx.single_source_dijkstra_path_length(graph, source, weight="travel_time")
            out = np.full(net.n_nodes, np.inf)
            out[list(lengths)] = list(lengths.values())
            return out

        return run

    def pandana_run(r: int) -> np.ndarray:
        horizon = float(np.max(ours[r][np.isfinite(ours[r])])) + 10
        source = int(at.nodes[sources[r]])
        with quiet_stdout():
            table = subject.pandana.nodes_in_range([source], horizon, "travel_time")
        out = np.full(net.n_nodes, np.inf)
        out[table["destination"].to_numpy()] = table["travel_time"].to_numpy()
        return out

    def scipy_run(r: int) -> np.ndarray:
        from scipy.sparse.csgraph import dijkstra

        return np.asarray(dijkstra(subject.scipy, indices=int(at.nodes[sources[r]])))

    multi_t, multi = median_time(nx_run(subject.multi), slow_repeat)
    plain_t, _ = median_time(nx_run(subject.plain), slow_repeat)
    pandana_t, by_pandana = median_time(pandana_run, slow_repeat)
    scipy_t, by_scipy = median_time(scipy_run, slow_repeat)

    def at_points(r: int, node_seconds: np.ndarray) -> np.ndarray:
        return np.asarray(node_seconds[at.nodes] + legs[sources[r]] + legs, dtype=np.float64)

    query = f"one → all ({net.n_nodes:,})"
    return [
        Row(subject.name, query + ", 1st call", first, notes=["includes snapping every node"]),
        Row(
            subject.name,
            query,
            Timing(ours_t),
            Timing(multi_t),
            Timing(plain_t),
            Timing(pandana_t),
            Timing(scipy_t),
            max(_disagreement(ours[r], at_points(r, multi[r])) for r in range(slow_repeat)),
            max(_disagreement(ours[r], at_points(r, by_pandana[r])) for r in range(slow_repeat)),
            max(_disagreement(ours[r], at_points(r, by_scipy[r])) for r in range(slow_repeat)),
        ),
    ]


@dataclass
class Method:
    """One of maillage's matrix methods on the grid's 1,000 × 1,000 (the default, or another
    timed for comparison)."""

    name: str
    seconds: float
    diff_s: float
    note: str = ""


def matrix(
    subject: Subject,
    size: int,
    repeat: int,
    rng: np.random.Generator,
    budget_s: float,
    *,
    compare_methods: bool,
) -> tuple[Row, list[Method]]:
    net = subject.net
    points = np.column_stack([net.node_lon, net.node_lat])
    targets = rng.choice(net.n_nodes, size, replace=net.n_nodes < size)
    origin_sets = [rng.choice(net.n_nodes, size, replace=net.n_nodes < size) for _ in range(repeat)]
    net.travel_times(points[origin_sets[0]], points[targets])  # destinations snapped once
    ours_t, ours = median_time(
        lambda r: net.travel_times(points[origin_sets[r]], points[targets]) * 60, repeat
    )
    reference = ours[0]
    origin_snap, target_snap = net.snap(points[origin_sets[0]]), net.snap(points[targets])
    origins, target_nodes = origin_snap.nodes, target_snap.nodes
    legs = origin_snap.leg_seconds[:, None] + target_snap.leg_seconds[None, :]

    # networkx: one single-source search per origin, within the time budget
    done: list[np.ndarray] = []
    start = time.perf_counter()
    for source in origins:
        lengths = nx.single_source_dijkstra_path_length(
            subject.multi, int(source), weight="travel_time"
        )
        done.append(np.array([lengths.get(int(t), np.inf) for t in target_nodes]))
        if time.perf_counter() - start > budget_s:
            break
    nx_elapsed = time.perf_counter() - start
    nx_rows = len(done)
    nx_timing = Timing(nx_elapsed * size / nx_rows, f"≈{nx_rows}" if nx_rows < size else "")
    nx_diff = _disagreement(reference[:nx_rows], np.stack(done) + legs[:nx_rows])

    # pandana: pairs, on as many origins as the budget allows (a 10-row probe to estimate)
    def pandana_rows(rows: int) -> tuple[float, np.ndarray]:
        o = np.repeat(origins[:rows], size)
        d = np.tile(target_nodes, rows)
        start = time.perf_counter()
        with quiet_stdout(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandana warns on unreachable pairs
            lengths = subject.pandana.shortest_path_lengths(o, d, "travel_time")
        elapsed = time.perf_counter() - start
        out = np.asarray(lengths, dtype=np.float64).reshape(rows, size)
        out[out >= 4294967.0] = np.inf  # pandana's "unreachable"
        return elapsed, out

    probe_s, _ = pandana_rows(10)
    pd_rows = int(min(size, max(10, budget_s / max(probe_s / 10, 1e-9))))
    pd_elapsed, pd_out = pandana_rows(pd_rows)
    pd_timing = Timing(pd_elapsed * size / pd_rows, f"≈{pd_rows}" if pd_rows < size else "")
    pd_diff = _disagreement(reference[:pd_rows], pd_out + legs[:pd_rows])

    # scipy: dijkstra(indices=…) on a 10-origin probe, then as many as the budget allows
    def scipy_rows(rows: int) -> tuple[float, np.ndarray]:
        from scipy.sparse.csgraph import dijkstra

        start = time.perf_counter()
        out = np.asarray(dijkstra(subject.scipy, indices=origins[:rows]))[:, target_nodes]
        return time.perf_counter() - start, out

    probe_s, _ = scipy_rows(min(10, size))
    sp_rows = int(min(size, max(10, budget_s / max(probe_s / 10, 1e-9))))
    sp_elapsed, sp_out = scipy_rows(sp_rows)
    sp_timing = Timing(sp_elapsed * size / sp_rows, f"≈{sp_rows}" if sp_rows < size else "")
    sp_diff = _disagreement(reference[:sp_rows], sp_out + legs[:sp_rows])
    notes = []
    for label, timing, rows in (
        ("networkx", nx_timing, nx_rows),
        ("pandana", pd_timing, pd_rows),
        ("scipy", sp_timing, sp_rows),
    ):
        if timing.note:
            notes.append(f"{label} on {rows} origins, extrapolated")
    row = Row(
        subject.name,
        f"{size:,} × {size:,}",
        Timing(ours_t),
        nx_timing,
        Timing(None),
        pd_timing,
        sp_timing,
        nx_diff,
        pd_diff,
        sp_diff,
        notes,
    )
    if not compare_methods:
        return row, []
    return row, compared_methods(
        subject,
        points=points,
        origins=origin_sets[0],
        targets=targets,
        reference=reference,
        default_s=ours_t,
    )


def compared_methods(
    subject: Subject,
    *,
    points: np.ndarray,
    origins: np.ndarray,
    targets: np.ndarray,
    reference: np.ndarray,
    default_s: float,
) -> list[Method]:
    """maillage's other methods on the same matrix: one run each (the default: the median)."""
    from phast_candidate import rphast

    from geodata.traveltime import _cheapest  # which method "auto" takes, to say it

    net = subject.net
    o, d = net.snap(points[origins]), net.snap(points[targets])
    chosen = _cheapest(
        net, np.unique(o.nodes), np.full(np.unique(o.nodes).size, np.inf), np.unique(d.nodes)
    )
    methods = [Method(f"auto, the default (here: {chosen})", default_s, 0.0)]
    forced: list[tuple[str, MatrixMethod]] = [
        ("one Dijkstra search per origin (before)", "dijkstra"),
        ("one search per destination, reversed graph", "reverse"),
    ]
    for label, method in forced:
        start = time.perf_counter()
        got = net.travel_times(points[origins], points[targets], method=method) * 60
        methods.append(Method(label, time.perf_counter() - start, _disagreement(got, reference)))
    if net.hierarchy is not None:
        from geodata.hierarchy import many_to_many

        legs = o.leg_seconds[:, None] + d.leg_seconds[None, :]
        distinct = np.unique(d.nodes)
        column = np.searchsorted(distinct, d.nodes)
        start = time.perf_counter()
        seconds = many_to_many(net.hierarchy, o.nodes, np.full(o.nodes.size, np.inf), distinct)
        elapsed = time.perf_counter() - start
        methods.append(
            Method(
                "contraction hierarchy, buckets, one thread",
                elapsed,
                _disagreement(seconds[:, column] + legs, reference),
            )
        )
        rphast(net.hierarchy, o.nodes[:8], d.nodes[:8])  # compiled outside the timing
        start = time.perf_counter()
        seconds, restricted = rphast(net.hierarchy, o.nodes, d.nodes)
        elapsed = time.perf_counter() - start
        got = seconds + legs
        methods.append(
            Method(
                "RPHAST (candidate, not kept)",
                elapsed,
                _disagreement(got, reference),
                f"one thread, sweep over {restricted:,} of {net.n_nodes:,} nodes",
            )
        )
    return methods


# -- report -----------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2g} s"


def print_table(rows: list[Row]) -> None:
    header = (
        "network",
        "query",
        "maillage",
        "networkx (osmnx)",
        "×",
        "networkx DiGraph",
        "×",
        "pandana",
        "×",
        "scipy",
        "×",
        "|Δ| nx",
        "|Δ| pandana",
        "|Δ| scipy",
    )
    body = [
        (
            row.network,
            row.query,
            row.ours.cell(),
            row.nx_multi.cell(),
            ratio(row.nx_multi, row.ours),
            row.nx_plain.cell(),
            ratio(row.nx_plain, row.ours),
            row.pandana.cell(),
            ratio(row.pandana, row.ours),
            row.scipy.cell(),
            ratio(row.scipy, row.ours),
            _seconds(row.nx_diff_s),
            _seconds(row.pandana_diff_s),
            _seconds(row.scipy_diff_s),
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    rule = "  ".join("─" * w for w in widths)
    print(rule)
    print(
        "  ".join(
            str(h).ljust(w) if i < 2 else str(h).rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    print(rule)
    for line in body:
        print(
            "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    print(rule)
    for row in rows:
        for note in row.notes:
            print(f"  {row.network}, {row.query}: {note}")


def print_methods(name: str, size: int, methods: list[Method]) -> None:
    print(f"\n{name}, {size:,} × {size:,}: maillage's methods on the same matrix")
    width = max(len(m.name) for m in methods)
    default = methods[0].seconds
    for m in methods:
        print(
            f"  {m.name.ljust(width)}  {m.seconds:8.3f} s  {m.seconds / default:7.1f}×  "
            f"|Δ| {m.diff_s:.1e} s{'  (' + m.note + ')' if m.note else ''}"
        )


def load_note() -> str:
    """The 1-minute load average, and whether that is a quiet machine."""
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    state = "quiet" if load < cores / 2 else "LOADED (other processes share the cores)"
    return f"load average {load:.2f} on {cores} cores: {state}"


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - a script's steps, in order
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=317, help="grid side, nodes (317² ≈ 100,000)")
    parser.add_argument("--size", type=int, default=1000, help="origins and destinations")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (median)")
    parser.add_argument("--budget", type=float, default=20.0, help="s per slow baseline run")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--grid-only",
        action="store_true",
        help="le seul cas 1 000 × 1 000 sur la grille (avec networkx, pandana, scipy)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="essai éclair : tailles minuscules, sans données de ../shared",
    )
    args = parser.parse_args(argv)
    if args.tiny:
        args.side, args.size, args.repeat, args.budget = 12, 10, 1, 0.5

    import numba
    import pandana
    import scipy

    print(
        f"maillage travel-time benchmark — {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"networkx {nx.__version__}, pandana {pandana.__version__}, scipy {scipy.__version__}"
    )
    start = time.perf_counter()
    warm_up()
    print(f"JIT warm-up (outside every timing): {time.perf_counter() - start:.1f} s")
    print(f"before: {load_note()}")
    rng = np.random.default_rng(args.seed)
    rows: list[Row] = []
    grid_matrix: Row | None = None
    methods: list[Method] = []
    with tempfile.TemporaryDirectory() as tmp:
        grid = write_grid(Path(tmp) / "grid.osm", args.side)
        grid_name = f"grid {args.side}×{args.side}"
        cases = [(grid_name, grid, "car")]
        if args.grid_only:
            pass
        elif OSM.is_dir() and not args.tiny:
            cases += [
                ("Helsinki", OSM / "helsinki.osm.pbf", "walk"),
                ("Saint-Barthélemy", OSM / "saint_barthelemy.osm.pbf", "car"),
            ]
        else:
            print(f"(no {OSM}: the real networks are skipped)")
        for name, path, mode in cases:
            # --tiny runs in a fresh copy where numba compiles everything: no hierarchy there
            subject, facts = prepare(name, path, mode, hierarchy=not args.tiny)
            print(f"{name}: " + "; ".join(facts))
            if not args.grid_only:
                rows += one_to_all(subject, args.repeat, rng)
            row, compared = matrix(
                subject,
                args.size,
                min(args.repeat, 3),
                rng,
                args.budget,
                compare_methods=name == grid_name,
            )
            rows.append(row)
            if name == grid_name:
                grid_matrix, methods = row, compared
    print(f"after: {load_note()}")
    print()
    print_table(rows)
    if methods:
        print_methods(grid_name, args.size, methods)
    diffs = [
        d for r in rows for d in (r.nx_diff_s, r.pandana_diff_s, r.scipy_diff_s) if d is not None
    ]
    diffs += [m.diff_s for m in methods]
    worst = max(diffs, default=0.0)
    print(
        f"\nall results agree within {TOLERANCE_S:g} s"
        if worst <= TOLERANCE_S
        else f"\nDISAGREEMENT: {worst} s"
    )
    if grid_matrix is not None and grid_matrix.ours.seconds is not None:
        seconds = grid_matrix.ours.seconds
        print(
            f"{grid_name}, {args.size:,} × {args.size:,}: {seconds:.2f} s "
            f"(goal ≤ {GOAL_S:g} s on 2 cores: {'met' if seconds <= GOAL_S else 'NOT met'})"
        )
    return 0 if worst <= TOLERANCE_S else 1


if __name__ == "__main__":
    sys.exit(main())
