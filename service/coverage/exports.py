"""Coverage exports: GeoJSON (EPSG:4326), CSV and GeoPackage of the zones and the gaps."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from service.coverage.compute import (
    CoverageResult,
)
from service.coverage.parameters import (
    PER_THOUSAND,
)
from service.coverage.responses import (
    CoverageMetadata,
    GapItem,
    metadata,
    minutes_or_none,
    rounded,
)

# --- exports: GeoJSON, CSV, GeoPackage -------------------------------------------------------

ZONE_COLUMNS: Final = (
    "zone_id", "name", "population", "demand", "nearest_minutes", "nearest_site_id",
    "nearest_site_name", "reachable_sites", "reachable_supply", "covered", "e2sfca",
    "two_sfca", "gap", "gap_severity", "estimated",
)  # fmt: skip
GAP_COLUMNS: Final = (
    "rank", "zone_id", "zone_name", "kind", "severity", "people_affected", "nearest_site_id",
    "nearest_site_name", "nearest_minutes", "e2sfca", "threshold", "lon", "lat", "message",
)  # fmt: skip
NUMERIC_ZONE_COLUMNS: Final = frozenset(
    {"population", "demand", "nearest_minutes", "reachable_supply", "e2sfca", "two_sfca",
     "gap_severity"}
)  # fmt: skip


def zone_rows(result: CoverageResult) -> list[dict[str, Any]]:
    """One flat record per zone (the GeoJSON properties, the CSV and GeoPackage columns)."""
    ind, zones, supply = result.indicators, result.zones, result.supply
    known = result.demand.known
    rows = []
    for i, zone_id in enumerate(zones.ids):
        site = int(ind.nearest_site[i])
        gap = result.gap_of_zone.get(zone_id)
        rows.append(
            {
                "zone_id": zone_id,
                "name": zones.names[i],
                "population": rounded(zones.population[i], 2),
                "demand": rounded(ind.demand[i], 2),
                "nearest_minutes": minutes_or_none(float(ind.nearest_minutes[i])),
                "nearest_site_id": supply.ids[site] if site >= 0 else None,
                "nearest_site_name": supply.names[site] if site >= 0 else None,
                "reachable_sites": int(ind.reachable_count[i]),
                "reachable_supply": rounded(ind.reachable_supply[i], 2),
                "covered": int(ind.share.covered[i]),
                "e2sfca": rounded(PER_THOUSAND * ind.e2sfca.access[i], 4),
                "two_sfca": rounded(PER_THOUSAND * ind.two_sfca.access[i], 4),
                "gap": gap.kind if gap else None,
                "gap_severity": rounded(gap.severity, 4) if gap else None,
                "estimated": int(result.reach.estimated_zone[i]),
            }
        )
        if known is not None and not known[i]:  # outside the demand layer: no data
            rows[-1].update(demand=None, e2sfca=None, two_sfca=None)
    return rows


def geojson_bytes(result: CoverageResult) -> bytes:
    """The zones as a GeoJSON FeatureCollection (EPSG:4326) with a ``metadata`` member."""
    parts = []
    for row, geometry in zip(zone_rows(result), result.zones.geojson, strict=True):
        properties = json.dumps(row, ensure_ascii=False, allow_nan=False)
        parts.append(
            f'{{"type":"Feature","id":{json.dumps(row["zone_id"])},"geometry":{geometry},'
            f'"properties":{properties}}}'
        )
    head = json.dumps(metadata(result).model_dump(), ensure_ascii=False, allow_nan=False)
    body = f'{{"type":"FeatureCollection","metadata":{head},"features":[{",".join(parts)}]}}'
    return body.encode("utf-8")


def coverage_csv(result: CoverageResult, *, french: bool = False) -> bytes:
    """Zones as CSV with the point each zone is measured from (``lon``, ``lat``); ``french``:
    decimal comma (`csv_bytes`)."""
    rows = zone_rows(result)
    for row, (lon, lat) in zip(rows, result.zones.points.tolist(), strict=True):
        row["lon"], row["lat"] = round(lon, 6), round(lat, 6)
    return csv_bytes([*ZONE_COLUMNS, "lon", "lat"], rows, french=french)


def gaps_csv(items: Sequence[GapItem], *, french: bool = False) -> bytes:
    """The ranked gaps as CSV; ``french``: decimal comma (`csv_bytes`)."""
    return csv_bytes(GAP_COLUMNS, [item.model_dump() for item in items], french=french)


def csv_bytes(
    columns: Sequence[str], rows: Sequence[dict[str, Any]], *, french: bool = False
) -> bytes:
    """``;``-separated, UTF-8 with a BOM (Excel, QGIS), empty for none; decimal point, or with
    ``french`` the decimal comma that Excel set to French expects (« 20,4 »: the same digits,
    only the separator differs, so the two files hold the same values)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    cell = _french_cell if french else _cell
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _french_cell(value: Any) -> Any:
    if isinstance(value, float):
        return str(value).replace(".", ",")
    return _cell(value)


def write_gpkg(result: CoverageResult, path: Path) -> Path:
    """The zones as a GeoPackage layer ``couverture`` (EPSG:4326), for QGIS."""
    import geopandas  # type: ignore[import-untyped]
    import pandas as pd

    frame = pd.DataFrame(zone_rows(result), columns=list(ZONE_COLUMNS))
    for column in NUMERIC_ZONE_COLUMNS:
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    shapes = geopandas.GeoDataFrame(frame, geometry=list(result.zones.geometries), crs="EPSG:4326")
    meta = metadata(result)
    shapes.to_file(
        path,
        driver="GPKG",
        layer="couverture",
        engine="pyogrio",
        layer_options={
            "IDENTIFIER": f"Couverture : {meta.category_label}",
            "DESCRIPTION": _summary(meta),
        },
    )
    return path


def _summary(meta: CoverageMetadata) -> str:
    share = "inconnue" if meta.share_covered is None else f"{100 * meta.share_covered:.1f} %"
    estimated = " ; temps estimés en partie" if meta.estimated else ""
    return (
        f"{meta.category_label}, {meta.max_minutes:g} min ({meta.mode}), zones {meta.zones}, "
        f"demande {meta.demand_label} : {share} couverte{estimated} (révision {meta.revision})"
    )
