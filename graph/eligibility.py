"""The legal conditions that may keep a person from an opportunity (domain.md §5), and no other.

"Emploi d'abord": the matcher never drops an opportunity because of an obstacle (no crèche, no
bus, no licence, French level, no diploma). It only applies the conditions the law sets, and
this module is where they are written down:

- **work authorisation** for employment, immersion (PMSMP) and IAE, never for volunteering,
  AAVA, OACAS activity or language courses (`conditions_of`, `work_authorization_verdict`);
- **age** 16–25 for TAPAJ, and the statutory age bounds of youth programmes and trainings
  (CEJ, E2C, EPIDE) when the opportunity states them; never for a job, where an age limit
  would be discrimination (`age_verdict`);
- a **CDAPH orientation** towards ESAT for ESAT work (`esat_verdict`), a **RQTH** for
  entreprises adaptées and EATT (`rqth_verdict`);
- **IAE eligibility** per Les emplois de l'inclusion for hires by a SIAE (`iae_verdict`):
  one level-1 criterion, or at least 2 level-2 criteria for an AI or an ETTI, 3 for an ACI,
  an EI or an EITI.

Each condition yields a `Verdict`: ``PASS``, ``FAIL`` (the opportunity is excluded, and the
exclusion is counted and explained), or ``CHECK`` when the situation does not tell: unknown
situation fields mean "not known", never "no", so the opportunity stays with what must be
checked and who can check it. Everything here is pure and cheap: verdicts depend on the
situation only, so the matcher computes them once per request and broadcasts them over
thousands of offers.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from graph.inputs import Boolean, InputModel, Integer
from graph.models import Eligibility, FrenchLevel
from graph.validation import french_level_rank
from graph.vocabulary import SIAE_KINDS

__all__ = [
    "AGE_BOUNDED_KINDS",
    "EXEMPT_CONTRACTS",
    "IAE_CRITERIA",
    "IAE_THRESHOLDS",
    "PAID_CONTRACTS",
    "TAPAJ_AGES",
    "CdaphOrientation",
    "Conditions",
    "IaeCriterion",
    "IaeVerdict",
    "Situation",
    "Verdict",
    "age_verdict",
    "avip_verdict",
    "conditions_of",
    "criteria_status",
    "esat_verdict",
    "iae_verdict",
    "is_language_course",
    "rqth_verdict",
    "work_authorization_verdict",
]


class Verdict(enum.IntEnum):
    """Outcome of one legal condition for one person; a larger value is more restrictive.

    The outcome of several conditions is their maximum.
    """

    PASS = 0
    """The condition is met (or does not apply)."""
    CHECK = 1
    """The situation does not tell: the opportunity stays, with what must be checked."""
    FAIL = 2
    """The condition is not met: the opportunity is excluded, and the exclusion explained."""


# --- the person's situation --------------------------------------------------------------------

CdaphOrientation = Literal["esat", "milieu-ordinaire", "emploi-accompagne", "aucune"]
"""Decision of the CDAPH on work orientation; ``aucune`` means "known: no orientation"."""


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class Situation(InputModel):
    """What is known of a person's administrative and personal situation.

    Every field is optional and ``None`` means **not known**, never "no": a condition that
    depends on an unknown field yields `Verdict.CHECK`, not `Verdict.FAIL`. The record is
    read for one request and never stored or logged.

    Attributes
    ----------
    age : int, optional
        Age in years.
    work_authorization : bool, optional
        Whether the person may work in France (titre de séjour, APT for an asylum seeker...).
    french_level : {"A0", "A1", "A2", "B1", "B2", "C1", "C2"}, optional
        Level of French (CEFR); ``A0`` is "no French yet".
    driving_licence, vehicle : bool, optional
        Holds a car licence (permis B); has a vehicle at hand.
    rqth : bool, optional
        Reconnaissance de la qualité de travailleur handicapé.
    cdaph_orientation : {"esat", "milieu-ordinaire", "emploi-accompagne", "aucune"}, optional
        CDAPH work orientation; ``"aucune"`` when known to have none. Case-insensitive.
    children_under_3 : int, optional
        Number of children under 3 who need childcare.
    single_parent, job_seeker_registered, rsa, ass, aah : bool, optional
        Parent isolé; inscrit·e à France Travail; allocataire du RSA, de l'ASS, de l'AAH.
    detld, deld : bool, optional
        Job seeker for 24 months or more (très longue durée), for 12 to 24 months.
    qpv, zrr : bool, optional
        Lives in a quartier prioritaire (QPV), in a ZRR / France Ruralités Revitalisation area.
    no_diploma : bool, optional
        Has no diploma at all.
    diploma_level : int, optional
        Highest diploma on the French nomenclature (3 = CAP/BEP, 4 = bac, 5 = bac+2...).
    homeless : bool, optional
        Without housing: street, squat, emergency night shelter.
    hosted : bool, optional
        Hosted by a shelter (CHRS, CHU, CPH, CADA, HUDA...) or by a third party.
    addiction, justice : bool, optional
        Follows or needs addiction care; leaves detention or is under a court measure.
    refugee : bool, optional
        Refugee, subsidiary or temporary protection, or asylum seeker.
    ase_leaver : bool, optional
        Leaves the child welfare service (aide sociale à l'enfance).
    """

    model_config = ConfigDict(frozen=True)

    age: Integer | None = Field(None, ge=0, le=120, description="âge, en années")
    work_authorization: Boolean | None = None
    french_level: FrenchLevel | None = None
    driving_licence: Boolean | None = None
    vehicle: Boolean | None = None
    rqth: Boolean | None = None
    cdaph_orientation: Annotated[CdaphOrientation | None, BeforeValidator(_lower)] = None
    children_under_3: Integer | None = Field(None, ge=0, le=20)
    single_parent: Boolean | None = None
    job_seeker_registered: Boolean | None = None
    rsa: Boolean | None = None
    ass: Boolean | None = None
    aah: Boolean | None = None
    detld: Boolean | None = None
    deld: Boolean | None = None
    qpv: Boolean | None = None
    zrr: Boolean | None = None
    no_diploma: Boolean | None = None
    diploma_level: Integer | None = Field(None, ge=0, le=8)
    homeless: Boolean | None = None
    hosted: Boolean | None = None
    addiction: Boolean | None = None
    justice: Boolean | None = None
    refugee: Boolean | None = None
    ase_leaver: Boolean | None = None


# --- IAE criteria (Les emplois de l'inclusion) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class IaeCriterion:
    """An administrative criterion of IAE eligibility, as Les emplois de l'inclusion lists it.

    Attributes
    ----------
    code : str
        The ``kind`` of Les emplois (``RSA``, ``PSH_PR``...).
    level : int
        1 or 2.
    name : str
        French name, verbatim.
    """

    code: str
    level: int
    name: str


IAE_CRITERIA: Final[tuple[IaeCriterion, ...]] = (
    IaeCriterion("RSA", 1, "Bénéficiaire du RSA"),
    IaeCriterion("ASS", 1, "Allocataire ASS"),
    IaeCriterion("AAH", 1, "Allocataire AAH"),
    IaeCriterion("DETLD", 1, "DETLD (+ 24 mois)"),
    IaeCriterion("CAP_BEP", 2, "Niveau d'étude 3 (CAP, BEP) ou infra"),
    IaeCriterion("SENIOR", 2, "Senior (+50 ans)"),
    IaeCriterion("JEUNE", 2, "Jeune (-26 ans)"),
    IaeCriterion("ASE", 2, "Sortant de l'ASE"),
    IaeCriterion("DELD", 2, "DELD (12-24 mois)"),
    IaeCriterion("TH", 2, "Travailleur handicapé"),
    IaeCriterion("PI", 2, "Parent isolé"),
    IaeCriterion("PSH_PR", 2, "Personne sans hébergement ou hébergée ou ayant un parcours de rue"),
    IaeCriterion(
        "REF_DA",
        2,
        "Réfugié statutaire, bénéficiaire d'une protection temporaire, protégé subsidiaire "
        "ou demandeur d'asile",
    ),
    IaeCriterion("ZRR", 2, "Résident ZRR/ZFRR"),
    IaeCriterion("QPV", 2, "Résident QPV"),
    IaeCriterion("DETENTION_MJ", 2, "Sortant de détention ou personne placée sous main de justice"),
    IaeCriterion("FLE", 2, "Maîtrise de la langue française inférieure au niveau A1"),
    IaeCriterion("PM", 2, "Problème de mobilité"),
)
"""The 18 criteria of ``les_emplois_administrative_criteria.json``: 4 of level 1, 14 of level 2."""

IAE_THRESHOLDS: Final[Mapping[str, int]] = {"ai": 2, "etti": 2, "aci": 3, "ei": 3, "eiti": 3}
"""Level-2 criteria needed without a level-1 criterion, per kind of SIAE."""

_SENIOR_AGE: Final = 50
_YOUNG_AGE: Final = 26  # "jeune de moins de 26 ans"
_CAP_BEP_LEVEL: Final = 3


def _any(*values: bool | None) -> bool | None:
    """Three-valued OR: True if one is True, False if all are False, None otherwise."""
    if any(value is True for value in values):
        return True
    if all(value is False for value in values):
        return False
    return None


def criteria_status(situation: Situation) -> dict[str, bool | None]:
    """Whether the person meets each IAE criterion: ``True``, ``False`` or ``None`` (unknown).

    The mapping from situation fields:

    - level 1: ``rsa``, ``ass``, ``aah``, ``detld`` (not registered as a job seeker → no DETLD);
    - ``CAP_BEP``: ``no_diploma`` or ``diploma_level`` ≤ 3; a diploma of unknown level leaves
      it unknown; ``SENIOR``: age ≥ 50; ``JEUNE``: age < 26; ``ASE``: ``ase_leaver``;
      ``DELD``: ``deld``; ``TH``: ``rqth`` or a CDAPH orientation (an ESAT orientation is worth
      RQTH, code du travail L5213-2); ``PI``: ``single_parent``; ``PSH_PR``: ``homeless`` or
      ``hosted``; ``REF_DA``: ``refugee``; ``ZRR``, ``QPV``: ``zrr``, ``qpv``;
      ``DETENTION_MJ``: ``justice``; ``FLE``: French level ``A0``;
    - ``PM`` (mobility problem) needs a mobility diagnosis by a prescriber: it is never taken as
      met, only as possible (unknown) when the person lacks a licence or a vehicle, or when
      that is not known.

    Parameters
    ----------
    situation : Situation
        What is known of the person.

    Returns
    -------
    dict of str to bool or None
        Keyed by `IaeCriterion.code`, in the order of `IAE_CRITERIA`.
    """
    s = situation
    not_a_job_seeker = s.job_seeker_registered is False
    age = s.age
    french = None if s.french_level is None else french_level_rank(s.french_level) == 0
    if s.no_diploma is True or (s.diploma_level is not None and s.diploma_level <= _CAP_BEP_LEVEL):
        cap_bep: bool | None = True
    elif s.diploma_level is not None:
        cap_bep = False
    else:
        cap_bep = None
    if s.driving_licence is True and s.vehicle is True:
        mobility: bool | None = False
    else:
        mobility = None  # possible; only a prescriber's mobility diagnosis makes it count
    oriented = s.cdaph_orientation not in (None, "aucune")
    return {
        "RSA": s.rsa,
        "ASS": s.ass,
        "AAH": s.aah,
        "DETLD": False if not_a_job_seeker else s.detld,
        "CAP_BEP": cap_bep,
        "SENIOR": None if age is None else age >= _SENIOR_AGE,
        "JEUNE": None if age is None else age < _YOUNG_AGE,
        "ASE": s.ase_leaver,
        "DELD": False if not_a_job_seeker else s.deld,
        "TH": True if oriented else s.rqth,
        "PI": s.single_parent,
        "PSH_PR": _any(s.homeless, s.hosted),
        "REF_DA": s.refugee,
        "ZRR": s.zrr,
        "QPV": s.qpv,
        "DETENTION_MJ": s.justice,
        "FLE": french,
        "PM": mobility,
    }


@dataclass(frozen=True, slots=True)
class IaeVerdict:
    """IAE eligibility of a person for one kind of SIAE.

    Attributes
    ----------
    verdict : Verdict
        ``PASS``: a level-1 criterion, or ``threshold`` level-2 criteria are met; ``CHECK``:
        unknown criteria could still make it; ``FAIL``: even every unknown criterion would not.
    threshold : int
        Level-2 criteria needed (2 for AI/ETTI, 3 for ACI/EI/EITI).
    met : tuple of IaeCriterion
        Criteria known to be met.
    unknown : tuple of IaeCriterion
        Criteria the situation does not tell about (what a prescriber should check).
    """

    verdict: Verdict
    threshold: int
    met: tuple[IaeCriterion, ...]
    unknown: tuple[IaeCriterion, ...]

    def explanation(self) -> str:
        """French sentence: why the person is eligible, or what must be checked."""
        if self.verdict is Verdict.PASS:
            level1 = [c.name for c in self.met if c.level == 1]
            if level1:
                return f"Éligible à l'IAE (critère de niveau 1 : {level1[0]})."
            names = ", ".join(c.name[:1].lower() + c.name[1:] for c in self.met)
            return f"Éligible à l'IAE ({len(self.met)} critères de niveau 2 : {names})."
        met = sum(1 for c in self.met if c.level == 2)
        if self.verdict is Verdict.FAIL:
            return (
                "Non éligible à l'IAE selon les critères connus : ni critère de niveau 1 "
                f"(RSA, ASS, AAH, DETLD), ni {self.threshold} critères de niveau 2 "
                f"({met} rempli{'s' if met > 1 else ''})."
            )
        unknown = ", ".join(c.name for c in self.unknown[:4])
        more = "…" if len(self.unknown) > 4 else ""
        return (
            "Éligibilité IAE à confirmer : il faut un critère de niveau 1 (RSA, ASS, AAH, "
            f"DETLD) ou {self.threshold} critères de niveau 2 ({met} déjà rempli"
            f"{'s' if met > 1 else ''}) ; à vérifier : {unknown}{more}. Un prescripteur "
            "(France Travail, Mission locale, Cap emploi, PLIE...) peut faire le diagnostic."
        )


def iae_verdict(situation: Situation, threshold: int) -> IaeVerdict:
    """IAE eligibility per Les emplois de l'inclusion (domain.md §5).

    Eligible with at least one level-1 criterion (RSA, ASS, AAH, DETLD), or with at least
    ``threshold`` level-2 criteria. When neither holds but the unknown criteria could make it
    (a level-1 criterion unknown, or met + unknown level-2 criteria ≥ ``threshold``), the
    verdict is ``CHECK``.

    Parameters
    ----------
    situation : Situation
        What is known of the person.
    threshold : int
        Level-2 criteria needed: `IAE_THRESHOLDS` of the SIAE's kind.

    Returns
    -------
    IaeVerdict
    """
    status = criteria_status(situation)
    met = tuple(c for c in IAE_CRITERIA if status[c.code] is True)
    unknown = tuple(c for c in IAE_CRITERIA if status[c.code] is None)
    met_level2 = sum(1 for c in met if c.level == 2)
    if any(c.level == 1 for c in met) or met_level2 >= threshold:
        verdict = Verdict.PASS
    elif any(c.level == 1 for c in unknown) or (
        met_level2 + sum(1 for c in unknown if c.level == 2) >= threshold
    ):
        verdict = Verdict.CHECK
    else:
        verdict = Verdict.FAIL
    return IaeVerdict(verdict, threshold, met, unknown)


# --- the other conditions ----------------------------------------------------------------------


def work_authorization_verdict(situation: Situation) -> Verdict:
    """``PASS`` if the person may work, ``FAIL`` if not, ``CHECK`` if not known."""
    return _tri(situation.work_authorization)


def age_verdict(situation: Situation, min_age: int | None, max_age: int | None) -> Verdict:
    """Whether the person's age lies within ``[min_age, max_age]`` (years, bounds included)."""
    if min_age is None and max_age is None:
        return Verdict.PASS
    if situation.age is None:
        return Verdict.CHECK
    too_young = min_age is not None and situation.age < min_age
    too_old = max_age is not None and situation.age > max_age
    return Verdict.FAIL if too_young or too_old else Verdict.PASS


def esat_verdict(situation: Situation) -> Verdict:
    """ESAT work needs a CDAPH orientation towards ESAT.

    Known orientation ``esat`` → ``PASS``; another known orientation (or ``aucune``) →
    ``FAIL``. Unknown orientation: ``FAIL`` when the person is known to have no RQTH (an ESAT
    orientation is worth RQTH, code du travail L5213-2, so there is none), ``CHECK`` otherwise.
    """
    orientation = situation.cdaph_orientation
    if orientation == "esat":
        return Verdict.PASS
    if orientation is not None or situation.rqth is False:
        return Verdict.FAIL
    return Verdict.CHECK


def rqth_verdict(situation: Situation) -> Verdict:
    """Entreprises adaptées and EATT hire RQTH holders; an ESAT orientation is worth RQTH."""
    if situation.cdaph_orientation == "esat":
        return Verdict.PASS
    return _tri(situation.rqth)


def avip_verdict(situation: Situation) -> Verdict:
    """Whether a crèche AVIP may take the person's child (domain.md §5).

    A crèche AVIP takes children under 3 of a parent actively seeking a job who is a
    registered job seeker, an RSA beneficiary, a single parent, a QPV resident, or under 25
    without a diploma. ``CHECK`` when none is known to hold but some are unknown.
    """
    s = situation
    young_without_diploma = (
        None if s.age is None or s.no_diploma is None else s.age < 25 and s.no_diploma
    )
    return _tri(_any(s.job_seeker_registered, s.rsa, s.single_parent, s.qpv, young_without_diploma))


def _tri(value: bool | None) -> Verdict:
    if value is None:
        return Verdict.CHECK
    return Verdict.PASS if value else Verdict.FAIL


# --- what an opportunity legally requires -----------------------------------------------------

PAID_CONTRACTS: Final = frozenset(
    {
        "cddi", "cdd", "cdi", "cdi-inclusion", "cdd-tremplin", "interim", "mise-a-disposition",
        "alternance", "pmsmp", "tapaj", "phc", "cvg", "esat",
    }
)  # fmt: skip
"""Contracts that are work (or an immersion in work): they need a work authorisation."""

EXEMPT_CONTRACTS: Final = frozenset({"benevolat", "aava", "activite"})
"""Volunteering, AAVA and OACAS activity: open without a work authorisation (domain.md §5)."""

TAPAJ_AGES: Final = (16, 25)
"""TAPAJ is for young people from 16 to 25 (bounds included)."""

AGE_BOUNDED_KINDS: Final = frozenset({"programme", "formation"})
"""Opportunity kinds whose stated age bounds are statutory (CEJ, E2C, EPIDE) and filter.

A job's stated age bound is never applied: it would be age discrimination.
"""

_EXEMPT_PARTNER_KINDS: Final = frozenset({"oacas", "aava"})
_SHELTERED_KINDS: Final = frozenset({"ea", "eatt"})
_LANGUAGE_TITLE: Final = re.compile(
    r"\b(francais|fle|alphabetisation|sociolinguistiques?|asl)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Conditions:
    """The legal conditions of one opportunity, decided once when the offer set is prepared.

    Attributes
    ----------
    work_authorization : bool
        The law requires a work authorisation (employment, immersion, IAE), or the publisher
        states it for an activity the law does not exempt.
    exempt : bool
        Volunteering, AAVA, OACAS activity or a language course: never excluded for want of a
        work authorisation.
    stated_on_exempt : bool
        The publisher asks for a work authorisation on an exempt activity: kept, with a note.
    min_age, max_age : int, optional
        Statutory age bounds, in years (TAPAJ 16–25; stated bounds of youth programmes).
    cdaph_orientation : bool
        ESAT work: needs a CDAPH orientation towards ESAT.
    rqth : bool
        Entreprise adaptée / EATT / CDD tremplin, or stated: reserved to RQTH holders.
    iae_threshold : int
        Level-2 IAE criteria needed for a hire by a SIAE (2 or 3); 0 when not an IAE hire.
    """

    work_authorization: bool = False
    exempt: bool = False
    stated_on_exempt: bool = False
    min_age: int | None = None
    max_age: int | None = None
    cdaph_orientation: bool = False
    rqth: bool = False
    iae_threshold: int = 0


def _fold(text: str) -> str:
    """Lower case without accents: ``"Français"`` → ``"francais"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def is_language_course(
    kind: str, title: str, rome_code: str | None, partner_kind: str, contract: str | None = None
) -> bool:
    """Whether an opportunity is a French course (open without a work authorisation).

    A training (``kind == "formation"``) with no job attached (no ROME code, not a POEI, not an
    alternance, not a driving licence course) given by a plateforme linguistique or whose
    title is about French (français, FLE, alphabétisation, ASL).
    """
    if kind != "formation" or rome_code is not None or contract == "alternance":
        return False
    folded = _fold(title)
    if "poei" in folded or "permis" in folded or "code de la route" in folded:
        return False
    return partner_kind == "plateforme-linguistique" or bool(_LANGUAGE_TITLE.search(folded))


def conditions_of(
    *,
    kind: str,
    contract: str | None,
    partner_kind: str,
    requirements: Eligibility,
    title: str = "",
    rome_code: str | None = None,
) -> Conditions:
    """The legal conditions an opportunity sets, from what it is and what it states.

    Parameters
    ----------
    kind : str
        Opportunity kind (``emploi``, ``immersion``, ``formation``, ``benevolat``,
        ``programme``).
    contract : str, optional
        Contract code of `graph.models.Contract`.
    partner_kind : str
        Kind of the partner offering it (``aci``, ``esat``, ``tapaj``...).
    requirements : graph.models.Eligibility
        What the opportunity states, already merged with its partner's eligibility.
    title, rome_code : str, optional
        To recognise a French course.

    Returns
    -------
    Conditions

    Notes
    -----
    Work authorisation: required for ``emploi`` and ``immersion``, for paid contracts
    (`PAID_CONTRACTS`), for any SIAE hire, and wherever the publisher states it — except for
    volunteering, AAVA, OACAS activity and French courses, which stay open (a stated
    requirement there only yields a note).
    """
    iae_threshold = (
        IAE_THRESHOLDS[partner_kind]
        if partner_kind in SIAE_KINDS
        and (kind == "emploi" or contract in {"cddi", "mise-a-disposition", "interim"})
        else 0
    )
    exempt = (
        kind == "benevolat"
        or contract in EXEMPT_CONTRACTS
        or partner_kind in _EXEMPT_PARTNER_KINDS
        or is_language_course(kind, title, rome_code, partner_kind, contract)
    )
    stated = requirements.requires_work_authorization is True
    needs_work = (
        kind in ("emploi", "immersion") or contract in PAID_CONTRACTS or iae_threshold > 0 or stated
    )
    tapaj = contract == "tapaj" or partner_kind == "tapaj"
    min_age: int | None
    max_age: int | None
    if tapaj:
        min_age = requirements.min_age if requirements.min_age is not None else TAPAJ_AGES[0]
        max_age = requirements.max_age if requirements.max_age is not None else TAPAJ_AGES[1]
    elif kind in AGE_BOUNDED_KINDS:
        min_age, max_age = requirements.min_age, requirements.max_age
    else:
        min_age = max_age = None
    return Conditions(
        work_authorization=needs_work and not exempt,
        exempt=exempt,
        stated_on_exempt=exempt and stated,
        min_age=min_age,
        max_age=max_age,
        cdaph_orientation=(
            contract == "esat"
            or partner_kind == "esat"
            or requirements.requires_cdaph_orientation is True
        ),
        rqth=(
            partner_kind in _SHELTERED_KINDS
            or contract == "cdd-tremplin"
            or requirements.requires_rqth is True
        ),
        iae_threshold=iae_threshold,
    )
