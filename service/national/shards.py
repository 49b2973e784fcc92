"""A shard of a national run, computed where it runs (a Dask worker, or this process).

`ShardTask` is the unit of work: one département × one mode, with every category and budget.
`compute_shard` runs it:

1. **networks** — the département's registered network of the mode (and its walking network
   for transit), loaded **once per worker process** (`_load`: a process-wide LRU of the last
   four, keyed by path and modification time) and handed to a `service.travel.TravelService`,
   the same travel answers as ``/v1/coverage``: the network where it reaches, the flagged
   straight-line estimate elsewhere; transit weighs the walk, the timetable and the estimate;
2. **tables** — zones × every partner of the département and its buffer, up to the horizon
   ``2 × max(budgets)`` minutes, then zones × zones (the candidate places) up to the largest
   budget: one matrix each, whatever the number of categories. On a street network each is one
   bounded search per destination over the reversed graph (or the contraction hierarchy), on
   the threads of `geodata.traveltime` (the numba kernels release the GIL: the CSR arrays are
   shared by the threads, never copied);
3. **coverage** — `graph.national.shard_coverage` for every category × budget.

Writing the result is `service.national.outputs`' job.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geodata.lru import LRUCache
from geodata.national import DepartementInputs, NetworkRef
from graph.coverage import ReachTable
from graph.national import ShardCoverage, ShardTables, category_of, horizon, shard_coverage
from service.travel import LoadedNetwork, TravelService, load_any_network

_MATRIX_CELLS = 4_000_000
"""Origins × destinations asked of `TravelService.matrix` at once (32 MB of minutes)."""


@dataclass(frozen=True, eq=False)
class ShardTask:
    """One département × one mode: what to compute (picklable, shipped to a worker)."""

    inputs: DepartementInputs
    mode: str
    categories: tuple[str, ...]
    budgets: tuple[float, ...]
    k: int = 3
    median_fraction: float = 0.5

    @property
    def name(self) -> str:
        """« 30-car »: the shard's name (manifest file, Dask key)."""
        return f"{self.inputs.code}-{self.mode}"

    @property
    def networks(self) -> tuple[NetworkRef, ...]:
        """The registered networks the shard uses: its mode's, and the walk's for transit."""
        wanted = ("transit", "walk") if self.mode == "transit" else (self.mode,)
        return tuple(n for m in wanted if (n := self.inputs.network(m)) is not None)

    def fingerprint(self) -> str:
        """A digest of everything the result depends on: a manifest with another fingerprint
        is stale and the shard is computed again."""
        zones = self.inputs.zones
        described = {
            "code": self.inputs.code,
            "mode": self.mode,
            "categories": list(self.categories),
            "budgets": [float(b) for b in self.budgets],
            "k": self.k,
            "median_fraction": self.median_fraction,
            "zones": [zones.kind, list(zones.ids)],
            "demand": [self.inputs.demand_name, np.round(self.inputs.demand_values, 6).tolist()],
            "points": np.round(zones.points, 7).tolist(),
            "partners": [
                [p.id, p.kind, round(p.lon, 7), round(p.lat, 7), p.capacity, list(p.thematiques)]
                for p in self.inputs.partners
            ],
            "networks": [[n.name, n.mode, n.path, _mtime(n.path)] for n in self.networks],
        }
        text = json.dumps(described, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


@dataclass(frozen=True, eq=False)
class ShardResult:
    """A computed shard: its rows, the networks that answered, its cost."""

    task: ShardTask
    coverage: ShardCoverage
    networks: tuple[str, ...]
    estimated_pairs: float
    seconds: float
    peak_rss_mib: float


# --- networks, loaded once per process -------------------------------------------------------

_loaded: LRUCache[tuple[str, str, float | None], Any] = LRUCache(4)
"""The networks of the last shards of this process: a département's walk network serves its
walk and transit shards; a worker moving on to other départements lets the old ones go."""


def _load(ref: NetworkRef) -> LoadedNetwork:
    key = (ref.path, ref.mode, _mtime(ref.path))
    network = _loaded.get_or_compute(key, lambda: load_any_network(Path(ref.path), ref.mode))
    ident = uuid.uuid5(uuid.NAMESPACE_URL, f"{ref.path}#{ref.mode}")
    return LoadedNetwork(ident, ref.name, ref.mode, ref.bounds, network)


def travel_for(task: ShardTask) -> TravelService:
    """A `TravelService` over the shard's registered networks (none: every time estimated)."""
    return TravelService([_load(ref) for ref in task.networks])


# --- the shard -------------------------------------------------------------------------------


def compute_shard(task: ShardTask) -> ShardResult:
    """Tables then coverage of one shard (see the module docstring)."""
    started = time.perf_counter()
    travel = travel_for(task)
    zones, partners = task.inputs.zones, task.inputs.partners
    destinations = np.array([(p.lon, p.lat) for p in partners], dtype=np.float64).reshape(-1, 2)
    sites, flags, used = _reach(
        travel, task.mode, zones.points, destinations, horizon(task.budgets)
    )
    candidates, _, more = _reach(travel, task.mode, zones.points, zones.points, max(task.budgets))
    tables = ShardTables(sites, flags, candidates, tuple(sorted(set(used) | set(more))))
    coverage = shard_coverage(
        zone_ids=zones.ids,
        zone_names=zones.names,
        demand=task.inputs.demand_values,
        partners=partners,
        tables=tables,
        categories=[category_of(code) for code in task.categories],
        budgets=task.budgets,
        mode=task.mode,
        k=task.k,
        median_fraction=task.median_fraction,
    )
    return ShardResult(
        task=task,
        coverage=coverage,
        networks=tables.networks,
        estimated_pairs=float(flags.mean()) if flags.size else 0.0,
        seconds=time.perf_counter() - started,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    )


def _reach(
    travel: TravelService,
    mode: str,
    origins: np.ndarray,
    destinations: np.ndarray,
    limit: float,
) -> tuple[ReachTable, np.ndarray, Sequence[str]]:
    """Pairs within ``limit`` minutes as a `ReachTable`, the estimated flag of each pair (in
    the table's order) and the networks that answered."""
    n, m = len(origins), len(destinations)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    minutes: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    networks: set[str] = set()
    step = max(1, _MATRIX_CELLS // max(m, 1))
    for first in range(0, n if m else 0, step):
        found = travel.matrix(mode, origins[first : first + step], destinations, max_minutes=limit)
        r, c = np.nonzero(found.minutes <= limit)
        rows.append(r + first)
        cols.append(c)
        minutes.append(found.minutes[r, c])
        flags.append(found.estimated[r, c])
        networks.update(found.networks)
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return (
            ReachTable.from_pairs(empty, empty, np.zeros(0), shape=(n, m)),
            empty.astype(bool),
            (),
        )
    # np.nonzero walks row by row, column by column: already the table's (zone, site) order
    table = ReachTable.from_pairs(
        np.concatenate(rows), np.concatenate(cols), np.concatenate(minutes), shape=(n, m)
    )
    return table, np.concatenate(flags), tuple(sorted(networks))
