"""Reference vocabularies of the partner graph: families and kinds of actors, thematiques, publics.

The lists are CSV files shipped as package data in ``graph/reference`` and read once, on first
use (nothing is read at import time):

- ``families.csv`` (``code,label``) and ``kinds.csv`` (``code,label,family,data_inclusion``) are
  maillage's own. A kind code reuses the data·inclusion v1 ``reseaux_porteurs`` code when one
  exists (``data_inclusion`` is then ``true`` and the label is data·inclusion's); the codes
  data·inclusion lacks (``phc``, ``oacas``, ``entreprise``...) are ours.
- ``thematiques.csv`` and ``publics.csv`` (``value,label,description``) are verbatim copies of the
  data·inclusion v1 reference lists (Licence Ouverte 2.0), so that services described with
  data·inclusion codes need no translation.

The ``check_*`` functions are the single place where a code coming from outside (API query, data
import) is checked against these lists; they raise :class:`UnknownCodeError`, whose French
message can be shown to the user as is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any, Final, Literal

__all__ = [
    "SIAE_KINDS",
    "Kind",
    "Term",
    "UnknownCodeError",
    "VocabularyName",
    "check_family",
    "check_kind",
    "check_publics",
    "check_thematiques",
    "families",
    "family_of",
    "kinds",
    "kinds_in_family",
    "publics",
    "thematiques",
]

SIAE_KINDS: Final = frozenset({"aci", "ei", "ai", "etti", "eiti"})
"""Kind codes of the five SIAE (structures d'insertion par l'activité économique).

They share the IAE rules of domain.md §5: CDDI contracts, eligibility criteria checked by
Les emplois de l'inclusion, journey of at most 24 months.
"""

VocabularyName = Literal["family", "kind", "thematique", "public"]
"""Name of a reference list, as carried by :attr:`UnknownCodeError.vocabulary`."""

_REFERENCE_PACKAGE: Final = "graph.reference"

# vocabulary -> (message for one unknown code, for several, path of the reference endpoint)
_UNKNOWN_MESSAGES: Final[Mapping[VocabularyName, tuple[str, str, str]]] = {
    "family": ("famille inconnue", "familles inconnues", "families"),
    "kind": ("type d’acteur inconnu", "types d’acteurs inconnus", "kinds"),
    "thematique": ("thématique inconnue", "thématiques inconnues", "thematiques"),
    "public": ("public inconnu", "publics inconnus", "publics"),
}

_BOOLEANS: Final[Mapping[str, bool]] = {"true": True, "false": False}


@dataclass(frozen=True, slots=True)
class Term:
    """One entry of a reference list.

    Attributes
    ----------
    code : str
        Stable machine code (a slug such as ``"sante--addictions"``); what the API and the
        database store.
    label : str
        French label shown to users.
    description : str
        Optional French explanation; empty when the source list gives none.
    """

    code: str
    label: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of actor (a node type of the partner graph), e.g. ``chrs`` or ``creches-avip``.

    Attributes
    ----------
    code : str
        Kind code; a data·inclusion v1 ``reseaux_porteurs`` code when ``data_inclusion``.
    label : str
        French label.
    family : str
        Code of the family the kind belongs to (exactly one), see :func:`families`.
    family_label : str
        French label of that family, denormalised for display.
    data_inclusion : bool
        Whether ``code`` exists in data·inclusion v1 ``reseaux_porteurs``; ``False`` marks
        maillage's own codes, which data·inclusion exports cannot carry.
    """

    code: str
    label: str
    family: str
    family_label: str
    data_inclusion: bool


class UnknownCodeError(ValueError):
    """A code absent from a reference list.

    The message is French and meant for the user, e.g. ``thématiques inconnues en position 0,
    2 (184 valeurs admises, voir /v1/reference/thematiques)``: it says where every unknown code
    of a list is, so that a form or an import can be fixed in one go, but never quotes a code
    (what was typed may describe a person, and a message can end up in logs).

    Parameters
    ----------
    vocabulary : {"family", "kind", "thematique", "public"}
        The reference list that was consulted.
    codes : sequence of str
        The unknown codes, in the order they were given, without duplicates (at least one).
    positions : sequence of int, optional
        Where the unknown codes are in the list that was checked (from 0); empty for a single
        code.

    Attributes
    ----------
    vocabulary : str
        As given.
    codes : tuple of str
        As given: for the program, never shown.
    positions : tuple of int
        As given.
    """

    def __init__(
        self, vocabulary: VocabularyName, codes: Sequence[str], positions: Sequence[int] = ()
    ) -> None:
        singular, plural, path = _UNKNOWN_MESSAGES[vocabulary]
        heading = singular if len(positions) <= 1 else plural
        where = f" en position {', '.join(map(str, positions))}" if positions else ""
        admitted = len(_VOCABULARIES[vocabulary]())
        super().__init__(
            f"{heading}{where} ({admitted} valeurs admises, voir /v1/reference/{path})"
        )
        self.vocabulary: VocabularyName = vocabulary
        self.codes: tuple[str, ...] = tuple(codes)
        self.positions: tuple[int, ...] = tuple(positions)

    def __reduce__(
        self,
    ) -> tuple[type[UnknownCodeError], tuple[VocabularyName, tuple[str, ...], tuple[int, ...]]]:
        # Rebuild from the constructor arguments, not from the message, so that the error
        # survives pickling (multiprocessing workers, task queues).
        return (type(self), (self.vocabulary, self.codes, self.positions))


# --- reading the reference files -------------------------------------------------------------


def _read_rows(filename: str) -> list[dict[str, str]]:
    """Rows of a reference CSV of ``graph/reference``, as dicts keyed by the header."""
    text = files(_REFERENCE_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    return [
        {key: value or "" for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(text, newline=""))
    ]


def _corrupt(filename: str, problem: str) -> RuntimeError:
    return RuntimeError(f"fichier de référence graph/reference/{filename} incohérent : {problem}")


def _load_terms(filename: str, code_column: str) -> Mapping[str, Term]:
    terms: dict[str, Term] = {}
    for row in _read_rows(filename):
        code = row[code_column]
        if not code or code in terms:
            raise _corrupt(filename, f"code vide ou en double « {code} »")
        terms[code] = Term(code=code, label=row["label"], description=row.get("description", ""))
    return MappingProxyType(terms)


# --- the vocabularies ------------------------------------------------------------------------


@cache
def families() -> Mapping[str, Term]:
    """Families of actors (domain.md §4), in display order.

    Returns
    -------
    Mapping[str, Term]
        Read-only mapping from family code (``hebergement``, ``insertion-professionnelle``,
        ``employeurs-inclusifs``...) to its term; the order is the order of ``families.csv``.
    """
    return _load_terms("families.csv", "code")


@cache
def kinds() -> Mapping[str, Kind]:
    """Kinds of actors, each in exactly one family.

    Returns
    -------
    Mapping[str, Kind]
        Read-only mapping from kind code to :class:`Kind`, ordered by family (in the order of
        :func:`families`) then in the order of ``kinds.csv``.

    Raises
    ------
    RuntimeError
        If ``kinds.csv`` is inconsistent (duplicate code, unknown family, bad boolean): a
        packaging bug, never a user error.
    """
    family_terms = families()
    family_rank = {code: rank for rank, code in enumerate(family_terms)}
    parsed: list[Kind] = []
    seen: set[str] = set()
    for row in _read_rows("kinds.csv"):
        code, family, flag = row["code"], row["family"], row["data_inclusion"]
        if not code or code in seen:
            raise _corrupt("kinds.csv", f"code vide ou en double « {code} »")
        if family not in family_terms:
            raise _corrupt("kinds.csv", f"famille inconnue « {family} » pour « {code} »")
        if flag not in _BOOLEANS:
            raise _corrupt("kinds.csv", f"data_inclusion doit valoir true ou false pour « {code} »")
        seen.add(code)
        parsed.append(
            Kind(
                code=code,
                label=row["label"],
                family=family,
                family_label=family_terms[family].label,
                data_inclusion=_BOOLEANS[flag],
            )
        )
    parsed.sort(key=lambda kind: family_rank[kind.family])  # stable: keeps the CSV order
    return MappingProxyType({kind.code: kind for kind in parsed})


@cache
def thematiques() -> Mapping[str, Term]:
    """data·inclusion v1 ``thematiques``: what a service is about (69 codes).

    Returns
    -------
    Mapping[str, Term]
        Read-only mapping from code (``categorie--sous-categorie``, e.g.
        ``mobilite--preparer-un-permis``) to its term, in the order of the source list.
    """
    return _load_terms("thematiques.csv", "value")


@cache
def publics() -> Mapping[str, Term]:
    """data·inclusion v1 ``publics``: who a service is for (14 codes, e.g. ``jeunes``).

    Returns
    -------
    Mapping[str, Term]
        Read-only mapping from code to its term, in the order of the source list.
    """
    return _load_terms("publics.csv", "value")


# --- checks ----------------------------------------------------------------------------------


def check_kind(code: str) -> str:
    """Return ``code`` if it is a known kind of actor.

    Raises
    ------
    UnknownCodeError
        If ``code`` is not in :func:`kinds` (matching is exact: no case folding, no trimming).
    """
    if code not in kinds():
        raise UnknownCodeError("kind", [code])
    return code


def check_family(code: str) -> str:
    """Return ``code`` if it is a known family of actors.

    Raises
    ------
    UnknownCodeError
        If ``code`` is not in :func:`families` (exact match).
    """
    if code not in families():
        raise UnknownCodeError("family", [code])
    return code


def family_of(kind: str) -> str:
    """Code of the family a kind of actor belongs to, e.g. ``"aci"`` → ``"employeurs-inclusifs"``.

    Raises
    ------
    UnknownCodeError
        If ``kind`` is not a known kind.
    """
    return kinds()[check_kind(kind)].family


@cache
def kinds_in_family(family: str) -> frozenset[str]:
    """Kind codes of one family, e.g. ``"garde-enfants"`` → ``{"creches-avip", "creche", ...}``.

    Raises
    ------
    UnknownCodeError
        If ``family`` is not a known family.
    """
    check_family(family)
    return frozenset(kind.code for kind in kinds().values() if kind.family == family)


def check_thematiques(codes: Iterable[str]) -> list[str]:
    """Check data·inclusion ``thematiques`` codes.

    Parameters
    ----------
    codes : iterable of str
        Codes as received; a bare string is refused (it would be read letter by letter).

    Returns
    -------
    list of str
        The codes without duplicates, in the order of first appearance.

    Raises
    ------
    UnknownCodeError
        Naming every unknown code, not only the first.
    TypeError
        If ``codes`` is a single string.
    """
    return _check_codes("thematique", thematiques(), codes)


def check_publics(codes: Iterable[str]) -> list[str]:
    """Check data·inclusion ``publics`` codes; same contract as :func:`check_thematiques`."""
    return _check_codes("public", publics(), codes)


def _check_codes(
    vocabulary: VocabularyName, known: Mapping[str, Term], codes: Iterable[str]
) -> list[str]:
    if isinstance(codes, str):
        raise TypeError("une liste de codes est attendue, pas une chaîne seule")
    given = list(codes)
    unique = list(dict.fromkeys(given))
    unknown = [code for code in unique if code not in known]
    if unknown:
        positions = [i for i, code in enumerate(given) if code not in known]
        raise UnknownCodeError(vocabulary, unknown, positions)
    return unique


_VOCABULARIES: Final[Mapping[VocabularyName, Callable[[], Mapping[str, Any]]]] = {
    "family": families,
    "kind": kinds,
    "thematique": thematiques,
    "public": publics,
}
