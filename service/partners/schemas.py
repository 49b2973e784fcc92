"""Request and response bodies of the partners feature (the records live in `graph.models`),
and the conversions from stored rows to them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, cast, get_args

from geoalchemy2.shape import to_shape
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo

from geodata.journeys import Journey
from graph.inputs import STORED, InputModel
from graph.models import (
    Contact,
    Eligibility,
    HoursPerWeek,
    OpportunityFields,
    PartnerFields,
    RelationFields,
)
from service.store.records import opportunity_record
from service.tables import Opportunity, Partner, Relation

T = TypeVar("T")


def partial_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A PATCH body: the fields of ``model``, all optional, unknown fields refused.

    Each field keeps its type with its constraints and validators (bounds, strict numbers,
    vocabularies), so a PATCH is refused for the same reasons as a POST; the whole record
    is validated again once merged (rules between fields, the territorial bound). A field
    may be ``null`` only where the record allows it (``null`` then clears it): ``"kind":
    null`` is refused, as the schema says.
    """
    fields: dict[str, Any] = {
        field: (_with_metadata(info), _optional(info)) for field, info in model.model_fields.items()
    }
    return create_model(name, __base__=InputModel, **fields)


def _with_metadata(info: FieldInfo) -> Any:
    annotation = cast(Any, info.annotation)
    return Annotated[annotation, *info.metadata] if info.metadata else annotation


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional(info: FieldInfo) -> Any:
    """The field's `Field` in a PATCH body: absent by default (never filled in: only the
    fields given are changed), without the ``null`` default in the schema of a field that
    cannot be ``null``."""
    nullable = type(None) in get_args(info.annotation)
    return Field(
        None,
        description=info.description,
        json_schema_extra=None if nullable else _drop_default,
    )


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="nombre total de résultats")
    page: int
    size: int


class Travel(BaseModel):
    mode: str
    minutes: float = Field(
        description="temps de trajet, en minutes (à 0,1 près) ; en transports en commun, le "
        "trajet le plus rapide qui part du point dans la fenêtre de départ, dont les étapes "
        "(journey) font ce temps"
    )
    estimated: bool = Field(
        description="vrai quand le temps est estimé en tout ou partie : à vol d'oiseau (pas "
        "de réseau ici), transports en commun sans horaires, ou marche estimée vers les "
        "arrêts (1,3 fois la ligne droite à 4,5 km/h)"
    )
    journey: Journey | None = Field(
        None,
        description="le trajet étape par étape (marche, attente, trajet en véhicule, "
        "correspondance), chaque étape dite estimée ou non ; pour les résultats de la page",
    )


class PartnerSummary(BaseModel):
    id: uuid.UUID
    name: str
    aliases: list[str] = Field(
        default_factory=list,
        description="autres noms que lui donnent ses sources : quand un registre officiel "
        "(FINESS, Les emplois) et un annuaire de services (data·inclusion) décrivent la même "
        "structure, le nom officiel l'emporte et celui de l'annuaire est gardé ici ; la "
        "recherche q= les lit aussi",
    )
    kind: str
    family: str
    lat: float
    lon: float
    address: str | None
    code_insee: str | None
    distance_m: float | None = Field(
        None, description="distance à vol d'oiseau depuis le point donné, en mètres"
    )
    capacity: int | None
    available_places: int | None
    source: str = Field(description="provenance canonique de la fiche (finess, dora, maillage…)")
    updated_at: dt.datetime = Field(description="dernière modification de la fiche dans maillage")
    status: Literal["open", "closed"] = Field(
        "open",
        description="open : en activité ; closed : retiré de toutes les sources qui le listaient",
    )
    travel: Travel | None = Field(None, description="temps de trajet quand un mode est donné")


class PartnerPage(Page[PartnerSummary]):
    """A page of partners; with a mode, how the travel times are known."""

    estimated_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="avec un mode : part des résultats dont le temps de trajet est estimé",
    )
    notice: str | None = Field(
        None,
        description="ce qu'il faut savoir des temps (ex. date des horaires utilisée quand le "
        "départ demandé sort de leur période de validité)",
    )


class ProvenanceOut(BaseModel):
    """One source's record of the partner (a partner listed by two sources has two)."""

    source: str = Field(description="source : finess, dora, emplois-siae, maillage…")
    source_id: str = Field(description="identifiant de la fiche dans cette source")
    source_updated_on: dt.date | None = Field(
        description="date de dernière mise à jour selon la source (date_maj), si elle la donne"
    )
    seen_at: dt.datetime = Field(description="dernier import qui listait cette fiche")
    gone_at: dt.datetime | None = Field(
        None, description="date à laquelle la source a cessé de lister la fiche"
    )


class PartnerDetail(PartnerSummary):
    siret: str | None
    opening_hours: str | None
    publics: list[str]
    thematiques: list[str]
    eligibility: Eligibility
    contact: Contact
    description: str | None
    source_id: str | None
    organisation_id: uuid.UUID | None
    created_at: dt.datetime
    closed_at: dt.datetime | None = Field(
        None, description="fermeture constatée : la dernière source l'a retiré à cette date"
    )
    provenances: list[ProvenanceOut] = Field(
        default_factory=list,
        description="toutes les sources qui décrivent ce partenaire (même structure : same_as)",
    )


class PartnerCreate(PartnerFields):
    """A new partner; an editor's partner is attached to its organisation."""


if TYPE_CHECKING:  # built at run time; to the type checker, a plain model
    PartnerPatch = BaseModel
    OpportunityPatch = BaseModel
    RelationPatch = BaseModel
else:
    PartnerPatch = partial_model(PartnerFields, "PartnerPatch")
    OpportunityPatch = partial_model(OpportunityFields, "OpportunityPatch")
    RelationPatch = partial_model(RelationFields, "RelationPatch")


class OpportunityCreate(OpportunityFields):
    partner_id: uuid.UUID


class OpportunityOut(BaseModel):
    id: uuid.UUID
    partner_id: uuid.UUID
    partner_name: str
    title: str
    kind: str
    contract: str | None
    rome_code: str | None
    hours_per_week: HoursPerWeek | None
    schedule: str | None
    atypical_hours: bool
    places: int | None
    requirements: Eligibility
    description: str | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    source_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RelationCreate(RelationFields):
    source_partner_id: uuid.UUID
    target_partner_id: uuid.UUID


class RelationOut(BaseModel):
    id: uuid.UUID
    source_partner_id: uuid.UUID
    source_name: str
    target_partner_id: uuid.UUID
    target_name: str
    kind: str
    since: dt.date | None
    until: dt.date | None
    note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


def partner_summary(
    row: Partner, lon: float, lat: float, distance_m: float | None
) -> PartnerSummary:
    return PartnerSummary(
        id=row.id,
        name=row.name,
        aliases=list(row.aliases or []),
        kind=row.kind,
        family=row.family,
        lat=lat,
        lon=lon,
        address=row.address,
        code_insee=row.code_insee,
        distance_m=None if distance_m is None else round(float(distance_m), 1),
        capacity=row.capacity,
        available_places=row.available_places,
        source=row.source,
        updated_at=row.updated_at,
        status=row.status,
    )


def partner_detail(row: Partner) -> PartnerDetail:
    geom = to_shape(row.geom)
    return PartnerDetail(
        **partner_summary(row, geom.x, geom.y, None).model_dump(),
        siret=row.siret,
        opening_hours=row.opening_hours,
        publics=list(row.publics or []),
        thematiques=list(row.thematiques or []),
        eligibility=Eligibility.model_validate(row.eligibility or {}, context=STORED),
        contact=row.contact or {},
        description=row.description,
        source_id=row.source_id,
        organisation_id=row.organisation_id,
        created_at=row.created_at,
        closed_at=row.closed_at,
        provenances=[
            ProvenanceOut(
                source=p.source,
                source_id=p.source_id,
                source_updated_on=p.source_updated_on,
                seen_at=p.seen_at,
                gone_at=p.gone_at,
            )
            for p in sorted(row.provenances, key=lambda p: (p.source, p.source_id))
        ],
    )


def opportunity_out(row: Opportunity, partner_name: str) -> OpportunityOut:
    record = opportunity_record(row)
    return OpportunityOut(
        id=row.id,
        partner_id=row.partner_id,
        partner_name=partner_name,
        **record.model_dump(exclude={"source_id", "atypical_hours"}),
        atypical_hours=row.atypical_hours,
        source_id=row.source_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def relation_out(row: Relation, source_name: str, target_name: str) -> RelationOut:
    return RelationOut(
        id=row.id,
        source_partner_id=row.source_partner_id,
        source_name=source_name,
        target_partner_id=row.target_partner_id,
        target_name=target_name,
        kind=row.kind,
        since=row.since,
        until=row.until,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
