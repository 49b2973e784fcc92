"""Loading a national run into PostGIS (``maillage national load DIR``), for the API.

The zones and the ranked gaps of every shard of ``DIR`` (`service.national.outputs`) go to
``national_zone`` and ``national_gap`` (migration 0012), each shard's summary rows to
``national_departement`` with the département's outline (the union of its zones, simplified
to `OUTLINE_DEGREES`), with the run's id (a digest of the
manifests: the same directory loaded twice has the same id) and, per row, whether the
shard's mode had a registered network (``real``). Rows of the same département × mode ×
category already loaded are replaced, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from service.national import queries
from service.national.outputs import manifests, read_table

_BATCH = 5_000
OUTLINE_DEGREES = 0.002
"""Simplification of a département's outline, degrees (about 200 m): a map of France."""


@dataclass(frozen=True, slots=True)
class LoadedRun:
    run_id: str
    zones: int
    gaps: int
    departements: tuple[str, ...]


def run_id(out: Path) -> str:
    """The id of a run: a digest of its manifests' fingerprints."""
    prints = sorted(f"{m['shard']}:{m['fingerprint']}" for m in manifests(out))
    return hashlib.sha256(json.dumps(prints).encode("utf-8")).hexdigest()[:16]


def load_run(session: Session, out: Path) -> LoadedRun:
    """Replace the loaded rows of the run's shards × categories by the run's."""
    ident = run_id(out)
    real = {(m["departement"], m["mode"]): bool(m["real"]) for m in manifests(out)}
    names = {m["departement"]: str(m["name"]) for m in manifests(out)}
    counts = {}
    outlines: dict[str, Any] = {}
    for table in ("zones", "gaps", "summary"):
        frame = read_table(out, table)
        if table == "zones":
            outlines = _outlines(frame)
        keys = sorted(set(zip(frame["departement"], frame["mode"], frame["category"], strict=True)))
        if keys:
            session.execute(queries.delete_shards(table, keys))
        rows = [
            _summary_row(record, ident, real, names, outlines)
            if table == "summary"
            else _row(record, ident, real)
            for record in frame.to_dict("records")
        ]
        for first in range(0, len(rows), _BATCH):
            session.execute(queries.insert_rows(table), rows[first : first + _BATCH])
        counts[table] = len(rows)
    departements = tuple(sorted({d for d, _ in real}))
    return LoadedRun(ident, counts["zones"], counts["gaps"], departements)


def _outlines(zones: Any) -> dict[str, Any]:
    """Per département, the union of its zones (one category × budget: the same zones),
    simplified to `OUTLINE_DEGREES`."""
    if zones.empty:
        return {}
    first = zones[
        (zones["category"] == zones["category"].iloc[0])
        & (zones["max_minutes"] == zones["max_minutes"].iloc[0])
    ]
    found = {}
    for code, part in first.groupby("departement"):
        merged = shapely.union_all(list(part.geometry), grid_size=1e-6)
        found[str(code)] = shapely.simplify(merged, OUTLINE_DEGREES, preserve_topology=True)
    return found


def _summary_row(
    record: dict[str, Any],
    ident: str,
    real: dict[tuple[str, str], bool],
    names: dict[str, str],
    outlines: dict[str, Any],
) -> dict[str, Any]:
    row = {key: _plain(value) for key, value in record.items()}
    row.pop("no_site_gaps", None)
    row.update(
        run_id=ident,
        name=names.get(record["departement"], record["departement"]),
        real=real.get((record["departement"], record["mode"]), False),
        geom=from_shape(outlines[record["departement"]], srid=4326),
    )
    return row


def _row(record: dict[str, Any], ident: str, real: dict[tuple[str, str], bool]) -> dict[str, Any]:
    geometry = record.pop("geometry")
    row = {key: _plain(value) for key, value in record.items()}
    row.update(
        run_id=ident,
        real=real.get((record["departement"], record["mode"]), False),
        geom=from_shape(geometry, srid=4326),
    )
    return row


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, NaN as None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
