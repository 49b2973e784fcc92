"""How long orientation counts are kept: ``MAILLAGE_FLOW_RETENTION_MONTHS`` months (36 by
default), counted in whole months back from today's (`graph.flows.retention_cutoff`). A period
that ended before the cutoff is deleted — on every write of counts (a declaration, an import)
and by ``maillage network purge-flows`` (to run from cron where nothing is written for months).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.orm import Session

from graph.flows import retention_cutoff
from service.flows import queries


def today() -> dt.date:
    """Today in UTC: the day periods are judged against."""
    return dt.datetime.now(dt.UTC).date()


def purge_expired(
    session: Session, retention_months: int, *, on: dt.date | None = None
) -> tuple[int, dt.date]:
    """Delete the periods that ended before the cutoff of ``on`` (default: today); how many
    were deleted, and the cutoff (the first day kept). The caller commits."""
    cutoff = retention_cutoff(on or today(), retention_months)
    result = cast(CursorResult[Any], session.execute(queries.purge_before(cutoff)))
    return int(result.rowcount or 0), cutoff
