"""Exports of the store to other formats: open partners as data·inclusion v1 structures.

(The GeoJSON export, which imports back as is, lives with the GeoJSON import in
`service.imports.geojson`.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from service.imports import queries
from service.store import records as record_rows


def export_data_inclusion(session: Session, *, producer: str = "maillage") -> list[dict[str, Any]]:
    """Open partners as data·inclusion v1 structures (`geodata.sources.data_inclusion`).

    Each structure's ``id`` is ``{producer}--{partner id}`` (stable across exports) and its
    ``date_maj`` the day the partner last changed in maillage (``updated_at``, UTC). Ordered by
    ``(source, source_id, id)``.

    Raises
    ------
    geodata.sources.data_inclusion.DataInclusionExportError
        Listing every partner that cannot be a v1 structure (French reasons).
    """
    from geodata.sources.data_inclusion import DataInclusionExportError, to_data_inclusion

    partners = list(session.scalars(queries.open_partners_to_export()))
    structures: list[dict[str, Any]] = []
    problems: list[tuple[int, str]] = []
    for index, partner in enumerate(partners):
        try:
            structures.extend(
                to_data_inclusion(
                    [record_rows.partner_record(partner)],
                    date_maj=partner.updated_at.astimezone(dt.UTC).date(),
                    source=producer,
                    ids=[str(partner.id)],
                )
            )
        except DataInclusionExportError as exc:
            problems.extend((index, f"{partner.name} : {reason}") for _, reason in exc.problems)
    if problems:
        raise DataInclusionExportError(problems)
    return structures
