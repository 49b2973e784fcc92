"""Support sites: the partners that lift an obstacle or carry a pathway, by need and tier.

Each need (crèche, licence, mobility, French, rights, IAE diagnosis, MDPH, addiction care,
housing, PHC/TAPAJ/Convergence/AAVA) lists the kinds or thematiques that address it, in tiers of
preference (tier 0 first). `SupportTable` keeps the sites that address some need, as column
arrays (EPSG:4326 lon/lat in degrees).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Self

import numpy as np
import numpy.typing as npt

from graph.eligibility import Situation
from graph.matching.arrays import BoolArray, FloatArray, IntArray
from graph.matching.offers import PartnerSite


@dataclass(frozen=True, slots=True)
class Need:
    """Which sites address a need, in tiers of preference: (kinds or None, thematique or None)."""

    tiers: tuple[tuple[frozenset[str] | None, str | None], ...]
    with_places: bool = False


def _tier(*kinds: str, thematique: str | None = None) -> tuple[frozenset[str] | None, str | None]:
    return (frozenset(kinds) if kinds else None, thematique)


_FRENCH_THEME: Final = "lecture-ecriture-calcul--maitriser-le-francais"
NEEDS: Final[Mapping[str, Need]] = {
    "creche": Need(
        (
            _tier("creches-avip"),
            _tier("micro-creche-insertion"),
            _tier("creche"),
            _tier(thematique="famille--garde-denfants"),
        ),
        with_places=True,
    ),
    "permis": Need(
        (
            _tier("auto-ecole-sociale"),
            _tier(thematique="mobilite--preparer-un-permis"),
            _tier("plateforme-mobilite", "wimoov", "mobin"),
        ),
    ),
    "mobilite": Need(
        (
            _tier("plateforme-mobilite", "wimoov", "mobin"),
            _tier(thematique="mobilite--etre-accompagne-dans-son-parcours-mobilite"),
        ),
    ),
    "vehicule": Need(
        (_tier("garage-solidaire"), _tier(thematique="mobilite--acceder-a-un-vehicule")),
    ),
    "langue": Need(
        (
            _tier("plateforme-linguistique"),
            _tier("organisme-formation", "afpa", thematique=_FRENCH_THEME),
        ),
    ),
    "droits": Need(
        (_tier("france-service", "points-justice"), _tier("ccas-cias", "caf")),
    ),
    "diagnostic-iae": Need(
        (
            _tier("france-travail", "mission-locale", "cap-emploi-reseau-cheops"),
            _tier("plie", "spip"),
        ),
    ),
    "mdph": Need(
        (_tier("mdph"), _tier(thematique="sante--constituer-un-dossier-mdph-invalidite")),
    ),
    "addictions": Need((_tier("csapa", "caarud"),)),
    "logement": Need((_tier("siao"), _tier("accueil-de-jour", "chu"))),
    "phc": Need((_tier("phc"),)),
    "tapaj": Need((_tier("tapaj"),)),
    "cvg": Need((_tier("cvg"),)),
    "aava": Need((_tier("aava"),)),
    # who to ask when the territory knows no one for a need (`ASK`)
    "ask-hebergement": Need((_tier("siao"), _tier("ddets"))),
    "ask-social": Need((_tier("ccas-cias"), _tier("france-service", "departements"))),
    "ask-emploi": Need((_tier("france-travail", "mission-locale"), _tier("ccas-cias"))),
    "ask-jeunes": Need((_tier("csapa", "caarud"), _tier("mission-locale"))),
}

NEED_LABELS: Final[Mapping[str, str]] = {
    "creche": "la garde d'enfant (crèche avec une place)",
    "permis": "la préparation du permis",
    "mobilite": "l'accompagnement à la mobilité",
    "vehicule": "l'accès à un véhicule",
    "langue": "l'apprentissage du français",
    "droits": "l'accès aux droits",
    "diagnostic-iae": "le diagnostic d'éligibilité à l'IAE",
    "mdph": "le dossier MDPH",
    "addictions": "l'accompagnement en addictologie",
    "logement": "l'hébergement",
    "phc": "les Premières heures en chantier",
    "tapaj": "TAPAJ",
    "cvg": "Convergence",
    "aava": "les ateliers d'adaptation à la vie active",
}
"""Each need in French, for the sentence that says no one is known for it."""

ASK: Final[Mapping[str, str]] = {
    "creche": "ask-social",
    "permis": "ask-emploi",
    "mobilite": "ask-emploi",
    "vehicule": "ask-emploi",
    "langue": "ask-emploi",
    "droits": "ask-social",
    "diagnostic-iae": "ask-social",
    "mdph": "ask-social",
    "addictions": "ask-social",
    "logement": "ask-hebergement",
    "phc": "ask-hebergement",
    "tapaj": "ask-jeunes",
    "cvg": "ask-hebergement",
    "aava": "ask-hebergement",
}
"""Who can orient the person when the territory knows no partner for a need: the SIAO or the
DDETS for programmes of the hébergement world, the CCAS or the département for social needs,
France Travail or the mission locale for mobility and French, CSAPA/CAARUD for TAPAJ."""


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
        tiers = _all_tiers(unique)
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
        self.kinds: npt.NDArray[np.str_] = np.array([s.kind for s in self.sites], dtype=np.str_)
        rules = [s.eligibility for s in self.sites]
        self.min_age: FloatArray = np.array(
            [np.nan if r.min_age is None else r.min_age for r in rules], dtype=np.float64
        )
        self.max_age: FloatArray = np.array(
            [np.nan if r.max_age is None else r.max_age for r in rules], dtype=np.float64
        )
        self.requires_rqth: BoolArray = np.array([r.requires_rqth is True for r in rules], bool)

    def open_to(self, situation: Situation) -> BoolArray:
        """Sites that can serve the person, by their stated eligibility and their kind.

        Age bounds and RQTH stated by the site apply; Cap emploi serves people with a
        disability (not a person known without RQTH), the SPIP people under a court measure.
        """
        ok = np.ones(len(self.sites), dtype=bool)
        if situation.age is not None:
            ok &= ~(self.min_age > situation.age) & ~(self.max_age < situation.age)
        if situation.rqth is False:
            ok &= ~self.requires_rqth & (self.kinds != "cap-emploi-reseau-cheops")
        if situation.justice is not True:
            ok &= self.kinds != "spip"
        return ok

    @classmethod
    def from_sites(cls, sites: Sequence[PartnerSite]) -> Self:
        """Prepare support sites once; see the class docstring."""
        return cls(sites)

    def __len__(self) -> int:
        return len(self.sites)


def _all_tiers(sites: Sequence[PartnerSite]) -> dict[str, IntArray]:
    """`_site_tiers` for every need; a site's tiers depend only on its kind and thematiques,
    so each distinct (kind, thematiques) is ranked once (a territory has few of them)."""
    profiles: dict[tuple[str, tuple[str, ...]], int] = {}
    profile_of = np.empty(len(sites), dtype=np.int64)
    representatives: list[PartnerSite] = []
    for index, site in enumerate(sites):
        key = (site.kind, site.thematiques)
        found = profiles.get(key)
        if found is None:
            found = profiles[key] = len(representatives)
            representatives.append(site)
        profile_of[index] = found
    return {key: _site_tiers(representatives, need)[profile_of] for key, need in NEEDS.items()}


def _site_tiers(sites: Sequence[PartnerSite], need: Need) -> IntArray:
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
