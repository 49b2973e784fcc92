"""A département's own street extract: the regional OSM extract cut to the territory.

After `service.imports.fetch.fetch`, the regional extract Geofabrik publishes (Languedoc-
Roussillon for the Gard) is cut to the département's boundary plus a buffer
(`geodata.osm_extract`); the directory then holds, beside the downloaded files:

- ``departement-{code}.osm.pbf``: what ``maillage network build --territory`` reads;
- ``territoire-{code}.geojson``: the boundary and the buffered area it was cut to, with the
  name and checksum of the regional extract (a second run with the same extract and area does
  not cut again).

Both are added to ``SHA256SUMS`` and ``MANIFEST.json``, dated by the regional extract.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geodata.osm_extract import TerritoryArea, clip_extract
from service.imports.fetched import Fetched, describe, write_sums

OSM_SUFFIX = ".osm.pbf"


def extract_path(directory: Path, code: str) -> Path:
    """The département's cut extract in a territory's directory."""
    return directory / f"departement-{code.strip().upper()}{OSM_SUFFIX}"


def area_path(directory: Path, code: str) -> Path:
    """The boundary and buffered area (GeoJSON) in a territory's directory."""
    return directory / f"territoire-{code.strip().upper()}.geojson"


def read_area(directory: Path, code: str) -> TerritoryArea | None:
    """The area an earlier ``territory fetch`` cut to, if any."""
    path = area_path(directory, code)
    if not path.exists():
        return None
    return TerritoryArea.from_geojson(json.loads(path.read_text(encoding="utf-8")))


@dataclass(slots=True)
class ClipReport:
    """Files written (or kept) and failures (French messages)."""

    files: list[Fetched] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def regional_extracts(files: Sequence[Fetched], code: str) -> list[Fetched]:
    """The downloaded OSM extracts (``*.osm.pbf``), the département's own cut left out."""
    own = extract_path(Path(), code).name
    return [f for f in files if f.path.name.endswith(OSM_SUFFIX) and f.path.name != own]


def clip_to_territory(
    regional: Fetched, area: TerritoryArea, out: Path, *, log: Callable[[str], None] | None = None
) -> ClipReport:
    """Cut ``regional`` to ``area`` into ``out``; record both new files in ``SHA256SUMS``."""
    report = ClipReport()
    target = extract_path(out, area.code)
    geojson = area_path(out, area.code)
    document: dict[str, Any] = area.to_geojson()
    document["source"] = {"name": regional.path.name, "sha256": regional.sha256}
    if target.exists() and geojson.exists():
        try:
            unchanged = json.loads(geojson.read_text(encoding="utf-8")) == _jsonable(document)
        except ValueError:
            unchanged = False
        if unchanged:
            report.files += [
                describe(
                    target, "rues OpenStreetMap du territoire (déjà découpées)", **_dated(regional)
                ),
                describe(geojson, "limite et zone tampon du territoire", **_dated(regional)),
            ]
            if log:
                log(f"✓ {target.name} — déjà découpé dans {regional.path.name}, inchangé")
            return report
    part = geojson.with_name(geojson.name + ".part")
    part.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    try:
        clipped = clip_extract(regional.path, area.area, target)
    except ValueError as exc:
        part.unlink(missing_ok=True)
        report.failures.append(str(exc))
        if log:
            log(f"✗ {target.name} : {exc}")
        return report
    part.replace(geojson)
    report.files += [
        describe(
            target,
            f"rues OpenStreetMap du territoire (découpées dans {regional.path.name})",
            **_dated(regional),
        ),
        describe(geojson, "limite et zone tampon du territoire", **_dated(regional)),
    ]
    write_sums(out, report.files)
    if log:
        kilometres = area.buffer_m / 1000
        log(
            f"✓ {target.name} — {regional.path.name} découpé au territoire plus {kilometres:g} km "
            f": {clipped.size} octets, {clipped.nodes} nœuds, {clipped.ways} voies "
            f"({regional.size} octets avant découpage)"
        )
    return report


def _dated(regional: Fetched) -> dict[str, str | None]:
    """A cut file's date in the manifest: that of the regional extract it was cut from."""
    return {"date": regional.date, "source": f"date de {regional.path.name}"}


def _jsonable(document: dict[str, Any]) -> Any:
    """``document`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(document, ensure_ascii=False))
