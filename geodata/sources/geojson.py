"""Read a GeoJSON FeatureCollection of partners into validated records and rejections.

The format is maillage's exchange format: one Point feature per partner (EPSG:4326,
``[lon, lat]``), ``properties`` holding the fields of `graph.models.PartnerFields`, and
optionally ``opportunities`` (a list of `graph.models.OpportunityFields`) and ``relations``
(``[{"target_source_id", "kind", "target_source"?, "since"?, "until"?, "note"?}]``). The
read-only keys that an export writes (``id``, ``family``, ``created_at``, ``updated_at``)
are accepted and ignored, so an export imports back unchanged.

Nothing here touches a database: the service writes what this module validated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graph.inputs import NUL_MESSAGE, document_has_nul
from graph.messages import french_message
from graph.models import OpportunityFields, PartnerFields, RelationFields

READ_ONLY_KEYS = frozenset({"id", "family", "created_at", "updated_at"})
READ_ONLY_OPPORTUNITY_KEYS = frozenset({"id", "atypical_hours", "created_at", "updated_at"})
_RELATION_KEYS = frozenset({"target_source_id", "target_source", "kind", "since", "until", "note"})


class GeoJSONError(ValueError):
    """The file as a whole is unreadable (not JSON, not a FeatureCollection)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one feature was refused: its index in the file (from 0), the field, the reason."""

    index: int
    field: str
    reason: str
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class RelationRef:
    """A relation to a partner known by its provenance, resolved when written."""

    target_source: str
    target_source_id: str
    fields: RelationFields


@dataclass(frozen=True, slots=True)
class PartnerFeature:
    """One valid feature. ``opportunities``/``relations`` are ``None`` when the key is absent."""

    index: int
    partner: PartnerFields
    opportunities: tuple[OpportunityFields, ...] | None
    relations: tuple[RelationRef, ...] | None

    @property
    def key(self) -> tuple[str, str]:
        assert self.partner.source_id is not None
        return self.partner.source, self.partner.source_id


@dataclass(slots=True)
class ParsedCollection:
    features: list[PartnerFeature] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.features) + len({r.index for r in self.rejections})


def load_json(path: Path) -> Any:
    """Parse a JSON file (UTF-8, with or without BOM); `GeoJSONError` in French otherwise."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise GeoJSONError(f"{path.name} : le fichier n'est pas encodé en UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise GeoJSONError(
            f"{path.name} : JSON invalide (ligne {exc.lineno}, colonne {exc.colno})"
        ) from exc


def read_partner_collection(
    data: Mapping[str, Any], *, default_source: str | None = None
) -> ParsedCollection:
    """Validate every feature; collect all rejections rather than stop at the first.

    Parameters
    ----------
    data
        A parsed GeoJSON FeatureCollection.
    default_source
        The provenance given to features without a ``source`` property.
    """
    features = _features(data)
    parsed = ParsedCollection()
    seen: dict[tuple[str, str], int] = {}
    for index, feature in enumerate(features):
        errors = list(_feature_errors(index, feature))
        if errors:
            parsed.rejections.extend(errors)
            continue
        result = _read_feature(index, feature, default_source)
        if isinstance(result, list):
            parsed.rejections.extend(result)
            continue
        first = seen.setdefault(result.key, index)
        if first != index:
            parsed.rejections.append(
                Rejection(
                    index,
                    "source_id",
                    f"doublon : même (source, source_id) que l'élément n°{first}",
                    result.partner.source_id,
                )
            )
            continue
        parsed.features.append(result)
    return parsed


def _features(data: Mapping[str, Any]) -> list[Any]:
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise GeoJSONError("une FeatureCollection GeoJSON est attendue")
    features = data.get("features")
    if not isinstance(features, list):
        raise GeoJSONError("« features » doit être une liste")
    return features


def _feature_errors(index: int, feature: Any) -> Iterator[Rejection]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        yield Rejection(index, "type", "un objet « Feature » est attendu")
        return
    geometry = feature.get("geometry")
    if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
        yield Rejection(index, "geometry", "une géométrie « Point » est attendue")
    else:
        coords = geometry.get("coordinates")
        if (
            not isinstance(coords, list)
            or len(coords) not in (2, 3)
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
        ):
            yield Rejection(index, "geometry", "coordonnées [longitude, latitude] attendues")
    if not isinstance(feature.get("properties"), Mapping):
        yield Rejection(index, "properties", "un objet « properties » est attendu")
    elif document_has_nul(feature["properties"]):  # PostgreSQL cannot store it: the row goes
        yield Rejection(index, "properties", NUL_MESSAGE)


def _read_feature(
    index: int, feature: Mapping[str, Any], default_source: str | None
) -> PartnerFeature | list[Rejection]:
    props = {k: v for k, v in feature["properties"].items() if k not in READ_ONLY_KEYS}
    raw_opportunities = props.pop("opportunities", None)
    raw_relations = props.pop("relations", None)
    if default_source and "source" not in props:
        props["source"] = default_source
    lon, lat = feature["geometry"]["coordinates"][:2]
    source_id = props.get("source_id") if isinstance(props.get("source_id"), str) else None
    rejections: list[Rejection] = []

    def reject(where: str, reason: str) -> None:
        rejections.append(Rejection(index, where, reason, source_id))

    partner: PartnerFields | None = None
    try:
        partner = PartnerFields.model_validate({**props, "lon": lon, "lat": lat})
    except ValidationError as exc:
        for error in exc.errors():
            reject(_where(error["loc"]), french_message({**error, "loc": ()}))
    if partner is not None and partner.source_id is None:
        reject(
            "source_id",
            "obligatoire pour l'import : la mise à jour se fait sur (source, source_id)",
        )
    opportunities = _read_opportunities(raw_opportunities, reject)
    relations = _read_relations(raw_relations, partner.source if partner else "", reject)
    if rejections or partner is None:
        return rejections
    return PartnerFeature(index, partner, opportunities, relations)


def _read_opportunities(raw: Any, reject: Any) -> tuple[OpportunityFields, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        reject("opportunities", "liste d'offres attendue")
        return None
    records: list[OpportunityFields] = []
    keys: dict[str, int] = {}
    for i, item in enumerate(raw):
        where = f"opportunities[{i}]"
        if not isinstance(item, Mapping):
            reject(where, "objet attendu")
            continue
        try:
            record = OpportunityFields.model_validate(
                {k: v for k, v in item.items() if k not in READ_ONLY_OPPORTUNITY_KEYS}
            )
        except ValidationError as exc:
            for error in exc.errors():
                reject(f"{where}.{_where(error['loc'])}", french_message({**error, "loc": ()}))
            continue
        key = opportunity_key(record)
        if key in keys:
            reject(where, f"doublon de l'offre n°{keys[key]} (même source_id, ou même titre)")
            continue
        keys[key] = i
        records.append(record)
    return tuple(records)


def opportunity_key(record: OpportunityFields) -> str:
    """How an opportunity is recognised on re-import: its source_id, else its title."""
    return f"id:{record.source_id}" if record.source_id else f"titre:{record.title}"


def _read_relations(raw: Any, own_source: str, reject: Any) -> tuple[RelationRef, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        reject("relations", "liste de relations attendue")
        return None
    refs: list[RelationRef] = []
    seen: set[tuple[str, str, str]] = set()
    for i, item in enumerate(raw):
        where = f"relations[{i}]"
        if not isinstance(item, Mapping):
            reject(where, "objet attendu")
            continue
        unknown = sorted(set(item) - _RELATION_KEYS)
        if unknown:
            reject(where, f"champ(s) inconnu(s) : {', '.join(unknown)}")
            continue
        target_id = item.get("target_source_id")
        if not isinstance(target_id, str) or not target_id:
            reject(f"{where}.target_source_id", "champ obligatoire (source_id du partenaire cible)")
            continue
        target_source = item.get("target_source") or own_source
        try:
            fields = RelationFields.model_validate(
                {k: item[k] for k in ("kind", "since", "until", "note") if k in item}
            )
        except ValidationError as exc:
            for error in exc.errors():
                reject(f"{where}.{_where(error['loc'])}", french_message({**error, "loc": ()}))
            continue
        key = (str(target_source), target_id, fields.kind)
        if key in seen:
            reject(where, "relation en double (même cible, même type)")
            continue
        seen.add(key)
        refs.append(RelationRef(str(target_source), target_id, fields))
    return tuple(refs)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc) or "properties"
