"""Orientation counts: periods of whole months, sums, edge volumes and the masking of small
counts, on hand-made counts whose answers are known."""

from __future__ import annotations

import datetime as dt

from graph.flows import (
    FlowCounts,
    RelationFlow,
    add_months,
    count_problems,
    edge_volumes,
    mask_small,
    month_end,
    period_problems,
    retention_cutoff,
    totals_by_period,
    totals_by_relation,
)

TODAY = dt.date(2026, 12, 5)
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def _flow(relation: str, period: tuple[dt.date, dt.date], **counts: int) -> RelationFlow:
    source, target = relation.split(">")
    return RelationFlow(relation, source, target, "oriente-vers", *period, FlowCounts(**counts))


def test_months_are_counted_on_the_calendar() -> None:
    assert add_months(dt.date(2026, 12, 5), 1) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2026, 1, 31), -1) == dt.date(2025, 12, 1)
    assert month_end(dt.date(2028, 2, 10)) == dt.date(2028, 2, 29)  # leap year
    assert retention_cutoff(TODAY, 36) == dt.date(2023, 12, 1)


def test_a_period_is_whole_past_months_within_the_retention() -> None:
    def problems(start: dt.date, end: dt.date) -> list[str]:
        return period_problems(start, end, today=TODAY, retention_months=36)

    assert problems(*OCT) == []
    assert problems(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []  # a year
    assert problems(dt.date(2026, 12, 1), dt.date(2026, 12, 31)) == []  # so far
    assert problems(dt.date(2026, 10, 2), dt.date(2026, 10, 31)) == [
        "period_start : le premier jour d'un mois est attendu"
    ]
    assert problems(dt.date(2026, 10, 1), dt.date(2026, 10, 30)) == [
        "period_end : le dernier jour d'un mois est attendu"
    ]
    assert problems(dt.date(2026, 10, 1), dt.date(2026, 9, 30)) == [
        "period_end : la fin de la période précède son début"
    ]
    assert problems(dt.date(2025, 1, 1), dt.date(2026, 1, 31)) == [
        "period_end : période de plus de 12 mois"
    ]
    assert problems(dt.date(2027, 1, 1), dt.date(2027, 1, 31)) == [
        "period_start : période à venir (les comptes portent sur le passé)"
    ]
    assert problems(dt.date(2023, 11, 1), dt.date(2023, 11, 30)) == [
        "period_end : période plus ancienne que la durée de conservation (36 mois)"
    ]
    assert problems(dt.date(2023, 12, 1), dt.date(2023, 12, 31)) == []


def test_counts_are_some_positive_and_accepted_within_received() -> None:
    assert count_problems(FlowCounts(sent=0)) == []
    assert count_problems(FlowCounts()) == [
        "au moins un compte est attendu (envoyées, reçues ou acceptées)"
    ]
    assert count_problems(FlowCounts(sent=-1)) == ["sent : un nombre positif ou nul est attendu"]
    assert count_problems(FlowCounts(received=3, accepted=4)) == [
        "accepted : plus d'orientations acceptées que reçues"
    ]
    assert count_problems(FlowCounts(accepted=4)) == []  # received undeclared: nothing to hold


def test_sums_keep_unknown_apart_from_zero() -> None:
    flows = [
        _flow("a>b", OCT, sent=4, received=3),
        _flow("a>b", NOV, sent=2),
        _flow("c>b", NOV, received=0, accepted=0),
    ]
    assert totals_by_relation(flows) == {
        "a>b": FlowCounts(sent=6, received=3, accepted=None),
        "c>b": FlowCounts(sent=None, received=0, accepted=0),
    }
    assert totals_by_period(flows) == {
        OCT: FlowCounts(sent=4, received=3),
        NOV: FlowCounts(sent=2, received=0, accepted=0),
    }


def test_edge_volume_is_received_else_sent_and_absent_when_unknown() -> None:
    flows = [
        _flow("a>b", OCT, sent=4, received=3),  # received: 3
        _flow("a>b", NOV, sent=2),  # the target declared nothing: sent, 2
        _flow("c>b", NOV, accepted=1),  # neither received nor sent: no weight
    ]
    assert edge_volumes(flows) == {("a", "b"): 5}


def test_small_counts_and_the_totals_holding_them_are_masked() -> None:
    shown = mask_small(FlowCounts(sent=12, received=3, accepted=0), 5)
    assert (shown.sent, shown.received, shown.accepted, shown.masked) == (
        12,
        None,
        0,
        ("received",),
    )
    assert mask_small(FlowCounts(sent=1), 1).masked == ()  # threshold 1: nothing hidden
    parts = [FlowCounts(received=40), FlowCounts(received=2)]
    total = mask_small(FlowCounts(received=42), 5, parts=parts)
    assert total.received is None
    assert total.masked == ("received",)
    assert mask_small(FlowCounts(received=42), 5, parts=[FlowCounts(received=42)]).received == 42
