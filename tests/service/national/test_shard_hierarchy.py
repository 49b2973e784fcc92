"""A shard over a road-like network answers the same with its contraction hierarchy as with
plain Dijkstra searches, row for row (floats within rounding)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from geodata import hierarchy
from geodata.national import synthetic_departement
from geodata.traveltime import load_network
from service.national.shards import ShardTask, compute_shard, travel_for

KINDS = ("chrs", "france-travail", "creche", "aci")
CATEGORIES = ("hebergement", "insertion-professionnelle", "garde-enfants")
BUDGETS = (10.0, 20.0)


def _same(one: list[dict[str, Any]], two: list[dict[str, Any]]) -> None:
    assert len(one) == len(two)
    for left, right in zip(one, two, strict=True):
        assert left.keys() == right.keys()
        for key, value in left.items():
            if isinstance(value, float) and math.isfinite(value):
                assert right[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
            else:
                assert right[key] == value, key


@pytest.mark.parametrize("mode", ["car", "walk"])
def test_the_hierarchy_gives_the_rows_of_plain_searches(
    tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = synthetic_departement(
        "H1", tmp_path / "ch", kinds=KINDS, side_km=10, commune_km=2, partners=120,
        modes=(mode,), seed=5, streets="roads", nodes=40_000,
    )  # fmt: skip
    assert drawn.hierarchy_seconds[mode] > 0
    plain_file = load_network(drawn.files[mode], mode)
    plain_file = type(plain_file)(
        mode, indptr=plain_file.indptr, indices=plain_file.indices, weights=plain_file.weights,
        node_lon=plain_file.node_lon, node_lat=plain_file.node_lat,
    )  # fmt: skip
    path = plain_file.save(tmp_path / "plain" / f"{mode}.npz", hierarchy=False)
    (ref,) = drawn.inputs.networks
    plain_inputs = replace(drawn.inputs, networks=(replace(ref, path=str(path)),))
    with_ch = ShardTask(drawn.inputs, mode, CATEGORIES, BUDGETS)
    without = ShardTask(plain_inputs, mode, CATEGORIES, BUDGETS)

    calls: list[int] = []
    real = hierarchy.many_to_many

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hierarchy, "many_to_many", counted)
    fast = compute_shard(with_ch)
    assert len(calls) == 2  # both tables over the hierarchy (buckets)
    slow = compute_shard(without)
    assert len(calls) == 2

    point = drawn.inputs.zones.points[0]
    assert travel_for(with_ch).network_for(mode, *point).network.has_hierarchy  # type: ignore[union-attr]
    # the plain network answered by Dijkstra searches: it built no hierarchy of its own
    assert not travel_for(without).network_for(mode, *point).network.has_hierarchy  # type: ignore[union-attr]
    assert fast.networks == slow.networks == ("synthetique-H1",)
    assert any(row["reachable_sites"] for row in fast.coverage.zones)
    for table in ("zones", "gaps", "siting", "summary"):
        _same(getattr(fast.coverage, table), getattr(slow.coverage, table))
