"""The network feature's query parameters: the scope of an analysis (relation kinds,
families, bbox, EPCI, communes), travel mode and budget, limits and formats (422 in French).

Coordinates EPSG:4326 lon/lat, degrees; budgets in minutes.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from graph import vocabulary
from graph.coverage import EMPLOYER_FAMILIES
from graph.inputs import Documented, InputModel
from graph.models import RelationKind
from graph.network.interlocutors import DEFAULT_FAMILIES
from graph.network.model import Scope

MAX_BUDGET_MINUTES: Final = 120.0
DEFAULT_BUDGET_MINUTES: Final = 45.0
MAX_AREA_CODES: Final = 500


def _listed(value: Any) -> Any:
    """``kinds=a,b`` or ``kinds=a&kinds=b``: one list of stripped values either way."""
    if value is None:
        return []
    given = [value] if isinstance(value, str) else list(value)
    return [piece.strip() for text in given for piece in str(text).split(",")]


Listed = BeforeValidator(_listed)
"""A query list: repeated values, or one text of values separated by commas."""


def _bbox(value: Any) -> Any:
    """``bbox=w,s,e,n`` as one text or four values; corners in any order."""
    if value is None:
        return None
    parts = _listed(value)
    return parts or None


def _ordered(bbox: tuple[float, float, float, float] | None) -> Any:
    if bbox is None:
        return None
    a, b, c, d = bbox
    return min(a, c), min(b, d), max(a, c), max(b, d)


FamilyCode = Annotated[
    str,
    AfterValidator(vocabulary.check_family),
    Documented(lambda: {"enum": list(vocabulary.families())}),
]
EmployerFamily = Literal["employeurs-ordinaires", "employeurs-inclusifs"]
_Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
_Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
# [0-9], not \d (test_contract): a commune code INSEE (2A/2B for Corsica), an EPCI SIREN
CommuneCode = Annotated[str, Field(pattern=r"^([0-9]{2}|2[AB])[0-9]{3}$")]
EpciCode = Annotated[str, Field(pattern=r"^[0-9]{9}$")]


class AreaQuery(InputModel):
    """Where: a rectangle, EPCI or communes (a partner in either of the two lists is kept)."""

    bbox: Annotated[
        tuple[_Lon, _Lat, _Lon, _Lat] | None, BeforeValidator(_bbox), AfterValidator(_ordered)
    ] = Field(
        None,
        description="seulement les structures dans ce rectangle : deux coins opposés "
        "lon,lat,lon,lat (EPSG:4326, degrés), dans n'importe quel ordre",
    )
    epci: Annotated[list[EpciCode], Listed] = Field(
        default_factory=list,
        max_length=MAX_AREA_CODES,
        description="seulement les structures de ces EPCI (SIREN à 9 chiffres, ex. 243000643 "
        "pour Alès Agglomération), séparés par des virgules",
    )
    communes: Annotated[list[CommuneCode], Listed] = Field(
        default_factory=list,
        max_length=MAX_AREA_CODES,
        description="seulement les structures de ces communes (codes INSEE, ex. 30007,30189)",
    )

    def scope(self, **more: Any) -> Scope:
        return Scope(
            bbox=self.bbox,
            epci=frozenset(self.epci) if self.epci else None,
            communes=frozenset(self.communes) if self.communes else None,
            **more,
        )


class StructureQuery(AreaQuery):
    """Which part of the network to analyse."""

    relation_kinds: Annotated[list[RelationKind], Listed] = Field(
        default_factory=list,
        description="seulement ces types de relations (oriente-vers, prescrit, convention, "
        "membre, recrute, referent-employeur, finance) ; toutes sinon",
    )
    families: Annotated[list[FamilyCode], Listed] = Field(
        default_factory=list,
        description="seulement les structures de ces familles (voir /v1/reference/families) ; "
        "toutes sinon",
    )
    limit: int = Field(
        20, ge=1, le=500, description="nombre de courtiers rendus (intermédiarité la plus forte)"
    )

    def network_scope(self) -> Scope:
        return self.scope(
            relation_kinds=frozenset(self.relation_kinds) if self.relation_kinds else None,
            families=frozenset(self.families) if self.families else None,
        )


class GraphQuery(StructureQuery):
    """Which part of the network to draw (``limit`` is not used)."""


Mode = Literal["walk", "bike", "car", "transit"]


class TravelQuery(InputModel):
    mode: Mode = Field(
        "transit",
        description="comment les personnes se déplacent : walk (à pied), bike, car, transit "
        "(transports en commun, défaut)",
    )
    max_minutes: float = Field(
        DEFAULT_BUDGET_MINUTES,
        gt=0,
        le=MAX_BUDGET_MINUTES,
        allow_inf_nan=False,
        description="budget de temps de trajet depuis la structure, en minutes (45 par défaut, "
        "120 au plus)",
    )
    limit: int = Field(
        5, ge=1, le=20, description="partenariats proposés par structure (20 au plus)"
    )


Origin = Literal["hebergement", "siae"]


class PartnershipsQuery(AreaQuery, TravelQuery):
    """Which structures to suggest partnerships for."""

    origins: Annotated[list[Origin], Listed] = Field(
        default_factory=list,
        description="hebergement (structures de la famille AHI), siae, ou les deux (défaut)",
    )
    unlinked_only: bool = Field(
        False,
        description="seulement les structures qui n'ont encore aucune relation avec un acteur "
        "du côté emploi",
    )
    format: Literal["json", "csv"] = Field(
        "json",
        description="json (défaut) ou csv pour un comité de pilotage (séparateur « ; », virgule "
        "décimale, UTF-8 avec BOM : s'ouvre dans Excel)",
    )


class EmployerPartnershipsQuery(TravelQuery):
    """The shelters and SIAE an employment-side actor could work with."""

    limit: int = Field(20, ge=1, le=200, description="structures proposées, au plus")


class EmployersQuery(AreaQuery):
    """Employers approached by several structures."""

    families: Annotated[list[EmployerFamily], Listed] = Field(
        default_factory=list,
        description="employeurs-ordinaires (défaut : entreprises, intérim) et/ou "
        "employeurs-inclusifs (SIAE, ESAT, EA, GEIQ…)",
    )
    min_structures: int = Field(
        2, ge=1, le=100, description="employeurs approchés par au moins ce nombre de structures"
    )
    format: Literal["json", "csv"] = Field(
        "json", description="json (défaut) ou csv (séparateur « ; », UTF-8 avec BOM)"
    )

    def employer_families(self) -> frozenset[str]:
        chosen = frozenset(self.families) if self.families else DEFAULT_FAMILIES
        return chosen & EMPLOYER_FAMILIES
