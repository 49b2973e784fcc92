"""The offer side: partner sites, offers, and `OfferTable`, the offers as column arrays.

`OfferTable.from_offers` is built once per snapshot of the territory and shared by every
request; a request then works on numpy arrays only. Coordinates are EPSG:4326 lon/lat in
degrees, working time in hours per week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Self

import numpy as np
import numpy.typing as npt

from graph import vocabulary
from graph.eligibility import Conditions, conditions_of, is_language_course
from graph.matching.arrays import BoolArray, FloatArray, IntArray
from graph.matching.schedules import SLOT_HOURS, SLOTS, eroded, week_slots
from graph.matching.text import fold
from graph.models import CONTRACTS, OPPORTUNITY_KINDS, Eligibility
from graph.validation import french_level_rank, has_atypical_hours


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
    address, phone, email : str, optional
        How to reach the structure, shown with every proposal and support.
    activities : str, optional
        What the structure does, in words (its description): for an ESAT, its workshops; the
        wished keywords are looked for there (`graph.matching.scoring.wish_fit`).
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
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    activities: str | None = None

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
    starts_on, ends_on : datetime.date, optional
        When the offer (a session, a contract) starts and ends: a full offer frees its places
        when it ends.
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
    starts_on: date | None = None
    ends_on: date | None = None


KIND_CODES: Final[tuple[str, ...]] = tuple(OPPORTUNITY_KINDS)
_CONTRACT_CODES: Final[tuple[str, ...]] = tuple(CONTRACTS)
PATHWAY_CONTRACTS: Final[tuple[str, ...]] = ("phc", "tapaj", "cvg", "aava")


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
        self._covered: dict[tuple[str, int, bool], FloatArray] = {}
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
        kinds = {code: i for i, code in enumerate(KIND_CODES)}
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
        self.kind_counts: IntArray = np.bincount(self.kind, minlength=len(KIND_CODES))
        # Which kinds each partner offers, and which partners carry a pathway programme.
        self.partner_kinds: BoolArray = np.zeros((len(self.partners), len(KIND_CODES)), bool)
        self.partner_kinds[self.offer_partner, self.kind] = True
        self.carriers: dict[str, IntArray] = {
            contract: np.unique(
                self.offer_partner[self.contract == _CONTRACT_CODES.index(contract)]
            )
            for contract in PATHWAY_CONTRACTS
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
        # documents and offer shapes repeat a lot: each distinct one merged and judged once
        # (eligibility objects are immutable and shared, so their identity is a valid key)
        merges: dict[tuple[int, int], Eligibility] = {}
        judged: dict[tuple[Any, ...], Conditions] = {}
        for i, offer in enumerate(self.offers):
            pair = (id(offer.requirements), id(offer.partner.eligibility))
            merged = merges.get(pair)
            if merged is None:
                merged = merges[pair] = _merged(offer.requirements, offer.partner.eligibility)
            if merged.min_french_level is not None:
                self.french[i] = french_level_rank(merged.min_french_level)
            self.licence[i] = merged.requires_driving_licence is True
            key = (offer.kind, offer.contract, offer.partner.kind, id(merged), offer.title,
                   offer.rome_code)  # fmt: skip
            found = judged.get(key)
            if found is None:
                found = judged[key] = conditions_of(
                    kind=offer.kind,
                    contract=offer.contract,
                    partner_kind=offer.partner.kind,
                    requirements=merged,
                    title=offer.title,
                    rome_code=offer.rome_code,
                )
            conditions.append(found)
        self.conditions: tuple[Conditions, ...] = tuple(conditions)
        # sheltered work (ESAT): the offers a CDAPH orientation « ESAT » ranks first
        self.sheltered: BoolArray = np.array([c.cdaph_orientation for c in conditions], bool)
        sets: dict[Conditions, int] = {}
        self.condition_id: IntArray = np.array(
            [sets.setdefault(c, len(sets)) for c in conditions], dtype=np.int64
        )
        self.condition_sets: tuple[Conditions, ...] = tuple(sets)
        courses: dict[tuple[str, str, str | None, str, str | None], bool] = {}
        self.language_course: BoolArray = np.zeros(n, dtype=bool)
        for i, o in enumerate(self.offers):
            shape = (o.kind, o.title, o.rome_code, o.partner.kind, o.contract)
            course = courses.get(shape)
            if course is None:
                course = courses[shape] = is_language_course(*shape)
            self.language_course[i] = course

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
            rows = [week_slots(text) for text in self.schedule_texts]
        except ValueError as error:
            raise ValueError(f"horaires d'offre invalides : {error}") from None
        self.schedule_slots: FloatArray = (
            np.array(rows, dtype=np.float64) if rows else np.zeros((0, SLOTS))
        )
        window = self.schedule_slots.sum(axis=1) * SLOT_HOURS
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
        folded: dict[tuple[str, str], int] = {}  # titles repeat: each (title, kind) folded once
        kinds = vocabulary.kinds()
        self.text: IntArray = np.empty(len(self.offers), dtype=np.int64)
        for i, offer in enumerate(self.offers):
            key = (offer.title, offer.partner.kind)
            found = folded.get(key)
            if found is None:
                kind = kinds.get(offer.partner.kind)
                searchable = fold(f"{offer.title} {kind.label if kind else ''}")
                found = folded[key] = texts.setdefault(searchable, len(texts))
            self.text[i] = found
        self.texts: npt.NDArray[np.str_] = np.array(list(texts) or [""], dtype=np.str_)
        self._index_activities()

    def _index_activities(self) -> None:
        """The activities of the ESAT offering sheltered work (its description and
        thematiques), folded once per partner: keywords are looked for there too."""
        themes = vocabulary.thematiques()
        texts: dict[str, int] = {}
        of_partner = np.full(len(self.partners), -1, dtype=np.int64)
        for position, partner in enumerate(self.partners):
            words = [partner.activities or ""]
            words += [themes[t].label if t in themes else t for t in partner.thematiques]
            searchable = fold(" ".join(words)).strip()
            if searchable:
                of_partner[position] = texts.setdefault(searchable, len(texts))
        self.activity: IntArray = np.where(self.sheltered, of_partner[self.offer_partner], -1)
        self.activity_texts: npt.NDArray[np.str_] = np.array(list(texts) or [""], dtype=np.str_)

    # queries used by the matcher

    def hours_covered_by(
        self, opening_hours: str, *, margin_slots: int = 0, whole: bool = False
    ) -> FloatArray:
        """Hours of each schedule of the table during which ``opening_hours`` is open, from
        ``margin_slots`` quarter-hours before to as many after (`schedules.eroded`); with
        ``whole``, only quarter-hours open throughout count (`schedules.week_slots`).

        Cached per expression and margin (crèche hours and availabilities repeat).

        Returns
        -------
        numpy.ndarray of float64, shape (len(schedule_texts),)
            Hours per week.
        """
        key = (opening_hours, margin_slots, whole)
        covered = self._covered.get(key)
        if covered is None:
            slots = eroded(week_slots(opening_hours, whole=whole), margin_slots)
            slots = slots.astype(np.float64)
            covered = self.schedule_slots @ slots * SLOT_HOURS
            if len(self._covered) < _COVERED_CACHE:
                self._covered[key] = covered
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
