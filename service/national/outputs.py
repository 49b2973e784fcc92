"""The outputs of a national run as data: GeoParquet partitioned by département, mode and
category, and one manifest per finished shard.

Layout under the output directory ``DIR``::

    zones/departement=30/mode=car/category=sante/part-0.parquet    zones with indicators
    gaps/departement=30/mode=car/category=sante/part-0.parquet     ranked gaps
    siting/departement=30/mode=car/category=sante/part-0.parquet   proposed places
    summary/departement=30/mode=car/part-0.parquet                 one row per category × budget
    _manifests/30-car.json                                         the shard is complete

Every file is GeoParquet (geometry in WKB, EPSG:4326; the summary has none), readable by
``geopandas.read_parquet``, ``pyarrow.dataset`` and DuckDB (``read_parquet('DIR/zones/**/*.
parquet', hive_partitioning = true)``). The partition values are not repeated inside the
files; read them as **strings** (`read_table` does: « 2A », « 977 », « 01 » are not numbers).

**Atomic shards.** A shard writes under ``DIR/.tmp/<shard>-<random>/``, then moves each
partition folder into place with one ``rename`` (replacing the folder a crashed attempt may
have left), then writes its manifest (a temporary name, then ``os.replace``). A shard is
finished when its manifest exists and names the same task fingerprint
(`service.national.shards.ShardTask.fingerprint`); a re-run skips it.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely

from service.national.shards import ShardResult, ShardTask

TABLES: Final = ("zones", "gaps", "siting")
PARTITIONS: Final = ("departement", "mode", "category")
MANIFESTS: Final = "_manifests"


def manifest_path(out: Path, task: ShardTask) -> Path:
    return out / MANIFESTS / f"{task.name}.json"


def read_manifest(out: Path, name: str) -> dict[str, Any] | None:
    """The manifest of shard ``name`` (« 30-car »), ``None`` when absent or unreadable."""
    try:
        data = json.loads((out / MANIFESTS / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manifests(out: Path) -> list[dict[str, Any]]:
    """Every finished shard's manifest, by name."""
    folder = out / MANIFESTS
    found = [read_manifest(out, p.stem) for p in sorted(folder.glob("*.json"))]
    return [m for m in found if m is not None]


def is_done(out: Path, task: ShardTask) -> bool:
    """Whether ``task`` was already written, with the same fingerprint."""
    manifest = read_manifest(out, task.name)
    return manifest is not None and manifest.get("fingerprint") == task.fingerprint()


def write_shard(out: Path, result: ShardResult) -> dict[str, Any]:
    """Write a computed shard (see the module docstring); returns its manifest."""
    task = result.task
    for stale in (out / ".tmp").glob(f"{task.name}-*"):  # an attempt that died writing
        shutil.rmtree(stale, ignore_errors=True)
    staging = out / ".tmp" / f"{task.name}-{uuid.uuid4().hex[:12]}"
    try:
        leaves = _stage(staging, result)
        for leaf in leaves:
            target = out / leaf.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            os.replace(leaf, target)
        manifest = _manifest(result, leaves, staging)
        path = manifest_path(out, task)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{uuid.uuid4().hex[:8]}.part")
        partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, path)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage(staging: Path, result: ShardResult) -> list[Path]:
    import geopandas  # type: ignore[import-untyped]
    import pandas as pd

    task, zones, cov = result.task, result.task.inputs.zones, result.coverage
    where = f"departement={task.inputs.code}/mode={task.mode}"
    polygons, points = zones.geometries, shapely.points(zones.points)
    leaves: list[Path] = []
    for table, rows, shapes in (
        ("zones", cov.zones, polygons),
        ("gaps", cov.gaps, polygons),
        ("siting", cov.siting, points),
    ):
        frame = pd.DataFrame(rows, columns=_COLUMNS[table])
        for category in task.categories:
            part = frame[frame["category"] == category]
            index = part["zone_index"].to_numpy(int)
            geometry = list(np.asarray(shapes, dtype=object)[index])
            data = part.drop(columns=["category", "zone_index"]).reset_index(drop=True)
            if table == "gaps":  # the point the zone is measured from (town hall, cell centre)
                data["lon"], data["lat"] = zones.points[index, 0], zones.points[index, 1]
            leaf = staging / table / where / f"category={category}"
            leaf.mkdir(parents=True)
            geopandas.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326").to_parquet(
                leaf / "part-0.parquet", index=False
            )
            leaves.append(leaf)
    leaf = staging / "summary" / where
    leaf.mkdir(parents=True)
    summary = pd.DataFrame(cov.summary, columns=_COLUMNS["summary"])
    summary.insert(0, "real", bool(result.networks))
    summary.to_parquet(leaf / "part-0.parquet", index=False)
    leaves.append(leaf)
    return leaves


_KEY = ["category", "max_minutes"]
_COLUMNS: Final[dict[str, list[str]]] = {
    "zones": [*_KEY, "zone_index", "zone_id", "zone_name", "demand", "nearest_minutes",
              "nearest_site_id", "nearest_site_name", "reachable_sites", "reachable_supply",
              "covered", "e2sfca", "two_sfca", "gap", "gap_severity", "estimated"],
    "gaps": [*_KEY, "rank", "zone_index", "zone_id", "zone_name", "kind", "severity",
             "people_affected", "nearest_site_id", "nearest_site_name", "nearest_minutes",
             "e2sfca", "threshold", "message"],
    "siting": [*_KEY, "rank", "zone_index", "zone_id", "zone_name", "newly_covered",
               "zones_covered", "optimal"],
    "summary": [*_KEY, "zones", "sites", "demand_total", "demand_within", "share_within",
                "median_e2sfca", "gaps", "no_site_gaps", "estimated_share"],
}  # fmt: skip


def _manifest(result: ShardResult, leaves: list[Path], staging: Path) -> dict[str, Any]:
    task, inputs = result.task, result.task.inputs
    return {
        "shard": task.name,
        "departement": inputs.code,
        "name": inputs.name,
        "mode": task.mode,
        "fingerprint": task.fingerprint(),
        "categories": list(task.categories),
        "budgets": [float(b) for b in task.budgets],
        "zones": len(inputs.zones),
        "zone_kind": inputs.zones.kind,
        "demand": inputs.demand_name,
        "partners": len(inputs.partners),
        "networks": list(result.networks),
        "real": bool(result.networks),
        "estimated_pairs": result.estimated_pairs,
        "rows": {t: len(getattr(result.coverage, t)) for t in (*TABLES, "summary")},
        "seconds": round(result.seconds, 3),
        "peak_rss_mib": round(result.peak_rss_mib, 1),
        "partitions": [str(leaf.relative_to(staging)) for leaf in leaves],
    }


# --- reading ---------------------------------------------------------------------------------


def read_table(out: Path, table: str) -> Any:
    """One table of a run as a (Geo)DataFrame, partition columns as strings, rows sorted by
    département, mode, category, budget and zone (or rank): the same order whatever order
    the shards finished in."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    names = PARTITIONS if table != "summary" else PARTITIONS[:2]
    partitioning = ds.partitioning(pa.schema([(n, pa.string()) for n in names]), flavor="hive")
    dataset = ds.dataset(out / table, format="parquet", partitioning=partitioning)
    frame = dataset.to_table().to_pandas()
    order = [*names, *(c for c in ("max_minutes", "rank", "zone_id") if c in frame.columns)]
    if table == "summary":
        order = [*names, "category", "max_minutes"]
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    if "geometry" not in frame.columns:
        return frame
    import geopandas

    frame["geometry"] = geopandas.GeoSeries.from_wkb(frame["geometry"], crs="EPSG:4326")
    return geopandas.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
