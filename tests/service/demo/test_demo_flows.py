"""The demo's fictional orientation counts: reproducible, within the rules a declaration
meets, on the kinds that carry orientations, and written with the demo."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from graph.flows import count_problems, period_problems
from service.demo.flows import FLOW_KINDS, MONTHS, DemoRelation, demo_flows
from service.store.flows import read_flows

TODAY = dt.date(2026, 12, 5)
RELATIONS = [
    DemoRelation(f"r{i}", f"demo-chrs-{i:04d}", f"demo-aci-{i % 3:04d}", kind)
    for i, kind in enumerate(["oriente-vers", "prescrit", "convention", "membre"] * 10)
]


def test_the_same_relations_and_day_give_the_same_counts() -> None:
    first = demo_flows(RELATIONS, today=TODAY)
    assert first == demo_flows(list(reversed(RELATIONS)), today=TODAY)  # ids' order is no input
    assert first != demo_flows(RELATIONS, today=TODAY, seed=31)


def test_counts_follow_the_rules_of_a_declaration() -> None:
    flows = demo_flows(RELATIONS, today=TODAY)
    kinds = {r.relation_id: r.kind for r in RELATIONS}
    assert flows
    assert {kinds[f.relation_id] for f in flows} <= set(FLOW_KINDS)
    assert {f.period_start for f in flows} == {
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    }
    for flow in flows:
        assert (
            period_problems(flow.period_start, flow.period_end, today=TODAY, retention_months=36)
            == []
        )
        assert count_problems(flow.counts) == []
    per_relation = {f.relation_id for f in flows}
    assert len(flows) == MONTHS * len(per_relation)


def test_the_loaded_demo_carries_counts(demo_url: str) -> None:
    engine = create_engine(demo_url)
    with Session(engine) as session:
        flows = read_flows(session)
    engine.dispose()
    assert len({f.relation_id for f in flows}) >= 20
    assert {f.kind for f in flows} <= set(FLOW_KINDS)
