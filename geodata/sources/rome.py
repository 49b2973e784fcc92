"""France Travail's ROME 4.0 job repertoire: the job titles (appellations) and their codes.

France Travail publishes the repertoire as CSV files (UTF-8, comma-separated, every field
quoted); two of them are read here, from one directory:

- ``unix_referentiel_appellation_v<N>_utf8.csv``: one row per job title — ``code_ogr``,
  ``libelle_appellation_long`` and ``_court``, ``code_rome`` (the ROME 4.0 fiche, e.g.
  ``G1216``), ``code_rome_parent`` (always one of the 532 classic codes, e.g. ``G1201``: the
  code job offers and `graph.validation.validate_rome_code` speak), ``classification``
  (``PRINCIPALE`` for a fiche's own title, ``SYNONYME`` otherwise), ``peu_usite`` (``O`` for a
  rarely used title);
- ``unix_referentiel_code_rome_v<N>_utf8.csv``: one row per fiche — ``code_rome``,
  ``libelle_rome``, ``code_rome_parent``. A classic fiche is its own parent; its label names
  the classic code.

Each title is given its classic code and that code's label. The version ``v<N>`` is read from
the file names, and the credit France Travail asks for is built from it (`credit`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from geodata.words import searchable

TITLES_GLOB: Final = "unix_referentiel_appellation_v*_utf8.csv"
CODES_GLOB: Final = "unix_referentiel_code_rome_v*_utf8.csv"
_VERSION: Final = re.compile(r"_(v\d+)_utf8\.csv$")
_CODE: Final = re.compile(r"[A-N][0-9]{4}")

PUBLISHED: Final = {"v460": "sept. 2025"}
"""Publication month of the versions this code was checked against (for the credit line)."""


@dataclass(frozen=True, slots=True)
class JobTitle:
    """One ROME job title (appellation).

    Attributes
    ----------
    code_ogr
        France Travail's identifier of the title.
    label, label_short
        Long and short labels (« Employé / Employée de libre-service »).
    code_rome
        The classic ROME code (``code_rome_parent``), e.g. ``D1507``.
    code_fiche
        The ROME 4.0 fiche the title belongs to (``code_rome``); equal to ``code_rome`` for
        most titles.
    rome_label
        Label of the classic code (« Mise en rayon libre-service »).
    principal
        The fiche's own title (``classification = PRINCIPALE``).
    rare
        A title France Travail marks as rarely used (``peu_usite = O``).
    search
        The labels and codes as `geodata.words.searchable` words.
    """

    code_ogr: int
    label: str
    label_short: str
    code_rome: str
    code_fiche: str
    rome_label: str
    principal: bool
    rare: bool
    search: str


@dataclass(frozen=True, slots=True)
class RomeRelease:
    """The titles of one ROME release, with its version (``v460``) and credit line."""

    version: str
    credit: str
    titles: tuple[JobTitle, ...]


def credit(version: str, published: str | None = None) -> str:
    """« Source : France Travail, ROME 4.0 v460 (sept. 2025) » — the month when known."""
    month = published or PUBLISHED.get(version)
    return f"Source : France Travail, ROME 4.0 {version}" + (f" ({month})" if month else "")


def _one(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    if not found:
        msg = f"Fichier ROME introuvable dans {directory} : {pattern} attendu."
        raise ValueError(msg)
    return found[-1]  # the highest version when several are there


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            msg = f"{path.name} : colonne(s) absente(s) : {', '.join(missing)}."
            raise ValueError(msg)
        yield from reader


def read_rome(directory: str | Path, *, published: str | None = None) -> RomeRelease:
    """Read the job titles of the ROME files in ``directory``.

    Raises
    ------
    ValueError
        In French: a file or a column missing, a title whose code is not a ROME code, two
        files of different versions.
    """
    root = Path(directory)
    if not root.is_dir():
        msg = f"Répertoire ROME introuvable : {root}."
        raise ValueError(msg)
    titles_path, codes_path = _one(root, TITLES_GLOB), _one(root, CODES_GLOB)
    versions = {_VERSION.search(p.name).group(1) for p in (titles_path, codes_path)}  # type: ignore[union-attr]
    if len(versions) != 1:
        msg = f"Fichiers ROME de versions différentes : {titles_path.name}, {codes_path.name}."
        raise ValueError(msg)
    version = versions.pop()
    labels = {
        row["code_rome"]: row["libelle_rome"]
        for row in _rows(codes_path, ("code_rome", "libelle_rome", "code_rome_parent"))
        if row["code_rome"] == row["code_rome_parent"]
    }
    required = (
        "code_ogr",
        "libelle_appellation_long",
        "libelle_appellation_court",
        "code_rome",
        "code_rome_parent",
        "classification",
        "peu_usite",
    )
    titles = []
    for line, row in enumerate(_rows(titles_path, required), start=2):
        parent, fiche = row["code_rome_parent"].strip(), row["code_rome"].strip()
        if (
            not (_CODE.fullmatch(parent) and _CODE.fullmatch(fiche))
            or not row["code_ogr"].isdigit()
        ):
            msg = f"{titles_path.name}, ligne {line} : code ROME ou code OGR invalide."
            raise ValueError(msg)
        label, short = row["libelle_appellation_long"].strip(), row["libelle_appellation_court"]
        titles.append(
            JobTitle(
                code_ogr=int(row["code_ogr"]),
                label=label,
                label_short=short.strip(),
                code_rome=parent,
                code_fiche=fiche,
                rome_label=labels.get(parent, ""),
                principal=row["classification"].strip() == "PRINCIPALE",
                rare=row["peu_usite"].strip() == "O",
                search=searchable(
                    label,
                    short if short != label else None,
                    parent,
                    fiche if fiche != parent else None,
                ),
            )
        )
    return RomeRelease(version=version, credit=credit(version, published), titles=tuple(titles))
