"""Domain records of the partner network: partners, opportunities, relations.

These pydantic models are the one definition of what a valid record is. The HTTP API, the
GeoJSON import and the demo territory all validate through them, so a rule written here holds
everywhere. Coordinates are WGS84 longitude/latitude in degrees (EPSG:4326). Every validation
message is in French: it reaches users as an API error or an import rejection.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

from geodata.france import in_france
from graph import validation, vocabulary
from graph.inputs import (
    NOT_BLANK,
    SPACES,
    Boolean,
    Date,
    Documented,
    InputModel,
    Integer,
    Number,
    is_stored,
    padded,
)

FrenchLevel = Literal["A0", "A1", "A2", "B1", "B2", "C1", "C2"]

OpportunityKind = Literal["emploi", "immersion", "formation", "benevolat", "programme"]
OPPORTUNITY_KINDS: dict[str, str] = {
    "emploi": "Emploi",
    "immersion": "Immersion (PMSMP)",
    "formation": "Formation",
    "benevolat": "Bénévolat",
    "programme": "Programme d'accompagnement ou de remobilisation",
}

Contract = Literal[
    "cddi",
    "cdd",
    "cdi",
    "cdi-inclusion",
    "cdd-tremplin",
    "interim",
    "mise-a-disposition",
    "alternance",
    "pmsmp",
    "stage",
    "formation",
    "aava",
    "tapaj",
    "phc",
    "cvg",
    "esat",
    "service-civique",
    "benevolat",
    "activite",
]
CONTRACTS: dict[str, str] = {
    "cddi": "CDD d'insertion (CDDI)",
    "cdd": "CDD",
    "cdi": "CDI",
    "cdi-inclusion": "CDI inclusion (57 ans et plus)",
    "cdd-tremplin": "CDD tremplin (entreprise adaptée)",
    "interim": "Mission d'intérim",
    "mise-a-disposition": "Mise à disposition (association intermédiaire)",
    "alternance": "Contrat en alternance",
    "pmsmp": "Période de mise en situation en milieu professionnel (PMSMP)",
    "stage": "Stage",
    "formation": "Formation",
    "aava": "Atelier d'adaptation à la vie active (AAVA)",
    "tapaj": "TAPAJ (travail payé à la journée)",
    "phc": "Premières heures en chantier (PHC)",
    "cvg": "Convergence",
    "esat": "Contrat de soutien et d'aide par le travail (ESAT)",
    "service-civique": "Service civique",
    "benevolat": "Bénévolat",
    "activite": "Activité solidaire (OACAS)",
}

RelationKind = Literal[
    "oriente-vers", "prescrit", "convention", "membre", "recrute", "referent-employeur", "finance"
]
RELATION_KINDS: dict[str, str] = {
    "oriente-vers": "Oriente des personnes vers",
    "prescrit": "Prescrit (parcours IAE, PMSMP)",
    "convention": "Convention de partenariat",
    "membre": "Membre de",
    "recrute": "Recrute par l'intermédiaire de",
    "referent-employeur": "Référent de la relation avec l'employeur",
    "finance": "Finance",
}

IN_FRANCE = (
    "degrés (EPSG:4326) ; le point doit être en France (métropole, Corse, outre-mer), "
    "jamais (0, 0) : 422 sinon"
)
OUTSIDE_FRANCE = (
    "lon, lat : point hors de France (métropole, Corse, outre-mer) ; (0, 0) n'est pas un lieu"
)

# Forms of the codes and contacts (regexes without anchors, in a syntax every dialect reads
# alike): the validators below match them, and the JSON schema says them (`padded`).
_SOURCE_FORM = r"[a-z0-9][a-z0-9._-]{0,63}"
_PHONE_FORM = r"\+?[0-9 .()-]{6,25}"
_EMAIL_PART = rf"[^@{SPACES}\u0000]+"
_EMAIL_FORM = rf"{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}"
_URL_FORM = rf"[Hh][Tt][Tt][Pp][Ss]?://[^{SPACES}/$.?#\u0000][^{SPACES}\u0000]+"
_SOURCE_PATTERN = re.compile(_SOURCE_FORM)
_PHONE_PATTERN = re.compile(_PHONE_FORM)
_EMAIL_PATTERN = re.compile(_EMAIL_FORM)
_URL_PATTERN = re.compile(_URL_FORM)


def _pattern(form: str) -> Documented:
    """The JSON schema's ``pattern`` of a text whose form a validator checks."""
    return Documented(lambda: {"pattern": padded(form)})


def _codes(vocabulary_of: Callable[[], Mapping[str, object]]) -> Documented:
    """The JSON schema's ``enum`` of a code a vocabulary checks (read when the schema is made)."""
    return Documented(lambda: {"enum": list(vocabulary_of())})


NOT_BLANK_TEXT = Documented(lambda: {"pattern": NOT_BLANK})
"""The JSON schema's ``pattern`` of a text that must hold something besides whitespace."""


def _check_source(value: str) -> str:
    if not _SOURCE_PATTERN.fullmatch(value):
        raise ValueError(
            "source invalide : lettres minuscules, chiffres, « . », « _ » ou « - » "
            "(64 caractères au plus), ex. « demo » ou « dora »"
        )
    return value


Longitude = Annotated[Number, Field(ge=-180, le=180, allow_inf_nan=False, description="degrés")]
Latitude = Annotated[Number, Field(ge=-90, le=90, allow_inf_nan=False, description="degrés")]
SourceCode = Annotated[str, AfterValidator(_check_source), _pattern(_SOURCE_FORM)]
Text = Annotated[str, Field(min_length=1, max_length=300), NOT_BLANK_TEXT]
KindCode = Annotated[
    str,
    AfterValidator(vocabulary.check_kind),
    Field(description="code de typologie (voir /v1/reference/kinds)"),
    _codes(vocabulary.kinds),
]
Siret = Annotated[
    str,
    AfterValidator(validation.validate_siret),
    Field(
        description="14 chiffres (espaces admis entre eux) ; la clé de contrôle (Luhn) du "
        "SIRET et celle du SIREN sont vérifiées : 422 si l'une ne correspond pas"
    ),
    _pattern(validation.SIRET_FORM),
]
CodeInsee = Annotated[
    str,
    AfterValidator(validation.validate_code_insee),
    Field(description="code officiel géographique de la commune, ex. 30189 (Nîmes), 2A004"),
    _pattern(validation.CODE_INSEE_FORM),
]
RomeCode = Annotated[
    str,
    AfterValidator(validation.validate_rome_code),
    Field(description="code ROME, ex. D1106"),
    _pattern(validation.ROME_CODE_FORM),
]
OpeningHours = Annotated[
    str,
    Field(
        max_length=500,
        description="syntaxe OpenStreetMap opening_hours, ex. « Mo-Fr 08:30-17:00 » : le "
        "service la vérifie (422 si elle n'est pas lisible)",
    ),
    NOT_BLANK_TEXT,
    AfterValidator(validation.validate_opening_hours),
]
FamilyCode = Annotated[
    str,
    AfterValidator(vocabulary.check_family),
    _codes(vocabulary.families),
]

CATEGORY_UNKNOWN = (
    "catégorie inconnue ; donnez une famille (ex. garde-enfants), un type d'acteur (ex. "
    "creches-avip) ou une thématique (ex. famille--garde-denfants) ; listes : "
    "/v1/reference/families, /v1/reference/kinds, /v1/reference/thematiques."
)


def category_codes() -> list[str]:
    """Every category of offer a coverage asks about: the families, the kinds of actors, the
    thematiques."""
    return [*vocabulary.families(), *vocabulary.kinds(), *vocabulary.thematiques()]


def _known_category(code: str) -> str:
    vocabularies = (vocabulary.families, vocabulary.kinds, vocabulary.thematiques)
    if not any(code in terms() for terms in vocabularies):
        raise ValueError(CATEGORY_UNKNOWN)
    return code


CategoryCode = Annotated[
    str,
    AfterValidator(_known_category),
    Field(
        description="famille (garde-enfants), type d'acteur (creches-avip) ou thématique "
        "data·inclusion (famille--garde-denfants) : voir /v1/reference"
    ),
    Documented(lambda: {"enum": category_codes()}),
]
PublicCode = Annotated[str, _codes(vocabulary.publics)]
ThematiqueCode = Annotated[str, _codes(vocabulary.thematiques)]
Publics = Annotated[
    list[PublicCode],
    AfterValidator(vocabulary.check_publics),
    Field(description="publics data·inclusion (voir /v1/reference/publics)"),
]
Thematiques = Annotated[
    list[ThematiqueCode],
    AfterValidator(vocabulary.check_thematiques),
    Field(description="thématiques data·inclusion (voir /v1/reference/thematiques)"),
]


class _Record(InputModel):
    model_config = ConfigDict(frozen=True)


class Eligibility(_Record):
    """Conditions a partner or an opportunity sets. ``None`` means "no condition stated"."""

    min_age: Integer | None = Field(
        None, ge=0, le=120, description="âge minimal, en années ; au plus max_age (422 sinon)"
    )
    max_age: Integer | None = Field(
        None, ge=0, le=120, description="âge maximal, en années ; au moins min_age (422 sinon)"
    )
    requires_work_authorization: Boolean | None = None
    requires_rqth: Boolean | None = None
    requires_cdaph_orientation: Boolean | None = None
    min_french_level: FrenchLevel | None = None
    requires_driving_licence: Boolean | None = None

    @model_validator(mode="after")
    def _ages_ordered(self) -> Self:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("l'âge minimal dépasse l'âge maximal")
        return self


class Contact(_Record):
    phone: Annotated[str, _pattern(_PHONE_FORM)] | None = Field(None, max_length=25)
    email: Annotated[str, _pattern(_EMAIL_FORM)] | None = Field(None, max_length=254)
    website: Annotated[str, _pattern(_URL_FORM)] | None = Field(
        None, max_length=500, description="adresse http:// ou https://"
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE_PATTERN.fullmatch(value):
            raise ValueError("téléphone invalide")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL_PATTERN.fullmatch(value):
            raise ValueError("adresse électronique invalide")
        return value

    @field_validator("website")
    @classmethod
    def _website(cls, value: str | None) -> str | None:
        if value is not None and not _URL_PATTERN.fullmatch(value):
            raise ValueError("site web invalide : adresse http(s):// attendue")
        return value


class HoursPerWeek(_Record):
    """Weekly working hours, in hours per week (heures par semaine, de 0 à 48)."""

    min: Number = Field(ge=0, le=48, allow_inf_nan=False, description="au plus max (422 sinon)")
    max: Number = Field(ge=0, le=48, allow_inf_nan=False, description="au moins min (422 sinon)")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError("le nombre d'heures minimal dépasse le maximal")
        return self


class PartnerFields(_Record):
    """A partner: a structure, a service point or an employer of the territory.

    ``lon``/``lat`` locate it in EPSG:4326. ``family`` is derived from ``kind``.
    ``available_places`` never exceeds ``capacity`` when both are known.
    """

    name: Text
    kind: KindCode
    lon: Annotated[Longitude, Field(description=IN_FRANCE)]
    lat: Annotated[Latitude, Field(description=IN_FRANCE)]
    siret: Siret | None = None
    address: str | None = Field(None, max_length=500)
    code_insee: CodeInsee | None = None
    capacity: Integer | None = Field(None, ge=0, le=100_000, description="places ou personnes")
    available_places: Integer | None = Field(
        None, ge=0, le=100_000, description="places libres ; au plus capacity (422 sinon)"
    )
    opening_hours: OpeningHours | None = None
    publics: Publics = Field(default_factory=list)
    thematiques: Thematiques = Field(default_factory=list)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    contact: Contact = Field(default_factory=Contact)
    description: str | None = Field(None, max_length=5000)
    source: SourceCode = "maillage"
    source_id: Annotated[str, NOT_BLANK_TEXT] | None = Field(None, min_length=1, max_length=200)
    organisation_id: uuid.UUID | None = Field(
        None, description="identifiant du partenaire gestionnaire (organisation), s'il y en a un"
    )

    @model_validator(mode="after")
    def _in_france(self, info: ValidationInfo) -> Self:
        if not is_stored(info) and not in_france(self.lon, self.lat):
            raise ValueError(OUTSIDE_FRANCE)
        return self

    @model_validator(mode="after")
    def _places_within_capacity(self) -> Self:
        if (
            self.capacity is not None
            and self.available_places is not None
            and self.available_places > self.capacity
        ):
            raise ValueError("les places disponibles dépassent la capacité")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def family(self) -> str:
        return vocabulary.family_of(self.kind)


class OpportunityFields(_Record):
    """A place a partner offers: a job, an immersion, a training, volunteering or a programme."""

    title: Text
    kind: OpportunityKind
    contract: Contract | None = None
    rome_code: RomeCode | None = None
    hours_per_week: HoursPerWeek | None = None
    schedule: OpeningHours | None = None
    places: Integer | None = Field(None, ge=0, le=10_000, description="places ouvertes")
    requirements: Eligibility = Field(default_factory=Eligibility)
    description: str | None = Field(None, max_length=5000)
    starts_on: Date | None = None
    ends_on: Date | None = Field(None, description="pas avant starts_on (422 sinon)")
    source_id: Annotated[str, NOT_BLANK_TEXT] | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _dates_ordered(self) -> Self:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("la date de fin précède la date de début")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def atypical_hours(self) -> bool:
        """True when the schedule has "horaires décalés" (see `validation.has_atypical_hours`)."""
        return self.schedule is not None and validation.has_atypical_hours(self.schedule)


class RelationFields(_Record):
    """A typed, directed, dated edge between two partners."""

    kind: RelationKind
    since: Date | None = None
    until: Date | None = Field(None, description="pas avant since (422 sinon)")
    note: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _dates_ordered(self) -> Self:
        if self.since and self.until and self.until < self.since:
            raise ValueError("la date de fin précède la date de début")
        return self


def dump(record: BaseModel) -> dict[str, Any]:
    """A record as plain JSON-compatible values, computed fields excluded."""
    computed = set(type(record).model_computed_fields)
    return record.model_dump(mode="json", exclude=computed)
