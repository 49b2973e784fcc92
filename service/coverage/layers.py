"""Demand layers: numbers per zone that coverage weighs its indicators by.

A layer is a value per zone — a commune (code INSEE) or a cell of the INSPIRE grid (1 km or
200 m, EPSG:3035) — stored in ``demand_layer`` / ``demand_value``. Three commands load them:

``maillage import demand FICHIER --layer NOM``
    Any CSV with a zone column (code INSEE, or INSPIRE id ``CRS3035RES1000mN…E…``) and a
    numeric column: job seekers, RSA households, children under 3... Separator (``;``, ``,``,
    tab) and encoding (UTF-8 with or without BOM, Windows-1252, Latin-1) are detected as for
    the open-data readers (`geodata.sources.common`); decimal commas are accepted. Every bad
    row is reported with a French reason; nothing is written unless every row is valid
    (``--partial`` writes the valid ones).
``maillage import filosofi FICHIER``
    The INSEE Filosofi grid CSV (`geodata.grid.read_filosofi`) → layer ``filosofi``: ``ind``
    (people) per cell. Coverage on the 1 km grid takes its population from it where it covers
    the territory (`geodata.grid.areal_population`).
``maillage import qpv CONTOURS --indicators INDICATEURS``
    QPV contours and INSEE indicators (`geodata.sources.territory.read_qpv`) → layer ``qpv``:
    people living in a QPV, per commune, and ``qpv_grid1km``: the same per 1 km cell. A QPV's
    population ``pop_mun`` is split **by area share**: a zone ``z`` gets
    ``Σ_q pop_q · |q ∩ z| / |q|`` (areas in EPSG:3035, equal-area), which assumes people
    spread evenly inside each QPV — a QPV is a few blocks of dense housing, so the error is
    small. The share of a QPV outside the loaded territory is left out.

Values on other zones (`onto_communes`, `onto_grid`)
----------------------------------------------------
A commune layer on the 1 km grid is spread by area share of each commune
(`geodata.grid.areal_population` without Filosofi); a grid layer on communes is split by area
share of each cell (``v_c = Σ_k v_k · |k ∩ c| / |k|``); 200 m cells add up into their 1 km
cell. Coverage looks for a layer ``NOM_grid1km`` first when it works on the grid (the QPV
import writes one), then for ``NOM``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy.orm import Session

from geodata.grid import FilosofiGrid, Grid, areal_population, cell_id, parse_cell_id, to_3035
from geodata.sources.common import (
    SourceFormatError,
    fold,
    normalize_code_insee,
    parse_csv,
    parse_float,
    read_text,
)
from geodata.sources.geojson import Rejection
from service.coverage import queries
from service.store import queries as store_queries
from service.store.snapshot import LayerInfo

ZoneKind = Literal["commune", "grid1km", "grid200m"]
FloatArray = npt.NDArray[np.float64]

BUILTIN: Final = ("population", "ahi")
"""Demand names computed from the store itself, not from a layer."""

FILOSOFI: Final = "filosofi"
CHILDREN: Final = "enfants_0_3"
"""Children aged 0 to 3 per cell: Filosofi's age band ``ind_0_3``, written by `import_filosofi`."""
QPV: Final = "qpv"
GRID_SUFFIX: Final = "_grid1km"

_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RESOLUTIONS: Final[Mapping[int, ZoneKind]] = {1000: "grid1km", 200: "grid200m"}
_KIND_LABELS: Final[Mapping[str, str]] = {
    "commune": "commune (code INSEE)",
    "grid1km": "carreau de 1 km",
    "grid200m": "carreau de 200 m",
}
_ZONE_COLUMNS: Final = (
    "code_insee", "codgeo", "code_commune", "depcom", "insee", "com", "code",
    "idcar_1km", "idcar_200m", "idcar", "id_carreau", "carreau", "zone", "zone_id", "id",
)  # fmt: skip
_CHUNK: Final = 5_000


@dataclass(slots=True)
class DemandRead:
    """What `read_demand_csv` made of a file.

    ``values``: zone id → value, for the valid rows; ``rejections``: one per problem, ``index``
    being the data row (from 0; the file line is ``index + 2``); ``zone_kind``: the kind of
    most readable zone ids (``None`` when none is readable).
    """

    zone_kind: ZoneKind | None
    zone_column: str
    value_column: str
    values: dict[str, float] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    rows: int = 0

    @property
    def rejected_rows(self) -> int:
        return len({r.index for r in self.rejections})


def check_layer_name(name: str) -> str:
    """A layer name: lower-case letters, digits, ``-`` and ``_`` (64 at most), not built in."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"Nom de couche invalide « {name} » : lettres minuscules, chiffres, - et _ "
            "(64 caractères au plus)."
        )
    if name in BUILTIN:
        msg = f"« {name} » est une demande calculée par maillage : choisissez un autre nom."
        raise ValueError(msg)
    return name


# --- reading a CSV ---------------------------------------------------------------------------


def read_demand_csv(
    path: Path,
    *,
    zone_column: str | None = None,
    value_column: str | None = None,
    known_communes: Container[str] | None = None,
) -> DemandRead:
    """Read a zone column and a numeric column from a CSV, row by row.

    Parameters
    ----------
    path
        The CSV (separator and encoding detected).
    zone_column, value_column
        Column names (any case); by default the first column named like a code INSEE or a
        cell id (``code_insee``, ``codgeo``, ``idcar_1km``...) and the only other numeric one.
    known_communes
        Codes INSEE of the loaded territory: a commune outside it is refused. ``None`` or
        empty: no such check.

    Raises
    ------
    SourceFormatError
        In French, when the file as a whole cannot be read (no header, column not found).
    """
    table = parse_csv(read_text(path).text)
    zone = _column(table.header, zone_column, _ZONE_COLUMNS, "zone", "--zone-column")
    value = _value_column(table, zone, value_column)
    parsed = [_parse_zone(row, table.header.index(zone), known_communes) for row in table.rows]
    kinds = Counter(kind for kind, _, _ in parsed if kind is not None)
    layer_kind = kinds.most_common(1)[0][0] if kinds else None
    read = DemandRead(layer_kind, zone, value, rows=len(table.rows))
    seen: dict[str, int] = {}
    value_index = table.header.index(value)
    for index, (row, (kind, zone_id, problem)) in enumerate(zip(table.rows, parsed, strict=True)):
        if len(row) != len(table.header):
            read.rejections.append(Rejection(index, "ligne", "nombre de colonnes inattendu"))
            continue
        reasons = []
        if problem is not None:
            reasons.append((zone, problem))
        elif kind != layer_kind:
            mixed = (
                f"{describe_kind(kind or '')} dans une couche par {describe_kind(layer_kind or '')}"
            )
            reasons.append((zone, mixed))
        elif zone_id in seen:
            reasons.append((zone, f"zone en double (déjà ligne {seen[zone_id] + 2})"))
        number, value_problem = _parse_value(row[value_index])
        if value_problem is not None:
            reasons.append((value, value_problem))
        for where, reason in reasons:
            read.rejections.append(Rejection(index, where, reason, zone_id or None))
        if not reasons and zone_id is not None and number is not None:
            seen[zone_id] = index
            read.values[zone_id] = number
    return read


def _column(
    header: Sequence[str], wanted: str | None, candidates: Sequence[str], what: str, option: str
) -> str:
    folded = {fold(name): name for name in header}
    if wanted is not None:
        if fold(wanted) in folded:
            return folded[fold(wanted)]
        raise SourceFormatError(f"colonne « {wanted} » absente (colonnes : {', '.join(header)})")
    for candidate in candidates:
        if candidate in folded:
            return folded[candidate]
    raise SourceFormatError(
        f"aucune colonne de {what} reconnue parmi {', '.join(header)} : précisez {option}"
    )


def _value_column(table: Any, zone: str, wanted: str | None) -> str:
    if wanted is not None:
        return _column(table.header, wanted, (), "valeurs", "--value-column")
    numeric = []
    for position, name in enumerate(table.header):
        if name == zone:
            continue
        cells = [row[position] for row in table.rows if len(row) == len(table.header)]
        filled = [cell for cell in cells if cell.strip()]
        parsed = sum(parse_float(cell) is not None for cell in filled)
        if filled and parsed >= 0.5 * len(filled):
            numeric.append(name)
    if len(numeric) == 1:
        return str(numeric[0])
    if not numeric:
        raise SourceFormatError("aucune colonne numérique : précisez --value-column")
    raise SourceFormatError(
        f"plusieurs colonnes numériques ({', '.join(numeric)}) : choisissez avec --value-column"
    )


def _parse_zone(
    row: Sequence[str], position: int, known: Container[str] | None
) -> tuple[ZoneKind | None, str | None, str | None]:
    """(kind, normalised id, problem) of a row's zone cell."""
    raw = row[position].strip() if position < len(row) else ""
    if not raw:
        return None, None, "identifiant de zone manquant"
    try:
        if raw.upper().startswith("CRS3035"):
            return _parse_cell(raw)
        code = normalize_code_insee(raw)
    except ValueError as exc:
        return None, raw, str(exc)
    if known and code not in known:
        return "commune", code, f"commune {code} absente du territoire chargé"
    return "commune", code, None


def _parse_cell(raw: str) -> tuple[ZoneKind | None, str | None, str | None]:
    resolution, x, y = parse_cell_id(raw)
    kind = _RESOLUTIONS.get(resolution)
    if kind is None:
        return None, raw, f"carreaux de {resolution} m non pris en charge (1 000 ou 200 m)"
    return kind, cell_id(x, y, resolution), None


def _parse_value(text: str) -> tuple[float | None, str | None]:
    if not text.strip():
        return None, "valeur manquante"
    number = parse_float(text)
    if number is None:
        return None, f"nombre attendu, reçu « {text.strip()[:40]} »"
    if number < 0:
        return None, "valeur négative"
    return number, None


@dataclass(frozen=True, slots=True)
class DemandImport:
    """The outcome of `import_demand`: what was read, whether it was written, how many values."""

    read: DemandRead
    applied: bool
    written: int


def import_demand(
    session: Session,
    path: Path,
    *,
    name: str,
    label: str | None = None,
    unit: str | None = None,
    zone_column: str | None = None,
    value_column: str | None = None,
    partial: bool = False,
) -> DemandImport:
    """Read a CSV (`read_demand_csv`) and store it as layer ``name``: all or nothing, unless
    ``partial`` (then the valid rows). Communes outside the loaded territory are refused when
    a territory is loaded.

    Raises
    ------
    ValueError
        In French: an invalid layer name, or a file that cannot be read as a whole
        (`geodata.sources.common.SourceFormatError`).
    """
    check_layer_name(name)
    known = set(session.scalars(queries.commune_codes()))
    read = read_demand_csv(
        path, zone_column=zone_column, value_column=value_column, known_communes=known
    )
    if read.zone_kind is None or not read.values or (read.rejections and not partial):
        return DemandImport(read, applied=False, written=0)
    written = save_layer(
        session,
        name=name,
        label=label or name,
        unit=unit,
        source=path.name,
        zone_kind=read.zone_kind,
        values=read.values,
    )
    return DemandImport(read, applied=True, written=written)


# --- writing ---------------------------------------------------------------------------------


def save_layer(
    session: Session,
    *,
    name: str,
    label: str,
    zone_kind: str,
    values: Mapping[str, float],
    unit: str | None = None,
    source: str | None = None,
) -> int:
    """Create or replace a layer and all its values; returns how many values were written."""
    upsert = queries.upsert_layer(
        name=name, label=label, zone_kind=zone_kind, unit=unit, source=source
    )
    layer_id = int(session.execute(upsert).scalar_one())
    session.execute(queries.delete_layer_values(layer_id))
    rows = [{"layer_id": layer_id, "zone_id": z, "value": float(v)} for z, v in values.items()]
    for start in range(0, len(rows), _CHUNK):
        session.execute(queries.insert_layer_values(), rows[start : start + _CHUNK])
    return len(rows)


_FILOSOFI_LAYERS: Final = (
    (FILOSOFI, "ind", "habitants (Filosofi, Insee)", "habitants"),
    (CHILDREN, "ind_0_3", "enfants de 0 à 3 ans (Filosofi, Insee)", "enfants"),
)
"""(layer, Filosofi column, label, unit) of `import_filosofi`; ``ind`` is always there."""


def import_filosofi(session: Session, path: Path) -> tuple[dict[str, int], str]:
    """Store a Filosofi grid CSV as layer ``filosofi`` (``ind`` per cell) and, when the file
    has the age band ``ind_0_3``, as layer ``enfants_0_3`` (children aged 0 to 3 per cell, the
    demand of a crèche); (cells written per layer name, ``filosofi`` first; zone kind)."""
    from geodata.grid import read_filosofi

    cells = read_filosofi(path)
    kind = _RESOLUTIONS.get(cells.grid.resolution)
    if kind is None:
        msg = f"carreaux de {cells.grid.resolution} m non pris en charge (1 000 ou 200 m)"
        raise ValueError(msg)
    written = {}
    for name, column, label, unit in _FILOSOFI_LAYERS:
        if column in cells.values:
            values = dict(zip(cells.grid.ids, cells.values[column].tolist(), strict=True))
            written[name] = save_layer(session, name=name, label=label, unit=unit,
                                       source=path.name, zone_kind=kind, values=values)  # fmt: skip
    return written, kind


# --- QPV -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QpvLayers:
    """People living in a QPV per commune and per 1 km cell (area share), and what was left."""

    communes: dict[str, float]
    cells: dict[str, float]
    used: int
    outside: int
    rejections: list[Rejection]


def import_qpv(session: Session, path: Path, indicators: Path) -> QpvLayers:
    """Store the QPV population per commune (``qpv``) and per 1 km cell (``qpv_grid1km``).

    Raises
    ------
    ValueError
        In French, when no commune is loaded (the QPV are placed on the territory's communes).
    """
    from geodata.sources.territory import read_qpv

    codes, geometries = territory_communes(session)
    if not codes:
        raise ValueError(
            "aucune commune chargée : chargez d'abord le territoire "
            "(maillage territory load --departement 30)"
        )
    read = read_qpv(path, indicators_path=indicators)
    layers = qpv_layers(read.items, codes, geometries)
    layers.rejections[:0] = read.rejections
    source = f"{path.name} + {indicators.name}"
    label = "habitants des quartiers prioritaires (QPV)"
    save_layer(session, name=QPV, label=label, unit="habitants", source=source,
               zone_kind="commune", values=layers.communes)  # fmt: skip
    save_layer(session, name=QPV + GRID_SUFFIX, label=label, unit="habitants", source=source,
               zone_kind="grid1km", values=layers.cells)  # fmt: skip
    return layers


def qpv_layers(qpvs: Sequence[Any], codes: Sequence[str], communes: Any) -> QpvLayers:
    """Split each QPV's population over communes and 1 km cells by area share.

    ``qpvs`` are `geodata.sources.territory.Qpv`; ``communes`` shapely polygons (EPSG:4326)
    of the codes INSEE ``codes``. A QPV that overlaps no commune is outside the territory.
    """
    from geodata.grid import grid_over

    shapes = to_3035(np.array([q.geometry for q in qpvs], dtype=object))
    towns = to_3035(np.asarray(communes, dtype=object))
    source, target, share = _area_shares(shapes, towns)
    inside = np.zeros(len(qpvs), dtype=bool)
    inside[source] = True
    rejections = [
        Rejection(i, "pop_mun", "population du quartier inconnue (fichier d'indicateurs)", q.code)
        for i, q in enumerate(qpvs)
        if inside[i] and q.population is None
    ]
    people = np.array([float(q.population or 0) for q in qpvs], dtype=np.float64)
    per_commune = np.bincount(target, weights=people[source] * share, minlength=len(codes))
    used = np.flatnonzero(inside & (people > 0))
    cells: dict[str, float] = {}
    if used.size:
        grid = grid_over(np.array([qpvs[i].geometry for i in used.tolist()], dtype=object))
        boxes = grid.polygons()
        q_index, c_index, cell_share = _area_shares(shapes[used], boxes)
        per_cell = np.bincount(
            c_index, weights=people[used][q_index] * cell_share, minlength=len(grid)
        )
        cells = {grid.ids[k]: float(v) for k, v in enumerate(per_cell.tolist()) if v > 0}
    return QpvLayers(
        communes={codes[c]: float(v) for c, v in enumerate(per_commune) if v > 0},
        cells=cells,
        used=int(used.size),
        outside=int((~inside).sum()),
        rejections=rejections,
    )


def _area_shares(sources: Any, targets: Any) -> tuple[Any, Any, FloatArray]:
    """Pairs (source, target) that overlap and ``|s ∩ t| / |s|`` (EPSG:3035 geometries)."""
    if len(sources) == 0 or len(targets) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    pairs = shapely.STRtree(targets).query(sources, predicate="intersects")
    source, target = pairs[0], pairs[1]
    overlap = shapely.area(shapely.intersection(sources[source], targets[target]))
    area = shapely.area(sources[source])
    share = np.divide(overlap, area, out=np.zeros(len(source)), where=area > 0)
    return source.astype(np.int64), target.astype(np.int64), share.astype(np.float64)


# --- reading layers back ---------------------------------------------------------------------


def territory_communes(session: Session) -> tuple[list[str], Any]:
    """Codes INSEE and polygons (shapely, EPSG:4326) of the loaded communes, by code."""
    rows = session.execute(queries.commune_polygons()).all()
    codes = [code for code, _ in rows]
    geometries = shapely.from_wkb([bytes(wkb) for _, wkb in rows]) if rows else np.array([])
    return codes, geometries


def list_layers(session: Session) -> dict[str, LayerInfo]:
    """Every stored layer by name."""
    return {
        row.name: LayerInfo(row.id, row.name, row.label, row.unit, row.source, row.zone_kind)
        for row in session.scalars(store_queries.demand_layers())
    }


def layer_values(session: Session, layer: LayerInfo) -> tuple[list[str], FloatArray]:
    """Zone ids and values of a layer."""
    rows = session.execute(store_queries.demand_values(layer.id)).all()
    return [zone for zone, _ in rows], np.array([v for _, v in rows], dtype=np.float64)


def filosofi_grid(ids: Sequence[str], people: FloatArray) -> FilosofiGrid | None:
    """A stored ``filosofi`` layer as `geodata.grid.FilosofiGrid` (``ind`` only)."""
    if not ids:
        return None
    return FilosofiGrid(
        grid=Grid.from_ids(ids),
        values={"ind": people},
        communes=tuple(() for _ in ids),
        estimated=np.zeros(len(ids), dtype=bool),
    )


def onto_communes(
    kind: str, ids: Sequence[str], values: FloatArray, codes: Sequence[str], communes: Any
) -> FloatArray:
    """A layer's values on communes ``codes`` (polygons ``communes``, EPSG:4326)."""
    if kind == "commune":
        position = {code: i for i, code in enumerate(codes)}
        result = np.zeros(len(codes), dtype=np.float64)
        for zone, value in zip(ids, values.tolist(), strict=True):
            if zone in position:
                result[position[zone]] += value
        return result
    cells = Grid.from_ids(ids)
    source, target, share = _area_shares(cells.polygons(), to_3035(np.asarray(communes)))
    return np.bincount(target, weights=values[source] * share, minlength=len(codes)).astype(
        np.float64
    )


def onto_grid(
    kind: str,
    ids: Sequence[str],
    values: FloatArray,
    grid: Grid,
    *,
    codes: Sequence[str],
    communes: Any,
) -> FloatArray:
    """A layer's values on the cells of ``grid`` (1 km)."""
    if kind == "commune":
        position = {code: i for i, code in enumerate(codes)}
        per_commune = np.zeros(len(codes), dtype=np.float64)
        for zone, value in zip(ids, values.tolist(), strict=True):
            if zone in position:
                per_commune[position[zone]] += value
        spread = areal_population(grid, list(communes), per_commune)
        return spread.population
    cells = Grid.from_ids(ids)
    result = np.zeros(len(grid), dtype=np.float64)
    if cells.resolution > grid.resolution or grid.resolution % cells.resolution:
        raise ValueError(
            f"carreaux de {cells.resolution} m : impossible de les ramener à {grid.resolution} m"
        )
    step = grid.resolution
    parents = np.column_stack(
        [(cells.x_sw // step) * step + step / 2, (cells.y_sw // step) * step + step / 2]
    )
    found = grid.index_of(parents)
    inside = found >= 0
    np.add.at(result, found[inside], values[inside])
    return result


def grid_extent(ids: Sequence[str], zones: Any) -> npt.NDArray[np.bool_]:
    """Which ``zones`` (shapely polygons, EPSG:4326) touch the convex hull of the cells ``ids``:
    inside it a missing cell is an uninhabited one (Filosofi publishes inhabited cells only),
    outside it nothing is known."""
    if not ids:
        return np.zeros(len(zones), dtype=bool)
    hull = shapely.convex_hull(shapely.union_all(Grid.from_ids(ids).polygons()))
    return np.asarray(
        shapely.intersects(to_3035(np.asarray(zones, dtype=object)), hull), dtype=bool
    )


def describe_kind(kind: str) -> str:
    """French name of a zone kind."""
    return _KIND_LABELS.get(kind, kind)
