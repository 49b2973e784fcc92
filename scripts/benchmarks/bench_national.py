"""What a national run costs: N synthetic département shards on a Dask LocalCluster, per-shard
time and memory, extrapolated to the whole country.

    scripts/bench national                    # 3 départements × walk + car, 2 workers
    scripts/bench national --departements 4 --spacing-m 150   # denser streets (160,801 nodes)
    scripts/bench national --tiny             # smoke run: 2 small départements, 3 categories

Each synthetic département (`geodata.national.synthetic_departement`) is 60 km × 60 km (about
the 5,800 km² of the Gard), a street grid every ``--spacing-m`` metres with arterials every
tenth line (300 m: 40,401 nodes), ``--commune-km`` square communes (3.2 km: 361 communes, the
Gard has 350) with a drawn population, and ``--partners`` partners (1,000) of ten kinds, one
per family of the national run. Every shard computes **the ten families × the budgets**
(15, 30, 45 min) from one zones × partners table and one zones × zones table (siting), as
`maillage national coverage` does, and writes its GeoParquet.

Measured: the wall time of the whole run on the LocalCluster (``--workers`` single-threaded
processes; the travel searches use their own threads), each shard's time and its worker's peak
resident memory (from the manifests). Extrapolated (said as such): the country is
96 métropole départements × 2 modes = 192 shards; a shard costs ``wall × cores / shards``
core-seconds here; on C cores the run takes ``192 × that / C``, but never less than the
slowest shard, and no more workers run at once than the memory allows (``--memory-gib`` per
16-core node). The machine's load average is printed: on a shared machine the figures are
upper bounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from geodata.national import synthetic_departement
from graph.national import DEFAULT_CATEGORIES
from service.national.outputs import manifests
from service.national.runner import Dispatch, run_distributed
from service.national.shards import ShardTask

KINDS = (
    "chrs", "france-travail", "aci", "tapaj", "plateforme-linguistique", "plateforme-mobilite",
    "creche", "csapa", "france-service", "ddets",
)  # fmt: skip
"""One kind per family of `graph.national.DEFAULT_CATEGORIES`, in its order."""

COUNTRY_SHARDS = 96 * 2
NODE_CORES = 16


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departements", type=int, default=3)
    parser.add_argument("--modes", default="walk,car")
    parser.add_argument("--side-km", type=float, default=60.0)
    parser.add_argument("--spacing-m", type=float, default=300.0)
    parser.add_argument("--commune-km", type=float, default=3.2)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--budgets", default="15,30,45")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-gib", type=float, default=64.0, help="memory of a 16-core node")
    parser.add_argument("--tiny", action="store_true", help="smoke run")
    args = parser.parse_args(argv)
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    if args.tiny:
        args.departements, args.side_km, args.spacing_m = 2, 8.0, 400.0
        args.commune_km, args.partners, categories = 2.0, 40, DEFAULT_CATEGORIES[:3]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    budgets = tuple(float(b) for b in args.budgets.split(","))
    folder = Path(tempfile.mkdtemp(prefix="maillage-bench-national-"))
    try:
        tasks = []
        nodes = 0
        for n in range(args.departements):
            drawn = synthetic_departement(
                f"B{n}", folder / f"reseaux-{n}", kinds=KINDS, side_km=args.side_km,
                spacing_m=args.spacing_m, commune_km=args.commune_km, partners=args.partners,
                modes=modes, origin=(2.0 + n, 46.5), seed=n,
            )  # fmt: skip
            nodes = drawn.nodes
            tasks += [ShardTask(drawn.inputs, m, categories, budgets) for m in modes]
        zones = len(tasks[0].inputs.zones)
        print(
            f"{len(tasks)} morceaux : {args.departements} départements synthétiques × "
            f"{'+'.join(modes)}, {nodes:,} nœuds de rues, {zones} communes, "
            f"{len(tasks[0].inputs.partners)} partenaires, {len(categories)} catégories × "
            f"{len(budgets)} budgets ; {args.workers} workers (charge "
            f"{os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs)"
        )
        started = time.perf_counter()
        run_distributed(
            tasks,
            folder / "sortie",
            Dispatch(workers=args.workers, local_directory=str(folder / "dask")),
            on_dashboard=lambda link: print(f"tableau de bord Dask : {link}"),
        )
        wall = time.perf_counter() - started
        _report(manifests(folder / "sortie"), wall, len(tasks), args.memory_gib, len(categories))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _report(
    done: list[dict[str, object]], wall: float, shards: int, memory_gib: float, categories: int
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
    fits = max(1, int(memory_gib * 1024 // max(peak, 1.0)))
    for label, nodes in (("16 cœurs", 1), ("10 nœuds × 16 cœurs", 10)):
        usable = nodes * min(NODE_CORES, fits)
        estimate = max(COUNTRY_SHARDS * per_shard / usable, *seconds)
        print(
            f"extrapolé, France entière ({COUNTRY_SHARDS} morceaux : 96 départements × "
            f"walk + car × {categories} catégories) sur {label} : ≈ {_duration(estimate)} "
            f"({usable} workers ; objectif ≤ 1 h sur 16 cœurs)"
        )


if __name__ == "__main__":
    raise SystemExit(main())
