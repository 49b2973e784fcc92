"""Benchmark of ``POST /v1/matches`` on a département-scale store, beside the straight-line search.

Run: ``scripts/bench match [--partners 5000] [--opportunities 50000] [--requests 200] [--seed 1]``
(or ``.venv/bin/python scripts/benchmarks/bench_match.py …``); it takes a few minutes (``--tiny``:
a smoke run, 300 partners, 2,000 opportunities, 10 persons). ``scripts/bench match --writes N``
runs `bench_match_writes` instead: matches served while partners are written.

The whole service runs, nothing is mocked:

1. a throwaway PostGIS cluster (`service.embedded.EmbeddedPostgres`, ``fast=True``) in a
   temporary directory, migrated with `service.migrate.upgrade`;
2. a synthetic, seeded département over the Gard's extent (lon 3.3–4.8, lat 43.5–44.5):
   ``--partners`` partners clustered around its real towns (employers most, SIAE, ESAT/EA,
   crèches including crèches AVIP with places and opening hours, mobility, language platforms,
   AHI shelters, public employment, health, rights), ``--opportunities`` opportunities with the
   demo's ROME codes, contract mixes, hours, places and requirements, and relations between
   partners. Every record is validated by `graph.models.PartnerFields`, `OpportunityFields` or
   `RelationFields` and mapped to its row by `service.store.records.apply_*`, then written by one
   ``COPY`` per table (psycopg), then ``ANALYZE``;
3. the app of `service.app.create_app`, served in-process by ``fastapi.testclient.TestClient``
   (lifespan included), with a ``platform`` key. The first ``POST /v1/matches`` builds the
   in-memory snapshot: its time is reported apart, then a few warm-up calls are discarded;
4. for ``--requests`` random persons (an origin near a town, 1–2 modes among walk, bike and
   transit with budgets of 20–60 minutes, wishes among the demo's ROME codes, situations with
   children under 3, no licence, RSA, sometimes no work authorisation), four timed calls from
   the same origin, in a rotating order:

   - ``POST /v1/matches`` (HTTP through TestClient, authentication and JSON included);
   - the straight-line search of data·inclusion as HTTP, ``GET /v1/partners?lat&lon&radius_km=R
     &size=20``, where R (km) is the person's largest budget times the mode's speed of
     `SEARCH_SPEED_KMH` (walk 4.5 km/h, bike 15 km/h, transit 15 km/h), capped at 50 km;
   - the same search as raw SQL on the opportunities: ``opportunity JOIN partner WHERE
     ST_DWithin(partner.geom::geography, point::geography, R) ORDER BY ST_Distance LIMIT 20``
     through the app's engine, one session per query as a request would. Its plain
     ``::geography`` cast is the expression of the GiST index ``ix_partner_geog``, which the
     index serves; ``GET /v1/partners`` casts to ``geography(GEOMETRY,-1)`` (GeoAlchemy2's
     default ``Geography()``), which it does not serve: a sequential scan of the partners;
   - ``GET /health``, the floor of any request here: HTTP, one session, one trivial statement.

Reported: load times, snapshot build, p50 / p95 / max latency (ms) of each call, SQL statements
and connection checkouts per call, the ratios matches / straight line at p50 and p95, and the
verdict on the issue's goal: p95 ≤ 50 ms and ≤ 3x the straight-line search (both variants).

With ``--profile FILE``, the matching requests are run once more under cProfile with the
thread-pool hops of FastAPI made inline (so one profiler sees the whole request): the time per
request of its steps is printed and the statistics are written to FILE (``snakeviz FILE``).

Without a registered travel network (none here), travel times are the straight-line estimates
of `geodata.traveltime.StraightLineEstimator`, as on a territory without networks.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import math
import pstats
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from fastapi import FastAPI
from fastapi.testclient import TestClient
from geoalchemy2 import Geography, WKBElement
from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Table, cast, event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from geodata.traveltime import ESTIMATE_SPEED_KMH
from graph.models import OpportunityFields, PartnerFields, RelationFields
from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.embedded import EmbeddedPostgres
from service.migrate import upgrade
from service.settings import Settings
from service.store import records
from service.tables import Opportunity, Partner, Relation

# -- the territory -------------------------------------------------------------------------------

LON_RANGE = (3.30, 4.80)  # the Gard's extent, EPSG:4326 degrees
LAT_RANGE = (43.50, 44.50)
RURAL_SHARE = 0.12  # partners and persons drawn uniformly over the extent, away from towns
KM_PER_DEGREE = 111.32
MAX_RADIUS_KM = 50.0
SEARCH_SPEED_KMH = {**ESTIMATE_SPEED_KMH, "transit": 15.0}
"""Speeds that set the straight-line search radius: the street estimates', and for transit
the old flat 15 km/h door-to-door figure, kept so that runs compare across versions."""
PAGE = 20
SOURCE = "bench"
WARM_UP = 5

# Real towns of the Gard: (name, lon, lat of the town hall, population in thousands).
TOWNS = (
    ("Nîmes", 4.3601, 43.8367, 148),
    ("Alès", 4.0810, 44.1250, 42),
    ("Bagnols-sur-Cèze", 4.6197, 44.1623, 18),
    ("Beaucaire", 4.6442, 43.8082, 16),
    ("Saint-Gilles", 4.4317, 43.6786, 14),
    ("Vauvert", 4.2767, 43.6947, 12),
    ("Villeneuve-lès-Avignon", 4.7967, 43.9664, 12),
    ("Pont-Saint-Esprit", 4.6486, 44.2567, 10),
    ("Marguerittes", 4.4439, 43.8600, 9),
    ("Uzès", 4.4196, 44.0125, 8),
    ("Les Angles", 4.7628, 43.9544, 8),
    ("Rochefort-du-Gard", 4.6906, 43.9764, 8),
    ("Saint-Christol-lez-Alès", 4.0794, 44.0836, 7),
    ("Milhaud", 4.3106, 43.7897, 6),
    ("Laudun-l'Ardoise", 4.6597, 44.1067, 6),
    ("La Grand-Combe", 4.0286, 44.2117, 5),
    ("Sommières", 4.0897, 43.7836, 5),
    ("Le Vigan", 3.6059, 43.9906, 4),
    ("Saint-Hippolyte-du-Fort", 3.8561, 43.9631, 4),
    ("Aramon", 4.6817, 43.8917, 4),
    ("Anduze", 3.9856, 44.0522, 3),
    ("Quissac", 3.9986, 43.9131, 3),
    ("Bessèges", 4.0964, 44.2939, 3),
    ("Saint-Ambroix", 4.1914, 44.2575, 3),
    ("Remoulins", 4.5597, 43.9403, 3),
    ("Barjac", 4.3497, 44.3072, 2),
)

# Opening hours (OSM syntax), as in the demo.
OFFICE = "Mo-Fr 08:30-12:30,13:30-17:00"
ALWAYS = "24/7"
WORKSHOP = "Mo-Th 08:00-12:00,13:00-16:30; Fr 08:00-12:00"
INDUSTRY = "Mo-Fr 07:30-12:00,13:00-16:30"
RETAIL = "Mo-Sa 09:00-19:30"
EARLY_CLEANING = "Mo-Fr 06:00-10:00"
SHOP = "Tu-Sa 09:30-12:30,14:00-18:00"
CRECHE_HOURS = (
    "Mo-Fr 07:30-18:30; PH off",
    "Mo-Fr 07:30-18:30; PH off",
    "Mo-Fr 06:00-21:00; PH off",
    "Mo-Fr 06:30-19:30; Sa 07:00-13:00; PH off",
)

# data·inclusion codes.
SHELTER = "logement-hebergement--rechercher-une-solution-dhebergement-temporaire"
JOB_OFFERS = "trouver-un-emploi--repondre-a-des-offres-demploi"
DISCOVER_JOB = "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"
FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
TRAINING = "se-former--trouver-sa-formation"
MOBILITY = "mobilite--etre-accompagne-dans-son-parcours-mobilite"
CHILDCARE = "famille--garde-denfants"
RIGHTS = "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
EMERGENCY = "personnes-en-situation-durgence"
EXILES = "personnes-exilees"
MINIMA = "beneficiaires-des-minimas-sociaux"
JOB_SEEKERS = "demandeurs-emploi"
DISABILITY = "personnes-en-situation-de-handicap"


@dataclass(frozen=True, slots=True)
class KindSpec:
    """How partners of one kind look and how many opportunities they carry.

    ``share`` is the kind's share of the partners; ``offers`` its weight when the partner of an
    opportunity is drawn (0: it offers none); ``capacity`` a (min, max) range of places.
    """

    share: float
    publics: tuple[str, ...]
    thematiques: tuple[str, ...]
    hours: str | None = OFFICE
    capacity: tuple[int, int] | None = None
    places: bool = False
    eligibility: Mapping[str, Any] = field(default_factory=dict)
    offers: float = 0.0


SIAE = (MINIMA, JOB_SEEKERS)
KINDS: dict[str, KindSpec] = {
    # employeurs ordinaires et inclusifs
    "entreprise": KindSpec(0.58, (), (), RETAIL, offers=1.0),
    "interim": KindSpec(0.03, (JOB_SEEKERS,), (JOB_OFFERS,), offers=3.0),
    "aci": KindSpec(0.035, SIAE, (JOB_OFFERS, DISCOVER_JOB), WORKSHOP, (12, 40), True, offers=2.0),
    "ei": KindSpec(0.02, SIAE, (JOB_OFFERS, DISCOVER_JOB), INDUSTRY, (5, 25), True, offers=2.0),
    "ai": KindSpec(0.015, SIAE, (JOB_OFFERS,), OFFICE, (30, 120), True, offers=2.0),
    "etti": KindSpec(0.01, SIAE, (JOB_OFFERS,), OFFICE, (20, 80), True, offers=3.0),
    "geiq": KindSpec(0.004, (JOB_SEEKERS,), (TRAINING, JOB_OFFERS), OFFICE, (10, 40), True, {}, 2),
    "esat": KindSpec(
        0.012,
        (DISABILITY,),
        (JOB_OFFERS,),
        INDUSTRY,
        (40, 120),
        True,
        {"requires_cdaph_orientation": True},
        2.0,
    ),
    "ea": KindSpec(
        0.01, (DISABILITY,), (JOB_OFFERS,), INDUSTRY, (15, 60), True, {"requires_rqth": True}, 2.0
    ),
    "organisme-formation": KindSpec(0.03, (JOB_SEEKERS,), (TRAINING,), offers=2.0),
    "ccas-cias": KindSpec(0.03, ("tous-publics", MINIMA), (RIGHTS,), offers=0.3),
    "tapaj": KindSpec(
        0.002, ("jeunes",), (JOB_OFFERS,), OFFICE, None, False, {"min_age": 16, "max_age": 25}, 1
    ),
    # garde d'enfants
    "creche": KindSpec(0.06, ("familles",), (CHILDCARE,), None, (20, 60), True),
    "creches-avip": KindSpec(0.015, ("familles", JOB_SEEKERS), (CHILDCARE,), None, (20, 60), True),
    "micro-creche-insertion": KindSpec(
        0.005, ("familles", JOB_SEEKERS), (CHILDCARE,), None, (10, 12), True
    ),
    # mobilité
    "plateforme-mobilite": KindSpec(0.006, ("tous-publics",), (MOBILITY,), offers=0.5),
    "wimoov": KindSpec(0.003, ("tous-publics",), (MOBILITY,), offers=0.5),
    "auto-ecole-sociale": KindSpec(0.006, (MINIMA,), ("mobilite--preparer-un-permis",), offers=1),
    "garage-solidaire": KindSpec(0.004, (MINIMA,), ("mobilite--acceder-a-un-vehicule",)),
    # langue
    "plateforme-linguistique": KindSpec(0.006, (EXILES,), (FRENCH,), offers=1.0),
    # hébergement (AHI)
    "chrs": KindSpec(0.01, (EMERGENCY, "familles"), (SHELTER,), ALWAYS, (20, 80), True),
    "chu": KindSpec(0.008, (EMERGENCY,), (SHELTER,), ALWAYS, (15, 60), True),
    "cph": KindSpec(0.003, (EXILES,), (SHELTER, FRENCH), ALWAYS, (30, 90), True),
    "cada": KindSpec(0.004, (EXILES,), (SHELTER,), ALWAYS, (40, 150), True),
    "accueil-de-jour": KindSpec(0.005, (EMERGENCY,), (SHELTER,), "Mo-Fr 08:00-13:00"),
    # service public de l'emploi, santé, droits
    "france-travail": KindSpec(0.006, (JOB_SEEKERS,), (JOB_OFFERS, TRAINING)),
    "mission-locale": KindSpec(
        0.006, ("jeunes",), (JOB_OFFERS,), OFFICE, None, False, {"min_age": 16, "max_age": 25}
    ),
    "cap-emploi-reseau-cheops": KindSpec(0.002, (DISABILITY,), (JOB_OFFERS,)),
    "plie": KindSpec(0.003, (JOB_SEEKERS, MINIMA), (JOB_OFFERS,)),
    "france-service": KindSpec(0.015, ("tous-publics",), (RIGHTS,)),
    "points-justice": KindSpec(0.004, ("tous-publics",), (RIGHTS,)),
    "csapa": KindSpec(0.004, ("tous-publics",), ("sante--addictions",)),
}


@dataclass(frozen=True, slots=True)
class Job:
    """A job of ordinary employers: title, ROME code, schedules, hours per week, requirements."""

    title: str
    rome: str
    schedules: tuple[str, ...]
    hours: tuple[float, float]
    licence: float = 0.0  # probability that the offer asks for a driving licence
    french: tuple[str | None, ...] = (None,)


JOBS = (
    Job("Employé·e de vente en alimentation", "D1106", (RETAIL,), (20, 30), 0, (None, "A2", "B1")),
    Job("Employé·e de mise en rayon", "D1507", ("Mo-Sa 06:00-12:00", RETAIL), (20, 26)),
    Job("Hôte·sse de caisse", "D1505", (RETAIL,), (20, 30), 0, ("A2", "B1")),
    Job("Agent·e de propreté des bureaux", "K2204", (EARLY_CLEANING,), (20, 26), 0.2),
    Job(
        "Agent·e de propreté multisites", "K2204", ("Mo-Fr 06:00-10:00,17:00-19:00",), (24, 35), 0.8
    ),
    Job("Soudeur·se", "H2913", (INDUSTRY, "Mo-Fr 05:00-13:00"), (35, 35), 0.3, (None, "A2")),
    Job("Ouvrier·ère paysagiste", "A1203", ("Mo-Fr 07:00-12:00,13:00-15:00",), (35, 35), 0.6),
    Job(
        "Préparateur·rice de commandes", "N1103", ("Mo-Fr 05:00-12:00",), (35, 35), 0, (None, "A2")
    ),
    Job("Cariste (CACES R489)", "N1101", (INDUSTRY,), (35, 35), 0.2, ("A2", "B1")),
    Job("Livreur·se en véhicule utilitaire", "N4105", ("Mo-Sa 06:30-13:30",), (26, 35), 1.0),
    Job("Commis de cuisine", "G1602", ("Tu-Sa 09:30-14:30,18:00-22:30",), (30, 35)),
    Job("Équipier·ère de restauration", "G1603", ("Mo-Fr 10:30-15:00",), (20, 30), 0, (None, "A2")),
    Job("Aide à domicile", "K1302", ("Mo-Fr 07:30-12:30,16:30-20:00",), (24, 30), 0.8, ("A2",)),
    Job("Maçon·ne", "F1703", (INDUSTRY,), (35, 35), 0.4, (None, "A2")),
    Job(
        "Agent·e de maintenance des bâtiments",
        "I1203",
        ("Mo-Fr 08:00-12:00,13:30-16:30",),
        (35, 35),
    ),
    Job("Conducteur·rice de ligne de production", "H2102", ("Mo-Fr 05:00-13:00",), (35, 35)),
    Job("Valet ou femme de chambre", "G1501", ("Mo-Su 08:00-14:00",), (20, 30)),
    Job("Agent·e de propreté urbaine", "K2303", ("Mo-Sa 05:00-12:00",), (35, 35), 0.3),
)
# Activity supports of SIAE (title, ROME code, schedule), and ESAT / EA activities.
SIAE_SUPPORTS = (
    ("Agent·e d'entretien des espaces verts", "A1203", WORKSHOP),
    ("Ouvrier·ère maraîcher·ère", "A1414", "Mo-Th 07:30-12:00,13:00-15:30"),
    ("Agent·e d'entretien du bâtiment", "I1203", WORKSHOP),
    ("Valoriste en ressourcerie", "K2304", SHOP),
    ("Agent·e de propreté", "K2204", EARLY_CLEANING),
    ("Commis de cuisine", "G1602", "Mo-Fr 08:00-14:30"),
    ("Employé·e de vente en épicerie solidaire", "D1106", RETAIL),
    ("Préparateur·rice de commandes", "N1103", "Mo-Fr 07:00-14:00"),
    ("Aide ménager·ère chez des particuliers", "K1304", "Mo-Fr 08:00-18:00"),
    ("Manutentionnaire", "N1105", "Mo-Fr 07:00-12:00"),
)
SHELTERED = (
    ("Conditionnement et travaux à façon", "H3302", INDUSTRY),
    ("Entretien des espaces verts", "A1203", "Mo-Fr 08:00-12:00,13:00-15:30"),
    ("Restauration collective", "G1603", "Mo-Fr 09:00-15:00"),
    ("Nettoyage de locaux", "K2204", "Mo-Fr 07:00-12:00"),
    ("Opérateur·rice de saisie", "M1606", "Mo-Fr 09:00-12:30,13:30-16:30"),
)
TRAININGS = (
    ("Français langue étrangère à visée professionnelle", None, (12, 20), None, None),
    ("Savoirs de base : lire, écrire, compter", None, (6, 12), None, None),
    ("POEI soudage avec français langue étrangère", "H2913", (35, 35), True, "A1"),
    ("Titre professionnel agent·e de propreté et d'hygiène", "K2204", (30, 35), None, "A2"),
    ("CACES R489 chariots élévateurs", "N1101", (35, 35), None, "A2"),
    ("Titre professionnel employé·e commercial·e en magasin", "D1507", (35, 35), None, "B1"),
)
ROME_CODES = sorted({job.rome for job in JOBS} | {s[1] for s in SIAE_SUPPORTS})
RELATION_KINDS = ("oriente-vers", "prescrit", "convention", "recrute")


@dataclass(slots=True)
class Territory:
    """Validated records with their ids, ready to be written."""

    partners: list[tuple[uuid.UUID, PartnerFields]]
    opportunities: list[tuple[uuid.UUID, uuid.UUID, OpportunityFields]]  # (id, partner id, …)
    relations: list[tuple[uuid.UUID, uuid.UUID, RelationFields]]  # (source, target, …)


def _new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _near_town(rng: random.Random) -> tuple[float, float]:
    """A point (lon, lat) near a town drawn by population, or anywhere for the rural share."""
    if rng.random() < RURAL_SHARE:
        return rng.uniform(*LON_RANGE), rng.uniform(*LAT_RANGE)
    _, lon, lat, population = rng.choices(TOWNS, weights=[t[3] for t in TOWNS])[0]
    spread_km = 0.8 + 0.3 * math.sqrt(population)  # Nîmes ≈ 4.5 km, a village ≈ 1.2 km
    lat += rng.gauss(0, spread_km) / KM_PER_DEGREE
    lon += rng.gauss(0, spread_km) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return min(max(lon, LON_RANGE[0]), LON_RANGE[1]), min(max(lat, LAT_RANGE[0]), LAT_RANGE[1])


def build_territory(
    seed: int, partners: int, opportunities: int
) -> tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]], list[tuple[int, int, str]]]:
    """Raw partner and opportunity dicts (the import format) and relations, seeded.

    Opportunities are (partner index, fields); relations (source index, target index, kind).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
    kinds = list(KINDS)
    drawn = rng.choices(kinds, weights=[KINDS[k].share for k in kinds], k=partners)
    raw_partners = [_partner(rng, number, kind) for number, kind in enumerate(drawn)]
    offering = [i for i, kind in enumerate(drawn) if KINDS[kind].offers > 0]
    weights = [KINDS[drawn[i]].offers for i in offering]
    owners = rng.choices(offering, weights=weights, k=opportunities)
    raw_offers = [(i, _opportunity(rng, number, drawn[i])) for number, i in enumerate(owners)]
    employers = [i for i in offering if drawn[i] != "plateforme-linguistique"]
    pairs = {
        (rng.randrange(partners), rng.choice(employers), rng.choice(RELATION_KINDS))
        for _ in range(partners * 3)
    }
    relations = sorted((s, t, k) for s, t, k in pairs if s != t)
    return raw_partners, raw_offers, relations


def _partner(rng: random.Random, number: int, kind: str) -> dict[str, Any]:
    spec = KINDS[kind]
    lon, lat = _near_town(rng)
    raw: dict[str, Any] = {
        "name": f"{kind.replace('-', ' ').capitalize()} n° {number} (fictif)",
        "kind": kind,
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "publics": list(spec.publics),
        "thematiques": list(spec.thematiques),
        "eligibility": dict(spec.eligibility),
        "source": SOURCE,
        "source_id": f"p{number:05d}",
        "opening_hours": spec.hours,
    }
    if kind.startswith(("creche", "micro-creche")):
        raw["opening_hours"] = rng.choice(CRECHE_HOURS)
    if spec.capacity is not None:
        capacity = rng.randint(*spec.capacity)
        raw["capacity"] = capacity
        if spec.places:
            raw["available_places"] = min(capacity, rng.choice((0, 0, 0, 1, 2, 3, 5)))
    return raw


NO_PAPERS = {"requires_work_authorization": False}
WORK = {"requires_work_authorization": True}
# Fixed offers per kind: (title, opportunity kind, contract, hours per week, requirements).
SIMPLE_OFFERS: dict[
    str, tuple[tuple[str, str, str | None, tuple[int, int], dict[str, Any]], ...]
] = {
    "plateforme-linguistique": (
        ("Ateliers sociolinguistiques (ASL)", "formation", "formation", (4, 6), NO_PAPERS),
        ("Cours de français A1 intensif", "formation", "formation", (15, 20), NO_PAPERS),
    ),
    "auto-ecole-sociale": (
        ("Permis B avec pédagogie adaptée", "formation", "formation", (4, 8), NO_PAPERS),
    ),
    "plateforme-mobilite": (("Atelier « savoir bouger »", "programme", None, (2, 6), NO_PAPERS),),
    "wimoov": (("Atelier « savoir bouger »", "programme", None, (2, 6), NO_PAPERS),),
    "ccas-cias": (("Bénévolat à l'épicerie sociale", "benevolat", "benevolat", (2, 6), NO_PAPERS),),
    "tapaj": (
        ("TAPAJ : travail payé à la journée", "programme", "tapaj", (4, 12), {"max_age": 25}),
    ),
}


def _opportunity(rng: random.Random, number: int, kind: str) -> dict[str, Any]:
    """An opportunity in the manner of the demo for a partner of this kind."""
    if kind in SIMPLE_OFFERS:
        title, opportunity_kind, contract, hours, requirements = rng.choice(SIMPLE_OFFERS[kind])
        return _offer(
            rng, number, title, opportunity_kind, contract=contract, hours=hours,
            requirements=requirements,
        )  # fmt: skip
    if kind in ("aci", "ei", "ai"):
        return _siae_offer(rng, number, kind)
    if kind in ("esat", "ea"):
        return _sheltered_offer(rng, number, kind)
    if kind == "organisme-formation":
        title, rome, hours, authorization, french = rng.choice(TRAININGS)
        return _offer(
            rng, number, title, "formation", contract="formation", rome=rome, hours=hours,
            schedule=OFFICE, places=rng.randint(0, 12), weeks=rng.choice((8, 12, 20)),
            requirements={"requires_work_authorization": authorization, "min_french_level": french},
        )  # fmt: skip
    return _job_offer(rng, number, kind)


def _siae_offer(rng: random.Random, number: int, kind: str) -> dict[str, Any]:
    """CDDI (ACI, EI) or mise à disposition (AI) on an activity support; some immersions."""
    title, rome, schedule = rng.choice(SIAE_SUPPORTS)
    if rng.random() < 0.2:
        return _immersion(rng, number, title, rome)
    contract = "mise-a-disposition" if kind == "ai" else "cddi"
    hours = (4, 20) if kind == "ai" else rng.choice(((20, 26), (20, 24), (24, 26)))
    requirements = {
        **WORK,
        "min_french_level": "A1" if rng.random() < 0.15 else None,
        "requires_driving_licence": True if rng.random() < 0.08 else None,
    }
    return _offer(
        rng, number, f"{title} ({contract})", "emploi", contract=contract, rome=rome,
        hours=hours, schedule=schedule, requirements=requirements,
        weeks=rng.choice((17, 26, 52)),
    )  # fmt: skip


def _sheltered_offer(rng: random.Random, number: int, kind: str) -> dict[str, Any]:
    """ESAT work (CDAPH orientation) or an EA job (RQTH)."""
    title, rome, schedule = rng.choice(SHELTERED)
    condition = "requires_cdaph_orientation" if kind == "esat" else "requires_rqth"
    contract = "esat" if kind == "esat" else rng.choice(("cdi", "cdd-tremplin", "cdd"))
    return _offer(
        rng, number, title, "emploi", contract=contract, rome=rome, hours=(24, 35),
        schedule=schedule, requirements={**WORK, condition: True},
    )  # fmt: skip


def _job_offer(rng: random.Random, number: int, kind: str) -> dict[str, Any]:
    """A job of an ordinary employer, a temp agency or a GEIQ; 15 % immersions."""
    job = rng.choice(JOBS)
    if kind == "geiq":
        contract = "alternance"
    elif kind in ("interim", "etti"):
        contract = "interim"
    else:
        contract = rng.choices(("cdi", "cdd", "alternance", "pmsmp"), (0.35, 0.45, 0.05, 0.15))[0]
    if contract == "pmsmp":
        return _immersion(rng, number, job.title, job.rome)
    requirements = {
        **WORK,
        "min_french_level": rng.choice(job.french),
        "requires_driving_licence": True if rng.random() < job.licence else None,
    }
    return _offer(
        rng, number, job.title, "emploi", contract=contract, rome=job.rome, hours=job.hours,
        schedule=rng.choice(job.schedules), requirements=requirements,
        weeks=rng.choice((4, 8, 26)) if contract in ("cdd", "interim") else None,
    )  # fmt: skip


def _immersion(rng: random.Random, number: int, job: str, rome: str) -> dict[str, Any]:
    return _offer(
        rng, number, f"Immersion (PMSMP) – {job.lower()}", "immersion", contract="pmsmp",
        rome=rome, hours=(20, 35), places=rng.randint(1, 3), requirements=WORK, weeks=2,
    )  # fmt: skip


def _offer(
    rng: random.Random,
    number: int,
    title: str,
    kind: str,
    *,
    contract: str | None = None,
    rome: str | None = None,
    hours: tuple[float, float] | None = None,
    schedule: str | None = None,
    requirements: Mapping[str, Any] | None = None,
    places: int | None = None,
    weeks: int | None = None,
) -> dict[str, Any]:
    starts_on = dt.date(2026, rng.randint(1, 11), rng.randint(1, 28))
    raw: dict[str, Any] = {
        "title": title,
        "kind": kind,
        "contract": contract,
        "rome_code": rome,
        "hours_per_week": {"min": float(hours[0]), "max": float(hours[1])} if hours else None,
        "schedule": schedule,
        "places": rng.choice((0, 1, 1, 2, 2, 3, 4)) if places is None else places,
        "requirements": {k: v for k, v in (requirements or {}).items() if v is not None},
        "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + dt.timedelta(weeks=weeks)).isoformat() if weeks else None,
        "source_id": f"o{number:06d}",
    }
    return {key: value for key, value in raw.items() if value is not None}


def validate_territory(
    seed: int,
    raw_partners: Sequence[dict[str, Any]],
    raw_offers: Sequence[tuple[int, dict[str, Any]]],
    relations: Sequence[tuple[int, int, str]],
) -> Territory:
    """Every record through its domain model; ids drawn from ``seed`` (reproducible)."""
    rng = random.Random(seed + 1)  # noqa: S311 - reproducible ids
    ids = [_new_id(rng) for _ in raw_partners]
    return Territory(
        partners=[
            (pid, PartnerFields.model_validate(raw))
            for pid, raw in zip(ids, raw_partners, strict=True)
        ],
        opportunities=[
            (_new_id(rng), ids[owner], OpportunityFields.model_validate(raw))
            for owner, raw in raw_offers
        ],
        relations=[
            (ids[s], ids[t], RelationFields.model_validate({"kind": kind}))
            for s, t, kind in relations
        ],
    )


# -- loading -------------------------------------------------------------------------------------


def load_territory(engine: Engine, territory: Territory) -> tuple[float, float]:
    """Rows mapped by `service.store.records.apply_*`, then one ``COPY`` per table, one transaction.

    ``COPY`` is one statement per table: the store-revision trigger (``FOR EACH STATEMENT``)
    fires three times, where an ``executemany`` would fire it, and update its row, once per
    row. Returns the seconds spent mapping and writing (``ANALYZE`` included).
    """
    started = time.perf_counter()
    tables: list[tuple[Table, list[dict[str, Any]]]] = [
        (_table(Partner), []),
        (_table(Opportunity), []),
        (_table(Relation), []),
    ]
    for pid, partner_record in territory.partners:
        partner = Partner(id=pid)
        records.apply_partner(partner, partner_record)
        tables[0][1].append(_values(partner))
    for oid, owner, offer_record in territory.opportunities:
        offer = Opportunity(id=oid, partner_id=owner)
        records.apply_opportunity(offer, offer_record)
        tables[1][1].append(_values(offer))
    for number, (source, target, relation_record) in enumerate(territory.relations):
        relation = Relation(
            id=uuid.UUID(int=number + 1), source_partner_id=source, target_partner_id=target
        )
        records.apply_relation(relation, relation_record)
        tables[2][1].append(_values(relation))
    mapped = time.perf_counter()
    with engine.begin() as connection:
        for table, rows in tables:
            _copy(connection, table, rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE partner, opportunity, relation"))
    return mapped - started, time.perf_counter() - mapped


def check_round_trip(engine: Engine, territory: Territory, sample: int = 50) -> None:
    """Records read back by `service.store.records.*_record` equal the validated ones (a sample)."""
    with Session(engine) as session:
        for pid, partner_record in territory.partners[:sample]:
            partner = session.get(Partner, pid)
            if partner is None or records.partner_record(partner) != partner_record:
                raise RuntimeError(f"partenaire {pid} relu différent de l'enregistrement validé")
        for oid, _, offer_record in territory.opportunities[:sample]:
            offer = session.get(Opportunity, oid)
            if offer is None or records.opportunity_record(offer) != offer_record:
                raise RuntimeError(f"offre {oid} relue différente de l'enregistrement validé")


def _copy(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``COPY table (columns) FROM STDIN`` through the session's psycopg connection."""
    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_copy_value(row[column]) for column in columns])


def _copy_value(value: Any) -> Any:
    """JSON objects as ``jsonb``, geometries as hexadecimal EWKB (SRID included)."""
    if isinstance(value, dict):
        return Jsonb(value)
    if isinstance(value, WKBElement):
        return value.as_ewkb().desc
    return value


def _table(mapped: type[Any]) -> Table:
    table = mapped.__table__
    assert isinstance(table, Table)
    return table


def _values(row: Any) -> dict[str, Any]:
    """The values an ORM flush would insert for a new row: the attributes ``apply_*`` set, then
    the Python-side column defaults; columns left to a server default are omitted."""
    state = vars(row)
    values = {}
    for column in _table(type(row)).columns:
        default = column.default
        argument = getattr(default, "arg", None)  # a ColumnDefault's value or wrapped callable
        if column.key in state:
            values[column.key] = state[column.key]
        elif default is not None and default.is_callable:
            values[column.key] = argument(None)  # type: ignore[misc]
        elif default is not None and default.is_scalar:
            values[column.key] = argument
    return values


# -- persons -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """One request body for ``POST /v1/matches`` and the radius of its straight-line search."""

    body: dict[str, Any]
    lon: float
    lat: float
    radius_km: float


def random_person(rng: random.Random) -> Person:
    """A person near a town, with 1–2 modes, wishes and a varied situation."""
    lon, lat = (round(value, 6) for value in _near_town(rng))
    budgets = {
        mode: rng.choice((20, 30, 40, 45, 60))
        for mode in rng.sample(("walk", "bike", "transit"), rng.randint(1, 2))
    }
    radius_km = min(
        MAX_RADIUS_KM,
        max(minutes / 60 * SEARCH_SPEED_KMH[mode] for mode, minutes in budgets.items()),
    )
    modes = [{"mode": mode, "max_minutes": minutes} for mode, minutes in budgets.items()]
    maybe = (None, True, False)
    situation = {
        "age": rng.randint(18, 62),
        "work_authorization": rng.choice((True, True, True, None, False)),
        "french_level": rng.choice(("A0", "A1", "A2", "B1", "C2", None)),
        "driving_licence": rng.choice((None, False, False, True)),
        "vehicle": rng.choice(maybe),
        "rqth": rng.choice((None, False, False, True)),
        "children_under_3": 1 if rng.random() < 0.3 else 0,
        "single_parent": rng.choice(maybe),
        "rsa": rng.choice(maybe),
        "job_seeker_registered": rng.choice(maybe),
        "homeless": rng.choice((None, False, False, True)),
        "refugee": rng.choice((None, False, False, True)),
    }
    body: dict[str, Any] = {
        "location": {"lat": lat, "lon": lon},
        "modes": modes,
        "wishes": {
            "rome_codes": rng.sample(ROME_CODES, rng.randint(0, 3)),
            "kinds": rng.choice(([], [], ["emploi"], ["emploi", "immersion"], ["formation"])),
        },
        "hours_per_week": {"min": 10, "max": rng.choice((20, 26, 35))},
        "situation": {k: v for k, v in situation.items() if v is not None},
        "limit": PAGE,
    }
    if rng.random() < 0.4:
        body["available"] = "Mo-Fr 08:30-16:30"
    return Person(body, lon, lat, round(radius_km, 3))


# -- measuring -----------------------------------------------------------------------------------


class RoundTrips:
    """SQL statements sent and connections checked out on an engine (each checkout also costs a
    ``pool_pre_ping``, a ``BEGIN`` and a ``ROLLBACK`` on return: three more round trips)."""

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self.checkouts = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, *args: Any) -> None:
        self.statements += 1

    def _checkout(self, *args: Any) -> None:
        self.checkouts += 1

    def snapshot(self) -> tuple[int, int]:
        return self.statements, self.checkouts


@dataclass(slots=True)
class Series:
    """Latencies (ms) of one kind of call, with round trips and result sizes."""

    label: str
    ms: list[float] = field(default_factory=list)
    statements: int = 0
    checkouts: int = 0
    results: int = 0

    def percentiles(self) -> tuple[float, float, float]:
        p50, p95 = np.percentile(self.ms, [50, 95])
        return float(p50), float(p95), max(self.ms)


def measure(series: Series, counter: RoundTrips, call: Callable[[], Sized]) -> None:
    """Time one call; the results are counted after the clock stops."""
    before = counter.snapshot()
    started = time.perf_counter()
    results = call()
    series.ms.append((time.perf_counter() - started) * 1000)
    after = counter.snapshot()
    series.statements += after[0] - before[0]
    series.checkouts += after[1] - before[1]
    series.results += len(results)


def straight_line_sql(lon: float, lat: float, radius_km: float) -> Any:
    """Opportunities within ``radius_km`` of (lon, lat), nearest partner first, 20 of them.

    ``geom::geography`` without a type modifier, the expression of the GiST index
    ``ix_partner_geog``, so that ``ST_DWithin`` can use it.
    """
    geography = Geography(geometry_type=None)
    here = cast(records.point(lon, lat), geography)
    geog = cast(Partner.geom, geography)
    distance = func.ST_Distance(geog, here).label("distance_m")
    return (
        select(
            Opportunity.id,
            Opportunity.title,
            Opportunity.kind,
            Opportunity.contract,
            Opportunity.rome_code,
            Partner.id.label("partner_id"),
            Partner.name,
            distance,
        )
        .join(Partner, Partner.id == Opportunity.partner_id)
        .where(func.ST_DWithin(geog, here, radius_km * 1000.0))
        .order_by(distance, Opportunity.id)
        .limit(PAGE)
    )


class Calls:
    """The timed calls for one person; each returns its results, decoded or not."""

    def __init__(self, client: TestClient, key: str, sessions: sessionmaker[Session]) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}
        self.sessions = sessions

    def matches(self, person: Person) -> Items:
        response = self.client.post("/v1/matches", json=person.body, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"POST /v1/matches : {response.status_code} {response.text[:300]}")
        return Items(response)

    def partners(self, person: Person) -> Items:
        params = {"lat": person.lat, "lon": person.lon, "radius_km": person.radius_km, "size": 20}
        response = self.client.get("/v1/partners", params=params)
        if response.status_code != 200:
            raise RuntimeError(f"GET /v1/partners : {response.status_code} {response.text[:300]}")
        return Items(response)

    def health(self, person: Person) -> list[Any]:
        """The floor: HTTP through TestClient, one session, one trivial statement."""
        response = self.client.get("/health")
        if response.status_code != 200:
            raise RuntimeError(f"GET /health : {response.status_code}")
        return []

    def sql(self, person: Person) -> list[Any]:
        with self.sessions() as session:
            rows = session.execute(straight_line_sql(person.lon, person.lat, person.radius_km))
            return list(rows.all())


@dataclass(frozen=True, slots=True)
class Items:
    """A response read in full; its JSON is decoded only when counted (off the clock)."""

    response: Any

    def __len__(self) -> int:
        return len(self.response.json()["items"])


def platform_key(app: FastAPI) -> str:
    with app.state.sessionmaker() as session:
        key, _ = create_api_key(session, role="platform", name="banc d'essai")
        session.commit()
    return key


class GcWatch:
    """Durations (ms) of the full (generation 2) garbage collections while active."""

    def __init__(self) -> None:
        self.pauses_ms: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses_ms.append((time.perf_counter() - self._started) * 1000)

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def run(app: FastAPI, persons: Sequence[Person], profile: Path | None) -> None:
    """Warm up, time the calls for every person in a rotating order, report; profile."""
    with TestClient(app) as client:
        calls = Calls(client, platform_key(app), app.state.sessionmaker)
        counter = RoundTrips(app.state.engine)
        first = Series("premier POST /v1/matches")
        measure(first, counter, partial(calls.matches, persons[0]))
        print(
            "premier POST /v1/matches (construit l'instantané en mémoire) : "
            f"{_n(round(first.ms[0]))} ms"
        )
        for person in persons[:WARM_UP]:
            calls.matches(person)
            calls.partners(person)
            calls.sql(person)
        series = [
            Series("POST /v1/matches"),
            Series("GET /v1/partners (vol d'oiseau, HTTP)"),
            Series("SQL offres ST_DWithin + ST_Distance"),
            Series("GET /health (plancher : HTTP + 1 session)"),
        ]
        functions = (calls.matches, calls.partners, calls.sql, calls.health)
        with GcWatch() as collections:
            for number, person in enumerate(persons):
                for step in range(len(functions)):
                    index = (number + step) % len(functions)
                    measure(series[index], counter, partial(functions[index], person))
        report(series, len(persons))
        pauses = collections.pauses_ms
        print(
            f"ramasse-miettes pendant la mesure : {len(pauses)} collection(s) de génération 2"
            + (f", {max(pauses):.1f} ms au plus" if pauses else "")
        )
        radii = [person.radius_km for person in persons]
        print(f"rayon R à vol d'oiseau : {min(radii):.1f} à {max(radii):.1f} km, "
              f"médiane {float(np.median(radii)):.1f} km")  # fmt: skip
        if profile is not None:
            profile_matches(app, calls, persons, profile)


# -- profiling -----------------------------------------------------------------------------------

# (label, end of the file's path, function name): steps of a request, as cProfile names them.
STEPS = (
    ("session : ouverture et fermeture", "service/deps.py", "get_session"),
    ("  dont emprunt au pool (pool_pre_ping)", "sqlalchemy/pool/base.py", "_checkout"),
    ("auth : recherche de la clé", "service/auth.py", "authenticate"),
    ("révision du magasin (current_revision)", "service/store/snapshot.py", "current_revision"),
    ("instantané (SnapshotHolder.get)", "service/store/snapshot.py", "get"),
    ("position (resolve_location)", "service/matching/requests.py", "resolve_location"),
    ("route match_person", "service/matching/routes.py", "match_person"),
    ("  dont graph.matching.match", "graph/matching/api.py", "match"),
    ("    dont temps de trajet (TravelService.times)", "service/travel.py", "times"),
    ("validation pydantic (corps et réponse)", "fastapi/_compat/v2.py", "validate"),
    ("sérialisation JSON (dump_json)", "fastapi/_compat/v2.py", "serialize_json"),
)


@contextlib.contextmanager
def inline_threadpool() -> Iterator[None]:
    """Run FastAPI's sync dependencies and endpoints inline, in the event loop's thread.

    Profiling only: one thread then holds the whole request, so one profiler sees it all.
    """
    import fastapi.dependencies.utils
    import fastapi.routing

    async def inline(call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)

    @contextlib.asynccontextmanager
    async def inline_cm(cm: Any) -> AsyncIterator[Any]:
        with cm as value:
            yield value

    patches = (
        (fastapi.routing, "run_in_threadpool", inline),
        (fastapi.dependencies.utils, "run_in_threadpool", inline),
        (fastapi.dependencies.utils, "contextmanager_in_threadpool", inline_cm),
    )
    saved = [getattr(module, name) for module, name, _ in patches]
    for module, name, replacement in patches:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for (module, name, _), original in zip(patches, saved, strict=True):
            setattr(module, name, original)


def profile_matches(app: FastAPI, calls: Calls, persons: Sequence[Person], path: Path) -> None:
    """The matching requests once more under cProfile, each whole request in one thread."""
    profiler = cProfile.Profile()
    inner = app.build_middleware_stack()

    async def profiled_app(scope: Any, receive: Any, send: Any) -> None:
        profiler.enable()
        try:
            await inner(scope, receive, send)
        finally:
            profiler.disable()

    timings = Series("POST /v1/matches (profil)")
    counter = RoundTrips(app.state.engine)
    app.middleware_stack = profiled_app
    try:
        with inline_threadpool():
            for person in persons:
                measure(timings, counter, partial(calls.matches, person))
    finally:
        app.middleware_stack = None
    profiler.dump_stats(path)
    _print_profile(pstats.Stats(profiler), timings, len(persons), path)


def _print_profile(stats: pstats.Stats, timings: Series, requests: int, path: Path) -> None:
    p50, p95, top = timings.percentiles()
    print(
        f"\nprofil : les {requests} POST /v1/matches rejoués sous cProfile, dépendances et "
        f"route exécutées dans le fil de la boucle (sans sauts vers le pool de threads) : "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {top:.1f} ms ; statistiques : {path}"
    )
    entries: dict[tuple[str, str], tuple[int, float]] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, name), (_, ncalls, _, cumulative, _) in raw.items():
        for _, suffix, wanted in STEPS:
            if name == wanted and filename.endswith(suffix):
                calls, total = entries.get((suffix, name), (0, 0.0))
                entries[(suffix, name)] = (calls + ncalls, total + cumulative)
    total_tt: float = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"temps par requête sous cProfile (ms, cumulé) — total {total_tt / requests * 1000:.2f} :"
    )
    for label, suffix, name in STEPS:
        calls, cumulative = entries.get((suffix, name), (0, 0.0))
        print(
            f"  {label:<46}{cumulative / requests * 1000:8.2f}   ({calls / requests:.1f} appel(s))"
        )
    print("\nfonctions les plus coûteuses (temps propre) :")
    stats.sort_stats("tottime").print_stats(20)


# -- report --------------------------------------------------------------------------------------


def report(series: Sequence[Series], requests: int) -> None:
    matches, http, sql, _ = series
    print(f"\n{requests} personnes, quatre appels chacune (ordre tournant) ; latences en ms :\n")
    print(f"{'appel':<42}{'p50':>8}{'p95':>8}{'max':>8}{'SQL/appel':>11}{'connexions':>12}")
    for s in series:
        p50, p95, top = s.percentiles()
        print(
            f"{s.label:<42}{p50:8.1f}{p95:8.1f}{top:8.1f}"
            f"{s.statements / requests:11.1f}{s.checkouts / requests:12.1f}"
        )
    m50, m95, _ = matches.percentiles()
    for label, other in (("GET /v1/partners", http), ("SQL brut", sql)):
        o50, o95, _ = other.percentiles()
        print(f"{'rapport matches / ' + label:<42}{m50 / o50:7.1f}x{m95 / o95:7.1f}x")
    print(
        f"\nrésultats moyens : {matches.results / requests:.1f} propositions, "
        f"{http.results / requests:.1f} partenaires, {sql.results / requests:.1f} offres"
    )
    h95 = http.percentiles()[1]
    s95 = sql.percentiles()[1]
    reached = m95 <= 50.0 and m95 <= 3 * h95 and m95 <= 3 * s95  # both straight lines
    print(
        f"\nobjectif : p95 ≤ 50 ms et ≤ 3× la recherche à vol d'oiseau : "
        f"{'atteint' if reached else 'non atteint'} "
        f"(p95 {m95:.1f} ms ; {m95 / h95:.1f}× GET /v1/partners, {m95 / s95:.1f}× le SQL brut)"
    )


def _n(number: int) -> str:
    """An integer the French way: 50 000 (narrow no-break space between thousands)."""
    return f"{number:,}".replace(",", "\u202f")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200, help="personnes mesurées")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        type=Path,
        help="profiler aussi les POST /v1/matches (cProfile) dans ce fichier",
    )
    parser.add_argument("--tiny", action="store_true", help="essai éclair : tailles minuscules")
    args = parser.parse_args(argv)
    if args.tiny:
        args.partners, args.opportunities, args.requests = 300, 2_000, 10

    started = time.perf_counter()
    raw_partners, raw_offers, relations = build_territory(
        args.seed, args.partners, args.opportunities
    )
    generated = time.perf_counter()
    territory = validate_territory(args.seed, raw_partners, raw_offers, relations)
    validated = time.perf_counter()
    print(
        f"territoire synthétique : {_n(len(territory.partners))} partenaires, "
        f"{_n(len(territory.opportunities))} offres, {_n(len(territory.relations))} relations — "
        f"génération {generated - started:.1f} s, validation (graph.models) "
        f"{validated - generated:.1f} s"
    )
    families = Counter(record.family for _, record in territory.partners)
    print(
        "  familles : " + ", ".join(f"{name} {_n(count)}" for name, count in families.most_common())
    )
    rng = random.Random(args.seed + 2)  # noqa: S311 - reproducible fiction
    persons = [random_person(rng) for _ in range(args.requests)]

    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        cluster = EmbeddedPostgres(Path(tmp) / "postgis", fast=True)
        try:
            started = time.perf_counter()
            url = cluster.start()
            engine = make_engine(url)
            upgrade(engine)
            print(f"PostGIS jetable démarré et migré : {time.perf_counter() - started:.1f} s")
            mapping, writing = load_territory(engine, territory)
            check_round_trip(engine, territory)
            engine.dispose()
            print(
                f"chargement : lignes par service.store.records.apply_* {mapping:.1f} s, "
                f"COPY et ANALYZE {writing:.1f} s"
            )
            del territory, raw_partners, raw_offers
            gc.collect()
            app = create_app(Settings(env="test", database_url=url, home=Path(tmp) / "home"))
            run(app, persons, args.profile)
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
