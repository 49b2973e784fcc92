"""The offline geocoder over what the store knows, rebuilt only when that changes.

Its places (`geodata.geocoding.Place`):

- every commune of the store, at its town hall (a point inside it when the town hall is
  unknown), weighted by its population, with the postcode of its town hall's address; the
  town hall itself (« Mairie d'Alès, 9 place de l'Hôtel de Ville, 30100 Alès ») when its
  address is known, found by « mairie » or « hôtel de ville » and the commune's name;
- every open partner's address, at the partner's point (``partenaires``);
- the OpenStreetMap numbered addresses saved beside each registered street network
  (`geodata.osm_addresses`), each with its commune (the polygon that holds it), and their
  streets at the middle house of each (``osm``).

`LocalGeocoders` keeps the index of the current inputs: the communes' and partners'
fingerprints of the store snapshot and the address files (name, size, time); a write to
partners or a new network rebuilds it at the next search.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from geodata.geocoding import LocalGeocoder, Place, merge_places
from geodata.osm_addresses import ADDRESSES_FILE, OsmAddresses
from geodata.words import of_place, words
from service.geocode import queries
from service.store.snapshot import StoreSnapshot

_POSTCODE = re.compile(r"\b(\d{5})\b")
_NUMBERED = re.compile(r"^\s*\d+\s*(bis|ter|[a-z])?\b", re.IGNORECASE)


def commune_places(session: Session, snapshot: StoreSnapshot) -> Iterator[Place]:
    """Each commune at its town hall, and the town hall itself at its address when known."""
    halls = {code: (address, x, y) for code, address, x, y in session.execute(queries.town_halls())}
    for code, name, population, (lon, lat) in zip(
        snapshot.codes, snapshot.names, snapshot.population, snapshot.points, strict=True
    ):
        hall = halls.get(code)
        found = _POSTCODE.search(hall[0]) if hall else None
        postcode = found.group(1) if found else None
        commune = Place(
            label=name,
            lon=float(lon),
            lat=float(lat),
            precision="municipality",
            source="communes",
            code_insee=code,
            postcode=postcode,
            city=name,
            text=f"{name} {postcode or ''}" + ("" if hall else " mairie hotel de ville"),
            weight=float(population),
        )
        yield commune
        if hall:
            address, x, y = hall
            yield replace(
                commune,
                label=f"Mairie {of_place(name)}, {address}",
                lon=float(x),
                lat=float(y),
                precision="housenumber",
                text=f"mairie hotel de ville {name} {address}",
                key=f"mairie {name}",
            )


def partner_places(session: Session, names: dict[str, str]) -> Iterator[Place]:
    for address, lon, lat, code in session.execute(queries.partner_addresses()):
        postcode = _POSTCODE.search(address)
        number = _NUMBERED.match(address)
        city = names.get(code) if code else None
        label = address.strip()
        if city and city.casefold() not in label.casefold():
            label = f"{label}, {city}"
        yield Place(
            label=label,
            lon=float(lon),
            lat=float(lat),
            precision="housenumber" if number else "street",
            source="partenaires",
            code_insee=code,
            postcode=postcode.group(1) if postcode else None,
            city=city,
            housenumber=number.group(0).strip() if number else None,
        )


def address_files(session: Session, home: Path) -> list[Path]:
    """The address files saved beside the registered street networks, each once."""
    found: dict[Path, None] = {}
    for (stored,) in session.execute(queries.street_network_paths()):
        path = Path(stored)
        candidate = (path if path.is_absolute() else home / path).parent / ADDRESSES_FILE
        if candidate.is_file():
            found[candidate.resolve()] = None
    return list(found)


def osm_places(addresses: OsmAddresses, snapshot: StoreSnapshot) -> Iterator[Place]:
    """Numbered addresses and their streets, each given the commune that holds it."""
    code_of = np.full(len(addresses), -1, dtype=np.intp)
    if len(addresses) and len(snapshot.codes):
        points = shapely.points(addresses.lon, addresses.lat)
        inside, holder = shapely.STRtree(snapshot.geometries).query(points, predicate="within")
        code_of[inside] = holder

    def place(text: str, i: int, at: int, number: str | None = None) -> Place:
        """``text`` then « postcode city » of address ``i``, at address ``at``."""
        index = int(code_of[i])
        city = snapshot.names[index] if index >= 0 else (str(addresses.city[i]) or None)
        postcode = str(addresses.postcode[i]) or None
        where = " ".join(part for part in (postcode, city) if part)
        return Place(
            label=f"{text} {where}".strip(),
            lon=float(addresses.lon[at]),
            lat=float(addresses.lat[at]),
            precision="street" if number is None else "housenumber",
            source="osm",
            code_insee=snapshot.codes[index] if index >= 0 else None,
            postcode=postcode,
            city=city,
            housenumber=number,
        )

    streets: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(addresses)):
        street, number = str(addresses.street[i]), str(addresses.housenumber[i])
        yield place(f"{number} {street}", i, i, number)
        index = int(code_of[i])
        streets[(*words(street), str(index), *words(str(addresses.city[i])))].append(i)
    for members in streets.values():
        yield place(str(addresses.street[members[0]]), members[0], _middle(addresses, members))


def _middle(addresses: OsmAddresses, members: list[int]) -> int:
    """The house of a street nearest to the mean of its houses (a point on the street)."""
    at = np.asarray(members)
    lon, lat = addresses.lon[at], addresses.lat[at]
    return int(at[np.argmin((lon - lon.mean()) ** 2 + (lat - lat.mean()) ** 2)])


class LocalGeocoders:
    """The offline geocoder of the current inputs (module docstring), built lazily."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._lock = threading.Lock()
        self._key: Any = None
        self._geocoder: LocalGeocoder | None = None

    def get(self, session: Session, snapshot: StoreSnapshot) -> LocalGeocoder:
        files = address_files(session, self.home)
        stamps = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        prints = snapshot.fingerprints
        fallback = None if prints else snapshot.revision
        key = (prints.get("commune"), prints.get("partner"), stamps, fallback)
        with self._lock:
            if self._geocoder is None or key != self._key:
                names = dict(zip(snapshot.codes, snapshot.names, strict=True))
                groups = [
                    list(commune_places(session, snapshot)),
                    *(list(osm_places(OsmAddresses.load(f), snapshot)) for f in files),
                    list(partner_places(session, names)),
                ]
                self._geocoder = LocalGeocoder(merge_places(groups))
                self._key = key
            return self._geocoder
