"""Matching: the opportunities a person can reach, explained, with the supports that open them.

"Emploi d'abord" (domain.md §3): start from the person's wishes, cross them with the territory's
offer, show every obstacle with the partner who can lift it, and never drop an opportunity for
a "frein". Only the legal conditions of `graph.eligibility` exclude; every exclusion is counted
and explained.

How a request is answered (`match`)
-----------------------------------
1. **Wished kinds** — the kinds of opportunity the person asked for (all when none given).
2. **Legal conditions** (`graph.eligibility`) — work authorisation, TAPAJ and youth-programme
   ages, CDAPH orientation for ESAT, RQTH for EA/EATT, IAE criteria for SIAE hires. ``FAIL``
   excludes (counted in `MatchResult.exclusions`), ``CHECK`` keeps the offer with an obstacle
   saying what must be checked and who can check it.
3. **Travel** — one call of the `TravelTimes` callable per mode of the person, covering every
   partner site offering a wished kind (offers share their partner's site) and every support
   site. An offer is reachable when some mode reaches it within that mode's budget; the mode
   with the smallest ``minutes / max_minutes`` is reported. Offers no mode reaches are not
   proposed; when a car would reach them and the person has none, they are counted in a
   mobility support (one more call, by car).
4. **Childcare chain** — when the person has children under 3, the trip is home → crèche →
   work through the best crèche with a free place and opening hours that cover the job's
   (AVIP first, then micro-crèches d'insertion, then other crèches; nearest first): per mode,
   the 3 best such crèches in reach and the nearest one are tried, one call each from the
   crèche to every partner, adding `DROP_OFF_MINUTES` at the crèche.
5. **Score** — ``score = 0.35 wish + 0.25 travel + 0.15 hours + 0.15 places + 0.10 warm``
   (see `WEIGHTS` and `ScoreWeights`), every component in [0, 1] and returned with the item.
6. **Diversity** — at most ``per_employer`` items per employer; offers matching a wish before
   the others; kinds mixed by a penalty of 0.03 per item of the same kind already taken;
   ties broken by score, then minutes, then opportunity id.
7. **Explanations** — reasons, obstacles with the nearest reachable supports, pathways the
   situation opens (PHC, TAPAJ, Convergence, AAVA, French, MDPH), and a summary of supports.

Everything is vectorised over column arrays: prepare the offer set once with
`OfferTable.from_offers` and the support sites with `SupportTable.from_sites`, keep them in
memory, and pass them to every request. Coordinates are EPSG:4326 longitude/latitude in
degrees, times in minutes, working time in hours per week. Nothing is stored or logged: the
profile lives for one call.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Final, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from graph import vocabulary
from graph.assignment import assign
from graph.eligibility import (
    Conditions,
    IaeVerdict,
    Situation,
    Verdict,
    age_verdict,
    avip_verdict,
    conditions_of,
    esat_verdict,
    iae_verdict,
    is_language_course,
    rqth_verdict,
    work_authorization_verdict,
)
from graph.models import (
    CONTRACTS,
    OPPORTUNITY_KINDS,
    Eligibility,
    HoursPerWeek,
    Latitude,
    Longitude,
    OpeningHours,
    OpportunityKind,
    RomeCode,
)
from graph.validation import FRENCH_LEVELS, french_level_rank, has_atypical_hours

__all__ = [
    "DROP_OFF_MINUTES",
    "MODES",
    "WEIGHTS",
    "BatchPerson",
    "BatchResult",
    "Components",
    "Exclusion",
    "MatchItem",
    "MatchResult",
    "Mode",
    "Obstacle",
    "ObstacleKind",
    "Offer",
    "OfferTable",
    "OpportunityView",
    "PartnerSite",
    "PartnerView",
    "Pathway",
    "Profile",
    "RelationIndex",
    "ScoreWeights",
    "SiteRef",
    "SupportNeed",
    "SupportTable",
    "TravelMode",
    "TravelTimes",
    "Trip",
    "Wishes",
    "match",
    "match_batch",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Mode = Literal["walk", "bike", "transit", "car"]
MODES: Final[tuple[Mode, ...]] = ("walk", "bike", "transit", "car")
_MODE_LABELS: Final[Mapping[str, str]] = {
    "walk": "à pied",
    "bike": "à vélo",
    "transit": "en transports en commun",
    "car": "en voiture",
}

ObstacleKind = Literal[
    "garde-enfants", "mobilite", "langue", "droits", "sante", "logement", "administratif",
    "horaires",
]  # fmt: skip
"""What an obstacle is about; each comes with the partners that can lift it."""

TravelTimes = Callable[[str, tuple[float, float], FloatArray], tuple[FloatArray, BoolArray]]
"""Travel times the service provides: ``(mode, (lon, lat), destinations) → (minutes, estimated)``.

``destinations`` is an ``(n, 2)`` array of EPSG:4326 lon/lat; ``minutes`` has shape ``(n,)``,
``inf`` (or ``nan``) when unreachable; ``estimated`` flags the times that are straight-line
estimates rather than network times. One call covers every destination of one origin.
"""

DROP_OFF_MINUTES: Final = 5.0
"""Minutes spent at the crèche to leave the child, added to a home → crèche → work trip."""

_DEFAULT_CRECHE_HOURS: Final = "Mo-Fr 07:30-18:30"  # assumed when a crèche publishes none


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the score components; they sum to 1 so that the score lies in [0, 1].

    Attributes
    ----------
    wish : float
        Fit with the wishes (ROME codes, keywords): first, as "emploi d'abord" starts there.
    travel : float
        ``1 - minutes / max_minutes`` of the reported trip: closer is easier to hold.
    hours : float
        Weekly hours against the wished range.
    places : float
        Open places (1), unknown (0.5), none for now (0).
    warm : float
        The referent structure already works with the partner: a warm introduction.
    """

    wish: float = 0.35
    travel: float = 0.25
    hours: float = 0.15
    places: float = 0.15
    warm: float = 0.10

    def __post_init__(self) -> None:
        total = self.wish + self.travel + self.hours + self.places + self.warm
        if not math.isclose(total, 1.0) or min(self.as_tuple()) < 0:
            raise ValueError("les poids du score doivent être positifs et de somme 1")

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """``(wish, travel, hours, places, warm)``."""
        return (self.wish, self.travel, self.hours, self.places, self.warm)


WEIGHTS: Final = ScoreWeights()
"""The weights used by `match`: wish 0.35, travel 0.25, hours 0.15, places 0.15, warm 0.10."""


# --- input records -------------------------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class TravelMode(_Record):
    """A way the person travels, with the longest trip they accept, in minutes."""

    mode: Mode
    max_minutes: float = Field(gt=0, le=240, allow_inf_nan=False, description="minutes")


def _unique_modes(modes: list[TravelMode]) -> list[TravelMode]:
    if len({m.mode for m in modes}) != len(modes):
        raise ValueError("chaque mode de déplacement ne peut figurer qu'une fois")
    return modes


class Wishes(_Record):
    """What the person would like to do.

    Attributes
    ----------
    rome_codes : list of str
        Wished jobs (ROME codes, e.g. ``D1106``); related codes count partly.
    kinds : list of str
        Kinds of opportunity wanted (``emploi``, ``immersion``, ``formation``, ``benevolat``,
        ``programme``); empty means all. A choice of the person, not a legal filter.
    keywords : str, optional
        Free words looked for in titles (accents and case ignored).
    """

    rome_codes: list[RomeCode] = Field(default_factory=list, max_length=20)
    kinds: list[OpportunityKind] = Field(default_factory=list)
    keywords: str | None = Field(None, max_length=200)


class Profile(_Record):
    """One person's request: where from, how, what for, and what is known of the situation.

    Attributes
    ----------
    lon, lat : float
        Origin of the trips, EPSG:4326 degrees (home, or the referent structure).
    referent_id : str, optional
        The person's referent structure (partner id): its relations make warm introductions.
    modes : list of TravelMode
        Ways of travelling (1 to 4, each once), each with its own budget in minutes.
    wishes : Wishes
    hours_per_week : graph.models.HoursPerWeek, optional
        Wished working time, in hours per week.
    available : str, optional
        When the person is available, OSM ``opening_hours`` syntax (``Mo-Fr 08:30-16:30``).
    situation : graph.eligibility.Situation
    limit : int
        Number of items wanted (1 to 100).
    """

    lon: Longitude
    lat: Latitude
    referent_id: str | None = Field(None, max_length=200)
    modes: Annotated[list[TravelMode], AfterValidator(_unique_modes)] = Field(
        min_length=1, max_length=len(MODES)
    )
    wishes: Wishes = Field(default_factory=Wishes)
    hours_per_week: HoursPerWeek | None = None
    available: OpeningHours | None = None
    situation: Situation = Field(default_factory=Situation)
    limit: int = Field(20, ge=1, le=100)


@dataclass(frozen=True, slots=True)
class PartnerSite:
    """A partner's site: the place of an offer, or a support that lifts an obstacle.

    This is the "support site" of the matching: a crèche, a mobility platform, a language
    platform, the MDPH... and also the partner carrying an offer.

    Attributes
    ----------
    id, name, kind : str
        Partner id, name, kind code (`graph.vocabulary.kinds`).
    lon, lat : float
        EPSG:4326 degrees.
    thematiques : tuple of str
        data·inclusion thematiques of its services.
    available_places, capacity : int, optional
        Free places and capacity; ``None`` when not published.
    opening_hours : str, optional
        OSM ``opening_hours``; for a crèche, when children can be left there.
    eligibility : graph.models.Eligibility
        Conditions the partner sets (merged into its offers' requirements).
    organisation_id : str, optional
        Managing organisation; sites of one organisation count as one employer for diversity.
    """

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    thematiques: tuple[str, ...] = ()
    available_places: int | None = None
    capacity: int | None = None
    opening_hours: str | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)
    organisation_id: str | None = None

    @property
    def family(self) -> str:
        """Family code of the kind (`graph.vocabulary.family_of`)."""
        return vocabulary.family_of(self.kind)


@dataclass(frozen=True, slots=True)
class Offer:
    """An opportunity and the partner offering it.

    Attributes
    ----------
    id, title : str
    kind : str
        ``emploi``, ``immersion``, ``formation``, ``benevolat`` or ``programme``.
    partner : PartnerSite
    contract, rome_code : str, optional
    hours_min, hours_max : float, optional
        Working time, hours per week.
    schedule : str, optional
        When the work happens, OSM ``opening_hours``.
    atypical_hours : bool, optional
        "Horaires décalés"; computed from ``schedule`` when ``None``.
    places : int, optional
        Open places; ``None`` when unknown (then the partner's ``available_places``).
    requirements : graph.models.Eligibility
        What the offer states; the partner's eligibility fills the fields left ``None``.
    """

    id: str
    title: str
    kind: str
    partner: PartnerSite
    contract: str | None = None
    rome_code: str | None = None
    hours_min: float | None = None
    hours_max: float | None = None
    schedule: str | None = None
    atypical_hours: bool | None = None
    places: int | None = None
    requirements: Eligibility = field(default_factory=Eligibility)


# --- weekly schedules ----------------------------------------------------------------------------

# The reference week of graph.validation: Monday 4 to Monday 11 March 2024, no holiday, no clock
# change; wall-clock local times, hence naive datetimes.
_WEEK_START: Final = datetime(2024, 3, 4)  # noqa: DTZ001
_WEEK_END: Final = _WEEK_START + timedelta(days=7)
_SLOT_MINUTES: Final = 15
_SLOTS: Final = 7 * 24 * 60 // _SLOT_MINUTES
_SLOT_HOURS: Final = _SLOT_MINUTES / 60


@lru_cache(maxsize=8192)
def _week_slots(expression: str) -> BoolArray:
    """Quarter-hours of the reference week during which ``expression`` is open, shape (672,).

    A quarter-hour partly open counts as open. Raises ``ValueError`` on invalid syntax.
    """
    import opening_hours

    if not opening_hours.validate(expression):
        raise ValueError(f"horaires invalides : « {expression} »")
    slots = np.zeros(_SLOTS, dtype=bool)
    schedule = opening_hours.OpeningHours(expression)
    for start, end, state, _comment in schedule.intervals(_WEEK_START, _WEEK_END):
        if state != opening_hours.State.OPEN:
            continue
        first = (max(start, _WEEK_START) - _WEEK_START).total_seconds() / 60
        last = (min(end, _WEEK_END) - _WEEK_START).total_seconds() / 60
        slots[int(first // _SLOT_MINUTES) : math.ceil(last / _SLOT_MINUTES)] = True
    slots.setflags(write=False)
    return slots


# --- text ----------------------------------------------------------------------------------------

_STOPWORDS: Final = frozenset(
    {"les", "des", "une", "aux", "avec", "pour", "dans", "sur", "par", "est", "pas", "qui"}
)
_TOKEN: Final = re.compile(r"[a-z0-9]+")


def _fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def _keywords(text: str | None) -> list[str]:
    """Search tokens of free text: folded, 3 letters or more, stop words out, deduplicated."""
    if not text:
        return []
    tokens = _TOKEN.findall(_fold(text))
    return list(dict.fromkeys(t for t in tokens if len(t) >= 3 and t not in _STOPWORDS))


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _hours_text(low: float, high: float) -> str:
    return f"{low:g} h" if low == high else f"{low:g} à {high:g} h"


# --- relations -----------------------------------------------------------------------------------


class RelationIndex:
    """Undirected adjacency of partner relations, built once and shared by requests.

    Parameters
    ----------
    pairs : iterable of (str, str)
        Relations as (source id, target id); the direction and the kind do not matter for a
        warm introduction.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        adjacency: dict[str, set[str]] = defaultdict(set)
        for source, target in pairs:
            adjacency[source].add(target)
            adjacency[target].add(source)
        self._adjacency: dict[str, frozenset[str]] = {
            key: frozenset(values) for key, values in adjacency.items()
        }

    def neighbours(self, partner_id: str) -> frozenset[str]:
        """Partners related to ``partner_id`` in either direction."""
        return self._adjacency.get(partner_id, frozenset())


Relations = RelationIndex | Collection[tuple[str, str]]


# --- support sites -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Need:
    """Which sites address a need, in tiers of preference: (kinds or None, thematique or None)."""

    tiers: tuple[tuple[frozenset[str] | None, str | None], ...]
    with_places: bool = False


def _tier(*kinds: str, thematique: str | None = None) -> tuple[frozenset[str] | None, str | None]:
    return (frozenset(kinds) if kinds else None, thematique)


_FRENCH_THEME: Final = "lecture-ecriture-calcul--maitriser-le-francais"
_NEEDS: Final[Mapping[str, _Need]] = {
    "creche": _Need(
        (
            _tier("creches-avip"),
            _tier("micro-creche-insertion"),
            _tier("creche"),
            _tier(thematique="famille--garde-denfants"),
        ),
        with_places=True,
    ),
    "permis": _Need(
        (
            _tier("auto-ecole-sociale"),
            _tier(thematique="mobilite--preparer-un-permis"),
            _tier("plateforme-mobilite", "wimoov", "mobin"),
        ),
    ),
    "mobilite": _Need(
        (
            _tier("plateforme-mobilite", "wimoov", "mobin"),
            _tier(thematique="mobilite--etre-accompagne-dans-son-parcours-mobilite"),
        ),
    ),
    "vehicule": _Need(
        (_tier("garage-solidaire"), _tier(thematique="mobilite--acceder-a-un-vehicule")),
    ),
    "langue": _Need(
        (
            _tier("plateforme-linguistique"),
            _tier("organisme-formation", "afpa", thematique=_FRENCH_THEME),
        ),
    ),
    "droits": _Need(
        (_tier("france-service", "points-justice"), _tier("ccas-cias", "caf")),
    ),
    "diagnostic-iae": _Need(
        (
            _tier("france-travail", "mission-locale", "cap-emploi-reseau-cheops"),
            _tier("plie", "spip"),
        ),
    ),
    "mdph": _Need(
        (_tier("mdph"), _tier(thematique="sante--constituer-un-dossier-mdph-invalidite")),
    ),
    "addictions": _Need((_tier("csapa", "caarud"),)),
    "logement": _Need((_tier("siao"), _tier("accueil-de-jour", "chu"))),
    "phc": _Need((_tier("phc"),)),
    "tapaj": _Need((_tier("tapaj"),)),
    "cvg": _Need((_tier("cvg"),)),
    "aava": _Need((_tier("aava"),)),
}


class SupportTable:
    """Support sites as column arrays, prepared once and shared by requests.

    Only the sites that address one of the needs of the matching (crèches, mobility, French,
    rights, IAE diagnosis, MDPH, addiction care, housing, PHC/TAPAJ/Convergence/AAVA carriers)
    are kept; the others are ignored.

    Parameters
    ----------
    sites : sequence of PartnerSite
        Typically every partner of the territory; duplicates (same id) keep the first.
    """

    def __init__(self, sites: Sequence[PartnerSite]) -> None:
        first: dict[str, PartnerSite] = {}
        for site in sites:
            first.setdefault(site.id, site)
        unique = list(first.values())
        tiers = {key: _site_tiers(unique, need) for key, need in _NEEDS.items()}
        useful = np.zeros(len(unique), dtype=bool)
        for tier in tiers.values():
            useful |= tier >= 0
        keep = np.flatnonzero(useful)
        self.sites: tuple[PartnerSite, ...] = tuple(unique[i] for i in keep)
        self.xy: FloatArray = np.array(
            [(s.lon, s.lat) for s in self.sites], dtype=np.float64
        ).reshape(-1, 2)
        self.places: FloatArray = np.array(
            [np.nan if s.available_places is None else s.available_places for s in self.sites],
            dtype=np.float64,
        )
        self.tiers: dict[str, IntArray] = {key: tier[keep] for key, tier in tiers.items()}

    @classmethod
    def from_sites(cls, sites: Sequence[PartnerSite]) -> Self:
        """Prepare support sites once; see the class docstring."""
        return cls(sites)

    def __len__(self) -> int:
        return len(self.sites)


def _site_tiers(sites: Sequence[PartnerSite], need: _Need) -> IntArray:
    """Tier of each site for ``need`` (0 is preferred), ``-1`` when it does not address it."""
    result = np.full(len(sites), -1, dtype=np.int64)
    for index, site in enumerate(sites):
        for rank, (kinds, thematique) in enumerate(need.tiers):
            if (kinds is None or site.kind in kinds) and (
                thematique is None or thematique in site.thematiques
            ):
                result[index] = rank
                break
    return result


# --- the offer table -----------------------------------------------------------------------------

_KIND_CODES: Final[tuple[str, ...]] = tuple(OPPORTUNITY_KINDS)
_CONTRACT_CODES: Final[tuple[str, ...]] = tuple(CONTRACTS)
_PATHWAY_CONTRACTS: Final[tuple[str, ...]] = ("phc", "tapaj", "cvg", "aava")
_NO_AGE: Final = np.nan
_COVERED_CACHE: Final = 1024


class OfferTable:
    """Offers as column arrays, prepared once and reused by every request.

    Building costs about as much as reading the offers (a second for 50,000); a request then
    works on numpy arrays only. Legal conditions (`graph.eligibility.conditions_of`) are
    decided here, once per offer, with the partner's eligibility filling what the offer leaves
    unstated.

    Parameters
    ----------
    offers : sequence of Offer
        Offers with their partners; a partner shared by several offers is located once.

    Raises
    ------
    ValueError
        If an offer's kind is unknown or its schedule is not valid ``opening_hours`` syntax.
    """

    def __init__(self, offers: Sequence[Offer]) -> None:
        self.offers: tuple[Offer, ...] = tuple(offers)
        self._covered: dict[str, FloatArray] = {}
        self._index_partners()
        self._index_offers()
        self._index_conditions()
        self._index_rome()
        self._index_schedules()
        self._index_text()

    @classmethod
    def from_offers(cls, offers: Sequence[Offer]) -> Self:
        """Prepare an offer set once; see the class docstring."""
        return cls(offers)

    def __len__(self) -> int:
        return len(self.offers)

    # preparation steps

    def _index_partners(self) -> None:
        index: dict[str, int] = {}
        partners: list[PartnerSite] = []
        of_offer = np.empty(len(self.offers), dtype=np.int64)
        for position, offer in enumerate(self.offers):
            known = index.get(offer.partner.id)
            if known is None:
                known = index[offer.partner.id] = len(partners)
                partners.append(offer.partner)
            of_offer[position] = known
        self.partners: tuple[PartnerSite, ...] = tuple(partners)
        self.partner_index: dict[str, int] = index
        self.offer_partner: IntArray = of_offer
        self.partner_xy: FloatArray = np.array(
            [(p.lon, p.lat) for p in partners], dtype=np.float64
        ).reshape(-1, 2)
        groups: dict[str, int] = {}
        self.partner_group: IntArray = np.array(
            [groups.setdefault(p.organisation_id or p.id, len(groups)) for p in partners],
            dtype=np.int64,
        )
        members: dict[str, list[int]] = defaultdict(list)
        for position, partner in enumerate(partners):
            if partner.organisation_id:
                members[partner.organisation_id].append(position)
        self.organisation_members: dict[str, list[int]] = dict(members)

    def _index_offers(self) -> None:
        n = len(self.offers)
        kinds = {code: i for i, code in enumerate(_KIND_CODES)}
        contracts = {code: i for i, code in enumerate(_CONTRACT_CODES)}
        self.kind: IntArray = np.empty(n, dtype=np.int64)
        self.contract: IntArray = np.full(n, -1, dtype=np.int64)
        self.hours_min: FloatArray = np.full(n, np.nan)
        self.hours_max: FloatArray = np.full(n, np.nan)
        self.places: FloatArray = np.full(n, np.nan)
        for i, offer in enumerate(self.offers):
            if offer.kind not in kinds:
                raise ValueError(f"type d'opportunité inconnu : « {offer.kind} » ({offer.id})")
            self.kind[i] = kinds[offer.kind]
            if offer.contract is not None:
                self.contract[i] = contracts.get(offer.contract, -1)
            low = offer.hours_min if offer.hours_min is not None else offer.hours_max
            high = offer.hours_max if offer.hours_max is not None else offer.hours_min
            if low is not None and high is not None:
                self.hours_min[i], self.hours_max[i] = low, high
            places = offer.places if offer.places is not None else offer.partner.available_places
            if places is not None:
                self.places[i] = places
        ids = [offer.id for offer in self.offers]
        self.id_rank: IntArray = np.empty(n, dtype=np.int64)
        self.id_rank[np.array(sorted(range(n), key=ids.__getitem__), dtype=np.int64)] = np.arange(n)
        self.kind_counts: IntArray = np.bincount(self.kind, minlength=len(_KIND_CODES))
        # Which kinds each partner offers, and which partners carry a pathway programme.
        self.partner_kinds: BoolArray = np.zeros((len(self.partners), len(_KIND_CODES)), bool)
        self.partner_kinds[self.offer_partner, self.kind] = True
        self.carriers: dict[str, IntArray] = {
            contract: np.unique(
                self.offer_partner[self.contract == _CONTRACT_CODES.index(contract)]
            )
            for contract in _PATHWAY_CONTRACTS
        }
        self.pathway_partners: BoolArray = np.zeros(len(self.partners), dtype=bool)
        for carriers in self.carriers.values():
            self.pathway_partners[carriers] = True

    def _index_conditions(self) -> None:
        """Requirements merged with the partner's eligibility, and the legal conditions."""
        n = len(self.offers)
        self.french: IntArray = np.full(n, -1, dtype=np.int64)
        self.licence: BoolArray = np.zeros(n, dtype=bool)
        conditions: list[Conditions] = []
        for i, offer in enumerate(self.offers):
            merged = _merged(offer.requirements, offer.partner.eligibility)
            if merged.min_french_level is not None:
                self.french[i] = french_level_rank(merged.min_french_level)
            self.licence[i] = merged.requires_driving_licence is True
            conditions.append(
                conditions_of(
                    kind=offer.kind,
                    contract=offer.contract,
                    partner_kind=offer.partner.kind,
                    requirements=merged,
                    title=offer.title,
                    rome_code=offer.rome_code,
                )
            )
        self.conditions: tuple[Conditions, ...] = tuple(conditions)
        sets: dict[Conditions, int] = {}
        self.condition_id: IntArray = np.array(
            [sets.setdefault(c, len(sets)) for c in conditions], dtype=np.int64
        )
        self.condition_sets: tuple[Conditions, ...] = tuple(sets)
        self.language_course: BoolArray = np.array(
            [
                is_language_course(o.kind, o.title, o.rome_code, o.partner.kind, o.contract)
                for o in self.offers
            ],
            dtype=bool,
        )

    def _index_rome(self) -> None:
        n = len(self.offers)
        rome_full: dict[str, int] = {}
        rome_group: dict[str, int] = {}
        rome_domain: dict[str, int] = {}
        self.rome_full: IntArray = np.full(n, -1, dtype=np.int64)
        self.rome_group: IntArray = np.full(n, -1, dtype=np.int64)
        self.rome_domain: IntArray = np.full(n, -1, dtype=np.int64)
        for i, offer in enumerate(self.offers):
            if offer.rome_code:
                code = offer.rome_code.upper()
                self.rome_full[i] = rome_full.setdefault(code, len(rome_full))
                self.rome_group[i] = rome_group.setdefault(code[:3], len(rome_group))
                self.rome_domain[i] = rome_domain.setdefault(code[:1], len(rome_domain))
        self._rome_codes = (rome_full, rome_group, rome_domain)

    def _index_schedules(self) -> None:
        codes: dict[str, int] = {}
        self.schedule: IntArray = np.full(len(self.offers), -1, dtype=np.int64)
        for i, offer in enumerate(self.offers):
            if offer.schedule:
                self.schedule[i] = codes.setdefault(offer.schedule, len(codes))
        self.schedule_texts: tuple[str, ...] = tuple(codes)
        try:
            rows = [_week_slots(text) for text in self.schedule_texts]
        except ValueError as error:
            raise ValueError(f"horaires d'offre invalides : {error}") from None
        self.schedule_slots: FloatArray = (
            np.array(rows, dtype=np.float64) if rows else np.zeros((0, _SLOTS))
        )
        window = self.schedule_slots.sum(axis=1) * _SLOT_HOURS
        self.atypical: BoolArray = np.zeros(len(self.offers), dtype=bool)
        atypical_schedules = np.array([has_atypical_hours(t) for t in self.schedule_texts], bool)
        # Hours of the schedule the person (or the crèche) must cover: the weekly hours when
        # known (capped by the window), the whole window otherwise.
        self.need_hours: FloatArray = np.full(len(self.offers), np.nan)
        for i, offer in enumerate(self.offers):
            code = self.schedule[i]
            if offer.atypical_hours is not None:
                self.atypical[i] = offer.atypical_hours
            elif code >= 0:
                self.atypical[i] = atypical_schedules[code]
            if code >= 0:
                low = self.hours_min[i]
                self.need_hours[i] = window[code] if np.isnan(low) else min(low, window[code])

    def _index_text(self) -> None:
        texts: dict[str, int] = {}
        self.text: IntArray = np.empty(len(self.offers), dtype=np.int64)
        for i, offer in enumerate(self.offers):
            kind = vocabulary.kinds().get(offer.partner.kind)
            searchable = _fold(f"{offer.title} {kind.label if kind else ''}")
            self.text[i] = texts.setdefault(searchable, len(texts))
        self.texts: npt.NDArray[np.str_] = np.array(list(texts) or [""], dtype=np.str_)

    # queries used by the matcher

    def hours_covered_by(self, opening_hours: str) -> FloatArray:
        """Hours of each schedule of the table during which ``opening_hours`` is open.

        Cached per expression (crèche hours and availabilities repeat).

        Returns
        -------
        numpy.ndarray of float64, shape (len(schedule_texts),)
            Hours per week.
        """
        covered = self._covered.get(opening_hours)
        if covered is None:
            slots = _week_slots(opening_hours).astype(np.float64)
            covered = self.schedule_slots @ slots * _SLOT_HOURS
            if len(self._covered) < _COVERED_CACHE:
                self._covered[opening_hours] = covered
        return covered

    def rome_indices(self, codes: Iterable[str]) -> tuple[IntArray, IntArray, IntArray]:
        """Table indices of ROME codes, of their 3-character groups and of their domains."""
        full, group, domain = self._rome_codes
        wanted = [code.upper() for code in codes]
        return (
            np.array([full[c] for c in wanted if c in full], dtype=np.int64),
            np.array([group[c[:3]] for c in wanted if c[:3] in group], dtype=np.int64),
            np.array([domain[c[:1]] for c in wanted if c[:1] in domain], dtype=np.int64),
        )


def _merged(offer: Eligibility, partner: Eligibility) -> Eligibility:
    """The offer's requirements, with the partner's eligibility where the offer says nothing."""
    if all(getattr(partner, name) is None for name in Eligibility.model_fields):
        return offer
    values = {
        name: getattr(offer, name) if getattr(offer, name) is not None else getattr(partner, name)
        for name in Eligibility.model_fields
    }
    if (
        values["min_age"] is not None
        and values["max_age"] is not None
        and values["min_age"] > values["max_age"]
    ):
        values["min_age"], values["max_age"] = offer.min_age, offer.max_age
    return Eligibility.model_validate(values)


# --- output records ------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible plain values."""
        return self.model_dump(mode="json")


class SiteRef(_Out):
    """A partner site with the trip to it from the person's origin.

    ``reachable`` is ``False`` when no mode reaches it within its budget (then ``mode`` and
    ``minutes`` describe the quickest trip, if any): nothing is claimed reachable that is not.
    """

    id: str
    name: str
    kind: str
    mode: Mode | None = None
    minutes: float | None = Field(None, description="minutes")
    estimated: bool = False
    reachable: bool = True
    available_places: int | None = None


class Trip(_Out):
    """How the person gets to the opportunity.

    ``minutes`` is the whole trip; with children under 3 and a crèche found, it goes home →
    ``creche`` (whose ``minutes`` is the first leg) → work, including `DROP_OFF_MINUTES`.
    """

    mode: Mode
    minutes: float = Field(description="minutes")
    estimated: bool
    creche: SiteRef | None = None


class Components(_Out):
    """Score components, each in [0, 1]; the score is their weighted sum (`WEIGHTS`)."""

    wish: float
    travel: float
    hours: float
    places: float
    warm: float


class Obstacle(_Out):
    """Something to solve for this opportunity, and the nearest partners that can help."""

    kind: ObstacleKind
    code: str
    message: str
    supports: list[SiteRef] = Field(default_factory=list)


class OpportunityView(_Out):
    """The opportunity as shown in an item."""

    id: str
    title: str
    kind: str
    contract: str | None
    rome_code: str | None
    hours_min: float | None
    hours_max: float | None
    schedule: str | None
    atypical_hours: bool
    places: int | None


class PartnerView(_Out):
    """The partner offering the opportunity."""

    id: str
    name: str
    kind: str
    family: str


class MatchItem(_Out):
    """One proposal: the opportunity, why it fits, the trip, and what must be solved."""

    opportunity: OpportunityView
    partner: PartnerView
    score: float
    components: Components
    travel: Trip
    reasons: list[str]
    obstacles: list[Obstacle]


PathwayCode = Literal["phc", "tapaj", "cvg", "aava", "langue", "mdph"]
ExclusionRule = Literal[
    "autorisation-travail", "age", "orientation-cdaph", "rqth", "eligibilite-iae"
]


class Pathway(_Out):
    """A programme the situation opens, with its nearest carriers."""

    code: PathwayCode
    title: str
    message: str
    carriers: list[SiteRef]


class SupportNeed(_Out):
    """A support the proposals call for (``items`` of them), with the nearest partners."""

    kind: ObstacleKind
    code: str
    message: str
    items: int
    partners: list[SiteRef]


class Exclusion(_Out):
    """Reachable opportunities of the wished kinds excluded by a legal condition."""

    rule: ExclusionRule
    count: int
    message: str


class MatchResult(_Out):
    """The answer to one profile.

    Attributes
    ----------
    items : list of MatchItem
        Best first.
    pathways : list of Pathway
    supports : list of SupportNeed
        Supports the items call for, and those the situation calls for (housing, care,
        mobility to reach offers only a car reaches).
    exclusions : list of Exclusion
        Legal exclusions among reachable offers of the wished kinds: nothing is dropped
        silently.
    considered : int
        Offers of the wished kinds in the table.
    reachable : int
        Of those, reachable within the person's budgets and not legally excluded.
    """

    items: list[MatchItem]
    pathways: list[Pathway]
    supports: list[SupportNeed]
    exclusions: list[Exclusion]
    considered: int
    reachable: int


class BatchPerson(_Out):
    """One person of a batch: the assigned opportunity (if any) and the next best ones."""

    assigned: MatchItem | None
    alternatives: list[MatchItem]


class BatchResult(_Out):
    """Optimal assignment of a cohort (`graph.assignment.assign`), in the order of profiles."""

    persons: list[BatchPerson]
    total_score: float


# --- per-request evaluation ----------------------------------------------------------------------

_RULES: Final[tuple[ExclusionRule, ...]] = (
    "autorisation-travail",
    "age",
    "orientation-cdaph",
    "rqth",
    "eligibilite-iae",
)


@dataclass(slots=True)
class _Verdicts:
    """The situation's legal verdicts, computed once per request."""

    work: Verdict
    esat: Verdict
    rqth: Verdict
    iae: dict[int, IaeVerdict]
    avip: Verdict


@dataclass(slots=True)
class _Legal:
    """Legal verdicts per distinct set of conditions (offers share a few dozen of them).

    ``rules[c, r]`` is the verdict of rule ``_RULES[r]`` for condition set ``c`` of
    `OfferTable.condition_sets`; ``state[c]`` their maximum.
    """

    rules: IntArray
    state: IntArray

    def rule(self, table: OfferTable, index: int, rule: ExclusionRule) -> Verdict:
        return Verdict(int(self.rules[table.condition_id[index], _RULES.index(rule)]))


@dataclass(slots=True)
class _Chain:
    """Home → crèche → partner trips through one crèche by one mode, per partner."""

    mode: int
    site: int
    tier: int
    minutes: FloatArray  # (partners,)
    estimated: BoolArray


@dataclass(slots=True)
class _Reach:
    """Best trip to each of ``offers`` (over modes, and over crèches when childcare is needed).

    Every array is aligned with ``offers`` (table indices).
    """

    offers: IntArray
    minutes: FloatArray
    ratio: FloatArray
    mode: IntArray
    estimated: BoolArray
    creche: IntArray  # support-site index, -1 for a direct trip
    childcare_missing: BoolArray

    def take(self, mask: BoolArray) -> _Reach:
        """The trips of the offers selected by ``mask``."""
        return _Reach(
            offers=self.offers[mask],
            minutes=self.minutes[mask],
            ratio=self.ratio[mask],
            mode=self.mode[mask],
            estimated=self.estimated[mask],
            creche=self.creche[mask],
            childcare_missing=self.childcare_missing[mask],
        )


@dataclass(slots=True)
class _Evaluation:
    """Everything one request computed; candidates are offers kept and reachable."""

    profile: Profile
    table: OfferTable
    sites: SupportTable
    verdicts: _Verdicts
    legal: _Legal
    site_minutes: FloatArray  # (modes, sites)
    site_estimated: BoolArray
    partner_minutes: FloatArray  # (modes, partners)
    partner_estimated: BoolArray
    reach: _Reach
    candidates: IntArray
    score: FloatArray  # aligned on candidates
    components: FloatArray  # (candidates, 5)
    available_hours: FloatArray  # per schedule of the table, hours within availability
    exclusions: list[Exclusion]
    considered: int
    car_only: int = 0
    esat_wished: int = 0
    nearest_cache: dict[str, list[SiteRef]] = field(default_factory=dict)

    @property
    def budgets(self) -> FloatArray:
        return _budgets(self.profile)


def _budgets(profile: Profile) -> FloatArray:
    return np.array([m.max_minutes for m in profile.modes], dtype=np.float64)


def _evaluate(
    profile: Profile,
    table: OfferTable,
    sites: SupportTable,
    travel: TravelTimes,
    relations: RelationIndex,
) -> _Evaluation:
    """Evaluate the table for one profile: trips, legal verdicts, scores of reachable offers.

    Work proportional to the table (50,000 offers) is limited to a few vectorised gathers;
    everything else runs on the partners (thousands) or on the reachable offers.
    """
    situation = profile.situation
    verdicts = _situation_verdicts(situation)
    legal = _legal_verdicts(table, situation, verdicts)
    kinds = _wanted_kinds(profile.wishes)
    partners = _partners_to_reach(table, kinds)
    (partner_minutes, partner_estimated), (site_minutes, site_estimated) = _travel(
        profile, travel, (table.partner_xy, partners), (sites.xy, np.arange(len(sites)))
    )
    chains = []
    if (situation.children_under_3 or 0) > 0:
        pairs = _creche_candidates(sites, situation, verdicts, site_minutes, _budgets(profile))
        chains = _chains(
            profile=profile,
            table=table,
            sites=sites,
            travel=travel,
            partners=partners,
            pairs=pairs,
            site_minutes=site_minutes,
        )
        for chain in chains:
            chain.estimated |= site_estimated[chain.mode, chain.site]
    in_reach = _partners_in_reach(profile, partner_minutes, chains)
    evaluated = np.flatnonzero(kinds[table.kind] & in_reach[table.offer_partner])
    reach = _trips(
        profile=profile,
        table=table,
        sites=sites,
        evaluated=evaluated,
        minutes=partner_minutes,
        estimated=partner_estimated,
        chains=chains,
    )
    reach = reach.take(reach.ratio <= 1.0)
    state = legal.state[table.condition_id[reach.offers]]
    excluded = reach.offers[state == Verdict.FAIL]
    reach = reach.take(state < Verdict.FAIL)
    candidates = reach.offers
    warm = _warm_partners(table, profile.referent_id, relations)
    components = _components(profile, table, candidates, reach, warm)
    evaluation = _Evaluation(
        profile=profile,
        table=table,
        sites=sites,
        verdicts=verdicts,
        legal=legal,
        site_minutes=site_minutes,
        site_estimated=site_estimated,
        partner_minutes=partner_minutes,
        partner_estimated=partner_estimated,
        reach=reach,
        candidates=candidates,
        score=np.round(components @ np.array(WEIGHTS.as_tuple()), 9),
        components=components,
        available_hours=_available_hours(table, profile.available),
        exclusions=_exclusions(table, legal, excluded),
        considered=int(table.kind_counts[kinds].sum()),
    )
    evaluation.car_only = _car_only_count(evaluation, travel, kinds, partners, in_reach)
    evaluation.esat_wished = _esat_wished(evaluation, excluded)
    return evaluation


def _situation_verdicts(situation: Situation) -> _Verdicts:
    return _Verdicts(
        work=work_authorization_verdict(situation),
        esat=esat_verdict(situation),
        rqth=rqth_verdict(situation),
        iae={threshold: iae_verdict(situation, threshold) for threshold in (2, 3)},
        avip=avip_verdict(situation),
    )


def _legal_verdicts(table: OfferTable, situation: Situation, verdicts: _Verdicts) -> _Legal:
    """Verdict of each legal rule for each distinct set of conditions of the table."""
    rows = [
        (
            verdicts.work if conditions.work_authorization else Verdict.PASS,
            age_verdict(situation, conditions.min_age, conditions.max_age),
            verdicts.esat if conditions.cdaph_orientation else Verdict.PASS,
            verdicts.rqth if conditions.rqth else Verdict.PASS,
            _iae(verdicts, situation, conditions.iae_threshold).verdict,
        )
        for conditions in table.condition_sets
    ]
    rules = np.array(rows, dtype=np.int64).reshape(-1, len(_RULES))
    return _Legal(rules=rules, state=rules.max(axis=1, initial=int(Verdict.PASS)))


def _iae(verdicts: _Verdicts, situation: Situation, threshold: int) -> IaeVerdict:
    if threshold == 0:
        return IaeVerdict(Verdict.PASS, 0, (), ())
    if threshold not in verdicts.iae:
        verdicts.iae[threshold] = iae_verdict(situation, threshold)
    return verdicts.iae[threshold]


def _wanted_kinds(wishes: Wishes) -> BoolArray:
    """Mask over `OPPORTUNITY_KINDS` of the kinds asked for (all when none given)."""
    if not wishes.kinds:
        return np.ones(len(_KIND_CODES), dtype=bool)
    return np.isin(np.arange(len(_KIND_CODES)), [_KIND_CODES.index(k) for k in wishes.kinds])


_EXCLUSION_REASONS: Final[Mapping[ExclusionRule, str]] = {
    "autorisation-travail": "une autorisation de travail est exigée pour l'emploi, l'immersion "
    "et l'IAE (le bénévolat, les AAVA, l'activité en OACAS et les cours de français restent "
    "ouverts)",
    "age": "tranche d'âge réservée (TAPAJ : 16 à 25 ans ; dispositifs pour les jeunes)",
    "orientation-cdaph": "travail en ESAT, sur orientation de la CDAPH (voir le parcours "
    "« Constituer un dossier MDPH »)",
    "rqth": "postes réservés aux travailleur·ses handicapé·es reconnu·es (RQTH)",
    "eligibilite-iae": "embauches en IAE dont les critères d'éligibilité ne sont pas remplis "
    "(ni critère de niveau 1, ni assez de critères de niveau 2)",
}


def _exclusions(table: OfferTable, legal: _Legal, excluded: IntArray) -> list[Exclusion]:
    """Count, per rule, the excluded offers (reachable, of the wished kinds) it excludes.

    An offer failing two rules counts under both.
    """
    per_set = np.bincount(table.condition_id[excluded], minlength=len(table.condition_sets))
    result = []
    for column, rule in enumerate(_RULES):
        count = int(per_set[legal.rules[:, column] == Verdict.FAIL].sum())
        if count:
            heading = _plural(count, "offre à portée écartée", "offres à portée écartées")
            message = f"{heading} : {_EXCLUSION_REASONS[rule]}."
            result.append(Exclusion(rule=rule, count=count, message=message))
    return result


# travel


def _call(
    travel: TravelTimes, mode: str, origin: tuple[float, float], xy: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """One call of the travel callable, checked: ``nan`` becomes ``inf``."""
    if len(xy) == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    minutes, estimated = travel(mode, origin, xy)
    minutes = np.asarray(minutes, dtype=np.float64).reshape(-1)
    estimated = np.asarray(estimated, dtype=bool).reshape(-1)
    if minutes.shape[0] != len(xy) or estimated.shape[0] != len(xy):
        raise ValueError("temps de trajet : une valeur par destination attendue")
    return np.where(np.isnan(minutes), np.inf, minutes), estimated


def _travel(
    profile: Profile, travel: TravelTimes, *targets: tuple[FloatArray, IntArray]
) -> list[tuple[FloatArray, BoolArray]]:
    """Minutes from the origin to points, per mode: one call per mode for all the targets.

    Each target ``(xy, which)`` gets ``(minutes, estimated)`` of shape ``(modes, len(xy))``
    for the points ``xy[which]``; the other points stay at ``inf``.
    """
    origin = (profile.lon, profile.lat)
    points = np.concatenate([xy[which] for xy, which in targets]).reshape(-1, 2)
    bounds = np.cumsum([0, *(len(which) for _, which in targets)])
    results = [
        (
            np.full((len(profile.modes), len(xy)), np.inf),
            np.zeros((len(profile.modes), len(xy)), bool),
        )
        for xy, _ in targets
    ]
    for m, mode in enumerate(profile.modes):
        minutes, estimated = _call(travel, mode.mode, origin, points)
        for (_, which), (all_minutes, all_estimated), start, stop in zip(
            targets, results, bounds[:-1], bounds[1:], strict=True
        ):
            all_minutes[m, which] = minutes[start:stop]
            all_estimated[m, which] = estimated[start:stop]
    return results


def _partners_to_reach(table: OfferTable, kinds: BoolArray) -> IntArray:
    """Partners whose travel times are needed: those offering a wished kind, pathway carriers."""
    return np.flatnonzero(table.partner_kinds[:, kinds].any(axis=1) | table.pathway_partners)


def _partners_in_reach(
    profile: Profile, minutes: FloatArray, chains: Sequence[_Chain]
) -> BoolArray:
    """Partners some mode reaches within its budget, directly or through a crèche."""
    budgets = _budgets(profile)
    in_reach = np.any(minutes <= budgets[:, np.newaxis], axis=0)
    for chain in chains:
        in_reach |= chain.minutes <= budgets[chain.mode]
    return np.asarray(in_reach, dtype=bool)


def _trips(
    *,
    profile: Profile,
    table: OfferTable,
    sites: SupportTable,
    evaluated: IntArray,
    minutes: FloatArray,
    estimated: BoolArray,
    chains: Sequence[_Chain],
) -> _Reach:
    """Best trip to each evaluated offer: direct by default, through a crèche when needed.

    Direct: the mode with the smallest ``minutes / max_minutes``. With children under 3, an
    offer takes, among the chains within budget through a crèche whose opening hours cover
    the hours the offer's schedule needs, the best crèche tier (AVIP first), then the smallest
    ratio; an offer reachable directly but through no crèche keeps its direct trip, flagged
    ``childcare_missing``.
    """
    partner = table.offer_partner[evaluated]
    ratios = minutes[:, partner] / _budgets(profile)[:, np.newaxis]
    best = np.argmin(ratios, axis=0)
    columns = np.arange(len(evaluated))
    reach = _Reach(
        offers=evaluated,
        minutes=minutes[best, partner],
        ratio=ratios[best, columns],
        mode=best.astype(np.int64),
        estimated=estimated[best, partner],
        creche=np.full(len(evaluated), -1, dtype=np.int64),
        childcare_missing=np.zeros(len(evaluated), dtype=bool),
    )
    if (profile.situation.children_under_3 or 0) > 0:
        _chain_trips(profile=profile, table=table, sites=sites, chains=chains, reach=reach)
    return reach


def _chain_trips(
    *,
    profile: Profile,
    table: OfferTable,
    sites: SupportTable,
    chains: Sequence[_Chain],
    reach: _Reach,
) -> None:
    budgets = _budgets(profile)
    partner = table.offer_partner[reach.offers]
    best_tier = np.full(len(partner), np.iinfo(np.int64).max, dtype=np.int64)
    best_ratio = np.full(len(partner), np.inf)
    best_chain = np.full(len(partner), -1, dtype=np.int64)
    for number, chain in enumerate(chains):
        ratio = chain.minutes[partner] / budgets[chain.mode]
        covers = _creche_covers(table, sites.sites[chain.site], reach.offers)
        feasible = covers & (ratio <= 1.0)
        better = feasible & (
            (chain.tier < best_tier) | ((chain.tier == best_tier) & (ratio < best_ratio))
        )
        best_tier[better], best_ratio[better], best_chain[better] = (
            chain.tier,
            ratio[better],
            number,
        )
    reach.childcare_missing = best_chain < 0
    for number, chain in enumerate(chains):
        rows = np.flatnonzero(best_chain == number)
        reach.minutes[rows] = chain.minutes[partner[rows]]
        reach.ratio[rows] = best_ratio[rows]
        reach.mode[rows] = chain.mode
        reach.estimated[rows] = chain.estimated[partner[rows]]
        reach.creche[rows] = chain.site


def _creche_candidates(
    sites: SupportTable,
    situation: Situation,
    verdicts: _Verdicts,
    site_minutes: FloatArray,
    budgets: FloatArray,
) -> list[tuple[int, int]]:
    """(mode, site) pairs to try: per mode, the best crèches with a free place in reach.

    Best means crèche AVIP first, then micro-crèche d'insertion, then other crèches (their
    places are reserved for parents in insertion), nearest first within a tier:
    `_CRECHES_PER_MODE` of them, plus the nearest crèche of any tier as a fallback for hours.
    """
    tiers = sites.tiers["creche"]
    usable = (tiers >= 0) & (np.nan_to_num(sites.places, nan=0.0) > 0)
    for index in np.flatnonzero(usable):
        site = sites.sites[index]
        if not _site_open_to(site, situation) or (
            site.kind == "creches-avip" and verdicts.avip is Verdict.FAIL
        ):
            usable[index] = False
    pairs = []
    for m in range(site_minutes.shape[0]):
        ok = np.flatnonzero(usable & (site_minutes[m] + DROP_OFF_MINUTES <= budgets[m]))
        preferred = ok[np.lexsort((ok, site_minutes[m, ok], tiers[ok]))][:_CRECHES_PER_MODE]
        nearest = ok[np.lexsort((ok, site_minutes[m, ok]))][:1]
        pairs += [(m, int(site)) for site in dict.fromkeys([*preferred, *nearest])]
    return pairs


_CRECHES_PER_MODE: Final = 3


def _chains(
    *,
    profile: Profile,
    table: OfferTable,
    sites: SupportTable,
    travel: TravelTimes,
    partners: IntArray,
    pairs: Sequence[tuple[int, int]],
    site_minutes: FloatArray,
) -> list[_Chain]:
    """One travel call per (mode, crèche) pair: crèche → every needed partner."""
    chains = []
    for m, site in pairs:
        leg = np.full(len(table.partners), np.inf)
        estimated = np.zeros(len(table.partners), dtype=bool)
        origin = (float(sites.xy[site, 0]), float(sites.xy[site, 1]))
        leg[partners], estimated[partners] = _call(
            travel, profile.modes[m].mode, origin, table.partner_xy[partners]
        )
        chains.append(
            _Chain(
                mode=m,
                site=site,
                tier=int(sites.tiers["creche"][site]),
                minutes=site_minutes[m, site] + DROP_OFF_MINUTES + leg,
                estimated=estimated,
            )
        )
    return chains


def _creche_covers(table: OfferTable, creche: PartnerSite, offers: IntArray) -> BoolArray:
    """Whether the crèche is open during enough of each offer's schedule (no schedule: yes)."""
    covered = table.hours_covered_by(creche.opening_hours or _DEFAULT_CRECHE_HOURS)
    schedule = table.schedule[offers]
    hours = np.full(len(offers), np.inf)
    hours[schedule >= 0] = covered[schedule[schedule >= 0]]
    return np.asarray(hours + 1e-9 >= np.nan_to_num(table.need_hours[offers], nan=0.0), bool)


def _available_hours(table: OfferTable, available: str | None) -> FloatArray:
    """Hours of each schedule of the table within the person's availability (``inf``: unknown)."""
    if available is None:
        return np.full(len(table.schedule_texts), np.inf)
    return table.hours_covered_by(available)


def _warm_partners(
    table: OfferTable, referent_id: str | None, relations: RelationIndex
) -> BoolArray:
    """Partners the referent structure is related to (or is, or shares an organisation with)."""
    warm = np.zeros(len(table.partners), dtype=bool)
    if referent_id is None:
        return warm
    for partner_id in relations.neighbours(referent_id) | {referent_id}:
        index = table.partner_index.get(partner_id)
        if index is not None:
            warm[index] = True
        for member in table.organisation_members.get(partner_id, ()):
            warm[member] = True
    return warm


# score


def _components(
    profile: Profile, table: OfferTable, candidates: IntArray, reach: _Reach, warm: BoolArray
) -> FloatArray:
    """Score components of the candidates, shape (candidates, 5), each in [0, 1].

    ``reach`` is aligned with ``candidates``.

    - wish: `_wish_fit`;
    - travel: ``1 - minutes / max_minutes`` of the reported trip; 0 when the person needs a
      crèche and none was found on the way (the trip that works is not known);
    - hours: 1 when the offer's weekly hours meet the wished range, decreasing by 0.1 per hour
      of gap, 0.5 when either is unknown;
    - places: 1 with open places, 0.5 unknown, 0 when full for now;
    - warm: 1 when the referent structure already works with the partner.
    """
    wish = _wish_fit(table, profile.wishes, candidates, learning_french=_learning_french(profile))
    travel = np.clip(1.0 - reach.ratio, 0.0, 1.0)
    travel[reach.childcare_missing] = 0.0
    hours = _hours_fit(table, profile.hours_per_week, candidates)
    places = table.places[candidates]
    places_fit = np.where(np.isnan(places), 0.5, np.where(places > 0, 1.0, 0.0))
    warm_fit = warm[table.offer_partner[candidates]].astype(np.float64)
    return np.column_stack([wish, travel, hours, places_fit, warm_fit]).reshape(-1, 5)


_ROME_FULL, _ROME_GROUP, _ROME_DOMAIN = 1.0, 0.6, 0.3
_find: Final = getattr(np, "strings", np.char).find  # numpy ≥ 2: np.strings; before: np.char
_NEUTRAL: Final = 0.5


def _wish_fit(
    table: OfferTable, wishes: Wishes, candidates: IntArray, *, learning_french: bool = False
) -> FloatArray:
    """Fit with the wishes, in [0, 1].

    ROME: 1 for a wished code, 0.6 for the same group (``D11``), 0.3 for the same domain
    (``D``). Keywords: 0.5 + 0.5 x the share of keywords found in the title (0 when none is).
    With both, the better of the two; with no wish at all, 0.5 for every offer. When the
    person's French is below B1 (``learning_french``), a French course is a step towards any
    wished job: at least 0.6.
    """
    tokens = _keywords(wishes.keywords)
    if not wishes.rome_codes and not tokens:
        return np.full(len(candidates), _NEUTRAL)
    fit = np.zeros(len(candidates))
    if learning_french:
        fit = np.where(table.language_course[candidates], _ROME_GROUP, fit)
    if wishes.rome_codes:
        full, group, domain = table.rome_indices(wishes.rome_codes)
        fit = np.where(np.isin(table.rome_domain[candidates], domain), _ROME_DOMAIN, fit)
        fit = np.where(np.isin(table.rome_group[candidates], group), _ROME_GROUP, fit)
        fit = np.where(np.isin(table.rome_full[candidates], full), _ROME_FULL, fit)
    if tokens:
        texts, position = np.unique(table.text[candidates], return_inverse=True)
        found = np.zeros(len(texts))
        for token in tokens:
            found += _find(table.texts[texts], token) >= 0
        share = found[position] / len(tokens)
        fit = np.maximum(fit, np.where(share > 0, 0.5 + 0.5 * share, 0.0))
    return fit


def _learning_french(profile: Profile) -> bool:
    level = profile.situation.french_level
    return level is not None and french_level_rank(level) < french_level_rank("B1")


def _hours_fit(table: OfferTable, wished: HoursPerWeek | None, candidates: IntArray) -> FloatArray:
    low, high = table.hours_min[candidates], table.hours_max[candidates]
    if wished is None:
        return np.full(len(candidates), _NEUTRAL)
    gap = np.maximum(np.maximum(low - wished.max, wished.min - high), 0.0)
    return np.where(np.isnan(gap), _NEUTRAL, np.clip(1.0 - gap / 10.0, 0.0, 1.0))


def _car_only_count(
    evaluation: _Evaluation,
    travel: TravelTimes,
    kinds: BoolArray,
    partners: IntArray,
    in_reach: BoolArray,
) -> int:
    """Wished, open offers out of reach that a car would reach within the largest budget.

    Only asked when the person does not travel by car and lacks a licence or a vehicle (or
    that is not known); one more travel call. With wishes, only offers matching them count.
    """
    profile, table = evaluation.profile, evaluation.table
    situation = profile.situation
    if any(m.mode == "car" for m in profile.modes) or (
        situation.driving_licence is True and situation.vehicle is True
    ):
        return 0
    car = np.full(len(table.partners), np.inf)
    car[partners] = _call(travel, "car", (profile.lon, profile.lat), table.partner_xy[partners])[0]
    by_car = (car <= max(m.max_minutes for m in profile.modes)) & ~in_reach
    offers = np.flatnonzero(kinds[table.kind] & by_car[table.offer_partner])
    offers = offers[evaluation.legal.state[table.condition_id[offers]] < Verdict.FAIL]
    if profile.wishes.rome_codes or profile.wishes.keywords:
        offers = offers[_wish_fit(table, profile.wishes, offers) > 0]
    return len(offers)


_ESAT_WORDS: Final = frozenset({"esat", "protege", "handicap", "handicape"})


def _esat_wished(evaluation: _Evaluation, excluded: IntArray) -> int:
    """Whether the person asks for sheltered work (ESAT) without the orientation it needs.

    Returns the number of reachable ESAT offers excluded for want of orientation when the
    keywords ask for it (``esat``, ``protégé``, ``handicap``), at least 1 when they do;
    0 otherwise.
    """
    if not _ESAT_WORDS & set(_keywords(evaluation.profile.wishes.keywords)):
        return 0
    if evaluation.verdicts.esat is Verdict.PASS:
        return 0
    table, legal = evaluation.table, evaluation.legal
    column = _RULES.index("orientation-cdaph")
    failing = legal.rules[table.condition_id[excluded], column] == Verdict.FAIL
    return max(1, int(failing.sum()))


# --- selection -----------------------------------------------------------------------------------


def _order(evaluation: _Evaluation, positions: IntArray, *, wishes_first: bool = False) -> IntArray:
    """Positions (into candidates) sorted by score desc, minutes asc, offer id asc.

    With ``wishes_first``, offers matching a wish (wish component > 0) come before the others.
    """
    index = evaluation.candidates[positions]
    keys = [
        evaluation.table.id_rank[index],
        np.round(evaluation.reach.minutes[positions], 6),
        -evaluation.score[positions],
    ]
    if wishes_first:
        keys.append(evaluation.components[positions, 0] <= 0)
    return positions[np.lexsort(keys)]


_KIND_PENALTY: Final = 0.03


def _diversify(evaluation: _Evaluation, limit: int, per_employer: int) -> list[int]:
    """Best candidates under diversity rules; returns positions into ``candidates``.

    - At most ``per_employer`` items per employer (partner, or organisation when known): only
      each employer's best ``per_employer`` candidates compete.
    - Wishes first: when the person stated wishes, offers that match none of them (wish
      component 0) only come after every offer that matches some.
    - Kinds mix: items are taken greedily by ``score - 0.03 x (items of the same opportunity
      kind already taken)``, so a tenth job needs a 0.27 lead over the first immersion,
      volunteering or training; with one kind only this is the score order.

    The list is returned with offers matching a wish first, then in score order (ties:
    minutes, then id).
    """
    table = evaluation.table
    ranked = _order(evaluation, np.arange(len(evaluation.candidates)))
    groups = table.partner_group[table.offer_partner[evaluation.candidates[ranked]]]
    ranked = ranked[_rank_within(groups) < per_employer]
    kinds = table.kind[evaluation.candidates[ranked]]
    scores = evaluation.score[ranked]
    # Offers matching no wish rank below every offer that matches one (scores lie in [0, 1]).
    scores = np.where(evaluation.components[ranked, 0] > 0, scores + 2.0, scores)
    taken_per_kind = np.zeros(len(_KIND_CODES))
    available = np.ones(len(ranked), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < limit and available.any():
        effective = np.where(available, scores - _KIND_PENALTY * taken_per_kind[kinds], -np.inf)
        best = int(np.argmax(effective))  # first of equals: the ranked order breaks ties
        chosen.append(int(ranked[best]))
        available[best] = False
        taken_per_kind[kinds[best]] += 1
    chosen_positions = np.array(chosen, dtype=np.int64)
    return [int(p) for p in _order(evaluation, chosen_positions, wishes_first=True)]


def _rank_within(groups: IntArray) -> IntArray:
    """Rank of each element inside its group, in the given order: [7, 3, 7, 7] → [0, 0, 1, 2]."""
    by_group = np.argsort(groups, kind="stable")
    sorted_groups = groups[by_group]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    lengths = np.diff(np.r_[starts, len(groups)])
    ranks = np.empty(len(groups), dtype=np.int64)
    ranks[by_group] = np.arange(len(groups)) - np.repeat(starts, lengths)
    return ranks


# --- explanations --------------------------------------------------------------------------------


def _nearest(evaluation: _Evaluation, need: str, *, count: int = 3) -> list[SiteRef]:
    """The nearest reachable sites addressing ``need`` (by tier, then minutes, then id).

    Sites whose own eligibility excludes the person (age, RQTH) are left out; for crèches,
    only those with free places, and no crèche AVIP when the person is known not eligible.
    When none is reachable, the quickest one is given with ``reachable=False``.
    """
    cached = evaluation.nearest_cache.get(need)
    if cached is not None:
        return cached
    sites, situation = evaluation.sites, evaluation.profile.situation
    tiers = sites.tiers[need]
    usable = tiers >= 0
    if _NEEDS[need].with_places:
        usable &= np.nan_to_num(sites.places, nan=0.0) > 0
    for index in np.flatnonzero(usable):
        site = sites.sites[index]
        if not _site_open_to(site, situation) or (
            site.kind == "creches-avip" and evaluation.verdicts.avip is Verdict.FAIL
        ):
            usable[index] = False
    ratios = evaluation.site_minutes / evaluation.budgets[:, np.newaxis]
    best_mode = np.argmin(ratios, axis=0)
    columns = np.arange(len(sites))
    best_ratio = ratios[best_mode, columns]
    best_minutes = evaluation.site_minutes[best_mode, columns]
    candidates = np.flatnonzero(usable & np.isfinite(best_minutes))
    reachable = candidates[best_ratio[candidates] <= 1.0]
    if len(reachable):
        order = np.lexsort((reachable, best_minutes[reachable], tiers[reachable]))
        chosen, within = reachable[order][:count], True
    else:
        order = np.lexsort((candidates, best_minutes[candidates]))
        chosen, within = candidates[order][:1], False
    refs = [
        _site_ref(
            sites.sites[i],
            evaluation.profile.modes[best_mode[i]].mode,
            float(best_minutes[i]),
            estimated=bool(evaluation.site_estimated[best_mode[i], i]),
            reachable=within,
        )
        for i in chosen
    ]
    evaluation.nearest_cache[need] = refs
    return refs


def _site_open_to(site: PartnerSite, situation: Situation) -> bool:
    """Whether a support site can serve the person, by its stated eligibility and its kind.

    Age bounds and RQTH stated by the site apply; Cap emploi serves people with a disability
    (not a person known without RQTH), the SPIP people under a court measure.
    """
    rules = site.eligibility
    if situation.age is not None and (
        (rules.min_age is not None and situation.age < rules.min_age)
        or (rules.max_age is not None and situation.age > rules.max_age)
    ):
        return False
    if site.kind == "cap-emploi-reseau-cheops" and situation.rqth is False:
        return False
    if site.kind == "spip" and situation.justice is not True:
        return False
    return not (rules.requires_rqth is True and situation.rqth is False)


def _site_ref(
    site: PartnerSite, mode: Mode | None, minutes: float, *, estimated: bool, reachable: bool
) -> SiteRef:
    return SiteRef(
        id=site.id,
        name=site.name,
        kind=site.kind,
        mode=mode if math.isfinite(minutes) else None,
        minutes=round(minutes, 1) if math.isfinite(minutes) else None,
        estimated=estimated,
        reachable=reachable,
        available_places=site.available_places,
    )


def _item(evaluation: _Evaluation, position: int) -> MatchItem:
    """The explained item of one candidate."""
    table, reach = evaluation.table, evaluation.reach
    index = int(evaluation.candidates[position])
    offer = table.offers[index]
    components = evaluation.components[position]
    mode = evaluation.profile.modes[int(reach.mode[position])]
    creche_index = int(reach.creche[position])
    creche = None
    if creche_index >= 0:
        m = int(reach.mode[position])
        creche = _site_ref(
            evaluation.sites.sites[creche_index],
            mode.mode,
            float(evaluation.site_minutes[m, creche_index]),
            estimated=bool(evaluation.site_estimated[m, creche_index]),
            reachable=True,
        )
    trip = Trip(
        mode=mode.mode,
        minutes=round(float(reach.minutes[position]), 1),
        estimated=bool(reach.estimated[position]),
        creche=creche,
    )
    places = table.places[index]
    return MatchItem(
        opportunity=OpportunityView(
            id=offer.id,
            title=offer.title,
            kind=offer.kind,
            contract=offer.contract,
            rome_code=offer.rome_code,
            hours_min=None if np.isnan(table.hours_min[index]) else float(table.hours_min[index]),
            hours_max=None if np.isnan(table.hours_max[index]) else float(table.hours_max[index]),
            schedule=offer.schedule,
            atypical_hours=bool(table.atypical[index]),
            places=None if np.isnan(places) else int(places),
        ),
        partner=PartnerView(
            id=offer.partner.id,
            name=offer.partner.name,
            kind=offer.partner.kind,
            family=offer.partner.family,
        ),
        score=round(float(evaluation.score[position]), 4),
        components=Components(
            wish=round(float(components[0]), 4),
            travel=round(float(components[1]), 4),
            hours=round(float(components[2]), 4),
            places=round(float(components[3]), 4),
            warm=round(float(components[4]), 4),
        ),
        travel=trip,
        reasons=_reasons(evaluation, position, trip),
        obstacles=_obstacles(evaluation, position),
    )


def _reasons(evaluation: _Evaluation, position: int, trip: Trip) -> list[str]:
    """Why the candidate at ``position`` fits, in plain French."""
    table, profile = evaluation.table, evaluation.profile
    index = int(evaluation.candidates[position])
    components = evaluation.components[position]
    offer = table.offers[index]
    reasons = [_wish_reason(evaluation, index, float(components[0]))]
    reasons.append(_trip_reason(trip, profile))
    reasons.append(_hours_reason(table, index, profile.hours_per_week))
    places = table.places[index]
    if not np.isnan(places):
        reasons.append(
            f"{_plural(int(places), 'place ouverte', 'places ouvertes')}."
            if places > 0
            else "Complet pour le moment : demander la prochaine ouverture de place."
        )
    if components[4] > 0:
        reasons.append(
            f"Votre structure référente travaille déjà avec {offer.partner.name} : "
            "une mise en relation directe est possible."
        )
    reasons += _legal_reasons(evaluation, position)
    return [reason for reason in reasons if reason]


def _wish_reason(evaluation: _Evaluation, index: int, fit: float) -> str:
    wishes, offer = evaluation.profile.wishes, evaluation.table.offers[index]
    if not wishes.rome_codes and not wishes.keywords:
        return ""
    code = (offer.rome_code or "").upper()
    found = [t for t in _keywords(wishes.keywords) if t in _fold(offer.title)]
    if code and code in {wished.upper() for wished in wishes.rome_codes}:
        reason = f"Correspond au métier recherché (fiche ROME {code})."
    elif found:
        reason = f"Correspond à vos mots-clés : {', '.join(found)}."
    elif evaluation.table.language_course[index] and _learning_french(evaluation.profile):
        reason = "Un cours de français : un pas vers le métier recherché."
    elif fit >= _ROME_GROUP and code:
        reason = f"Métier proche de ceux recherchés (fiche ROME {code})."
    elif fit > 0 and code:
        reason = f"Même domaine professionnel que les métiers recherchés (fiche ROME {code})."
    else:
        reason = "Une autre piste que vos souhaits, pour ouvrir le champ des possibles."
    return reason


def _trip_reason(trip: Trip, profile: Profile) -> str:
    label = _MODE_LABELS[trip.mode]
    estimate = " (estimation)" if trip.estimated else ""
    budget = next(m.max_minutes for m in profile.modes if m.mode == trip.mode)
    if trip.creche is not None:
        places = trip.creche.available_places
        return (
            f"Trajet de {trip.minutes:.0f} min {label}{estimate} en passant par "
            f"{trip.creche.name} ({_plural(places or 0, 'place libre', 'places libres')}), "
            f"pour {budget:g} min au plus."
        )
    return f"À {trip.minutes:.0f} min {label}{estimate}, pour {budget:g} min au plus."


def _hours_reason(table: OfferTable, index: int, wished: HoursPerWeek | None) -> str:
    low, high = table.hours_min[index], table.hours_max[index]
    if np.isnan(low):
        return ""
    text = _hours_text(float(low), float(high))
    if wished is None:
        return f"{text} par semaine."
    if low > wished.max:
        return f"{text} par semaine : plus que les {wished.max:g} h souhaitées, à discuter."
    if high < wished.min:
        return f"{text} par semaine : moins que les {wished.min:g} h souhaitées."
    return f"{text} par semaine, dans la fourchette souhaitée."


def _legal_reasons(evaluation: _Evaluation, position: int) -> list[str]:
    """Legal conditions met, said positively."""
    table, verdicts = evaluation.table, evaluation.verdicts
    index = int(evaluation.candidates[position])
    conditions = table.conditions[index]
    reasons = []
    threshold = conditions.iae_threshold
    if threshold and verdicts.iae[threshold].verdict is Verdict.PASS:
        reasons.append(verdicts.iae[threshold].explanation())
    if conditions.cdaph_orientation and verdicts.esat is Verdict.PASS:
        reasons.append("Votre orientation CDAPH « ESAT » ouvre l'accès à ce poste.")
    if conditions.rqth and verdicts.rqth is Verdict.PASS:
        reasons.append("Votre reconnaissance de travailleur·se handicapé·e (RQTH) ouvre ce poste.")
    if conditions.exempt and verdicts.work is not Verdict.PASS:
        reasons.append("Ouvert sans autorisation de travail.")
    creche = int(evaluation.reach.creche[position])
    if (
        creche >= 0
        and evaluation.sites.sites[creche].kind == "creches-avip"
        and verdicts.avip is Verdict.CHECK
    ):
        reasons.append(
            "Place en crèche AVIP sous réserve d'être inscrit·e à France Travail, au RSA, "
            "parent isolé, habitant·e d'un QPV ou jeune de moins de 25 ans sans diplôme."
        )
    return reasons


def _obstacles(evaluation: _Evaluation, position: int) -> list[Obstacle]:
    """What must be solved for the candidate at ``position``, with the partners that can help."""
    obstacles = _legal_checks(evaluation, int(evaluation.candidates[position]))
    obstacles += _practical_obstacles(evaluation, position)
    return obstacles


def _obstacle(evaluation: _Evaluation, code: str, message: str, need: str | None) -> Obstacle:
    kind = _OBSTACLE_KINDS[code]
    supports = _nearest(evaluation, need) if need else []
    return Obstacle(kind=kind, code=code, message=message, supports=supports)


_OBSTACLE_KINDS: Final[Mapping[str, ObstacleKind]] = {
    "autorisation-travail": "droits",
    "autorisation-demandee": "droits",
    "age": "administratif",
    "orientation-cdaph": "sante",
    "rqth": "sante",
    "eligibilite-iae": "administratif",
    "creche": "garde-enfants",
    "permis": "mobilite",
    "horaires-decales": "horaires",
    "disponibilites": "horaires",
    "niveau-francais": "langue",
}


def _legal_checks(evaluation: _Evaluation, index: int) -> list[Obstacle]:
    """Legal conditions the situation does not tell about: what to check, and who can."""
    legal, verdicts = evaluation.legal, evaluation.verdicts
    conditions = evaluation.table.conditions[index]
    checks: list[Obstacle] = []

    def unknown(rule: ExclusionRule) -> bool:
        return legal.rule(evaluation.table, index, rule) is Verdict.CHECK

    if unknown("autorisation-travail"):
        checks.append(
            _obstacle(
                evaluation,
                "autorisation-travail",
                "Autorisation de travail à vérifier : un titre de séjour qui permet de "
                "travailler est nécessaire pour un emploi, une immersion ou un parcours IAE.",
                "droits",
            )
        )
    if conditions.stated_on_exempt and verdicts.work is not Verdict.PASS:
        checks.append(
            _obstacle(
                evaluation,
                "autorisation-demandee",
                "La structure demande une autorisation de travail, que la loi n'exige pas "
                "pour cette activité : à clarifier avec elle.",
                "droits",
            )
        )
    if unknown("age"):
        low, high = conditions.min_age, conditions.max_age
        if low is not None and high is not None:
            bounds = f"de {low} à {high} ans"
        elif low is not None:
            bounds = f"à partir de {low} ans"
        else:
            bounds = f"jusqu'à {high} ans"
        checks.append(
            _obstacle(evaluation, "age", f"Réservé aux personnes {bounds} : âge à confirmer.", None)
        )
    if unknown("orientation-cdaph"):
        checks.append(
            _obstacle(
                evaluation,
                "orientation-cdaph",
                "Travail en ESAT : une orientation CDAPH « ESAT » est nécessaire ; à vérifier, "
                "ou à demander à la MDPH.",
                "mdph",
            )
        )
    if unknown("rqth"):
        checks.append(
            _obstacle(
                evaluation,
                "rqth",
                "Poste réservé aux travailleur·ses handicapé·es : reconnaissance (RQTH) à "
                "vérifier, ou à demander à la MDPH.",
                "mdph",
            )
        )
    if unknown("eligibilite-iae"):
        verdict = verdicts.iae[conditions.iae_threshold]
        checks.append(
            _obstacle(evaluation, "eligibilite-iae", verdict.explanation(), "diagnostic-iae")
        )
    return checks


def _practical_obstacles(evaluation: _Evaluation, position: int) -> list[Obstacle]:
    """Childcare, licence, French, schedule: the opportunity stays, with supports."""
    table, profile = evaluation.table, evaluation.profile
    index = int(evaluation.candidates[position])
    situation = profile.situation
    obstacles: list[Obstacle] = []
    if evaluation.reach.childcare_missing[position] and (situation.children_under_3 or 0) > 0:
        obstacles.append(
            _obstacle(
                evaluation,
                "creche",
                "Garde d'enfant : aucune crèche avec une place libre et des horaires "
                "compatibles n'a été trouvée sur le trajet ; voici les crèches les plus proches "
                "qui ont des places.",
                "creche",
            )
        )
    if table.licence[index] and situation.driving_licence is not True:
        message = (
            "Permis B demandé par l'employeur : à vérifier."
            if situation.driving_licence is None
            else "Permis B demandé par l'employeur : une auto-école sociale peut vous y "
            "préparer ; demandez aussi si le poste l'exige vraiment."
        )
        obstacles.append(_obstacle(evaluation, "permis", message, "permis"))
    obstacles += _language_obstacle(evaluation, index)
    obstacles += _schedule_obstacles(evaluation, position)
    return obstacles


def _language_obstacle(evaluation: _Evaluation, index: int) -> list[Obstacle]:
    required = int(evaluation.table.french[index])
    level = evaluation.profile.situation.french_level
    if required < 0:
        return []
    needed = FRENCH_LEVELS[required]
    if level is None:
        if required < french_level_rank("A2"):
            return []
        message = (
            f"Niveau de français demandé : {needed} ; une plateforme linguistique peut "
            "évaluer le vôtre."
        )
    elif french_level_rank(level) < required:
        message = (
            f"Niveau de français demandé : {needed} (le vôtre : {level}) ; la plateforme "
            "linguistique oriente vers le cours adapté (FLE, POEI FLE pour apprendre en "
            "travaillant)."
        )
    else:
        return []
    return [_obstacle(evaluation, "niveau-francais", message, "langue")]


def _schedule_obstacles(evaluation: _Evaluation, position: int) -> list[Obstacle]:
    table, profile = evaluation.table, evaluation.profile
    index = int(evaluation.candidates[position])
    obstacles = []
    schedule = int(table.schedule[index])
    available = float(evaluation.available_hours[schedule]) if schedule >= 0 else math.inf
    need = float(table.need_hours[index])
    if math.isfinite(available) and not math.isnan(need) and available + 1e-9 < need:
        obstacles.append(
            _obstacle(
                evaluation,
                "disponibilites",
                f"Horaires ({table.offers[index].schedule}) : {available:g} h par semaine dans "
                f"vos disponibilités, pour {need:g} h demandées ; à discuter avec la structure.",
                None,
            )
        )
    mode = profile.modes[int(evaluation.reach.mode[position])].mode
    if table.atypical[index] and mode in ("walk", "transit"):
        obstacles.append(
            _obstacle(
                evaluation,
                "horaires-decales",
                "Horaires décalés (tôt le matin, le soir ou le dimanche) : bus et trajets à "
                "pied sont moins sûrs à ces heures ; une plateforme mobilité peut proposer "
                "une solution (deux-roues, covoiturage).",
                "mobilite",
            )
        )
    return obstacles


# pathways


_PATHWAY_TEXTS: Final[Mapping[PathwayCode, tuple[str, str]]] = {
    "phc": (
        "Premières heures en chantier (PHC)",
        "Pour reprendre une activité sans sélection ni prérequis : quelques heures par semaine "
        "(4 à 20 h) dans un chantier d'insertion, puis un CDDI.",
    ),
    "tapaj": (
        "TAPAJ : travail payé à la journée",
        "Pour les 16-25 ans : des missions de quelques heures payées le jour même, sans "
        "engagement sur la durée, avec un accompagnement (addictologie si besoin).",
    ),
    "cvg": (
        "Convergence",
        "Un accompagnement renforcé (santé, logement, emploi) dans un chantier d'insertion, "
        "jusqu'à cinq ans.",
    ),
    "aava": (
        "Atelier d'adaptation à la vie active (AAVA)",
        "Une activité en atelier avec un pécule, sans autorisation de travail : pour "
        "reprendre un rythme et être utile en attendant.",
    ),
    "langue": (
        "Apprendre le français",
        "La plateforme linguistique évalue le niveau et oriente vers le cours adapté "
        "(FLE, alphabétisation, ateliers sociolinguistiques).",
    ),
    "mdph": (
        "Constituer un dossier MDPH",
        "Une demande à la MDPH (RQTH, orientation CDAPH vers un ESAT ou le milieu ordinaire) "
        "ouvre le travail protégé et adapté.",
    ),
}


def _pathways(evaluation: _Evaluation) -> list[Pathway]:
    """Programmes the situation opens, each with its nearest carriers."""
    s = evaluation.profile.situation
    work = evaluation.verdicts.work
    paid_ok = work is not Verdict.FAIL
    precarity = any(v is True for v in (s.homeless, s.hosted, s.addiction, s.justice))
    young = s.age is not None and 16 <= s.age <= 25
    french_low = _learning_french(evaluation.profile)
    oriented = s.cdaph_orientation not in (None, "aucune")
    health = (s.rqth is True or s.aah is True) and not oriented
    opened: list[tuple[PathwayCode, str]] = []
    if s.homeless is True and paid_ok:
        opened.append(("phc", ""))
    if young and precarity and paid_ok:
        opened.append(("tapaj", ""))
    if s.homeless is True and (s.addiction is True or s.justice is True) and paid_ok:
        opened.append(("cvg", ""))
    if (s.hosted is True or s.homeless is True) and work is not Verdict.PASS:
        opened.append(("aava", ""))
    if french_low:
        extra = (
            " Avec une autorisation de travail, une POEI FLE associe un emploi et une "
            "formation en français."
            if work is Verdict.PASS
            else " Les cours de français ne demandent pas d'autorisation de travail."
        )
        opened.append(("langue", extra))
    if evaluation.esat_wished or health:
        extra = (
            " Sans orientation CDAPH « ESAT », le travail en ESAT n'est pas encore possible : "
            "c'est la première démarche."
            if evaluation.esat_wished
            else ""
        )
        opened.append(("mdph", extra))
    pathways = []
    for code, extra in opened:
        title, message = _PATHWAY_TEXTS[code]
        check = (
            " Autorisation de travail à vérifier."
            if code in ("phc", "tapaj", "cvg") and work is Verdict.CHECK
            else ""
        )
        pathways.append(
            Pathway(
                code=code,
                title=title,
                message=message + extra + check,
                carriers=_carriers(evaluation, code),
            )
        )
    return pathways


_PATHWAY_NEEDS: Final[Mapping[PathwayCode, str]] = {
    "phc": "phc",
    "tapaj": "tapaj",
    "cvg": "cvg",
    "aava": "aava",
    "langue": "langue",
    "mdph": "mdph",
}


def _carriers(evaluation: _Evaluation, code: PathwayCode, *, count: int = 3) -> list[SiteRef]:
    """Nearest carriers: support sites of the pathway's kind and partners offering it."""
    refs = {ref.id: ref for ref in _nearest(evaluation, _PATHWAY_NEEDS[code], count=count)}
    if code in _PATHWAY_CONTRACTS:
        refs.update(
            {ref.id: ref for ref in _offer_carriers(evaluation, code) if ref.id not in refs}
        )
    ranked = sorted(
        refs.values(),
        key=lambda r: (not r.reachable, r.minutes if r.minutes is not None else math.inf, r.id),
    )
    reachable = [r for r in ranked if r.reachable]
    return reachable[:count] if reachable else ranked[:1]


def _offer_carriers(evaluation: _Evaluation, contract: str) -> list[SiteRef]:
    table = evaluation.table
    partners = table.carriers[contract]
    if not len(partners):
        return []
    ratios = evaluation.partner_minutes[:, partners] / evaluation.budgets[:, np.newaxis]
    best = np.argmin(ratios, axis=0)
    refs = []
    for column, partner in enumerate(partners):
        minutes = float(evaluation.partner_minutes[best[column], partner])
        if not math.isfinite(minutes):
            continue
        refs.append(
            _site_ref(
                table.partners[partner],
                evaluation.profile.modes[best[column]].mode,
                minutes,
                estimated=bool(evaluation.partner_estimated[best[column], partner]),
                reachable=bool(ratios[best[column], column] <= 1.0),
            )
        )
    return refs


# supports summary


_SUPPORT_LABELS: Final[Mapping[str, str]] = {
    "autorisation-travail": "Autorisation de travail à vérifier",
    "autorisation-demandee": "Autorisation de travail demandée par la structure",
    "age": "Âge à confirmer",
    "orientation-cdaph": "Orientation CDAPH à vérifier",
    "rqth": "RQTH à vérifier",
    "eligibilite-iae": "Éligibilité IAE à confirmer par un prescripteur",
    "creche": "Garde d'enfant à organiser",
    "permis": "Permis B demandé",
    "horaires-decales": "Horaires décalés",
    "disponibilites": "Horaires à discuter",
    "niveau-francais": "Niveau de français demandé",
}


def _support_needs(evaluation: _Evaluation, items: Sequence[MatchItem]) -> list[SupportNeed]:
    """Crèches on the way, supports the items' obstacles call for, then the situation's."""
    return _creches_on_the_way(items) + _obstacle_supports(items) + _situation_supports(evaluation)


def _creches_on_the_way(items: Sequence[MatchItem]) -> list[SupportNeed]:
    used: dict[str, tuple[SiteRef, int]] = {}
    for item in items:
        creche = item.travel.creche
        if creche is not None:
            used[creche.id] = (creche, used.get(creche.id, (creche, 0))[1] + 1)
    if not used:
        return []
    ranked = sorted(used.values(), key=lambda entry: (-entry[1], entry[0].id))
    count = sum(uses for _, uses in ranked)
    names = ", ".join(creche.name for creche, _ in ranked)
    return [
        SupportNeed(
            kind="garde-enfants",
            code="creche-sur-le-trajet",
            message=f"Garde d'enfant sur le trajet de {_plural(count, 'proposition')} : {names}.",
            items=count,
            partners=[creche for creche, _ in ranked],
        )
    ]


def _obstacle_supports(items: Sequence[MatchItem]) -> list[SupportNeed]:
    by_code: dict[str, tuple[Obstacle, int]] = {}
    for item in items:
        for obstacle in item.obstacles:
            first, count = by_code.get(obstacle.code, (obstacle, 0))
            by_code[obstacle.code] = (first, count + 1)
    needs = [
        SupportNeed(
            kind=obstacle.kind,
            code=code,
            message=f"{_SUPPORT_LABELS[code]} : {_plural(count, 'proposition')} concernée"
            f"{'s' if count > 1 else ''}.",
            items=count,
            partners=obstacle.supports,
        )
        for code, (obstacle, count) in by_code.items()
    ]
    return needs


def _unique_refs(refs: Iterable[SiteRef]) -> list[SiteRef]:
    return list({ref.id: ref for ref in refs}.values())


def _situation_supports(evaluation: _Evaluation) -> list[SupportNeed]:
    s = evaluation.profile.situation
    needs = []
    if evaluation.car_only:
        need = "permis" if s.driving_licence is not True else "vehicule"
        count = evaluation.car_only
        wishes = evaluation.profile.wishes
        which = (
            "correspondant à vos souhaits"
            if wishes.rome_codes or wishes.keywords
            else "ouverte" + ("s" if count > 1 else "") + " à vous"
        )
        needs.append(
            SupportNeed(
                kind="mobilite",
                code="hors-de-portee-sans-voiture",
                message=f"{_plural(count, 'offre')} {which} {'sont' if count > 1 else 'est'} "
                "à portée en voiture mais pas avec vos modes de déplacement : une solution de "
                f"mobilité (permis, location, covoiturage) {'les' if count > 1 else 'la'} "
                "rendrait accessible" + ("s." if count > 1 else "."),
                items=0,
                partners=_unique_refs(
                    _nearest(evaluation, need) + _nearest(evaluation, "mobilite", count=1)
                ),
            )
        )
    if s.homeless is True:
        needs.append(
            SupportNeed(
                kind="logement",
                code="hebergement",
                message="Sans logement stable : le SIAO (115) et les accueils de jour "
                "accompagnent vers un hébergement ; la reprise d'activité n'a pas à attendre.",
                items=0,
                partners=_nearest(evaluation, "logement"),
            )
        )
    if s.addiction is True:
        needs.append(
            SupportNeed(
                kind="sante",
                code="addictions",
                message="Un accompagnement en addictologie (CSAPA, CAARUD) peut soutenir la "
                "reprise d'activité, sans condition préalable.",
                items=0,
                partners=_nearest(evaluation, "addictions"),
            )
        )
    return needs


# --- public API ----------------------------------------------------------------------------------


def _as_tables(
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    relations: Relations,
) -> tuple[OfferTable, SupportTable, RelationIndex]:
    table = offers if isinstance(offers, OfferTable) else OfferTable(offers)
    sites = supports if isinstance(supports, SupportTable) else SupportTable(supports)
    index = relations if isinstance(relations, RelationIndex) else RelationIndex(relations)
    return table, sites, index


def match(
    profile: Profile,
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    travel: TravelTimes,
    *,
    relations: Relations = frozenset(),
    per_employer: int = 2,
) -> MatchResult:
    """The opportunities one person can reach, explained, with the supports that make them possible.

    Parameters
    ----------
    profile : Profile
        The person's request (never stored).
    offers : OfferTable or sequence of Offer
        The territory's offer; pass an `OfferTable` prepared once to answer in milliseconds.
    supports : SupportTable or sequence of PartnerSite
        Sites that can lift obstacles or carry pathways; an `SupportTable` prepared once.
    travel : TravelTimes
        Travel times, called once per mode of the person (the offers' partner sites and the
        support sites in one call), once per crèche tried (at most 4 per mode) when the person
        has children under 3, and once by car when the person travels without a car and is
        not known to have both a licence and a vehicle: at most 21 calls with 4 modes.
    relations : RelationIndex or collection of (str, str), optional
        Partner relations; those of ``profile.referent_id`` make warm introductions.
    per_employer : int, optional
        Most items per employer (partner, or organisation when known); 2 by default.

    Returns
    -------
    MatchResult
        ``items`` (at most ``profile.limit``, best first), ``pathways``, ``supports``,
        ``exclusions`` (legal, counted), ``considered`` and ``reachable`` counts.

    Notes
    -----
    Score (every component in [0, 1], returned in ``components``)::

        score = 0.35 wish + 0.25 travel + 0.15 hours + 0.15 places + 0.10 warm

    - ``wish``: 1 for a wished ROME code, 0.6 same group (3 characters), 0.3 same domain;
      keywords 0.5 + 0.5 x share found in the title; the better of both; 0.5 with no wish;
    - ``travel``: 1 - minutes / max_minutes of the reported trip (0 at the budget); 0 when
      children need a crèche and none was found on the way;
    - ``hours``: 1 when the weekly hours meet the wished range, minus 0.1 per hour of gap,
      0.5 when unknown;
    - ``places``: 1 open places, 0.5 unknown, 0 full for now;
    - ``warm``: 1 when the referent structure is related to the partner.

    The wish weighs most because the approach starts from the person's wishes; travel next,
    as a job too far is not held; hours and places say whether it can start; a warm
    introduction helps but should not outrank a better fit. Obstacles never lower the score:
    they are shown with their supports. Order: offers matching a wish first (when wishes are
    given), then score, then minutes, then opportunity id.
    """
    if per_employer < 1:
        raise ValueError("per_employer doit valoir au moins 1")
    table, sites, index = _as_tables(offers, supports, relations)
    evaluation = _evaluate(profile, table, sites, travel, index)
    chosen = _diversify(evaluation, profile.limit, per_employer)
    items = [_item(evaluation, position) for position in chosen]
    return MatchResult(
        items=items,
        pathways=_pathways(evaluation),
        supports=_support_needs(evaluation, items),
        exclusions=evaluation.exclusions,
        considered=evaluation.considered,
        reachable=len(evaluation.candidates),
    )


def match_batch(
    profiles: Sequence[Profile],
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    travel: TravelTimes,
    *,
    relations: Relations = frozenset(),
    alternatives: int = 3,
) -> BatchResult:
    """Assign a cohort to opportunities, maximising the total score under the places.

    Each profile is evaluated as in `match` (same legal conditions, trips and scores); then
    `graph.assignment.assign` finds the assignment with the largest total score in which no
    opportunity receives more persons than its places (unknown places count as 1: the cohort
    does not flood an offer whose capacity is not known; full offers take no one). Each
    person's ``m`` best candidates are kept (``m`` = cohort size, at least ``alternatives +
    1``), which keeps the assignment exact (see `graph.assignment`).

    Parameters
    ----------
    profiles : sequence of Profile
        The cohort (the service bounds it, e.g. to 200).
    offers, supports, travel, relations
        As in `match`.
    alternatives : int, optional
        Next best opportunities to return per person (by score, assigned one excluded).

    Returns
    -------
    BatchResult
        One `BatchPerson` per profile, in order, and the total score of the assignment.
    """
    table, sites, index = _as_tables(offers, supports, relations)
    evaluations = [_evaluate(p, table, sites, travel, index) for p in profiles]
    keep = max(len(profiles), alternatives + 1)
    kept = [_order(ev, np.arange(len(ev.candidates)))[:keep] for ev in evaluations]
    columns = np.unique(
        np.concatenate([ev.candidates[k] for ev, k in zip(evaluations, kept, strict=True)])
        if kept
        else np.zeros(0, dtype=np.int64)
    ).astype(np.int64)
    scores = np.full((len(profiles), len(columns)), np.nan)
    position_of: list[dict[int, int]] = []
    for row, (ev, positions) in enumerate(zip(evaluations, kept, strict=True)):
        cols = np.searchsorted(columns, ev.candidates[positions])
        scores[row, cols] = ev.score[positions]
        position_of.append(dict(zip(cols.tolist(), positions.tolist(), strict=True)))
    places = np.nan_to_num(table.places[columns], nan=1.0).astype(np.int64)
    result = assign(scores, places)
    persons = []
    for row, (ev, alternative_columns) in enumerate(
        zip(evaluations, result.top_alternatives(alternatives), strict=True)
    ):
        column = int(result.offer_of[row])
        assigned = _item(ev, position_of[row][column]) if column >= 0 else None
        persons.append(
            BatchPerson(
                assigned=assigned,
                alternatives=[_item(ev, position_of[row][int(c)]) for c in alternative_columns],
            )
        )
    return BatchResult(persons=persons, total_score=round(result.total_score, 4))
