"""One shard of a national run: a département × mode, every category, every budget (pure).

The adapter computes two travel tables once per shard — zones × every partner of the
département and its border buffer, and zones × candidate places (the zones' own points) —
on the shard's network, loaded once and shared by the threads of its searches; this module
turns them into the coverage of **every category** and **every time budget**, by slicing the
columns of the category's sites out of the one table:

1. **sites** — `graph.coverage.select_sites` per category (capacity as supply, 1 when
   unknown), and the table's columns of those sites;
2. **indicators** — `graph.coverage.indicators` with the E2SFCA bands fitted to the budget
   (`graph.coverage.bands_for_budget`: 1.00 / 0.68 / 0.22 on its thirds), exactly as
   ``/v1/coverage`` computes one answer;
3. **gaps** — `graph.coverage.flag_gaps`, ranked (no site within the budget first, then weak
   offer under ``median_fraction`` × the median E2SFCA of the département);
4. **siting** — `graph.siting.maximal_covering`: the ``k`` candidate places that would newly
   cover the most uncovered demand, the existing sites kept;
5. **summary** — the share of the demand within the budget, the median E2SFCA, how many
   gaps, and the share of the pairs within the budget whose time is an estimate.

Inputs and units: the tables hold minutes (`graph.coverage.ReachTable`, kept up to the
horizon ``2 × max(budgets)``: the nearest site of a zone that has none within the budget is
still named); demand in persons; accessibility reported in places per 1,000 persons.
The result is plain rows (dicts of str, int, float, bool, None), in a fixed order, so that
two runs of the same shard — serial or distributed — give equal tables row for row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from graph.coverage import (
    Category,
    Gap,
    Indicators,
    ReachTable,
    SiteRecord,
    Supply,
    Zones,
    bands_for_budget,
    flag_gaps,
    indicators,
    select_sites,
    weighted_median,
)
from graph.siting import maximal_covering

__all__ = [
    "DEFAULT_CATEGORIES",
    "PER_THOUSAND",
    "ShardCoverage",
    "ShardTables",
    "category_of",
    "horizon",
    "shard_coverage",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Row = dict[str, Any]

PER_THOUSAND: Final = 1000.0

DEFAULT_CATEGORIES: Final = (
    "hebergement", "insertion-professionnelle", "employeurs-inclusifs", "remobilisation",
    "formation-langue", "mobilite", "garde-enfants", "sante", "acces-aux-droits",
    "institutions",
)  # fmt: skip
"""The ten families of a national run: every family of partners but ordinary employers,
networks and « autres »."""


def category_of(code: str) -> Category:
    """A family, a kind or a thematique code as a `graph.coverage.Category`.

    Raises
    ------
    graph.vocabulary.UnknownCodeError
        For a code of none of the three vocabularies (a ``ValueError``, in French).
    """
    from graph import vocabulary

    if code in vocabulary.families():
        return Category.of_family(code)
    if code in vocabulary.thematiques():
        return Category.of_thematique(code)
    return Category.of_kinds(code)


def horizon(budgets: Sequence[float]) -> float:
    """The minutes a shard's tables must reach: ``max(2 d, d)`` over the budgets ``d``
    (the reach, the E2SFCA's last band — the budget itself — and the nearest site up to
    twice the budget)."""
    return 2.0 * max(float(b) for b in budgets)


@dataclass(frozen=True, eq=False)
class ShardTables:
    """The travel tables of one shard.

    Attributes
    ----------
    sites : ReachTable
        Zones × partners (in the partners' order), minutes, up to `horizon`.
    site_estimated : numpy.ndarray
        bool, one per pair of ``sites``: the time is a straight-line estimate.
    candidates : ReachTable or None
        Zones × candidate places (the zones' points), minutes, up to the largest budget;
        ``None``: no siting.
    networks : tuple of str
        The networks that answered (empty: every time estimated).
    """

    sites: ReachTable
    site_estimated: BoolArray
    candidates: ReachTable | None
    networks: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ShardCoverage:
    """The rows of one shard: zones with their indicators, ranked gaps, siting, summary."""

    zones: list[Row] = field(default_factory=list)
    gaps: list[Row] = field(default_factory=list)
    siting: list[Row] = field(default_factory=list)
    summary: list[Row] = field(default_factory=list)


def shard_coverage(
    *,
    zone_ids: Sequence[str],
    zone_names: Sequence[str],
    demand: npt.ArrayLike,
    partners: Sequence[SiteRecord],
    tables: ShardTables,
    categories: Sequence[Category],
    budgets: Sequence[float],
    mode: str,
    k: int = 3,
    median_fraction: float = 0.5,
    siting_seconds: float = 10.0,
) -> ShardCoverage:
    """Coverage, gaps, siting and summary of every category × budget of one shard.

    Rows carry ``category`` and ``max_minutes``; zone and gap rows carry ``zone_index``
    (the row of the zone, for its geometry). See the module docstring for the steps.
    """
    people = np.asarray(demand, dtype=np.float64)
    zones = Zones(tuple(zone_ids), tuple(zone_names))
    out = ShardCoverage()
    for category in categories:
        columns = np.array([category.contains(p) for p in partners], dtype=bool)
        supply = select_sites([p for p, keep in zip(partners, columns, strict=True) if keep],
                              category)  # fmt: skip
        table, estimated = _columns(tables.sites, tables.site_estimated, columns)
        for budget in sorted({float(b) for b in budgets}):
            found = indicators(
                table, people, supply.weights, max_minutes=budget, bands=bands_for_budget(budget)
            )
            gaps = flag_gaps(
                zones, found, supply=supply, mode=mode, median_fraction=median_fraction
            )
            key = {"category": category.code, "max_minutes": budget}
            out.zones.extend(
                _zone_rows(key, zones, found, supply=supply, gaps=gaps, table=table,
                           estimated=estimated)
            )  # fmt: skip
            out.gaps.extend(_gap_rows(key, zones, gaps))
            out.summary.append(
                _summary(key, found, supply=supply, gaps=gaps, table=table, estimated=estimated)
            )
            if tables.candidates is not None and len(zones):
                out.siting.extend(
                    _siting_rows(key, zones, tables.candidates, found, k=k, seconds=siting_seconds)
                )
    return out


def _columns(
    table: ReachTable, estimated: BoolArray, keep: BoolArray
) -> tuple[ReachTable, BoolArray]:
    """The pairs of the kept columns, columns renumbered in order."""
    new_index = np.cumsum(keep) - 1
    pairs = keep[table.sites]
    sub = ReachTable.from_pairs(
        table.zones[pairs],
        new_index[table.sites[pairs]],
        table.minutes[pairs],
        shape=(table.shape[0], int(keep.sum())),
    )
    # from_pairs sorts by (zone, site) as the table already is: the flags keep their order
    return sub, estimated[pairs]


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _zone_rows(
    key: Row,
    zones: Zones,
    found: Indicators,
    *,
    supply: Supply,
    gaps: Sequence[Gap],
    table: ReachTable,
    estimated: BoolArray,
) -> list[Row]:
    by_zone = {gap.zone_id: gap for gap in gaps}
    within = table.minutes <= found.max_minutes
    flagged = np.bincount(table.zones[within & estimated], minlength=len(zones)) > 0
    rows = []
    for i, zone_id in enumerate(zones.ids):
        site = int(found.nearest_site[i])
        gap = by_zone.get(zone_id)
        rows.append(
            {
                **key,
                "zone_index": i,
                "zone_id": zone_id,
                "zone_name": zones.names[i],
                "demand": float(found.demand[i]),
                "nearest_minutes": _finite(found.nearest_minutes[i]),
                "nearest_site_id": supply.ids[site] if site >= 0 else None,
                "nearest_site_name": supply.names[site] if site >= 0 else None,
                "reachable_sites": int(found.reachable_count[i]),
                "reachable_supply": float(found.reachable_supply[i]),
                "covered": bool(found.share.covered[i]),
                "e2sfca": PER_THOUSAND * float(found.e2sfca.access[i]),
                "two_sfca": PER_THOUSAND * float(found.two_sfca.access[i]),
                "gap": gap.kind if gap else None,
                "gap_severity": gap.severity if gap else None,
                "estimated": bool(flagged[i]),
            }
        )
    return rows


def _gap_rows(key: Row, zones: Zones, gaps: Sequence[Gap]) -> list[Row]:
    index = {zone_id: i for i, zone_id in enumerate(zones.ids)}
    return [
        {
            **key,
            "rank": rank,
            "zone_index": index[gap.zone_id],
            "zone_id": gap.zone_id,
            "zone_name": gap.zone_name,
            "kind": gap.kind,
            "severity": gap.severity,
            "people_affected": gap.population,
            "nearest_site_id": gap.nearest_site_id,
            "nearest_site_name": gap.nearest_site_name,
            "nearest_minutes": None
            if gap.nearest_minutes is None
            else _finite(gap.nearest_minutes),
            "e2sfca": PER_THOUSAND * gap.accessibility,
            "threshold": PER_THOUSAND * gap.threshold,
            "message": gap.message,
        }
        for rank, gap in enumerate(gaps, start=1)
    ]


def _siting_rows(
    key: Row,
    zones: Zones,
    candidates: ReachTable,
    found: Indicators,
    *,
    k: int,
    seconds: float,
) -> list[Row]:
    siting = maximal_covering(
        candidates,
        found.demand,
        max_minutes=found.max_minutes,
        k=k,
        covered_already=found.share.covered,
        time_limit=seconds,
    )
    return [
        {
            **key,
            "rank": rank,
            "zone_index": chosen.candidate,
            "zone_id": zones.ids[chosen.candidate],
            "zone_name": zones.names[chosen.candidate],
            "newly_covered": float(chosen.newly_covered),
            "zones_covered": len(chosen.zones),
            "optimal": bool(siting.optimal),
        }
        for rank, chosen in enumerate(siting.sites, start=1)
    ]


def _summary(
    key: Row,
    found: Indicators,
    *,
    supply: Supply,
    gaps: Sequence[Gap],
    table: ReachTable,
    estimated: BoolArray,
) -> Row:
    within = table.minutes <= found.max_minutes
    pairs = int(within.sum())
    median = weighted_median(found.e2sfca.access, found.demand)
    return {
        **key,
        "zones": len(found),
        "sites": len(supply),
        "demand_total": found.share.demand_total,
        "demand_within": found.share.demand_within,
        "share_within": found.share.share,
        "median_e2sfca": None if math.isnan(median) else PER_THOUSAND * median,
        "gaps": len(gaps),
        "no_site_gaps": sum(1 for g in gaps if g.kind == "aucun-site-atteignable"),
        "estimated_share": float((within & estimated).sum() / pairs) if pairs else 0.0,
    }
