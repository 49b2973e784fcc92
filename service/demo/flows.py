"""Fictional orientation counts for the demo's relations (pure): so that ``/reseau`` and
``/v1/network/flows`` show flows on the demo territory as they would on a real one.

Every relation of kind « oriente-vers » or « prescrit » between two demo partners gets, with
probability `SHARE`, counts for each of the last `MONTHS` whole months before ``today``: some
orientations sent (0 to 12), nearly as many received, part of them accepted — numbers of
orientations, as a structure would declare them, invented like the partners themselves. The
draws come from one `random.Random(seed)` over the relations in a stable order (their ends'
``source_id`` and kind, never the database's UUIDs): the same relations, day and seed give the
same counts.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from graph.flows import FlowCounts, add_months, month_end

FLOW_KINDS = ("oriente-vers", "prescrit")
MONTHS = 3
SHARE = 0.7


@dataclass(frozen=True, slots=True)
class DemoRelation:
    """A demo relation: its id in the store, and what orders it stably."""

    relation_id: str
    source_sid: str
    target_sid: str
    kind: str


@dataclass(frozen=True, slots=True)
class DemoFlow:
    relation_id: str
    period_start: dt.date
    period_end: dt.date
    counts: FlowCounts


def demo_flows(
    relations: Sequence[DemoRelation], *, today: dt.date, seed: int = 30
) -> list[DemoFlow]:
    """Counts for the last `MONTHS` whole months before ``today`` (see the module)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
    months = [add_months(today, -n) for n in range(MONTHS, 0, -1)]
    flows = []
    for relation in sorted(relations, key=lambda r: (r.source_sid, r.target_sid, r.kind)):
        if relation.kind not in FLOW_KINDS or rng.random() >= SHARE:
            continue
        for first in months:
            sent = rng.randint(0, 12)
            received = max(0, sent - rng.randint(0, 2))
            accepted = rng.randint(received // 3, received)
            flows.append(
                DemoFlow(
                    relation.relation_id,
                    first,
                    month_end(first),
                    FlowCounts(sent=sent, received=received, accepted=accepted),
                )
            )
    return flows
