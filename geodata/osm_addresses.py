"""The addresses of an OpenStreetMap file (``addr:*``), for the offline geocoder.

`read_addresses` reads every node and way of a ``.osm.pbf`` tagged ``addr:housenumber`` with
an ``addr:street`` (or ``addr:place``, a named place without streets) — a way (a building) at
its centroid — with ``addr:postcode`` and ``addr:city`` when present. ``maillage network
build`` saves them beside the street network (`ADDRESSES_FILE` in the same directory) with
`OsmAddresses.save`; the service reads them back with `OsmAddresses.load` for every
registered street network. OSM XML files have no address extraction (their networks are
small test fixtures).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

ADDRESSES_FILE: Final = "addresses.npz"
_COLUMNS: Final = ("housenumber", "street", "postcode", "city")


@dataclass(frozen=True)
class OsmAddresses:
    """Numbered addresses: lon/lat EPSG:4326, house number, street (or place), postcode and
    city ('' when absent); arrays of one length."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    housenumber: NDArray[np.str_]
    street: NDArray[np.str_]
    postcode: NDArray[np.str_]
    city: NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.lon.size)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle, lon=self.lon, lat=self.lat, **{c: getattr(self, c) for c in _COLUMNS}
            )
        return path

    @classmethod
    def load(cls, path: Path) -> OsmAddresses:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                lon=data["lon"].astype(np.float64),
                lat=data["lat"].astype(np.float64),
                **{c: data[c].astype(np.str_) for c in _COLUMNS},
            )


def _texts(frame: Any, column: str) -> NDArray[np.str_]:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=np.str_)
    values = frame[column].fillna("").astype(str).str.strip()
    return np.asarray(values.to_numpy(), dtype=np.str_)


def read_addresses(path: str | Path) -> OsmAddresses:
    """The numbered addresses of a ``.osm.pbf`` (an empty set for any other format).

    Raises
    ------
    ValueError
        In French, when the file cannot be read.
    """
    source = Path(path)
    empty = np.array([], dtype=np.str_)
    none = OsmAddresses(np.array([]), np.array([]), empty, empty, empty, empty)
    if not source.name.lower().endswith(".osm.pbf"):
        return none
    from pyrosm import OSM

    try:
        with warnings.catch_warnings():
            # pyrosm warns « Could not find any OSM data » for a file without addresses
            warnings.simplefilter("ignore", UserWarning)
            frame = OSM(str(source)).get_data_by_custom_criteria(
                custom_filter={"addr:housenumber": True},
                filter_type="keep",
                keep_nodes=True,
                keep_ways=True,
                keep_relations=False,
                extra_attributes=["addr:street", "addr:place", "addr:postcode", "addr:city"],
            )
    except Exception as exc:  # a damaged file fails in many ways
        msg = f"Adresses illisibles dans {source.name} ({type(exc).__name__})."
        raise ValueError(msg) from exc
    if frame is None or len(frame) == 0:
        return none
    points = frame.geometry.representative_point()
    street = _texts(frame, "addr:street")
    place = _texts(frame, "addr:place")
    street = np.where(street == "", place, street)
    number = _texts(frame, "addr:housenumber")
    keep = (street != "") & (number != "") & ~points.is_empty.to_numpy()
    return OsmAddresses(
        lon=points.x.to_numpy(np.float64)[keep],
        lat=points.y.to_numpy(np.float64)[keep],
        housenumber=number[keep],
        street=street[keep],
        postcode=_texts(frame, "addr:postcode")[keep],
        city=_texts(frame, "addr:city")[keep],
    )


def save_addresses(osm_path: Path, out: Path) -> int:
    """Read the addresses of ``osm_path`` and save them in ``out`` / `ADDRESSES_FILE`; how
    many (0: no file written)."""
    addresses = read_addresses(osm_path)
    if len(addresses):
        addresses.save(out / ADDRESSES_FILE)
    return len(addresses)
