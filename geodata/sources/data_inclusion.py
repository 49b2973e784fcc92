"""data·inclusion schema v1: structures and services in, structures out.

data·inclusion (https://data.inclusion.gouv.fr) aggregates the inclusion offer of many
producers (DORA, Soliguide, monenfant.fr, Les emplois de l'inclusion...) into one schema, v1
(``structure.json``, ``service.json``, Licence Ouverte 2.0). Its API and its dumps serve items
as a JSON array, as an API page (``{"items": [...], "total": ...}``) or as JSON Lines; all three
are read, and structures and services may come in one file (a service is recognised by its
``structure_id``) or in two.

Mapping (structure → `graph.models.PartnerFields`):

- ``reseaux_porteurs`` → ``kind``: among the codes that are maillage kinds (kind codes reuse
  the v1 ``reseaux_porteurs`` codes), the first in the order of `graph.vocabulary.kinds`
  (families in domain order, so a precise kind such as ``chrs`` wins over a network such as
  ``federation-des-acteurs-de-la-solidarite`` or an institution such as ``communes``). A
  structure with no such code takes ``default_kind`` when given, and is refused otherwise.
- ``source`` → ``source`` (the original producer: ``dora``, ``soliguide``, ``monenfant``...)
  and ``id`` → ``source_id``: provenance is the producer's, not data·inclusion's.
- ``latitude``/``longitude`` → checked point (swap repaired, commune centroid when missing:
  `geodata.sources.common.locate`); ``adresse``, ``complement_adresse``, ``code_postal``,
  ``commune`` → one-line ``address``; ``horaires_accueil`` → ``opening_hours`` when it is valid
  OSM syntax, else dropped with a note; ``telephone``/``courriel``/``site_web`` → ``contact``,
  an invalid value dropped with a note; an invalid SIRET refuses the structure.

Mapping (service → the structure's partner):

- ``thematiques`` and ``publics`` of every service are merged into the partner's
  (unknown codes are dropped with a note).
- A service becomes an `graph.models.OpportunityFields` only when it is a *place* a person
  joins, i.e. it has seats and a duration rather than being a counter:

  * ``type == "formation"`` → ``kind="formation"``, ``contract="formation"``;
  * ``type`` ``atelier`` or ``accompagnement`` **with** ``nombre_semaines`` or
    ``volume_horaire_hebdomadaire`` (the v1 fields of the BRSA "15-20 h" of activity) →
    ``kind="programme"``.

  ``information``, ``aide-financiere``, ``aide-materielle`` and open-ended
  accompaniments only describe the partner (thematiques). A service only delivered at a
  distance (``modes_accueil == ["a-distance"]``) never becomes an opportunity: maillage places
  opportunities on the map. v1 services have no capacity: ``places`` stays unknown.
  ``volume_horaire_hebdomadaire`` (hours per week) gives ``hours_per_week``.

The writer :func:`to_data_inclusion` goes the other way (partners → v1 structure dicts) for
``maillage export data-inclusion``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import json
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from geodata.sources.common import (
    LocationError,
    ReadResult,
    Rejection,
    RowProblems,
    SourceFormatError,
    SourceRecord,
    clean_contact,
    clean_opening_hours,
    clean_siret,
    clean_text,
    departement_of,
    join_address,
    locate,
    normalize_code_insee,
    parse_date,
    parse_float,
    validate_opportunity,
    validate_partner,
)
from graph import vocabulary
from graph.models import OpportunityFields, PartnerFields

if TYPE_CHECKING:
    from geodata.sources.communes import CommuneReference

__all__ = [
    "DataInclusionExportError",
    "iter_items",
    "load_items",
    "parse_data_inclusion",
    "read_data_inclusion",
    "to_data_inclusion",
]

_OPPORTUNITY_TYPES: Final = frozenset({"formation", "atelier", "accompagnement"})
_MAX_DESCRIPTION: Final = 5000  # PartnerFields.description / OpportunityFields.description
_DI_NAME_MIN, _DI_NAME_MAX = 3, 150  # structure.json: nom
_DI_DESCRIPTION_MIN: Final = 5  # structure.json: description
STRUCTURE_REQUIRED: Final = ("source", "id", "nom", "date_maj")
"""Required fields of a v1 structure (``structure.json``, ``required``)."""


@dataclass(frozen=True, slots=True)
class _BadLine:
    """A JSON Lines line that is not valid JSON."""

    reason: str


# --- reading ---------------------------------------------------------------------------------


def load_items(path: Path) -> list[Any]:
    """Items of a data·inclusion file, all at once: ``list(iter_items(path))``."""
    return list(iter_items(path))


_SNIFF_BYTES: Final = 1 << 16


def iter_items(path: Path) -> Iterator[Any]:
    """Items of a data·inclusion file, one at a time: JSON array, API page (``items``) or
    JSON Lines.

    The file is streamed, never read whole: a JSON array or an API page through ijson (its C
    backend, yajl2), JSON Lines line by line; memory stays that of one item however large
    the file (the national services file is about 235 MB). The format is told from the first
    bytes: ``[`` is an array; ``{`` is JSON Lines when the first line is a whole object (an
    API page on one line has an ``items`` list), else an API page. A byte order mark is
    skipped. In JSON Lines, a line that is not valid JSON becomes a placeholder that the
    readers report as a rejection at that position (a line not in UTF-8 is read as
    Windows-1252); blank lines are ignored.

    Raises
    ------
    SourceFormatError
        When the file is neither a JSON array, an API page nor JSON Lines, or a JSON array
        or page breaks off (raised when the reading reaches the break).
    """
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    text = head[start:].lstrip()
    if not text:
        return iter(())
    if text.startswith(b"["):
        return _streamed(path, start, "item")
    first_line = text.split(b"\n", 1)[0]
    if text.startswith(b"{"):
        try:
            first = json.loads(first_line)
        except ValueError:
            return _streamed(path, start, "items.item")
        if isinstance(first, Mapping) and isinstance(first.get("items"), list):
            return _streamed(path, start, "items.item")
    return _lines(path)


def _streamed(path: Path, start: int, prefix: str) -> Iterator[Any]:
    import ijson

    with path.open("rb") as file:
        file.seek(start)
        try:
            yield from ijson.items(file, prefix, use_float=True)
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            shape = "tableau JSON" if prefix == "item" else "page d'API"
            raise SourceFormatError(f"{path.name} : {shape} invalide ({exc})") from exc


def _lines(path: Path) -> Iterator[Any]:
    with path.open("rb") as file:
        for number, raw in enumerate(file):
            line = (
                raw[len(codecs.BOM_UTF8) :]
                if number == 0 and raw.startswith(codecs.BOM_UTF8)
                else raw
            )
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                text = line.decode("cp1252", errors="replace")
            try:
                yield json.loads(text)
            except json.JSONDecodeError as exc:
                if number == 0 and text.lstrip().startswith("["):
                    raise SourceFormatError(f"{path.name} : tableau JSON invalide") from exc
                yield _BadLine(f"ligne JSON invalide (colonne {exc.colno}) : {exc.msg}")


def read_data_inclusion(
    structures: Path,
    services: Path | None = None,
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    default_kind: str | None = None,
    communes: CommuneReference | None = None,
    departements: Container[str] | None = None,
) -> ReadResult:
    """Read data·inclusion v1 structures (and services) from files.

    Parameters
    ----------
    structures : Path
        File of structures, possibly also holding the services (see :func:`load_items`).
    services : Path, optional
        File of services, when separate.
    commune_centroids : Mapping[str, tuple[float, float]], optional
        Code INSEE → centroid ``(lon, lat)`` EPSG:4326, for structures without coordinates.
    default_kind : str, optional
        Kind given to structures whose ``reseaux_porteurs`` name no maillage kind; without it
        they are refused.
    communes : CommuneReference, optional
        The national commune list: centroids, and the check that a point lies in its commune.
    departements : container of str, optional
        Keep only the structures of these départements (``"30"``), and their services: the
        others are skipped before being validated.

    Returns
    -------
    ReadResult
        One record per valid structure, carrying its services' thematiques, publics and
        opportunities. Rejection indexes count structures then services, as if both files
        were one.
    """
    items: Iterable[Any] = iter_items(structures)
    if services is not None:
        items = itertools.chain(items, iter_items(services))
    return parse_data_inclusion(
        items,
        commune_centroids=commune_centroids,
        default_kind=default_kind,
        communes=communes,
        departements=departements,
    )


def parse_data_inclusion(
    items: Iterable[Any],
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    default_kind: str | None = None,
    communes: CommuneReference | None = None,
    departements: Container[str] | None = None,
) -> ReadResult:
    """Map parsed data·inclusion items (structures and services mixed) to records.

    Same contract as :func:`read_data_inclusion`; ``items`` are the parsed JSON objects, an
    item with a ``structure_id`` being a service. ``index`` of a rejection is the item's
    position in ``items``.
    """
    if default_kind is not None:
        vocabulary.check_kind(default_kind)
    if commune_centroids is None and communes is not None:
        commune_centroids = communes.centroids
    result = ReadResult()
    structures: dict[str, _Structure] = {}
    refused: set[str] = set()
    outside: set[str] = set()
    pending: list[tuple[int, Mapping[str, Any]]] = []  # services met before their structure
    for index, item in enumerate(items):
        if isinstance(item, _BadLine):
            result.rejections.append(Rejection(index, "ligne", item.reason))
        elif not isinstance(item, Mapping):
            result.rejections.append(Rejection(index, "élément", "objet JSON attendu"))
        elif "structure_id" in item:
            structure_id = clean_text(item.get("structure_id")) or ""
            if structure_id in structures or structure_id in refused or structure_id in outside:
                _service(
                    result, index, item, structures=structures, refused=refused, outside=outside
                )
            else:
                pending.append((index, item))
        elif departements is not None and not _in_scope(item, departements, communes):
            result.skipped += 1
            if isinstance(item.get("id"), str):
                outside.add(item["id"])
        else:
            structure = _read_structure(index, item, commune_centroids, default_kind, communes)
            _keep_structure(result, structure, item, structures, refused)
    for index, item in pending:
        _service(result, index, item, structures=structures, refused=refused, outside=outside)
    result.records.extend(structure.record() for structure in structures.values())
    result.rejections.sort(key=lambda rejection: rejection.index)
    return result


def _service(
    result: ReadResult,
    index: int,
    item: Mapping[str, Any],
    *,
    structures: Mapping[str, _Structure],
    refused: set[str],
    outside: set[str],
) -> None:
    """Attach one service to its structure, or count it out of scope with it."""
    if clean_text(item.get("structure_id")) in outside:
        result.skipped += 1
        return
    result.rejections.extend(_attach_service(index, item, structures, refused))


def _keep_structure(
    result: ReadResult,
    structure: _Structure | list[Rejection],
    item: Mapping[str, Any],
    structures: dict[str, _Structure],
    refused: set[str],
) -> None:
    """Keep a structure read from ``item``: refused (its id noted, for its services), a
    duplicate of an earlier one (refused), or new."""
    if isinstance(structure, list):
        result.rejections.extend(structure)
        if isinstance(item.get("id"), str):
            refused.add(item["id"])
        return
    if structure.source_id in structures:
        first = structures[structure.source_id].index
        result.rejections.append(
            Rejection(
                structure.index,
                "id",
                f"doublon : même identifiant que l'élément n°{first}",
                structure.source_id,
            )
        )
        return
    structures[structure.source_id] = structure


class _Structure:
    """A valid structure while its services are being attached."""

    def __init__(
        self,
        index: int,
        *,
        fields: dict[str, Any],
        problems: RowProblems,
        geocoding: Any,
        extra: dict[str, Any],
        updated_on: dt.date | None,
    ) -> None:
        self.index = index
        self.fields = fields
        self.problems = problems
        self.geocoding = geocoding
        self.extra = extra
        self.updated_on = updated_on
        self.thematiques: list[str] = list(fields.get("thematiques", []))
        self.publics: list[str] = list(fields.get("publics", []))
        self.opportunities: list[OpportunityFields] = []
        self.services: list[str] = []

    @property
    def source_id(self) -> str:
        return str(self.fields["source_id"])

    def record(self) -> SourceRecord:
        fields = {
            **self.fields,
            "thematiques": list(dict.fromkeys(self.thematiques)),
            "publics": list(dict.fromkeys(self.publics)),
        }
        partner = PartnerFields.model_validate(fields)  # codes checked when collected
        extra = dict(self.extra)
        if self.services:
            extra["services"] = list(self.services)
        if self.problems.notes:
            extra["notes"] = list(self.problems.notes)
        return SourceRecord(
            partner=partner,
            provenance=partner.source,
            source_id=self.source_id,
            opportunities=tuple(self.opportunities),
            geocoding=self.geocoding,
            extra=extra,
            index=self.index,
            updated_on=self.updated_on,
        )


def _in_scope(
    item: Mapping[str, Any], departements: Container[str], communes: CommuneReference | None
) -> bool:
    """Whether a structure lies in the wanted départements, read before any validation: its
    code INSEE, else its postcode and town (the national list), else its postcode's first
    digits. A structure that names no place at all is out of scope: it cannot be shown to be
    in the territory."""
    code = clean_text(item.get("code_insee"))
    if code:
        try:
            return departement_of(normalize_code_insee(code)) in departements
        except ValueError:
            return True  # validation will say why
    postcode = clean_text(item.get("code_postal"))
    town = clean_text(item.get("commune"))
    if communes is not None and (postcode or town):
        from geodata.sources.communes import NoCommuneError

        try:
            return departement_of(communes.resolve(postcode, town)) in departements
        except NoCommuneError:
            pass
    if postcode:
        from geodata.sources.communes import departements_of_postcode

        return any(code in departements for code in departements_of_postcode(postcode))
    return False


def _read_structure(
    index: int,
    item: Mapping[str, Any],
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    default_kind: str | None,
    communes: CommuneReference | None = None,
) -> _Structure | list[Rejection]:
    source_id = clean_text(item.get("id"))
    problems = RowProblems(index, source_id)
    if source_id is None:
        problems.reject("id", "champ obligatoire (identifiant data·inclusion de la structure)")
    source = clean_text(item.get("source"))
    if source is None:
        problems.reject("source", "champ obligatoire (producteur d'origine, ex. « dora »)")
    reseaux = _codes(item.get("reseaux_porteurs"))
    kind = _kind_of(reseaux) or default_kind
    if kind is None:
        shown = ", ".join(f"« {code} »" for code in reseaux) or "aucun"
        problems.reject(
            "reseaux_porteurs",
            f"aucun réseau porteur ne correspond à un type d'acteur de maillage ({shown})",
        )
    code_insee = _code_insee(item.get("code_insee"), problems)
    if code_insee is None and communes is not None and not item.get("code_insee"):
        code_insee = _resolve(item, communes, problems)
    siret = clean_siret(item.get("siret"), problems)
    location = None
    try:
        location = locate(
            parse_float(item.get("longitude")),
            parse_float(item.get("latitude")),
            code_insee=code_insee,
            commune_centroids=commune_centroids,
            communes=communes,
        )
    except LocationError as exc:
        problems.reject("latitude", str(exc))
    if problems or location is None or source_id is None or kind is None:
        return problems.rejections
    if location.note:
        problems.note(location.note)
    fields: dict[str, Any] = {
        "name": item.get("nom"),
        "kind": kind,
        "lon": location.lon,
        "lat": location.lat,
        "siret": siret,
        "address": join_address(
            item.get("adresse"),
            item.get("complement_adresse"),
            clean_text(f"{item.get('code_postal') or ''} {item.get('commune') or ''}"),
        ),
        "code_insee": code_insee,
        "opening_hours": clean_opening_hours(item.get("horaires_accueil"), note=problems.note),
        "contact": clean_contact(
            phone=item.get("telephone"),
            email=item.get("courriel"),
            website=item.get("site_web"),
            note=problems.note,
        ),
        "description": _description(item.get("description"), problems),
        "source": source,
        "source_id": source_id,
    }
    if validate_partner(fields, problems) is None:
        return problems.rejections
    extra = {
        key: item[key]
        for key in ("reseaux_porteurs", "lien_source", "accessibilite_lieu", "code_postal")
        if item.get(key)
    }
    return _Structure(
        index,
        fields=fields,
        problems=problems,
        geocoding=location.geocoding,
        extra=extra,
        updated_on=parse_date(item.get("date_maj")),
    )


def _attach_service(
    index: int,
    item: Mapping[str, Any],
    structures: Mapping[str, _Structure],
    refused: set[str],
) -> list[Rejection]:
    service_id = clean_text(item.get("id"))
    structure_id = clean_text(item.get("structure_id"))
    structure = structures.get(structure_id or "")
    if structure is None:
        reason = (
            f"service de la structure refusée « {structure_id} » : ignoré"
            if structure_id in refused
            else f"structure_id inconnu : aucune structure « {structure_id} » dans le fichier"
        )
        return [Rejection(index, "service.structure_id", reason, service_id)]
    problems = RowProblems(index, service_id)
    label = f"service « {clean_text(item.get('nom')) or service_id} »"
    structure.thematiques.extend(
        _known_codes(item.get("thematiques"), vocabulary.thematiques(), label, structure.problems)
    )
    structure.publics.extend(
        _known_codes(item.get("publics"), vocabulary.publics(), label, structure.problems)
    )
    structure.services.append(service_id or label)
    if not _is_opportunity(item):
        return []
    opportunity = validate_opportunity(_opportunity_fields(item, problems), problems, "service")
    if opportunity is not None:
        structure.opportunities.append(opportunity)
    return problems.rejections


def _is_opportunity(item: Mapping[str, Any]) -> bool:
    kind = item.get("type")
    if kind not in _OPPORTUNITY_TYPES:
        return False
    modes = _codes(item.get("modes_accueil"))
    if modes and "en-presentiel" not in modes:
        return False
    if kind == "formation":
        return True
    return (
        item.get("nombre_semaines") is not None
        or item.get("volume_horaire_hebdomadaire") is not None
    )


def _opportunity_fields(item: Mapping[str, Any], problems: RowProblems) -> dict[str, Any]:
    formation = item.get("type") == "formation"
    hours = parse_float(item.get("volume_horaire_hebdomadaire"))
    description = " ".join(
        text
        for text in (
            clean_text(item.get("description")),
            _prefixed("Conditions d'accès : ", item.get("conditions_acces")),
            _prefixed("Durée : ", _weeks(item.get("nombre_semaines"))),
        )
        if text
    )
    return {
        "title": item.get("nom"),
        "kind": "formation" if formation else "programme",
        "contract": "formation" if formation else None,
        "hours_per_week": {"min": hours, "max": hours} if hours is not None and hours > 0 else None,
        "schedule": clean_opening_hours(item.get("horaires_accueil"), note=problems.note),
        "description": description[:_MAX_DESCRIPTION] or None,
        "source_id": clean_text(item.get("id")),
    }


def _weeks(value: Any) -> str | None:
    return f"{value} semaine(s)" if isinstance(value, int) and value > 0 else None


def _prefixed(prefix: str, value: Any) -> str | None:
    text = clean_text(value)
    return prefix + text if text else None


def _codes(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [code for code in value if isinstance(code, str)]
    return []


def _kind_of(reseaux: Sequence[str]) -> str | None:
    known = set(reseaux)
    return next((code for code in vocabulary.kinds() if code in known), None)


def _known_codes(
    value: Any, known: Mapping[str, Any], label: str, problems: RowProblems
) -> list[str]:
    codes = _codes(value)
    unknown = [code for code in codes if code not in known]
    if unknown:
        problems.note(f"{label} : code(s) inconnu(s) ignoré(s) : {', '.join(unknown)}")
    return [code for code in codes if code in known]


def _resolve(
    item: Mapping[str, Any], communes: CommuneReference, problems: RowProblems
) -> str | None:
    """Code INSEE from ``code_postal`` and ``commune`` (a note when they name none)."""
    from geodata.sources.communes import NoCommuneError

    postcode = clean_text(item.get("code_postal"))
    town = clean_text(item.get("commune"))
    if not (postcode or town):
        return None
    try:
        return communes.resolve(postcode, town)
    except NoCommuneError as exc:
        problems.note(f"commune introuvable : {exc}")
        return None


def _code_insee(value: Any, problems: RowProblems) -> str | None:
    if value is None or clean_text(value) is None:
        return None
    try:
        return normalize_code_insee(value)
    except ValueError as exc:
        problems.reject("code_insee", str(exc))
        return None


def _description(value: Any, problems: RowProblems) -> str | None:
    text = clean_text(value)
    if text is not None and len(text) > _MAX_DESCRIPTION:
        problems.note(f"description tronquée à {_MAX_DESCRIPTION} caractères")
        return text[: _MAX_DESCRIPTION - 1] + "…"
    return text


# --- writing ---------------------------------------------------------------------------------


class DataInclusionExportError(ValueError):
    """Partners that cannot become v1 structures; ``problems`` lists (position, French reason)."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        shown = "; ".join(f"partenaire n°{index} : {reason}" for index, reason in problems[:10])
        more = f" (et {len(problems) - 10} autres)" if len(problems) > 10 else ""
        super().__init__(f"export data·inclusion impossible : {shown}{more}")
        self.problems = tuple(problems)


def to_data_inclusion(
    partners: Iterable[PartnerFields],
    *,
    date_maj: dt.date,
    source: str = "maillage",
    ids: Sequence[str | None] | None = None,
) -> list[dict[str, Any]]:
    """Partners as data·inclusion v1 structures (``structure.json``).

    Parameters
    ----------
    partners : iterable of PartnerFields
        Each needs a ``source_id`` (the v1 ``id`` is built from it) or an entry in ``ids``,
        and a name of at least 3 characters.
    date_maj : datetime.date
        ``date_maj`` of every structure: the date the records were last changed in maillage.
    source : str
        The producer as data·inclusion will know it.
    ids : sequence of str or None, optional
        Identifiers in maillage (e.g. database UUIDs), position by position; when one is
        given, the v1 ``id`` is ``"{source}--{ids[i]}"`` instead of being built from the
        partner's provenance.

    Returns
    -------
    list of dict
        JSON-compatible dicts with every required v1 field (``source``, ``id``, ``nom``,
        ``date_maj``) and the optional ones maillage knows. Without ``ids``, ``id`` is
        ``"{source}--{partner.source}--{partner.source_id}"`` (v1 ids combine producer and
        structure ids; the pair (source, source_id) being unique, so is the id);
        ``reseaux_porteurs`` holds the partner's kind when it is a v1 code
        (`graph.vocabulary.Kind.data_inclusion`), else is ``null``. Names longer than 150
        characters are shortened with "…", a final dot is removed (v1 ``nom`` rule).

    Raises
    ------
    DataInclusionExportError
        Listing every partner without identifier or with a name under 3 characters.
    """
    structures: list[dict[str, Any]] = []
    problems: list[tuple[int, str]] = []
    for index, partner in enumerate(partners):
        own_id = ids[index] if ids is not None and index < len(ids) else None
        structure = _structure_of(partner, date_maj, source, own_id)
        missing = [key for key in STRUCTURE_REQUIRED if not structure.get(key)]
        if own_id is None and partner.source_id is None:
            problems.append((index, "source_id manquant : identifiant v1 impossible à construire"))
        elif missing:
            problems.append((index, f"champ(s) obligatoire(s) vide(s) : {', '.join(missing)}"))
        elif len(structure["nom"]) < _DI_NAME_MIN:
            problems.append((index, f"nom trop court pour data·inclusion : « {partner.name} »"))
        else:
            structures.append(structure)
    if problems:
        raise DataInclusionExportError(problems)
    return structures


def _structure_of(
    partner: PartnerFields, date_maj: dt.date, source: str, own_id: str | None
) -> dict[str, Any]:
    kind = vocabulary.kinds()[partner.kind]
    description = partner.description if partner.description else None
    if description is not None and len(description) < _DI_DESCRIPTION_MIN:
        description = None
    return {
        "source": source,
        "id": f"{source}--{own_id}"
        if own_id
        else f"{source}--{partner.source}--{partner.source_id}",
        "nom": _v1_name(partner.name),
        "date_maj": date_maj.isoformat(),
        "siret": partner.siret,
        "adresse": partner.address,
        "code_insee": partner.code_insee,
        "latitude": partner.lat,
        "longitude": partner.lon,
        "telephone": partner.contact.phone,
        "courriel": partner.contact.email,
        "site_web": partner.contact.website,
        "description": description,
        "horaires_accueil": partner.opening_hours,
        "reseaux_porteurs": [partner.kind] if kind.data_inclusion else None,
    }


def _v1_name(name: str) -> str:
    text = name.strip()
    if len(text) > _DI_NAME_MAX:
        text = text[: _DI_NAME_MAX - 1].rstrip() + "…"
    while text.endswith(".") and not text.endswith("etc."):
        text = text[:-1].rstrip()
    return text
