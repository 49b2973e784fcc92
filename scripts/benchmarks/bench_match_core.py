"""Benchmark of the matching core (`graph.matching.match`) on a département-scale territory.

Run: ``.venv/bin/python scripts/benchmarks/bench_match_core.py [--profiles 100] [--seed 30]``
(``--tiny``: a smoke run, 300 partners and 3,000 offers, 10 profiles, a cohort of 20).

A synthetic, seeded territory the size of a département: 5,000 partners clustered around 40
towns over the Gard's extent (employers, SIAE, ESAT/EA, crèches, mobility, language, rights,
health, remobilisation), 50,000 offers on the employers' sites drawn from job templates
(ROME codes, schedules, requirements in the proportions of the demo). Travel times are a
vectorised straight-line stand-in (haversine x detour / speed, plus a wait for transit), so
the figures measure the core, not a network router.

Measured:

- preparation, once: `OfferTable.from_offers`, `SupportTable.from_sites`, `RelationIndex`;
- ``match`` for ``--profiles`` random persons (origin near a town, 1–3 modes with budgets,
  wishes, a third with a child under 3, varied situations), after 5 warm-up calls: p50, p95,
  max in milliseconds, and the travel calls per request;
- ``match_batch`` for a cohort of 200 persons (evaluation + optimal assignment), once.

The target for the whole HTTP request is p95 ≤ 50 ms; the core should stay well below it.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from geodata.journeys import JourneyMinutes  # noqa: E402
from graph.eligibility import Situation  # noqa: E402
from graph.matching import (  # noqa: E402
    Offer,
    OfferTable,
    PartnerSite,
    Profile,
    RelationIndex,
    SupportTable,
    TravelMode,
    Wishes,
    match,
    match_batch,
)
from graph.models import Eligibility  # noqa: E402

FloatArray = npt.NDArray[np.float64]

# The Gard's extent, EPSG:4326.
LON_RANGE = (3.30, 4.85)
LAT_RANGE = (43.45, 44.46)
TOWNS = 40
PARTNERS = 5_000
OFFERS = 50_000
EARTH_RADIUS_KM = 6371.0088
SPEEDS = {  # km/h, detour factor, fixed wait in minutes
    "walk": (4.5, 1.3, 0.0),
    "bike": (15.0, 1.3, 0.0),
    "car": (50.0, 1.3, 0.0),
    "transit": (20.0, 1.3, 10.0),
}

# (kind, share of partners)
SUPPORT_KINDS = (
    ("creches-avip", 0.02),
    ("creche", 0.05),
    ("micro-creche-insertion", 0.01),
    ("plateforme-mobilite", 0.005),
    ("auto-ecole-sociale", 0.005),
    ("garage-solidaire", 0.004),
    ("wimoov", 0.003),
    ("plateforme-linguistique", 0.004),
    ("france-travail", 0.006),
    ("mission-locale", 0.004),
    ("france-service", 0.01),
    ("points-justice", 0.004),
    ("mdph", 0.0004),
    ("csapa", 0.004),
    ("caarud", 0.002),
    ("siao", 0.0004),
    ("phc", 0.003),
    ("tapaj", 0.002),
    ("cvg", 0.002),
    ("aava", 0.003),
)
EMPLOYER_KINDS = (
    ("entreprise", 0.70),
    ("interim", 0.05),
    ("aci", 0.06),
    ("ei", 0.04),
    ("ai", 0.04),
    ("etti", 0.02),
    ("esat", 0.02),
    ("ea", 0.02),
    ("organisme-formation", 0.03),
    ("ccas-cias", 0.02),
)
JOBS = (  # title, ROME, hours (min, max)
    ("Employé·e de vente", "D1106", (20, 30)),
    ("Employé·e de mise en rayon", "D1507", (20, 26)),
    ("Hôte·sse de caisse", "D1505", (20, 30)),
    ("Agent·e de propreté", "K2204", (20, 26)),
    ("Soudeur·se", "H2913", (35, 35)),
    ("Ouvrier·ère paysagiste", "A1203", (35, 35)),
    ("Préparateur·rice de commandes", "N1103", (35, 35)),
    ("Commis de cuisine", "G1602", (30, 35)),
    ("Équipier·ère de restauration", "G1603", (20, 30)),
    ("Aide à domicile", "K1302", (24, 30)),
    ("Maçon·ne", "F1703", (35, 35)),
    ("Agent·e de maintenance", "I1203", (35, 35)),
    ("Conducteur·rice de ligne", "H2102", (35, 35)),
    ("Valoriste en ressourcerie", "K2304", (20, 26)),
)
SCHEDULES = (
    "Mo-Sa 09:00-19:30",
    "Mo-Fr 06:00-10:00",
    "Mo-Fr 07:30-12:00,13:00-16:30",
    "Mo-Fr 05:00-13:00",
    "Mo-Fr 13:00-21:00",
    "Tu-Sa 09:30-14:30,18:00-22:30",
    "Mo-Th 08:00-12:00,13:00-16:30; Fr 08:00-12:00",
    "Mo-Su 08:00-14:00",
    "Mo-Fr 08:30-12:30,13:30-17:00",
    None,
)
CRECHE_HOURS = ("Mo-Fr 07:30-18:30; PH off", "Mo-Fr 06:00-21:00; PH off", None)
FRENCH = (None, None, None, "A1", "A2", "A2", "B1")


def straight_line(
    mode: str, origin: tuple[float, float], xy: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """Vectorised straight-line travel time in minutes (haversine x detour / speed + wait)."""
    speed, detour, wait = SPEEDS[mode]
    lon0, lat0 = math.radians(origin[0]), math.radians(origin[1])
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    h = np.sin((lat - lat0) / 2) ** 2 + math.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))
    return wait + km * detour / speed * 60, np.ones(len(xy), dtype=bool)


class CountingTravel:
    """`straight_line` as a `geodata.journeys.TravelTimeModel`, counting its calls (it answers
    every destination, whatever the budget)."""

    def __init__(self) -> None:
        self.calls = 0

    def times(
        self,
        mode: str,
        lon: float,
        lat: float,
        destinations: FloatArray,
        *,
        max_minutes: float | None,
    ) -> JourneyMinutes:
        self.calls += 1
        return JourneyMinutes(*straight_line(mode, (lon, lat), destinations))


def _towns(rng: random.Random) -> list[tuple[float, float, float]]:
    """(lon, lat, weight) of towns; a few big ones, many small ones."""
    return [
        (rng.uniform(*LON_RANGE), rng.uniform(*LAT_RANGE), 1.0 / (rank + 1) ** 0.8)
        for rank in range(TOWNS)
    ]


def _near(rng: random.Random, towns: Sequence[tuple[float, float, float]]) -> tuple[float, float]:
    lon, lat, _ = rng.choices(towns, weights=[t[2] for t in towns])[0]
    return lon + rng.gauss(0, 0.02), lat + rng.gauss(0, 0.015)


def build_territory(
    seed: int, *, n_partners: int = PARTNERS, n_offers: int = OFFERS
) -> tuple[list[PartnerSite], list[Offer], list[tuple[str, str]], list[tuple[float, float, float]]]:
    """``n_partners`` partners (5,000), ``n_offers`` offers (50,000), relations, seeded."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
    towns = _towns(rng)
    partners: list[PartnerSite] = []
    kinds = [*SUPPORT_KINDS, *EMPLOYER_KINDS]
    weights = [share for _, share in kinds]
    for number in range(n_partners):
        kind = rng.choices([k for k, _ in kinds], weights)[0]
        lon, lat = _near(rng, towns)
        garde = kind.startswith(("creche", "micro-creche"))
        partners.append(
            PartnerSite(
                id=f"p{number:05d}",
                name=f"{kind} {number}",
                kind=kind,
                lon=lon,
                lat=lat,
                available_places=rng.choice((0, 0, 1, 2, 3)) if garde else None,
                opening_hours=rng.choice(CRECHE_HOURS) if garde else None,
                eligibility=_partner_eligibility(kind),
            )
        )
    employers = [p for p in partners if p.kind in dict(EMPLOYER_KINDS)]
    offers = [_offer(rng, number, rng.choice(employers)) for number in range(n_offers)]
    relations = [(rng.choice(partners).id, rng.choice(employers).id) for _ in range(n_partners * 3)]
    return partners, offers, relations, towns


def _partner_eligibility(kind: str) -> Eligibility:
    if kind == "esat":
        return Eligibility(requires_cdaph_orientation=True)
    if kind == "ea":
        return Eligibility(requires_rqth=True)
    if kind == "tapaj":
        return Eligibility(min_age=16, max_age=25)
    return Eligibility()


def _offer(rng: random.Random, number: int, partner: PartnerSite) -> Offer:
    title, rome, hours = rng.choice(JOBS)
    kind, contract = "emploi", rng.choice(("cdi", "cdd", "interim"))
    if partner.kind in ("aci", "ei"):
        contract = "cddi"
    elif partner.kind in ("ai",):
        contract = "mise-a-disposition"
    elif partner.kind == "esat":
        contract = "esat"
    elif partner.kind == "organisme-formation":
        kind, contract = "formation", "formation"
    elif partner.kind == "ccas-cias":
        kind, contract = "benevolat", "benevolat"
    if kind == "emploi" and rng.random() < 0.15:
        kind, contract = "immersion", "pmsmp"
    return Offer(
        id=f"o{number:06d}",
        title=f"{title} {number % 97}",
        kind=kind,
        partner=partner,
        contract=contract,
        rome_code=rome,
        hours_min=hours[0],
        hours_max=hours[1],
        schedule=rng.choice(SCHEDULES),
        places=rng.choice((None, 0, 1, 1, 2, 3)),
        requirements=Eligibility(
            requires_work_authorization=kind in ("emploi", "immersion"),
            min_french_level=rng.choice(FRENCH),
            requires_driving_licence=True if rng.random() < 0.15 else None,
        ),
    )


def random_profile(
    rng: random.Random, towns: Sequence[tuple[float, float, float]], partners: Sequence[PartnerSite]
) -> Profile:
    """A person near a town, with modes, wishes and a varied situation."""
    lon, lat = _near(rng, towns)
    modes = rng.sample(["walk", "bike", "transit", "car"], rng.randint(1, 3))
    rome = [job[1] for job in rng.sample(JOBS, rng.randint(0, 3))]
    maybe = (None, True, False)
    return Profile(
        lon=lon,
        lat=lat,
        referent_id=rng.choice(partners).id if rng.random() < 0.7 else None,
        modes=[TravelMode(mode=m, max_minutes=rng.choice((20, 30, 40, 45, 60))) for m in modes],
        wishes=Wishes(rome_codes=rome, keywords=rng.choice((None, "vente", "propreté"))),
        hours_per_week={"min": 10, "max": rng.choice((20, 26, 35))},
        available=rng.choice((None, "Mo-Fr 08:30-16:30")),
        situation=Situation(
            age=rng.randint(17, 62),
            work_authorization=rng.choice((True, True, True, False, None)),
            french_level=rng.choice(("A0", "A1", "A2", "B1", "C2", None)),
            driving_licence=rng.choice(maybe),
            rqth=rng.choice((None, False, False, True)),
            children_under_3=1 if rng.random() < 0.33 else 0,
            rsa=rng.choice(maybe),
            homeless=rng.choice(maybe),
            no_diploma=rng.choice(maybe),
        ),
        limit=20,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100, help="requêtes mesurées")
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument("--cohort", type=int, default=200, help="taille du lot (batch)")
    parser.add_argument("--tiny", action="store_true", help="essai éclair : tailles minuscules")
    args = parser.parse_args(argv)
    sizes = {"n_partners": 300, "n_offers": 3_000} if args.tiny else {}
    if args.tiny:
        args.profiles, args.cohort = 10, 20

    started = time.perf_counter()
    partners, offers, relations, towns = build_territory(args.seed, **sizes)
    print(
        f"territoire synthétique : {len(partners):,} partenaires, {len(offers):,} offres "
        f"({time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    table = OfferTable.from_offers(offers)
    sites = SupportTable.from_sites(partners)
    index = RelationIndex(relations)
    print(
        f"préparation (une fois) : {time.perf_counter() - started:.2f} s "
        f"({len(sites)} sites de soutien)"
    )
    # The tables live as long as the process: move them out of the garbage collector's
    # generations, as the service should do once its snapshot is loaded, or a full collection
    # walks 50,000 offers now and then (a 50 ms pause).
    gc.collect()
    gc.freeze()

    rng = random.Random(args.seed + 1)  # noqa: S311 - reproducible fiction
    travel = CountingTravel()
    for _ in range(5):  # warm-up: caches of schedules, vocabulary
        match(random_profile(rng, towns, partners), table, sites, travel, relations=index)
    timings, calls, items = [], [], []
    for _ in range(args.profiles):
        profile = random_profile(rng, towns, partners)
        travel.calls = 0
        started = time.perf_counter()
        result = match(profile, table, sites, travel, relations=index)
        timings.append((time.perf_counter() - started) * 1000)
        calls.append(travel.calls)
        items.append(len(result.items))
    p50, p95 = np.percentile(timings, [50, 95])
    print(
        f"match() sur {args.profiles} profils : p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(timings):.1f} ms ; appels de temps de trajet par requête : "
        f"{min(calls)}–{max(calls)} ; éléments : {min(items)}–{max(items)}"
    )

    cohort = [random_profile(rng, towns, partners) for _ in range(args.cohort)]
    started = time.perf_counter()
    batch = match_batch(cohort, table, sites, CountingTravel(), relations=index)
    assigned = sum(person.assigned is not None for person in batch.persons)
    print(
        f"match_batch() pour {args.cohort} personnes : {time.perf_counter() - started:.2f} s, "
        f"{assigned} affectées, score total {batch.total_score:.2f}"
    )


if __name__ == "__main__":
    main()
