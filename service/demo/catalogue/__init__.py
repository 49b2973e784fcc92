"""The demo's catalogue: the fixed material of the fictional Gard, one CSV table per file.

Every file is UTF-8 with a header row, one row per entry, in the order the builder uses it (the
order matters: the builder draws from a seeded generator while it walks the rows). A cell that
holds several values separates them with ``|`` (`SEPARATOR`); ``clé=valeur`` pairs (eligibility,
requirements) use the field names of maillage's import format, with ``true``/``false`` and whole
numbers as such. An empty cell means « not set ». Labels stay in French, as they are shown.

- ``profiles.csv``: how the partners of one kind look — name prefix, description, publics and
  thematiques (data·inclusion codes), opening hours to choose from (OSM syntax), capacity range,
  whether free places are published, eligibility, named after their commune or invented, one
  SIREN shared by all sites (national networks).
- ``communes.csv``: the communes the scenario names (code INSEE); ``required`` ones must be given.
- ``placements.csv``: how many partners of each kind go to which commune, by building ``step``;
  optional name (``{commune}`` is replaced by the commune's name, ``{nom}`` by an invented name
  drawn from ``names.csv``), opening hours (several: one is drawn per partner), capacity, free
  places, a sentence added to the description; ``optional`` rows are skipped for absent communes.
- ``anchored_employers.csv``: ordinary employers placed on purpose (commune, sector), before the
  others are spread over the département in proportion to population.
- ``sectors.csv``: economic sectors of ordinary employers — NAF code, name prefixes, jobs,
  opening hours, weight in the random draw, whether they sit in a business park.
- ``jobs.csv``: jobs of ordinary employers — title, ROME code, schedules, hours per week, share
  of offers asking for a driving licence, minimal French levels to draw from (``aucun``: none).
- ``activities.csv``: activity supports by ``list`` — CDDI supports of ACI and EI, AI missions,
  temp missions (``interim``: ETTI, EATT and agencies), ESAT activities, EA jobs, and the jobs of
  each GEIQ (the list is named after it).
- ``offers.csv``: fixed opportunities by ``set`` (usually the kind that publishes them) — kind,
  contract, ROME code, hours per week, schedule, places (a range to draw from; empty: the
  default draw), duration in weeks (several: one is drawn), requirements, description.
- ``names.csv``: word lists — invented names, family names, place suffixes, streets, business
  parks, districts (to tell homonyms apart), workforce sizes.

Which partner publishes which set and how often, and who is related to whom, is the builder's
pathway logic (`service.demo.offers`, `service.demo.links`); this package only reads the tables.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Final, TypeAlias

__all__ = [
    "NO_FRENCH_LEVEL",
    "SEPARATOR",
    "Activity",
    "Job",
    "OfferTemplate",
    "Placement",
    "Profile",
    "Sector",
    "Value",
    "activities",
    "anchored_employers",
    "communes",
    "jobs",
    "names",
    "offers",
    "placements",
    "profiles",
    "required_communes",
    "sectors",
]

SEPARATOR: Final = "|"
"""Separator of the values of a multi-valued cell."""

NO_FRENCH_LEVEL: Final = "aucun"
"""In ``jobs.csv``, a draw of « no minimal French level »."""

Value: TypeAlias = bool | int | str
"""A value of a ``clé=valeur`` cell: ``true``/``false``, a whole number, or text."""


@dataclass(frozen=True, slots=True)
class Profile:
    """How partners of one kind look (``profiles.csv``); capacity in places or people."""

    kind: str
    name_prefix: str
    description: str
    publics: tuple[str, ...]
    thematiques: tuple[str, ...]
    opening_hours: tuple[str, ...]
    capacity: tuple[int, int] | None
    publishes_places: bool
    eligibility: Mapping[str, Value]
    named_after_commune: bool
    shared_siren: bool


@dataclass(frozen=True, slots=True)
class Job:
    """A job of ordinary employers (``jobs.csv``); hours per week, licence share in [0, 1]."""

    job: str
    title: str
    rome: str
    schedules: tuple[str, ...]
    hours: tuple[float, float]
    driving_licence_share: float
    min_french_levels: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Sector:
    """An economic sector of ordinary employers (``sectors.csv``)."""

    sector: str
    naf: str
    name_prefixes: tuple[str, ...]
    jobs: tuple[Job, ...]
    opening_hours: str
    weight: int
    business_park: bool


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity support, mission or job of a list of ``activities.csv``."""

    title: str
    rome: str
    schedule: str
    min_french_level: str | None
    driving_licence_share: float


@dataclass(frozen=True, slots=True)
class OfferTemplate:
    """A fixed opportunity of ``offers.csv``; hours per week, places, duration in weeks."""

    title: str
    opportunity_kind: str
    contract: str | None
    rome: str | None
    hours: tuple[float, float] | None
    schedule: str | None
    places: tuple[int, int] | None
    weeks: tuple[int, ...]
    requirements: Mapping[str, Value]
    description: str | None


@dataclass(frozen=True, slots=True)
class Placement:
    """``count`` partners of ``kind`` in the commune ``code_insee`` (``placements.csv``)."""

    kind: str
    code_insee: str
    count: int
    isolated: bool
    optional: bool
    name: str | None
    opening_hours: tuple[str, ...]
    capacity: int | None
    available_places: int | None
    description_extra: str | None


# --- the tables ------------------------------------------------------------------------------


@cache
def profiles() -> Mapping[str, Profile]:
    """Profiles by kind code, in the order of ``profiles.csv``."""
    table = "profiles.csv"
    result: dict[str, Profile] = {}
    for line, row in _rows(table):
        kind = row["kind"]
        low, high = _int_or_none(table, line, row["capacity_min"]), row["capacity_max"]
        result[kind] = Profile(
            kind=kind,
            name_prefix=row["name_prefix"],
            description=row["description"],
            publics=_split(row["publics"]),
            thematiques=_split(row["thematiques"]),
            opening_hours=_split(row["opening_hours"]),
            capacity=None if low is None else (low, _int(table, line, high)),
            publishes_places=_bool(table, line, row["publishes_places"]),
            eligibility=_pairs(table, line, row["eligibility"]),
            named_after_commune=_bool(table, line, row["named_after_commune"]),
            shared_siren=_bool(table, line, row["shared_siren"]),
        )
    return MappingProxyType(result)


@cache
def communes() -> Mapping[str, str]:
    """Code INSEE of each commune the tables name, by its name in ``communes.csv``."""
    return MappingProxyType({row["commune"]: row["code_insee"] for _, row in _rows("communes.csv")})


@cache
def required_communes() -> tuple[str, ...]:
    """Codes INSEE of the communes without which the scenario cannot be built."""
    table = "communes.csv"
    return tuple(
        row["code_insee"] for line, row in _rows(table) if _bool(table, line, row["required"])
    )


@cache
def placements(step: str) -> tuple[Placement, ...]:
    """The rows of ``placements.csv`` for one building ``step``, in file order."""
    table = "placements.csv"
    result = tuple(
        Placement(
            kind=row["kind"],
            code_insee=_commune_code(table, line, row["commune"]),
            count=_int(table, line, row["count"]),
            isolated=_bool(table, line, row["isolated"] or "false"),
            optional=_bool(table, line, row["optional"] or "false"),
            name=row["name"] or None,
            opening_hours=_split(row["opening_hours"]),
            capacity=_int_or_none(table, line, row["capacity"]),
            available_places=_int_or_none(table, line, row["available_places"]),
            description_extra=row["description_extra"] or None,
        )
        for line, row in _rows(table)
        if row["step"] == step
    )
    if not result:
        raise _corrupt(table, 0, f"aucune ligne pour l'étape « {step} »")
    return result


@cache
def anchored_employers() -> tuple[tuple[str, str], ...]:
    """(code INSEE, sector code) of the employers placed on purpose, in file order."""
    table = "anchored_employers.csv"
    return tuple(
        (_commune_code(table, line, row["commune"]), row["sector"]) for line, row in _rows(table)
    )


@cache
def jobs() -> Mapping[str, Job]:
    """Jobs of ordinary employers by code, in the order of ``jobs.csv``."""
    table = "jobs.csv"
    result: dict[str, Job] = {}
    for line, row in _rows(table):
        levels = _split(row["min_french_levels"])
        result[row["job"]] = Job(
            job=row["job"],
            title=row["title"],
            rome=row["rome"],
            schedules=_split(row["schedules"]),
            hours=(_float(table, line, row["hours_min"]), _float(table, line, row["hours_max"])),
            driving_licence_share=_float(table, line, row["driving_licence_share"] or "0"),
            min_french_levels=tuple(
                None if level == NO_FRENCH_LEVEL else level for level in levels
            ),
        )
    return MappingProxyType(result)


@cache
def sectors() -> Mapping[str, Sector]:
    """Sectors of ordinary employers by code, in the order of ``sectors.csv``."""
    table = "sectors.csv"
    known = jobs()
    result: dict[str, Sector] = {}
    for line, row in _rows(table):
        unknown = [job for job in _split(row["jobs"]) if job not in known]
        if unknown:
            raise _corrupt(table, line, f"métier absent de jobs.csv : {', '.join(unknown)}")
        result[row["sector"]] = Sector(
            sector=row["sector"],
            naf=row["naf"],
            name_prefixes=_split(row["name_prefixes"]),
            jobs=tuple(known[job] for job in _split(row["jobs"])),
            opening_hours=row["opening_hours"],
            weight=_int(table, line, row["weight"]),
            business_park=_bool(table, line, row["business_park"]),
        )
    return MappingProxyType(result)


@cache
def activities(name: str) -> tuple[Activity, ...]:
    """The activities of one list of ``activities.csv``, in file order."""
    table = "activities.csv"
    result = tuple(
        Activity(
            title=row["title"],
            rome=row["rome"],
            schedule=row["schedule"],
            min_french_level=row["min_french_level"] or None,
            driving_licence_share=_float(table, line, row["driving_licence_share"] or "0"),
        )
        for line, row in _rows(table)
        if row["list"] == name
    )
    if not result:
        raise _corrupt(table, 0, f"aucune activité dans la liste « {name} »")
    return result


@cache
def offers(name: str) -> tuple[OfferTemplate, ...]:
    """The opportunities of one set of ``offers.csv``, in file order."""
    table = "offers.csv"
    result = tuple(_offer(table, line, row) for line, row in _rows(table) if row["set"] == name)
    if not result:
        raise _corrupt(table, 0, f"aucune offre dans l'ensemble « {name} »")
    return result


@cache
def names(name: str) -> tuple[str, ...]:
    """The words of one list of ``names.csv``, in file order."""
    result = tuple(row["value"] for _, row in _rows("names.csv") if row["list"] == name)
    if not result:
        raise _corrupt("names.csv", 0, f"liste vide « {name} »")
    return result


# --- reading ---------------------------------------------------------------------------------


@cache
def _rows(table: str) -> tuple[tuple[int, Mapping[str, str]], ...]:
    """(line number, row keyed by the header) of a catalogue file; missing cells read as ``""``."""
    text = files(__name__).joinpath(table).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return tuple(
        (reader.line_num, MappingProxyType({key: value or "" for key, value in row.items()}))
        for row in reader
    )


def _offer(table: str, line: int, row: Mapping[str, str]) -> OfferTemplate:
    hours_min, places_min = row["hours_min"], row["places_min"]
    return OfferTemplate(
        title=row["title"],
        opportunity_kind=row["opportunity_kind"],
        contract=row["contract"] or None,
        rome=row["rome"] or None,
        hours=(
            (_float(table, line, hours_min), _float(table, line, row["hours_max"]))
            if hours_min
            else None
        ),
        schedule=row["schedule"] or None,
        places=(
            (_int(table, line, places_min), _int(table, line, row["places_max"]))
            if places_min
            else None
        ),
        weeks=tuple(_int(table, line, weeks) for weeks in _split(row["weeks"])),
        requirements=_pairs(table, line, row["requirements"]),
        description=row["description"] or None,
    )


def _split(cell: str) -> tuple[str, ...]:
    return tuple(value.strip() for value in cell.split(SEPARATOR)) if cell else ()


def _pairs(table: str, line: int, cell: str) -> Mapping[str, Value]:
    """``clé=valeur|clé=valeur`` as a mapping, in the cell's order."""
    pairs: dict[str, Value] = {}
    for item in _split(cell):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _corrupt(table, line, f"« {item} » n'est pas de la forme clé=valeur")
        pairs[key] = _value(value)
    return MappingProxyType(pairs)


def _value(text: str) -> Value:
    if text in ("true", "false"):
        return text == "true"
    return int(text) if text.isdigit() else text


def _commune_code(table: str, line: int, name: str) -> str:
    try:
        return communes()[name]
    except KeyError:
        raise _corrupt(table, line, f"commune absente de communes.csv : « {name} »") from None


def _bool(table: str, line: int, cell: str) -> bool:
    if cell not in ("true", "false"):
        raise _corrupt(table, line, f"« {cell} » au lieu de true ou false")
    return cell == "true"


def _int(table: str, line: int, cell: str) -> int:
    try:
        return int(cell)
    except ValueError:
        raise _corrupt(table, line, f"« {cell} » n'est pas un nombre entier") from None


def _int_or_none(table: str, line: int, cell: str) -> int | None:
    return _int(table, line, cell) if cell else None


def _float(table: str, line: int, cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise _corrupt(table, line, f"« {cell} » n'est pas un nombre") from None


def _corrupt(table: str, line: int, problem: str) -> RuntimeError:
    where = f"service/demo/catalogue/{table}" + (f", ligne {line}" if line else "")
    return RuntimeError(f"catalogue de la démo incohérent ({where}) : {problem}")
