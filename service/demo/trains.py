"""The demo's real trains: the national TER timetable, clipped to the Gard, built once.

``maillage demo`` registers the SNCF regional timetable (``sncf_ter_2025.zip``, ODbL) as the
public transport network of the Gard, so that Alès → Nîmes by public transport is a real
train. The feed is read from ``../shared/data/gtfs`` beside the repository (or
``MAILLAGE_DEMO_GTFS``), clipped to the Gard plus ``MAILLAGE_TERRITORY_BUFFER_KM`` (10 km:
Avignon, Arles, Lunel, Villefort…), saved under ``MAILLAGE_HOME/reseaux/demo/transit.npz``
and registered under the name « gard ». It is rebuilt only when the feed's SHA-256, the
buffer or the build format change (``transit.json`` beside the network says which it was
built from): a second demo reuses it in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from service.demo.state import DEMO_DEPARTEMENT

DEMO_NETWORK_NAME = "gard"
FEED_NAME = "ter"
BUILD_FORMAT = 2  # 2: walks are the estimated walk of geodata.walking (× 1.3)
"""Bump when the way the demo's network is built changes: the cache is then rebuilt."""

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_FEED = REPOSITORY.parent / "shared" / "data" / "gtfs" / "sncf_ter_2025.zip"


@dataclass(frozen=True, slots=True)
class DemoTrains:
    """The demo's timetable: where it is saved, whether this run built it, what it holds."""

    path: Path
    built: bool
    network: Any  # geodata.transit.TransitNetwork
    stops: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def demo_trains(
    session: Session, home: Path, *, feed: Path | None = None, buffer_km: float = 10.0
) -> DemoTrains | None:
    """Build (when its inputs changed) and register the Gard's TER network; None when the
    feed is absent. The caller commits."""
    from geodata.transit import TransitNetwork

    source = feed or DEFAULT_FEED
    if not source.is_file():
        return None
    folder = home / "reseaux" / "demo"
    path, stamp_path = folder / "transit.npz", folder / "transit.json"
    stamp = {"sha256": sha256_of(source), "buffer_km": buffer_km, "format": BUILD_FORMAT}
    built = False
    network = None
    kept = _read(stamp_path)
    if path.is_file() and kept is not None and {k: kept.get(k) for k in stamp} == stamp:
        try:
            network = TransitNetwork.load(path)
            bounds = tuple(float(v) for v in kept["bbox"])
        except (OSError, ValueError, KeyError, TypeError):
            network = None
    if network is None:
        from geodata.feeds import buffered_area
        from geodata.osm_extract import departement_boundary

        _, gard = departement_boundary(DEMO_DEPARTEMENT)
        area = buffered_area(gard, buffer_km * 1000.0)
        network = TransitNetwork.from_gtfs({FEED_NAME: source}, area=area)
        bounds = tuple(float(v) for v in area.bounds)
        folder.mkdir(parents=True, exist_ok=True)
        network.save(path)
        stamp_path.write_text(
            json.dumps({**stamp, "bbox": list(bounds)}, indent=2), encoding="utf-8"
        )
        built = True
    stops = _register(session, path, source, network, bounds, refresh=built)
    return DemoTrains(path, built, network, stops)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _register(
    session: Session,
    path: Path,
    source: Path,
    network: Any,
    bounds: tuple[float, ...],
    *,
    refresh: bool,
) -> int:
    """Register the network as « gard » (transit) over the Gard plus its buffer (``bounds``:
    west, south, east, north), unless it already is, from this file; its served stops."""
    from shapely import box

    from service.store import queries
    from service.store.records import geometry

    stops = int(network.served.sum())
    registered = [
        row
        for row in session.scalars(queries.networks())
        if row.name == DEMO_NETWORK_NAME and row.mode == "transit"
    ]
    if not refresh and registered and registered[0].path == str(path.resolve()):
        return stops
    session.execute(
        queries.register_network(
            {
                "name": DEMO_NETWORK_NAME,
                "mode": "transit",
                "path": str(path.resolve()),
                "source_file": str(source.resolve()),
                "node_count": stops,
                "bbox": geometry(box(*bounds)),
            }
        )
    )
    return stops
