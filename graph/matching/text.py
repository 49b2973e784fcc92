"""Folding of French text for keyword search, and the few wording helpers of explanations."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Final

from geodata.words import decimal

_STOPWORDS: Final = frozenset(
    {"les", "des", "une", "aux", "avec", "pour", "dans", "sur", "par", "est", "pas", "qui"}
)
_TOKEN: Final = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def search_tokens(text: str | None) -> list[str]:
    """Search tokens of free text: folded, 3 letters or more, stop words out, deduplicated."""
    if not text:
        return []
    tokens = _TOKEN.findall(fold(text))
    return list(dict.fromkeys(t for t in tokens if len(t) >= 3 and t not in _STOPWORDS))


def pluralize(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun, plural unless ``count`` is 1: « 1 offre », « 3 offres »."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def hours_text(low: float, high: float) -> str:
    """Weekly hours in French: « 20 h » or « 20 à 26 h »."""
    return f"{decimal(low)} h" if low == high else f"{decimal(low)} à {decimal(high)} h"


_MONTHS: Final = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(day: date) -> str:
    """A date in French: « 1er mars 2027 », « 15 mars 2027 »."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"
