"""Orientation counts without persons: how many orientations went along a relation, by period.

A relation of the partner graph (``oriente-vers``, ``prescrit``…) may carry, for a period of
whole calendar months, three aggregated counts declared by a structure party to the relation
or imported from its tools: orientations **sent** (by the source structure), **received** (by
the target) and, among those received, **accepted** (``accepted ≤ received``). A count is a
number of orientations, never a person: no name, birth date or case number is ever stored,
and a count may be unknown (``None``: not declared), which is not zero.

What this module gives the service and the network analyses, all pure functions:

1. `period_problems`: whether a period is acceptable — its shape (whole months, at most
   `MAX_PERIOD_MONTHS`) and its time (not in the future, not older than the retention) —
   each problem as a French sentence; `count_problems` the same for the counts;
2. `retention_cutoff`: the first day kept when counts are kept ``months`` months;
3. `totals_by_relation`, `totals_by_period`: sums over periods or over relations, where an
   unknown count stays unknown only when every part is unknown;
4. `edge_volumes`: one number per directed pair of partners to weigh the graph's edges
   (orientations received, or sent when the target declared nothing);
5. `mask_small`: the counts as an anonymous reader sees them — a count between 1 and
   ``threshold − 1`` is hidden (``None``), so that a small structure's single orientation in
   a month cannot point at the person it concerns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

MAX_PERIOD_MONTHS = 12
"""A declaration covers one to twelve whole months (a month, a quarter, a year)."""

COUNT_FIELDS = ("sent", "received", "accepted")


@dataclass(frozen=True, slots=True)
class FlowCounts:
    """Orientations over a period: ``sent`` by the source structure, ``received`` by the
    target, ``accepted`` among those received. ``None``: not declared."""

    sent: int | None = None
    received: int | None = None
    accepted: int | None = None

    def __add__(self, other: FlowCounts) -> FlowCounts:
        return FlowCounts(
            sent=_plus(self.sent, other.sent),
            received=_plus(self.received, other.received),
            accepted=_plus(self.accepted, other.accepted),
        )

    @property
    def volume(self) -> int | None:
        """The orientations that went along the edge: received when the target declared them,
        else sent."""
        return self.received if self.received is not None else self.sent


@dataclass(frozen=True, slots=True)
class RelationFlow:
    """One relation's counts over one period; ids are the store's UUIDs as text."""

    relation_id: str
    source_id: str
    target_id: str
    kind: str
    period_start: dt.date
    period_end: dt.date
    counts: FlowCounts


@dataclass(frozen=True, slots=True)
class MaskedCounts:
    """Counts as an anonymous reader sees them; ``masked`` names the hidden ones."""

    sent: int | None
    received: int | None
    accepted: int | None
    masked: tuple[str, ...]


def _plus(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` months after ``day``'s (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return add_months(day, 1) - dt.timedelta(days=1)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s, both included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def retention_cutoff(today: dt.date, months: int) -> dt.date:
    """The first day still kept when counts are kept ``months`` months: the first day of the
    month ``months`` months before ``today``'s. A period that ends before it is purged."""
    return add_months(today, -months)


def period_shape_problems(start: dt.date, end: dt.date) -> list[str]:
    """What is wrong with the calendar shape of the period ``start`` – ``end`` (both
    included): whole months, in order, at most `MAX_PERIOD_MONTHS`. French sentences that
    never quote the dates; empty when the shape is right."""
    problems = []
    if start.day != 1:
        problems.append("period_start : le premier jour d'un mois est attendu")
    if end != month_end(end):
        problems.append("period_end : le dernier jour d'un mois est attendu")
    if end < start:
        problems.append("period_end : la fin de la période précède son début")
    elif months_between(start, end) > MAX_PERIOD_MONTHS:
        problems.append(f"period_end : période de plus de {MAX_PERIOD_MONTHS} mois")
    return problems


def period_time_problems(
    start: dt.date, end: dt.date, *, today: dt.date, retention_months: int
) -> list[str]:
    """Whether the period can be written ``today``: not in the future (counts are about the
    past; the current month may be declared so far), not ended before the retention cutoff."""
    problems = []
    if start > today:
        problems.append("period_start : période à venir (les comptes portent sur le passé)")
    if end < retention_cutoff(today, retention_months):
        problems.append(
            f"period_end : période plus ancienne que la durée de conservation "
            f"({retention_months} mois)"
        )
    return problems


def period_problems(
    start: dt.date, end: dt.date, *, today: dt.date, retention_months: int
) -> list[str]:
    """`period_shape_problems` then `period_time_problems`."""
    return period_shape_problems(start, end) + period_time_problems(
        start, end, today=today, retention_months=retention_months
    )


def count_problems(counts: FlowCounts) -> list[str]:
    """Counts are non-negative, at least one is given, and no more accepted than received."""
    problems = []
    values = {name: getattr(counts, name) for name in COUNT_FIELDS}
    if all(v is None for v in values.values()):
        problems.append("au moins un compte est attendu (envoyées, reçues ou acceptées)")
    problems.extend(
        f"{name} : un nombre positif ou nul est attendu"
        for name, v in values.items()
        if v is not None and v < 0
    )
    accepted, received = counts.accepted, counts.received
    if accepted is not None and received is not None and accepted > received:
        problems.append("accepted : plus d'orientations acceptées que reçues")
    return problems


def totals_by_relation(flows: Iterable[RelationFlow]) -> dict[str, FlowCounts]:
    """Each relation's counts summed over its periods."""
    totals: dict[str, FlowCounts] = {}
    for flow in flows:
        totals[flow.relation_id] = totals.get(flow.relation_id, FlowCounts()) + flow.counts
    return totals


def totals_by_period(flows: Iterable[RelationFlow]) -> dict[tuple[dt.date, dt.date], FlowCounts]:
    """The territory's counts per period (start, end), summed over relations, in date order."""
    totals: dict[tuple[dt.date, dt.date], FlowCounts] = {}
    for flow in flows:
        key = (flow.period_start, flow.period_end)
        totals[key] = totals.get(key, FlowCounts()) + flow.counts
    return dict(sorted(totals.items()))


def edge_volumes(flows: Iterable[RelationFlow]) -> dict[tuple[str, str], int]:
    """Orientations along each directed pair (source id, target id), all kinds and periods
    together: per relation and period, `FlowCounts.volume`. Pairs without a known count are
    absent (an unweighted edge), never zero."""
    volumes: dict[tuple[str, str], int] = {}
    for flow in flows:
        volume = flow.counts.volume
        if volume is not None:
            key = (flow.source_id, flow.target_id)
            volumes[key] = volumes.get(key, 0) + volume
    return volumes


def mask_small(
    counts: FlowCounts, threshold: int, *, parts: Iterable[FlowCounts] = ()
) -> MaskedCounts:
    """``counts`` with every count ``c`` such that ``0 < c < threshold`` hidden (``None``,
    named in ``masked``). Zero and unknown counts stay as they are; ``threshold ≤ 1`` hides
    nothing.

    When ``counts`` is a total, ``parts`` are what it sums: a total is hidden too wherever one
    of its parts is, or the hidden part would be the total minus the parts shown."""
    hidden = {name for name in COUNT_FIELDS if _small(getattr(counts, name), threshold)}
    for part in parts:
        hidden |= {name for name in COUNT_FIELDS if _small(getattr(part, name), threshold)}
    shown = {name: None if name in hidden else getattr(counts, name) for name in COUNT_FIELDS}
    return MaskedCounts(
        sent=shown["sent"],
        received=shown["received"],
        accepted=shown["accepted"],
        masked=tuple(name for name in COUNT_FIELDS if name in hidden),
    )


def _small(value: int | None, threshold: int) -> bool:
    return value is not None and 0 < value < threshold
