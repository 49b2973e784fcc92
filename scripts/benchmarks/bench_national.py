"""What a national run costs: synthetic département shards on a Dask LocalCluster, per-shard
time and memory, extrapolated to the whole country.

    scripts/bench national                                  # 2 départements of ~1 M nodes
    scripts/bench national --sizes 1500000,3000000          # a real département's size
    scripts/bench national --streets grid --spacing-m 100   # the plain grid of before
    scripts/bench national --tiny                           # smoke run (tests)

Each synthetic département (`geodata.national.synthetic_departement`) is 60 km × 60 km (about
the 5,800 km² of the Gard), with ``--commune-km`` square communes (3.2 km: 361, the Gard has
350; a commune is measured from its largest town) and ``--partners`` partners (1,000) of ten
kinds, one per family of the national run. Its streets are, by default, **road-like**
(``--streets roads``, `geodata.synthetic_streets`): about ``--sizes`` nodes of drawn
OpenStreetMap ways — towns, a sparse rural mesh, mostly degree-2 shape nodes, tertiary and
secondary roads between towns, a motorway — built per mode by the builder of real extracts and
saved with their contraction hierarchy, as ``maillage network build`` saves a registered
network. The hierarchy's build is timed apart: a one-off per network and mode, at
registration, not per run. Every shard computes **the ten families × the budgets** (15, 30,
45 min) from one zones × partners table (up to 90 min) and one zones × zones table (siting),
as `maillage national coverage` does, and writes its GeoParquet.

Measured, per size: the wall time of the run on the LocalCluster (``--workers``
single-threaded processes; the travel searches use their own threads), each shard's time and
its worker's peak resident memory (from the manifests), the load average at the start and the
end. Extrapolated (said as such): the country is 96 métropole départements × walk + car =
192 shards, each with the ten categories; a shard costs ``wall × cores / shards``
core-seconds here; on C cores the run takes ``192 × that / C``, but never less than the
slowest shard, and no more workers run at once than the memory allows (``--memory-gib`` per
16-core node). On a shared machine the figures are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from geodata.national import SyntheticDepartement, synthetic_departement
from geodata.synthetic_streets import degree_profile
from geodata.traveltime import load_network
from graph.national import DEFAULT_CATEGORIES
from service.national.outputs import manifests
from service.national.runner import Dispatch, run_distributed
from service.national.shards import ShardTask

KINDS = (
    "chrs", "france-travail", "aci", "tapaj", "plateforme-linguistique", "plateforme-mobilite",
    "creche", "csapa", "france-service", "ddets",
)  # fmt: skip
"""One kind per family of `graph.national.DEFAULT_CATEGORIES`, in its order."""

COUNTRY_DEPARTEMENTS = 96
COUNTRY_MODES = 2
COUNTRY_SHARDS = COUNTRY_DEPARTEMENTS * COUNTRY_MODES
NODE_CORES = 16
GOAL_S = 3600.0


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="street nodes per département")
    parser.add_argument("--streets", choices=("roads", "grid"), default="roads")
    parser.add_argument("--departements", type=int, default=2, help="per size")
    parser.add_argument("--modes", default="walk,car")
    parser.add_argument("--side-km", type=float, default=60.0)
    parser.add_argument("--spacing-m", type=float, default=300.0, help="grid only")
    parser.add_argument("--commune-km", type=float, default=3.2)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--budgets", default="15,30,45")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-gib", type=float, default=64.0, help="memory of a 16-core node")
    parser.add_argument("--tiny", action="store_true", help="smoke run")
    args = parser.parse_args(argv)
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    if args.tiny:
        args.sizes, args.departements, args.side_km, args.spacing_m = "4000", 2, 8.0, 400.0
        args.commune_km, args.partners, categories = 2.0, 40, DEFAULT_CATEGORIES[:3]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.streets == "grid":
        sizes = [0]
    for size in sizes:
        _one_size(args, size, categories)
    return 0


def _one_size(args: argparse.Namespace, size: int, categories: tuple[str, ...]) -> None:
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    budgets = tuple(float(b) for b in args.budgets.split(","))
    folder = Path(tempfile.mkdtemp(prefix="maillage-bench-national-"))
    try:
        tasks, drawn = [], []
        started = time.perf_counter()
        for n in range(args.departements):
            one = synthetic_departement(
                f"B{n}", folder / f"reseaux-{n}", kinds=KINDS, side_km=args.side_km,
                spacing_m=args.spacing_m, commune_km=args.commune_km, partners=args.partners,
                modes=modes, origin=(2.0 + n, 46.5), seed=n, streets=args.streets, nodes=size,
            )  # fmt: skip
            drawn.append(one)
            tasks += [ShardTask(one.inputs, m, categories, budgets) for m in modes]
        drawing = time.perf_counter() - started
        _describe(args, drawn, modes, drawing)
        first = tasks[0].inputs
        load_start = _load()
        print(
            f"{len(tasks)} morceaux : {args.departements} départements synthétiques × "
            f"{'+'.join(modes)}, {len(first.zones)} communes, {len(first.partners)} "
            f"partenaires, {len(categories)} catégories × {len(budgets)} budgets ; "
            f"{args.workers} workers (charge {load_start} sur {os.cpu_count()} cœurs)"
        )
        started = time.perf_counter()
        run_distributed(
            tasks,
            folder / "sortie",
            Dispatch(workers=args.workers, local_directory=str(folder / "dask")),
            on_dashboard=lambda link: print(f"tableau de bord Dask : {link}"),
        )
        wall = time.perf_counter() - started
        print(f"charge de la machine : {load_start} au début, {_load()} à la fin du calcul")
        _report(manifests(folder / "sortie"), wall, len(tasks), args.memory_gib, drawn)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _describe(
    args: argparse.Namespace, drawn: list[SyntheticDepartement], modes: list[str], seconds: float
) -> None:
    """The networks of the first département: nodes, degrees, hierarchy, build times."""
    print(
        f"== rues « {args.streets} », {drawn[0].nodes:,} nœuds tirés par département "
        f"({len(drawn)} départements tirés et construits en {seconds:.0f} s) =="
    )
    for mode in modes:
        network = load_network(drawn[0].files[mode], mode)
        shares = degree_profile(network.indptr, network.indices)
        built = statistics.median(d.network_seconds.get(mode, 0.0) for d in drawn)
        contracted = statistics.median(d.hierarchy_seconds.get(mode, 0.0) for d in drawn)
        hierarchy = network.hierarchy if network.has_hierarchy else None
        print(
            f"  réseau {mode} : {network.n_nodes:,} nœuds, {network.n_arcs:,} arcs ; degrés "
            f"1 : {shares['1']:.0%}, 2 : {shares['2']:.0%}, 3 : {shares['3']:.0%}, "
            f"4+ : {shares['4+']:.0%} (moyen {shares['mean']:.2f}) ; construit en "
            f"{built:.1f} s, hiérarchie de contraction "
            + (
                f"{contracted:.1f} s ({hierarchy.n_arcs:,} arcs, une fois par réseau)"
                if hierarchy is not None
                else "aucune"
            )
        )


def _report(
    done: list[dict[str, object]],
    wall: float,
    shards: int,
    memory_gib: float,
    drawn: list[SyntheticDepartement],
) -> None:
    seconds = [float(m["seconds"]) for m in done]  # type: ignore[arg-type]
    peak = max(float(m["peak_rss_mib"]) for m in done)  # type: ignore[arg-type]
    for mode in sorted({str(m["mode"]) for m in done}):
        mine = [float(m["seconds"]) for m in done if m["mode"] == mode]  # type: ignore[arg-type]
        print(
            f"  {mode} : médiane {statistics.median(mine):.1f} s par morceau, max {max(mine):.1f} s"
        )
    cores = os.cpu_count() or 1
    per_shard = wall * cores / shards
    print(
        f"mesuré : {shards} morceaux en {wall:.1f} s (mural), {per_shard:.1f} cœur·s par "
        f"morceau, pointe mémoire d'un worker {peak:.0f} Mio, plus long morceau "
        f"{max(seconds):.1f} s"
    )
    contraction = statistics.mean(
        sum(d.hierarchy_seconds.values()) / max(len(d.hierarchy_seconds), 1) for d in drawn
    )
    print(
        f"hypothèses : {COUNTRY_SHARDS} morceaux ({COUNTRY_DEPARTEMENTS} départements × walk + "
        f"car, chacun les {len(DEFAULT_CATEGORIES)} catégories), chacun coûtant les cœur·s "
        f"mesurés ici ; pas plus de workers par nœud que {memory_gib:.0f} Gio / pointe mémoire ; "
        "jamais moins que le plus long morceau ; réseaux et hiérarchies déjà inscrits"
    )
    fits = max(1, int(memory_gib * 1024 // max(peak, 1.0)))
    for label, nodes in (("16 cœurs", 1), ("10 nœuds × 16 cœurs", 10)):
        usable = nodes * min(NODE_CORES, fits)
        estimate = max(COUNTRY_SHARDS * per_shard / usable, *seconds)
        once = COUNTRY_SHARDS * contraction / usable
        verdict = ""
        if nodes == 1:
            verdict = (
                "atteint" if estimate <= GOAL_S else f"manqué de {_duration(estimate - GOAL_S)}"
            )
            verdict = f" ; objectif ≤ 1 h sur 16 cœurs : {verdict}"
        print(
            f"extrapolé, France entière ({COUNTRY_SHARDS} morceaux : {COUNTRY_DEPARTEMENTS} "
            f"départements × walk + car × {len(DEFAULT_CATEGORIES)} catégories) sur {label} : "
            f"≈ {_duration(estimate)} ({usable} workers){verdict} ; hiérarchies de contraction "
            f"des {COUNTRY_SHARDS} réseaux, une fois à l'inscription : ≈ {_duration(once)} de plus"
        )


if __name__ == "__main__":
    raise SystemExit(main())
