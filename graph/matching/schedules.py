"""Weekly schedules as quarter-hour slots of one reference week.

An OSM ``opening_hours`` expression becomes a boolean vector of 672 quarter-hours (7 x 24 x 4)
of the reference week of `graph.validation`; hours covered by a crèche or an availability are
then one matrix product with the offers' schedules.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

import numpy as np

from graph.matching.arrays import BoolArray

# The reference week of graph.validation: Monday 4 to Monday 11 March 2024, no holiday, no clock
# change; wall-clock local times, hence naive datetimes.
_WEEK_START: Final = datetime(2024, 3, 4)  # noqa: DTZ001
_WEEK_END: Final = _WEEK_START + timedelta(days=7)
SLOT_MINUTES: Final = 15
SLOTS: Final = 7 * 24 * 60 // SLOT_MINUTES
SLOT_HOURS: Final = SLOT_MINUTES / 60


@lru_cache(maxsize=8192)
def week_slots(expression: str, *, whole: bool = False) -> BoolArray:
    """Quarter-hours of the reference week during which ``expression`` is open, shape (672,).

    A quarter-hour partly open counts as open (what a job asks for), or with ``whole`` only a
    quarter-hour open throughout (what a crèche offers: one opening at 05:50 does not keep a
    child from 05:45). Raises ``ValueError`` on invalid syntax.
    """
    import opening_hours

    if not opening_hours.validate(expression):
        raise ValueError("horaires invalides (syntaxe OpenStreetMap opening_hours attendue)")
    slots = np.zeros(SLOTS, dtype=bool)
    schedule = opening_hours.OpeningHours(expression)
    for start, end, state, _comment in schedule.intervals(_WEEK_START, _WEEK_END):
        if state != opening_hours.State.OPEN:
            continue
        first = (max(start, _WEEK_START) - _WEEK_START).total_seconds() / 60
        last = (min(end, _WEEK_END) - _WEEK_START).total_seconds() / 60
        if whole:
            slots[math.ceil(first / SLOT_MINUTES) : int(last // SLOT_MINUTES)] = True
        else:
            slots[int(first // SLOT_MINUTES) : math.ceil(last / SLOT_MINUTES)] = True
    slots.setflags(write=False)
    return slots


def eroded(slots: BoolArray, margin: int) -> BoolArray:
    """Quarter-hours ``t`` such that ``slots`` is open from ``t - margin`` to ``t + margin``
    (the week wraps around), shape (672,): when a crèche open at ``slots`` keeps a child for a
    parent working at ``t`` whose trip takes ``margin`` quarter-hours each way."""
    if margin <= 0:
        return slots
    margin = min(margin, SLOTS)
    extended = np.concatenate([slots[-margin:], slots, slots[:margin]]).astype(np.int64)
    total = np.concatenate([[0], np.cumsum(extended)])
    width = 2 * margin + 1
    return np.asarray(total[width:] - total[: len(total) - width] == width, dtype=bool)
