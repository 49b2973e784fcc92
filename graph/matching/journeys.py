"""The legs of the trips a person is shown, asked only for them.

Times for every partner come from `graph.matching.travel` (one ``times`` call per mode); the
legs — walk to the stop, wait, ride, walk, the crèche drop-off — are asked afterwards, for
the few proposals shown, from a `geodata.journeys.JourneyModel`:

- direct trips: one ``journeys`` call per mode, to every partner shown by that mode;
- trips through a crèche: one call per mode from home to the crèches used, and one per
  (mode, crèche) from the crèche to the partners shown; the journey is home → crèche, a
  ``dropoff`` leg of `DROP_OFF_MINUTES` at the crèche, crèche → work.

Each call passes the mode's budget, as the ``times`` calls did, so both tell the same trips.
A model that tells times only (`geodata.journeys.TravelTimeModel`) still gets journeys where
the times say it all: a walk, bike or car trip is one leg of its mode (two, around the
drop-off, through a crèche); a transit trip gets none — its legs are not known.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from geodata.journeys import Journey, JourneyModel, Leg, TravelTimeModel, street_journey
from geodata.modes import STREET_MODES, TravelMode
from graph.matching.childcare import DROP_OFF_MINUTES
from graph.matching.evaluation import Evaluation


def shown_journeys(
    evaluation: Evaluation, positions: Sequence[int], travel: TravelTimeModel
) -> dict[int, Journey | None]:
    """The journey of each candidate at ``positions`` (indices into
    ``evaluation.candidates``), by the mode and through the crèche its trip uses.

    Returns
    -------
    dict
        Position → `Journey`, or ``None`` when the model cannot tell it.
    """
    direct: dict[int, list[int]] = defaultdict(list)
    through: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position in dict.fromkeys(positions):
        m, creche = int(evaluation.reach.mode[position]), int(evaluation.reach.creche[position])
        if creche < 0:
            direct[m].append(position)
        else:
            through[(m, creche)].append(position)
    if isinstance(travel, JourneyModel):
        return _asked(evaluation, travel, direct, through)
    return _from_times(evaluation, [*positions])


def _asked(
    evaluation: Evaluation,
    travel: JourneyModel,
    direct: dict[int, list[int]],
    through: dict[tuple[int, int], list[int]],
) -> dict[int, Journey | None]:
    profile, sites = evaluation.profile, evaluation.sites
    home = (profile.lon, profile.lat)
    out: dict[int, Journey | None] = {}
    for m, shown in direct.items():
        out |= _to_partners(evaluation, travel, m, home, shown)
    first_legs: dict[tuple[int, int], Journey | None] = {}
    for m in sorted({m for m, _ in through}):
        creches = sorted({c for mode, c in through if mode == m})
        reached = _ask(
            travel, profile.modes[m].mode, home, sites.xy[creches], _budget(evaluation, m)
        )
        first_legs |= {(m, c): j for c, j in zip(creches, reached, strict=True)}
    for (m, creche), shown in through.items():
        site = sites.sites[creche]
        origin = (float(sites.xy[creche, 0]), float(sites.xy[creche, 1]))
        onward = _to_partners(evaluation, travel, m, origin, shown)
        first = first_legs[(m, creche)]
        drop_off = Leg(kind="dropoff", minutes=DROP_OFF_MINUTES, estimated=False, to_name=site.name)
        for position, second in onward.items():
            out[position] = (
                None if first is None or second is None else first.then(drop_off, second)
            )
    return out


def _to_partners(
    evaluation: Evaluation,
    travel: JourneyModel,
    m: int,
    origin: tuple[float, float],
    positions: list[int],
) -> dict[int, Journey | None]:
    """One call from ``origin`` by mode ``m`` to the partners of ``positions``."""
    table = evaluation.table
    partner = table.offer_partner[evaluation.candidates[positions]]
    partners, which = np.unique(partner, return_inverse=True)
    mode = evaluation.profile.modes[m].mode
    answers = _ask(travel, mode, origin, table.partner_xy[partners], _budget(evaluation, m))
    return {position: answers[int(k)] for position, k in zip(positions, which, strict=True)}


def _ask(
    travel: JourneyModel,
    mode: TravelMode,
    origin: tuple[float, float],
    xy: np.ndarray,
    max_minutes: float,
) -> list[Journey | None]:
    """One ``journeys`` call, checked: one answer per destination."""
    answers = list(
        travel.journeys(
            mode,
            origin[0],
            origin[1],
            np.asarray(xy, dtype=np.float64).reshape(-1, 2),
            max_minutes=max_minutes,
        )
    )
    if len(answers) != len(xy):
        raise ValueError("trajets détaillés : un trajet (ou aucun) par destination attendu")
    return answers


def _budget(evaluation: Evaluation, m: int) -> float:
    return float(evaluation.profile.modes[m].max_minutes)


def _from_times(evaluation: Evaluation, positions: list[int]) -> dict[int, Journey | None]:
    """Journeys the times already tell: street modes as one leg, none for transit."""
    reach, sites = evaluation.reach, evaluation.sites
    out: dict[int, Journey | None] = {}
    for position in positions:
        m = int(reach.mode[position])
        mode = evaluation.profile.modes[m].mode
        if mode not in STREET_MODES:
            out[position] = None
            continue
        minutes, estimated = float(reach.minutes[position]), bool(reach.estimated[position])
        creche = int(reach.creche[position])
        if creche < 0:
            out[position] = street_journey(mode, minutes, estimated=estimated)
            continue
        first = float(evaluation.site_minutes[m, creche])
        to_creche = street_journey(
            mode, first, estimated=bool(evaluation.site_estimated[m, creche])
        )
        drop_off = Leg(
            kind="dropoff",
            minutes=DROP_OFF_MINUTES,
            estimated=False,
            to_name=sites.sites[creche].name,
        )
        onward = street_journey(
            mode, max(0.0, minutes - first - DROP_OFF_MINUTES), estimated=estimated
        )
        out[position] = to_creche.then(drop_off, onward)
    return out
