"""The orientation counts along relations, read for whoever needs them: the flows routes, and
the network analyses that weigh the graph's edges with them (`graph.flows.edge_volumes`).

Counts are small in number (a few per relation and month) and read on demand, not held in the
store snapshot; a write to them bumps the store revision all the same (migration 0011), so a
result cached under a revision never outlives the counts it was computed from.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from graph.flows import FlowCounts, RelationFlow
from service.store import queries


def read_flows(
    session: Session, *, since: dt.date | None = None, until: dt.date | None = None
) -> list[RelationFlow]:
    """The counts of the periods lying within ``since`` – ``until`` (both included; ``None``:
    unbounded), in period then relation order (`queries.relation_flows`)."""
    return [
        RelationFlow(
            relation_id=relation_id,
            source_id=source_id,
            target_id=target_id,
            kind=kind,
            period_start=start,
            period_end=end,
            counts=FlowCounts(sent=sent, received=received, accepted=accepted),
        )
        for relation_id, source_id, target_id, kind, start, end, sent, received, accepted in (
            session.execute(queries.relation_flows(since, until))
        )
    ]
