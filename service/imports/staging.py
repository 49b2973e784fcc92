"""Source records as an open-data import stages and stores them: the JSON of
``provenance.record``, read back as a `SourceRecord`, the text rows ``COPY`` sends into the
staging table (psycopg 3), and the fields compared to tell a changed partner."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import pydantic_core
from sqlalchemy.orm import Session

from graph import vocabulary
from graph.inputs import STORED
from graph.models import OpportunityFields, PartnerFields, dump
from service.imports import queries

if TYPE_CHECKING:
    from geodata.sources.common import SourceRecord
    from service.tables import Provenance


def record_payload(record: SourceRecord) -> str:
    """What a source said about a partner, as stored in ``provenance.record``: JSON text of
    ``{"partner", "geocoding", "opportunities", "extra"}`` (computed fields, the organisation
    and the fields without value left out: a missing field is ``None`` when read back)."""
    partner = _PARTNER_JSON.to_json(
        record.partner, exclude=_PARTNER_EXCLUDE, exclude_none=True
    ).decode()
    opportunities = ",".join(
        _OPPORTUNITY_JSON.to_json(o, exclude=_OPPORTUNITY_EXCLUDE, exclude_none=True).decode()
        for o in record.opportunities
    )
    extra = pydantic_core.to_json(record.extra, fallback=str).decode()
    geocoding = _GEOCODING_JSON[record.geocoding]
    return (
        f'{{"partner": {partner}, "geocoding": {geocoding}, '
        f'"opportunities": [{opportunities}], "extra": {extra}}}'
    )


# one import serialises every record: the models' serialisers, called directly
_PARTNER_JSON = PartnerFields.__pydantic_serializer__
_OPPORTUNITY_JSON = OpportunityFields.__pydantic_serializer__
_PARTNER_EXCLUDE: set[str] = {*PartnerFields.model_computed_fields, "organisation_id"}
_OPPORTUNITY_EXCLUDE: set[str] = set(OpportunityFields.model_computed_fields)
_GEOCODING_JSON = {method: json.dumps(method) for method in ("source", "commune", "swapped")}


def record_of(row: Provenance) -> SourceRecord:
    """The stored record of a provenance row (which has one) as a `SourceRecord`."""
    from geodata.sources.common import SourceRecord

    payload = row.record or {}
    return SourceRecord(
        partner=PartnerFields.model_validate(payload["partner"], context=STORED),
        provenance=row.source,
        source_id=row.source_id,
        opportunities=tuple(
            OpportunityFields.model_validate(o, context=STORED)
            for o in payload.get("opportunities", ())
        ),
        geocoding=payload.get("geocoding", "source"),
        extra=payload.get("extra", {}),
        updated_on=row.source_updated_on,
    )


def copy_text(records: Sequence[SourceRecord]) -> str:
    """The rows of ``import_part`` for these records, in ``COPY``'s text format: a new
    partner id each (the column default), ``simple`` = "carries no opportunities", then the
    partner fields of `queries.STAGED_PARTNER_FIELDS`."""
    lines = []
    for record in records:
        partner = record.partner
        capacity, places = partner.capacity, partner.available_places
        fields = (
            str(record.index),
            record.provenance,  # a source code: lower-case letters, digits, « . _ - »
            _copy_escape(record.source_id),
            vocabulary.family_of(partner.kind),
            # JSON has no raw control character: only its backslashes need doubling
            record_payload(record).replace("\\", "\\\\"),
            record.updated_on.isoformat() if record.updated_on else _NULL,
            "f" if record.opportunities else "t",
            _copy_text(partner.name),
            partner.kind,  # a code of the vocabulary
            partner.siret or _NULL,  # 14 digits
            _copy_text(partner.address),
            partner.code_insee or _NULL,  # 5 characters, digits and A/B
            repr(partner.lon),  # the shortest text that PostgreSQL reads back to the same double
            repr(partner.lat),
            _NULL if capacity is None else str(capacity),
            _NULL if places is None else str(places),
            _copy_text(partner.opening_hours),
            _copy_array(partner.publics),
            _copy_array(partner.thematiques),
            _copy_text(partner.description),
        )
        lines.append("\t".join(fields))
    lines.append("")
    return "\n".join(lines)


_NULL: Final = "\\N"
"""``NULL`` in ``COPY``'s text format."""


def _copy_text(value: str | None) -> str:
    return _NULL if value is None else _copy_escape(value)


def _copy_array(values: Sequence[str]) -> str:
    """A list of texts as an array literal in ``COPY``'s text format: every item quoted, its
    double quotes and backslashes escaped for the array, then the whole for ``COPY``."""
    if not values:
        return "{}"
    items = ",".join(
        '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values
    )
    return _copy_escape("{" + items + "}")


def _copy_escape(value: str) -> str:
    """A text field in ``COPY``'s text format: backslash, tabulation, newline and carriage
    return escaped (``str.replace`` is a fast scan when, as nearly always, they are absent)."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def comparable(record: Any) -> dict[str, Any]:
    """A partner record's fields as compared to tell a change (its organisation left out)."""
    values = dump(record)
    values.pop("organisation_id", None)
    return values


def copy_part(session: Session, text: str) -> None:
    """``COPY`` a part's rows (see `copy_text`) into ``import_part``."""
    cursor = _driver_connection(session).cursor()
    with cursor, cursor.copy(queries.COPY_PART) as copy:
        copy.write(text)


def copy_assigned(session: Session, rows: Iterable[tuple[int, uuid.UUID, bool]]) -> None:
    """``COPY`` rows ``(idx, partner_id, simple)`` into ``import_assigned``."""
    cursor = _driver_connection(session).cursor()
    with cursor, cursor.copy(queries.COPY_ASSIGNED) as copy:
        for row in rows:
            copy.write_row(row)


def _driver_connection(session: Session) -> Any:
    """The psycopg connection under the session's transaction (for COPY)."""
    return session.connection().connection.driver_connection
