"""The partners feature's query parameters: described, bounded, cross-checked (422 in French)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from geodata.modes import TravelMode
from graph.inputs import NOT_BLANK, Documented, InputModel
from graph.models import FamilyCode, KindCode, OpportunityKind, Publics, RomeCode, Thematiques
from service.travel import DEPARTURE_DESCRIPTION, MAX_MINUTES, DepartureTime

MAX_RADIUS_KM = 200.0
MAX_PAGE_SIZE = 100

PartnerStatus = Literal["open", "closed", "all"]
Geocoding = Literal["source", "swapped", "commune"]


def _split_commas(value: Any) -> Any:
    """Accept ``kinds=a,b`` as well as ``kinds=a&kinds=b``. An empty value is kept, and
    refused as any unknown code (``kinds=`` is not « no filter »: leave the parameter out)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [part.strip() for item in items for part in str(item).split(",")]


Commas = BeforeValidator(_split_commas)
"""A query list given as repeated values, or as one text of values separated by commas."""


class Pagination(InputModel):
    page: int = Field(1, ge=1, le=10_000, description="numéro de page, à partir de 1")
    size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="résultats par page (100 au plus)")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


class PartnerQuery(Pagination):
    """Search partners around a point (straight-line distance) and by categories.

    Rules between parameters (422 otherwise): ``lat`` and ``lon`` go together; ``radius_km``
    and ``mode`` need them; ``max_minutes`` needs a ``mode``.
    """

    lat: float | None = Field(
        None,
        ge=-90,
        le=90,
        allow_inf_nan=False,
        description="latitude WGS84, en degrés ; avec lon (l'un sans l'autre : 422)",
    )
    lon: float | None = Field(
        None,
        ge=-180,
        le=180,
        allow_inf_nan=False,
        description="longitude WGS84, en degrés ; avec lat (l'un sans l'autre : 422)",
    )
    radius_km: float | None = Field(
        None,
        gt=0,
        le=MAX_RADIUS_KM,
        allow_inf_nan=False,
        description="rayon à vol d'oiseau autour du point, en kilomètres (200 au plus) ; "
        "demande lat et lon (422 sinon)",
    )
    kinds: Annotated[list[KindCode], Commas] = Field(
        default_factory=list, description="types d'acteurs (voir /v1/reference/kinds)"
    )
    families: Annotated[list[FamilyCode], Commas] = Field(
        default_factory=list, description="familles d'acteurs (voir /v1/reference/families)"
    )
    thematiques: Annotated[Thematiques, Commas] = Field(
        default_factory=list, description="thématiques data·inclusion (au moins une)"
    )
    publics: Annotated[Publics, Commas] = Field(
        default_factory=list, description="publics data·inclusion (au moins un)"
    )
    q: Annotated[str, Documented(lambda: {"pattern": NOT_BLANK})] | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="mots cherchés, en français : chacun doit désigner le "
        "partenaire par le début d'un mot de son nom, de ses autres noms ou de son adresse, par "
        "son type (« CHRS », « crèche », « SIAE ») ou par sa commune (« Alès ») ; accents, "
        "majuscules et élisions ignorés. Les membres d'un réseau ou d'une plateforme trouvés "
        "suivent. Sans point, triés par pertinence",
    )
    source: str | None = Field(
        None,
        max_length=64,
        description="provenance, ex. « finess » : partenaires dont une des sources est celle-ci",
    )
    status: PartnerStatus = Field(
        "open",
        description="open : en activité (défaut) ; closed : fermés (retirés de toutes les "
        "sources qui les listaient) ; all : les deux",
    )
    stale: bool = Field(
        False,
        description="seulement les fiches anciennes depuis MAILLAGE_STALE_AFTER_DAYS jours (365 "
        "par défaut), selon la règle de chaque source : un registre (FINESS, Les emplois) "
        "absent des extraits importés depuis ; un annuaire de services (data·inclusion, "
        "médiation numérique) ni daté par son producteur ni listé par un import depuis ; une "
        "fiche saisie dans maillage non modifiée depuis",
    )
    geocoding: Geocoding | None = Field(
        None,
        description="comment le point a été obtenu : source (coordonnées de la source ou "
        "saisies), swapped (latitude et longitude inversées par la source, corrigées), commune "
        "(placé au centre de sa commune : adresse non géocodée ou point de la source hors de sa "
        "commune)",
    )
    mode: TravelMode | None = Field(
        None,
        description="mode de déplacement : les résultats sont triés par temps de trajet "
        "(walk : à pied, bike : à vélo, car : en voiture, transit : transports en commun) ; "
        "demande un point de départ, lat et lon (422 sinon)",
    )
    max_minutes: float | None = Field(
        None,
        gt=0,
        le=MAX_MINUTES,
        allow_inf_nan=False,
        description="temps de trajet maximal, en minutes (180 au plus) ; demande un mode "
        "(422 sinon)",
    )
    departure: DepartureTime = Field(None, description=DEPARTURE_DESCRIPTION)
    window_minutes: int = Field(
        60,
        ge=1,
        le=180,
        description="transports en commun : fenêtre de départ, en minutes. Pour le trajet "
        "d'une personne, le temps retenu est celui du trajet le plus rapide qui part de chez "
        "elle dans la fenêtre, compté du départ de chez elle (sans attente à la maison), et "
        "ses étapes font ce temps ; la couverture et les isochrones retiennent la médiane "
        "sur la fenêtre (accessibilité d'ensemble, comme r5py)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat et lon vont ensemble : donnez les deux ou aucun")
        if self.radius_km is not None and self.lat is None:
            raise ValueError("radius_km demande un point (lat et lon)")
        if self.mode is not None and self.lat is None:
            raise ValueError("mode demande un point de départ (lat et lon)")
        if self.max_minutes is not None and self.mode is None:
            raise ValueError("max_minutes demande un mode (walk, bike, car ou transit)")
        return self


class OpportunityQuery(Pagination):
    partner_id: uuid.UUID | None = None
    kinds: Annotated[list[OpportunityKind], Commas] = Field(
        default_factory=list, description="emploi, immersion, formation, benevolat, programme"
    )
    rome_codes: Annotated[list[RomeCode], Commas] = Field(
        default_factory=list, description="codes ROME, ex. D1106"
    )
    with_places: bool = Field(False, description="seulement les offres avec des places ouvertes")
