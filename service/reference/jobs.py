"""The ROME job titles in the store: loaded from France Travail's files, searched by words."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from geodata.sources.rome import RomeRelease
from geodata.words import query_words
from service.reference import queries
from service.reference.schemas import JobSearch, JobTitleOut

NOT_LOADED = (
    "Le référentiel des métiers (ROME) n'est pas chargé sur ce serveur : "
    "maillage reference load-rome <répertoire des fichiers de France Travail>."
)


def load_rome(session: Session, release: RomeRelease) -> int:
    """Replace the stored titles with ``release``'s (in the caller's transaction)."""
    session.execute(queries.clear_titles())
    rows = [asdict(title) for title in release.titles]
    for start in range(0, len(rows), 2000):
        session.execute(queries.insert_titles(), rows[start : start + 2000])
    session.execute(queries.save_release(queries.ROME, release.version, release.credit))
    return len(rows)


def search_jobs(session: Session, text: str, limit: int) -> JobSearch:
    """The titles matching ``text``, with the credit of the loaded release."""
    loaded = session.scalar(queries.release(queries.ROME))
    if loaded is None:
        return JobSearch(source=None, version=None, notice=NOT_LOADED, results=[])
    words = query_words(text)
    rows = session.scalars(queries.search_titles(words, limit)).all() if words else []
    return JobSearch(
        source=loaded.credit,
        version=loaded.version,
        notice=None,
        results=[
            JobTitleOut(
                code_ogr=str(row.code_ogr),
                label=row.label,
                code_rome=row.code_rome,
                rome_label=row.rome_label,
                code_fiche=row.code_fiche,
                rare=row.rare,
            )
            for row in rows
        ],
    )
