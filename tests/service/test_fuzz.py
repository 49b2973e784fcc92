"""Schemathesis over every operation of the API, in process, on a real PostGIS holding the demo
territory: with an admin key (writes included) and a viewer key, every check schemathesis 4
offers (server errors, status codes, content types, response schemas and headers, positive and
negative data, authentication, ``Allow``, resources, response time).

The OpenAPI document says what the service accepts wherever JSON Schema can (vocabularies as
``enum``, codes as ``pattern``, bounds, a bbox of four corners, texts without NUL), so a request
the document calls valid must be answered 2xx, 401, 403, 404, 409 or 429, never 422
(``positive_data_acceptance``). A few rules JSON Schema cannot state: rules between fields, the
OpenStreetMap opening-hours syntax, check digits, the territorial bound of a partner, and what
the database holds. `LEGITIMATE_422` is the written table of them: an operation listed there may
answer a schema-valid request with 422, and only for a rule of its row: the check
`legitimate_422` holds every such 422 to its row (a 422 whose message no rule of the row
explains is a failure). Every other check stays fully on, on every operation.

Bounded in time: ``MAILLAGE_FUZZ_DEADLINE`` seconds for the whole run (default 180, shared
between the two keys; schemathesis keeps fuzzing until its share is spent),
``MAILLAGE_FUZZ_EXAMPLES`` examples per operation and phase within a cycle (default 25),
``MAILLAGE_FUZZ_SEED`` the seed (default 12). The figures (cases, checks, distinct failures
with a reproducer each) are printed, and written in full to ``test-artifacts/schemathesis-*.txt``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import Case, CheckContext, Response
from schemathesis.engine import events, from_schema
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.orm import Session

from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.settings import Settings

pytestmark = [pytest.mark.db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
ROLES = ("admin", "viewer")

DEADLINE_S = int(os.environ.get("MAILLAGE_FUZZ_DEADLINE", "180"))
EXAMPLES = int(os.environ.get("MAILLAGE_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("MAILLAGE_FUZZ_SEED", "12"))
MAX_RESPONSE_S = 15.0  # no answer may take longer, even on a loaded CI machine
SHOWN_CHARACTERS = 700  # of a reproducer in the terminal; the artifact keeps it whole


# --- the 422s a schema-valid request may get --------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule the service applies that JSON Schema cannot state: ``message`` is a regex the
    French message of its 422 matches (the field, then the rule; never the value)."""

    what: str
    message: str

    def explains(self, text: str) -> bool:
        return re.match(self.message, text) is not None


def _persons(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The rules of one person's request, for each person of a batch (``persons.3.…``)."""
    return tuple(
        Rule(rule.what, r"persons\.\d+\." + rule.message.removeprefix("^")) for rule in rules
    )


LAT_LON_TOGETHER = Rule("lat et lon vont ensemble", r"lat et lon vont ensemble")
RADIUS_NEEDS_POINT = Rule("radius_km demande lat et lon", r"radius_km demande un point")
MODE_NEEDS_POINT = Rule("mode demande lat et lon", r"mode demande un point de départ")
MINUTES_NEED_MODE = Rule("max_minutes demande un mode", r"max_minutes demande un mode")
BBOX_OUTSIDE = Rule(
    "bbox : aucune commune du territoire chargé ne touche le rectangle (selon la base)",
    r"bbox : aucune commune du territoire chargé ne touche ce rectangle",
)
DEMAND_ABSENT = Rule(
    "demand : une couche de demande que la base n'a pas (qpv, enfants_0_3 non importés, nom "
    "inconnu)",
    r"demand : (demande inconnue|aucune couche QPV chargée|aucune population carroyée)",
)
IN_FRANCE = Rule(
    "lon, lat : le partenaire est en France (métropole, Corse, outre-mer), jamais à (0, 0)",
    r"lon, lat : point hors de France",
)
PLACES_WITHIN_CAPACITY = Rule(
    "available_places au plus capacity (la fiche fusionnée, pour un PATCH)",
    r"les places disponibles dépassent la capacité",
)
OPENING_HOURS = Rule(
    "opening_hours : syntaxe OpenStreetMap opening_hours",
    r"opening_hours : horaires invalides",
)
SIRET_KEY = Rule(
    "siret : clés de contrôle (Luhn) du SIRET et du SIREN",
    r"siret : SIRET invalide : la clé de contrôle",
)
ELIGIBILITY_AGES = Rule(
    "eligibility : min_age au plus max_age", r"eligibility : l'âge minimal dépasse l'âge maximal"
)
REQUIREMENT_AGES = Rule(
    "requirements : min_age au plus max_age",
    r"requirements : l'âge minimal dépasse l'âge maximal",
)
HOURS_ORDERED = Rule(
    "hours_per_week : min au plus max",
    r"hours_per_week : le nombre d'heures minimal dépasse le maximal",
)
DATES_ORDERED = Rule(
    "ends_on pas avant starts_on, until pas avant since (la fiche fusionnée, pour un PATCH)",
    r"la date de fin précède la date de début",
)
SCHEDULE = Rule("schedule : syntaxe OpenStreetMap opening_hours", r"schedule : horaires invalides")
AVAILABLE = Rule(
    "available : syntaxe OpenStreetMap opening_hours", r"available : horaires invalides"
)
UNIQUE_MODES = Rule(
    "modes : chaque mode une fois", r"modes : chaque mode de déplacement ne peut figurer"
)
REFERENT_ABSENT = Rule(
    "location.partner_id : un partenaire de la base",
    r"location\.partner_id : aucun partenaire avec cet identifiant",
)
COMMUNE_ABSENT = Rule(
    "location.code_insee : une commune du territoire chargé",
    r"location\.code_insee : commune absente du territoire chargé",
)

ROAD_BOX = Rule(
    "bbox : ouest < est, sud < nord, en degrés, au plus 5 degrés de côté",
    r"bbox : (ouest < est|au plus 5 degrés)",
)

DATETIME = Rule(
    "datetime : un instant ou un intervalle RFC 3339 lisible, la fin pas avant le début (OGC "
    "API – Features : 400, comme toute valeur refusée sous /ogc)",
    r"datetime : (instant ou intervalle RFC 3339 attendu|instant attendu|un seul « / »|la fin "
    r"de l'intervalle précède)",
)

NATIONAL_ABSENT = Rule(
    "departements : des résultats nationaux chargés (maillage national load), en geojson ou "
    "csv ; level=departements avec departements",
    r"(departements : (aucun résultat national chargé|les résultats nationaux se servent)"
    r"|level : departements demande)",
)

_COVERAGE = (BBOX_OUTSIDE, DEMAND_ABSENT, NATIONAL_ABSENT)
_PARTNER = (IN_FRANCE, PLACES_WITHIN_CAPACITY, OPENING_HOURS, SIRET_KEY, ELIGIBILITY_AGES)
_OPPORTUNITY = (HOURS_ORDERED, REQUIREMENT_AGES, DATES_ORDERED, SCHEDULE)
_PERSON = (AVAILABLE, HOURS_ORDERED, UNIQUE_MODES, REFERENT_ABSENT, COMMUNE_ABSENT)

FLOW_PERIOD = Rule(
    "period_start, period_end : mois entiers, au plus 12, pas à venir, dans la durée de "
    "conservation",
    r"period_(start|end) : ",
)
FLOW_COUNTS = Rule(
    "au moins un compte ; accepted au plus received (comptes enregistrés compris)",
    r"(au moins un compte est attendu|accepted : plus d'orientations acceptées que reçues)",
)
FLOW_FILE = Rule(
    "un fichier CSV de comptes : chaque ligne rejetée nommée (en-tête, relation, période, "
    "comptes), rien n'est écrit",
    r"ligne [0-9]+",
)

LEGITIMATE_422: dict[str, tuple[Rule, ...]] = {
    "GET /v1/networks/roads": (ROAD_BOX,),
    "GET /ogc/collections/partenaires/items": (DATETIME,),
    "GET /v1/partners": (LAT_LON_TOGETHER, RADIUS_NEEDS_POINT, MODE_NEEDS_POINT, MINUTES_NEED_MODE),
    "GET /v1/geocode": (LAT_LON_TOGETHER,),
    "GET /v1/coverage": _COVERAGE,
    "GET /v1/gaps": _COVERAGE,
    "POST /v1/siting": _COVERAGE,
    "POST /v1/partners": _PARTNER,
    "PATCH /v1/partners/{partner_id}": _PARTNER,
    "POST /v1/opportunities": _OPPORTUNITY,
    "PATCH /v1/opportunities/{opportunity_id}": _OPPORTUNITY,
    "POST /v1/relations": (DATES_ORDERED,),
    "PATCH /v1/relations/{relation_id}": (DATES_ORDERED,),
    "PUT /v1/relations/{relation_id}/flows": (FLOW_PERIOD, FLOW_COUNTS),
    "GET /v1/network/flows": (DATES_ORDERED,),
    "POST /v1/network/flows/import": (FLOW_FILE,),
    "POST /v1/matches": _PERSON,
    "POST /v1/matches/batch": _persons(_PERSON),
}
"""Operation → the rules that make its 422 to a schema-valid request legitimate. Each rule is
said in French in the OpenAPI document too (the field's or the parameter's description)."""


def _messages(response: Response) -> list[str]:
    """The French messages of a 422 (`service.errors`: one text, or one per field)."""
    try:
        detail = json.loads(response.content)["detail"]
    except (ValueError, KeyError, TypeError):
        return [response.content.decode(errors="replace")]
    if isinstance(detail, str):
        return [detail]
    return [item.get("msg", "") if isinstance(item, dict) else str(item) for item in detail]


@schemathesis.check
def legitimate_422(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A schema-valid request answered 422 on an operation of `LEGITIMATE_422`: every message
    must be explained by a rule of the operation's row."""
    rules = LEGITIMATE_422.get(case.operation.label)
    meta = case.meta
    refused = 400 if case.operation.label.startswith("GET /ogc") else 422  # OGC: 400
    if rules is None or meta is None or response.status_code != refused:
        return None
    if not meta.generation.mode.is_positive:
        return None
    unexplained = [m for m in _messages(response) if not any(r.explains(m) for r in rules)]
    if unexplained:
        raise AssertionError(
            "Requête valide refusée pour une règle absente du tableau LEGITIMATE_422 : "
            + " | ".join(unexplained)
        )
    return None


def _operations_config() -> list[dict[str, Any]]:
    """422 among the statuses ``positive_data_acceptance`` expects, on the operations of the
    table only (`legitimate_422` then holds each 422 to its row)."""
    # schemathesis's defaults for the check (5xx are not_a_server_error's), and 422
    expected = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    return [
        {
            "include-name": label,
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": [*expected, "400" if "/ogc" in label else "422"]
                }
            },
        }
        for label in LEGITIMATE_422
    ]


# --- the run -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_app(writable_demo_url: str) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The app on a demo territory of its own (the admin's cases write to it) and a key per
    role; the lifespan is run by schemathesis's ASGI client, and shut down at the end."""
    engine = make_engine(writable_demo_url)
    with Session(engine) as session:
        keys = {
            role: create_api_key(session, role=role, name=f"fuzz-{uuid.uuid4().hex}")[0]
            for role in ROLES
        }
        session.commit()
    engine.dispose()
    try:
        yield create_app(Settings(env="test", database_url=writable_demo_url)), keys
    finally:
        shutdown_lifespans()


def fuzz_config(key: str, max_time_s: int) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Bearer {key}"},
            "max-time": max_time_s,
            # a slow answer is max_response_time's failure, with its reproducer, not a timeout
            "request-timeout": 2 * MAX_RESPONSE_S,
            "seed": SEED,
            "workers": 1,
            "cache": {"enabled": False},  # no state kept between runs, none written in the tree
            # keep exploring an operation after its first failure: one undocumented status must
            # not hide a server error behind it
            "continue-on-failure": True,
            "generation": {"max-examples": EXAMPLES, "database": ":memory:"},
            "checks": {"enabled": True, "max_response_time": MAX_RESPONSE_S},
            "phases": {"enabled": True},
            "operations": _operations_config(),
        }
    )


@dataclass(frozen=True)
class Found:
    check: str
    operation: str
    title: str
    message: str
    reproducer: str


@dataclass
class Figures:
    """What a run did: cases, operations, checks passed and failed, distinct failures."""

    role: str
    cases: int = 0
    elapsed_s: float = 0.0
    stop_reason: str = ""
    operations: set[str] = field(default_factory=set)
    passed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    distinct: dict[tuple[str, str, str, str], Found] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    logged_500: int = 0

    def record(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        self.cases += len(recorder.cases)
        self.operations.add(recorder.label)
        for checks in recorder.checks.values():
            for check in checks:
                info = check.failure_info
                if info is None:
                    self.passed[check.name] += 1
                    continue
                self.failed[check.name] += 1
                failure = info.failure
                gist = _gist(check.name, failure.message)
                key = (check.name, failure.operation or recorder.label, failure.title, gist)
                self.distinct.setdefault(
                    key, Found(*key[:3], failure.message.strip(), info.code_sample)
                )

    def report(self, *, whole: bool) -> str:
        lines = [
            f"schemathesis ({self.role}) : {self.cases} cas sur {len(self.operations)} "
            f"opérations en {self.elapsed_s:.0f} s (arrêt : {self.stop_reason}, graine {SEED}, "
            f"{EXAMPLES} exemples par opération et phase)",
            f"  422 admis pour une requête valide : {len(LEGITIMATE_422)} opérations, "
            f"{len({r for rules in LEGITIMATE_422.values() for r in rules})} règles "
            "(LEGITIMATE_422, contrôlé par legitimate_422)",
            f"  {'contrôle':<30} {'réussis':>8} {'échecs':>7}",
        ]
        for name in sorted(set(self.passed) | set(self.failed)):
            lines.append(f"  {name:<30} {self.passed[name]:>8} {self.failed[name]:>7}")
        lines.append(
            f"  échecs distincts : {len(self.distinct)} ; erreurs de schemathesis : "
            f"{len(self.errors)} ; réponses 500 journalisées : {self.logged_500}"
        )
        for index, found in enumerate(sorted(self.distinct.values(), key=_order), start=1):
            reproducer = found.reproducer
            if not whole and len(reproducer) > SHOWN_CHARACTERS:
                reproducer = reproducer[:SHOWN_CHARACTERS] + " […]"
            message = " | ".join(found.message.splitlines()[: None if whole else 2])
            lines += [
                f"  {index}. [{found.check}] {found.operation} — {found.title}",
                f"     {message}",
                "     " + reproducer.replace("\n", "\n     "),  # a stateful one: several requests
            ]
        lines += [f"  erreur : {error}" for error in self.errors]
        return "\n".join(lines)


def _gist(check: str, message: str) -> str:
    """What tells two failures of one check on one operation apart: the schema a response broke
    (not the value it held), else the message's first line (``Received: 404``)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if check == "response_schema_conformance":
        return " ".join(line for line in lines if line.startswith(("Validated", "Schema at")))
    return lines[0] if lines else ""


def _order(found: Found) -> tuple[str, str, str]:
    return (found.check, found.operation, found.message)


def run_schemathesis(app: FastAPI, role: str, key: str, max_time_s: int) -> Figures:
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=fuzz_config(key, max_time_s)
    )
    figures = Figures(role)
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            figures.record(event)
        elif isinstance(event, events.NonFatalError):
            figures.errors.append(f"{event.label} : {event.info.title} — {event.info.message}")
        elif isinstance(event, events.FatalError):
            figures.errors.append(f"erreur fatale : {type(event.exception).__name__}")
        elif isinstance(event, events.EngineFinished):
            figures.stop_reason = str(event.stop_reason)
    figures.elapsed_s = time.monotonic() - started
    return figures


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.getMessage().startswith("erreur inattendue")


@contextmanager
def counted_500s() -> Iterator[_Counter]:
    """The service's log records counted, not shown: each 500 is logged once
    (`service.errors.UnexpectedErrors`), and the report already has a reproducer for each
    distinct one; thousands of cases would otherwise bury it."""
    logger = logging.getLogger("maillage")
    counter = _Counter()
    logger.addHandler(counter)
    logger.propagate = False
    try:
        yield counter
    finally:
        logger.propagate = True
        logger.removeHandler(counter)


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_finds_no_failure(
    fuzz_app: tuple[FastAPI, dict[str, str]], role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app, keys = fuzz_app
    with counted_500s() as logged_500:
        figures = run_schemathesis(app, role, keys[role], max(1, DEADLINE_S // len(ROLES)))
    figures.logged_500 = logged_500.count

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"schemathesis-{role}.txt").write_text(figures.report(whole=True) + "\n")
    with capsys.disabled():
        print("\n" + figures.report(whole=False))
    assert figures.cases >= 100, figures.report(whole=False)
    assert not figures.errors, figures.report(whole=False)
    assert not figures.distinct, f"{len(figures.distinct)} échec(s) distinct(s), voir ci-dessus"
