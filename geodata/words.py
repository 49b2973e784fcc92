"""Words of a label or a query, for search that ignores case, accents and punctuation.

« Employé / Employée de libre-service » and « EMPLOYEE libre serv » meet on the same words:
``employe employee de libre service``. A label becomes a *searchable* string, its words
between single spaces with a space at each end, so that « a word starting with ``serv`` » is
the substring `` serv`` — a ``LIKE '% serv%'`` in SQL, a ``in`` in Python.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_WORD: Final = re.compile(r"[a-z0-9]+")
_LIGATURES: Final = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})


def words(text: str | None) -> list[str]:
    """The words of ``text``: lower case, without accents, split at anything not a letter or a
    digit (« Saint-Jean-du-Gard » → ``saint jean du gard``; « l'Œuvre » → ``l oeuvre``)."""
    if not text:
        return []
    lowered = text.casefold().translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", lowered)
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(folded)


def searchable(*texts: str | None) -> str:
    """The words of ``texts`` as one string with a space before and after each word."""
    found = [word for text in texts for word in words(text)]
    return f" {' '.join(found)} " if found else " "


def query_words(text: str | None, *, limit: int = 8) -> list[str]:
    """The distinct words of a query, in order, at most ``limit`` of them."""
    return list(dict.fromkeys(words(text)))[:limit]


def of_place(name: str) -> str:
    """« de » and a place's name, elided or contracted: « d'Alès », « du Vigan », « des Angles »,
    « de Nîmes »."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    return ("d'" if name[:1] in "AEIOUYHÂÉÈÊÎÔÛaeiouyhâéèêîôû" else "de ") + name


def decimal(value: float) -> str:
    """A number as French writes it, at most 6 significant digits: ``1,3``, ``17``, ``0,25``."""
    return f"{value:g}".replace(".", ",")
