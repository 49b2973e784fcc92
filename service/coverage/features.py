"""The coverage zones and the ranked gaps as feature tables, for the GIS layers of `service.ogc`.

The same computation as ``/v1/coverage`` and ``/v1/gaps`` (`compute_coverage`, the same cache):
the whole loaded territory, demand ``population``, offer weak under half the median
(``median_fraction`` 0.5), the E2SFCA bands fitted to the budget. Each feature carries the
question it answers (``category``, ``mode``, ``minutes``, ``zones``) besides the indicators of
`service.coverage.exports.zone_rows` or the fields of a `service.coverage.responses.GapItem`.

Units: minutes; accessibility in places per 1,000 persons of demand; geometries EPSG:4326.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import Request
from sqlalchemy.orm import Session

from graph.coverage import bands_for_budget
from service.coverage.compute import CoverageCache, CoverageResult, compute_coverage
from service.coverage.exports import zone_rows
from service.coverage.parameters import Spec
from service.coverage.responses import gap_items
from service.deps import get_snapshot, get_travel
from service.feature_tables import FeatureTable, LayerQuestion

MEDIAN_FRACTION = 0.5
"""Offer weak under half the territory's median E2SFCA: the default of ``/v1/coverage``."""


def _result(request: Request, session: Session, question: LayerQuestion) -> CoverageResult:
    spec = Spec(
        category=question.category,
        mode=question.mode,
        max_minutes=float(question.minutes),
        zones=question.zones,
        demand="population",
        median_fraction=MEDIAN_FRACTION,
        bbox=None,
        bands=bands_for_budget(float(question.minutes)),
    )
    cache: CoverageCache = request.app.state.coverage
    return compute_coverage(get_snapshot(request, session), cache, get_travel(request), spec)


def _asked(question: LayerQuestion) -> dict[str, Any]:
    return {
        "category": question.category,
        "mode": question.mode,
        "minutes": float(question.minutes),
        "zones": question.zones,
    }


def coverage_table(request: Request, session: Session, question: LayerQuestion) -> FeatureTable:
    """Every zone of the territory with its indicators, in the zones' order."""
    result = _result(request, session, question)
    asked = _asked(question)
    return FeatureTable(
        ids=result.zones.ids,
        geometries=result.zones.geometries,
        geojson=result.zones.geojson,
        properties=[{**row, **asked} for row in zone_rows(result)],
        revision=result.revision,
    )


def gaps_table(request: Request, session: Session, question: LayerQuestion) -> FeatureTable:
    """The gaps ranked by people affected (``rank`` 1 first), each with its zone's polygon."""
    result = _result(request, session, question)
    items, _ = gap_items(result, None, len(result.gaps))
    index = {zone: i for i, zone in enumerate(result.zones.ids)}
    rows = np.array([index[item.zone_id] for item in items], dtype=np.int64)
    asked = _asked(question)
    return FeatureTable(
        ids=tuple(item.zone_id for item in items),
        geometries=result.zones.geometries[rows],
        geojson=[result.zones.geojson[i] for i in rows.tolist()],
        properties=[{**item.model_dump(mode="json"), **asked} for item in items],
        revision=result.revision,
    )
