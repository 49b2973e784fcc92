"""The SQL of the reference feature: the ROME job titles and the release loaded."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Delete, delete, func, select
from sqlalchemy.dialects.postgresql import Insert, insert

from service.db import AnySelect
from service.tables import ReferenceRelease, RomeTitle

ROME = "rome"
"""``reference_release.name`` of the ROME repertoire."""


def release(name: str) -> AnySelect:
    """The loaded release of a repertoire (no row: not loaded)."""
    return select(ReferenceRelease).where(ReferenceRelease.name == name)


def save_release(name: str, version: str, credit: str) -> Insert:
    statement = insert(ReferenceRelease).values(name=name, version=version, credit=credit)
    return statement.on_conflict_do_update(
        index_elements=[ReferenceRelease.name],
        set_={"version": version, "credit": credit, "loaded_at": func.now()},
    )


def clear_titles() -> Delete:
    return delete(RomeTitle)


def insert_titles() -> Insert:
    """Executed with a list of `RomeTitle` column dictionaries."""
    return insert(RomeTitle)


def search_titles(words: Sequence[str], limit: int) -> AnySelect:
    """Titles holding a word that starts with each of ``words`` (`geodata.words`: lower case,
    no accent, letters and digits only, so they need no escaping in ``LIKE``).

    Ranked: common titles before rarely used ones (``peu_usite``), then those whose first
    word starts with the first word typed, then the shortest, then alphabetically.
    """
    conditions = [RomeTitle.search.like(f"% {word}%") for word in words]
    leading = RomeTitle.search.like(f" {words[0]}%")
    return (
        select(RomeTitle)
        .where(*conditions)
        .order_by(
            RomeTitle.rare,
            leading.desc(),
            func.length(RomeTitle.label),
            RomeTitle.label,
            RomeTitle.code_ogr,
        )
        .limit(limit)
    )
