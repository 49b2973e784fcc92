"""One shard of a national run on a toy territory: every category × budget sliced out of one
table equals `graph.coverage` run on that category's sites alone."""

from __future__ import annotations

import numpy as np
import pytest

from graph.coverage import (
    ReachTable,
    Zones,
    bands_for_budget,
    flag_gaps,
    indicators,
    select_sites,
)
from graph.matching.offers import PartnerSite
from graph.national import ShardTables, category_of, horizon, shard_coverage

PARTNERS = [
    PartnerSite(id="a", name="CHRS A (fictif)", kind="chrs", lon=4.0, lat=44.0, capacity=20),
    PartnerSite(id="b", name="Crèche B (fictif)", kind="creche", lon=4.1, lat=44.0),
    PartnerSite(id="c", name="CHU C (fictif)", kind="chu", lon=4.2, lat=44.0, capacity=5),
    PartnerSite(id="d", name="Crèche D (fictif)", kind="creche", lon=4.3, lat=44.0, capacity=12),
]
# minutes from 4 zones to the 4 partners; inf: beyond the horizon
T = np.array(
    [
        [5.0, 12.0, np.inf, 40.0],
        [18.0, 3.0, 25.0, np.inf],
        [np.inf, 30.0, 8.0, 9.0],
        [np.inf, np.inf, np.inf, 35.0],
    ]
)
DEMAND = np.array([1200.0, 800.0, 300.0, 50.0])
ZONES = Zones(("z1", "z2", "z3", "z4"), ("Zone 1", "Zone 2", "Zone 3", "Zone 4"))


def test_every_category_and_budget_equals_coverage_on_its_own_sites() -> None:
    table = ReachTable.from_dense(T)
    estimated = np.zeros(len(table), dtype=bool)
    estimated[0] = True  # the pair (z1, a)
    categories = [category_of("hebergement"), category_of("garde-enfants")]
    result = shard_coverage(
        zone_ids=ZONES.ids,
        zone_names=ZONES.names,
        demand=DEMAND,
        partners=PARTNERS,
        tables=ShardTables(table, estimated, ReachTable.from_dense(np.full((4, 4), 1.0))),
        categories=categories,
        budgets=(10.0, 20.0),
        mode="car",
    )
    assert horizon((10.0, 20.0)) == 40.0
    for category in categories:
        columns = [i for i, p in enumerate(PARTNERS) if category.contains(p)]
        supply = select_sites([PARTNERS[i] for i in columns], category)
        for budget in (10.0, 20.0):
            expected = indicators(
                T[:, columns], DEMAND, supply.weights, max_minutes=budget,
                bands=bands_for_budget(budget),
            )  # fmt: skip
            rows = [
                r for r in result.zones
                if r["category"] == category.code and r["max_minutes"] == budget
            ]  # fmt: skip
            assert [r["zone_id"] for r in rows] == list(ZONES.ids)
            np.testing.assert_allclose([r["e2sfca"] for r in rows], 1000 * expected.e2sfca.access)
            assert [r["covered"] for r in rows] == expected.share.covered.tolist()
            gaps = flag_gaps(ZONES, expected, supply=supply, mode="car")
            found = [
                r for r in result.gaps
                if r["category"] == category.code and r["max_minutes"] == budget
            ]  # fmt: skip
            assert [(g["zone_id"], g["kind"], g["message"]) for g in found] == [
                (g.zone_id, g.kind, g.message) for g in gaps
            ]
            [summary] = [
                s for s in result.summary
                if s["category"] == category.code and s["max_minutes"] == budget
            ]  # fmt: skip
            assert summary["share_within"] == pytest.approx(expected.share.share)
    # the one estimated pair (z1 → CHRS A, 5 min) flags zone 1 for the hébergement only
    first = {
        (r["category"], r["max_minutes"]): r["estimated"]
        for r in result.zones
        if r["zone_id"] == "z1"
    }
    assert first == {
        ("hebergement", 10.0): True, ("hebergement", 20.0): True,
        ("garde-enfants", 10.0): False, ("garde-enfants", 20.0): False,
    }  # fmt: skip
    # every zone reaches every candidate in 1 min: siting covers what is left with one place
    assert {r["rank"] for r in result.siting} == {1}


def test_an_unknown_category_is_refused_in_french() -> None:
    with pytest.raises(ValueError, match="inconnu"):
        category_of("boulangeries")
