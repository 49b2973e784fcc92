"""The demo's job titles: France Travail's ROME 4.0, read from ``../shared/data/rome``.

``maillage demo`` loads them once (again when the release beside the repository changes), so
that the orientation form proposes « Employé / Employée de libre-service » (D1507) when
« libre-service » is typed. ``MAILLAGE_DEMO_ROME`` names another directory.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from service.demo.trains import REPOSITORY

DEFAULT_ROME = REPOSITORY.parent / "shared" / "data" / "rome"


def demo_jobs(session: Session, directory: Path | None = None) -> tuple[str, int] | None:
    """Load the ROME titles of ``directory`` unless that release is loaded already: (version,
    titles loaded — 0 when already there), or None when the directory is absent. The caller
    commits.

    Raises
    ------
    ValueError
        In French, when the files are there but unreadable.
    """
    from geodata.sources.rome import read_rome
    from service.reference import queries
    from service.reference.jobs import load_rome

    source = directory or DEFAULT_ROME
    if not source.is_dir():
        return None
    release = read_rome(source)
    loaded = session.scalar(queries.release(queries.ROME))
    if loaded is not None and loaded.version == release.version and loaded.credit == release.credit:
        return release.version, 0
    return release.version, load_rome(session, release)
