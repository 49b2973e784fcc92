"""The items shown, explained: trips with their legs, reasons, obstacles with their partners.

The obstacles of the items shown, the pathways the situation opens and the supports it calls
for tell which needs must name a partner; the trips beyond the budgets are asked once for
those of them no partner within the budgets addresses (`graph.matching.nearest.reach_far`),
then every obstacle gets its partners (`graph.matching.obstacles.with_supports`).
"""

from __future__ import annotations

from collections.abc import Sequence

from geodata.journeys import TravelTimeModel
from graph.matching.evaluation import Evaluation
from graph.matching.explanations import explained_item
from graph.matching.journeys import shown_journeys
from graph.matching.nearest import reach_far
from graph.matching.obstacles import OBSTACLE_NEEDS, with_supports
from graph.matching.pathways import pathway_needs
from graph.matching.results import MatchItem
from graph.matching.support_needs import situation_needs


def explained_items(
    evaluation: Evaluation, positions: Sequence[int], travel: TravelTimeModel
) -> dict[int, MatchItem]:
    """The explained item of each candidate at ``positions`` (indices into
    ``evaluation.candidates``), each obstacle with the partners that can lift it."""
    journeys = shown_journeys(evaluation, positions, travel)
    items = {p: explained_item(evaluation, p, journeys[p]) for p in dict.fromkeys(positions)}
    needs = {
        need
        for item in items.values()
        for obstacle in item.obstacles
        if (need := OBSTACLE_NEEDS[obstacle.code]) is not None
    }
    reach_far(evaluation, travel, needs | pathway_needs(evaluation) | situation_needs(evaluation))
    return {
        position: item.model_copy(
            update={"obstacles": [with_supports(evaluation, o) for o in item.obstacles]}
        )
        for position, item in items.items()
    }
