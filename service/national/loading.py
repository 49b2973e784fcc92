"""Loading a national run into PostGIS (``maillage national load DIR``), for the API.

The zones and the ranked gaps of every shard of ``DIR`` (`service.national.outputs`) go to
``national_zone`` and ``national_gap`` (migration 0012), with the run's id (a digest of the
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

from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from service.national import queries
from service.national.outputs import manifests, read_table

_BATCH = 5_000


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
    counts = {}
    for table in ("zones", "gaps"):
        frame = read_table(out, table)
        keys = sorted(set(zip(frame["departement"], frame["mode"], frame["category"], strict=True)))
        if keys:
            session.execute(queries.delete_shards(table, keys))
        rows = [_row(table, record, ident, real) for record in frame.to_dict("records")]
        for first in range(0, len(rows), _BATCH):
            session.execute(queries.insert_rows(table), rows[first : first + _BATCH])
        counts[table] = len(rows)
    departements = tuple(sorted({d for d, _ in real}))
    return LoadedRun(ident, counts["zones"], counts["gaps"], departements)


def _row(
    table: str, record: dict[str, Any], ident: str, real: dict[tuple[str, str], bool]
) -> dict[str, Any]:
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
