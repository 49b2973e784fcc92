"""What the words of a French text search name: pure, no SQL.

A counsellor types « CHRS Alès », « crèche d'Alès », « TESA » or « hébergement Saint-Jean-du-Gard ».
`query_words` cuts the text into words the way French is written (elisions « d' », « l' », « qu' »
dropped, hyphenated names split, accents and case ignored); `kinds_named` says which partner
kinds a word designates (a kind code or acronym, « SIAE », « AHI », or the start of a word of a
kind's label, « crèche », « hébergement »). `service.partners.queries` matches each word against
the partner's name, aliases and address (PostgreSQL full text, French stemming, on word
boundaries), against these kinds, and against the names of communes, and ranks the partners
found: a word naming the partner's kind or commune weighs more than the same word in a street name
(« Alès » in « rue des Cigales » is no match at all: words are matched from their start).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Final

from graph import vocabulary

__all__ = ["MAX_WORDS", "fold", "is_kind_word", "kinds_named", "query_words"]

MAX_WORDS: Final = 8
"""Words of a query taken into account; the rest is ignored (a search box, not a document)."""

_ELISION: Final = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_NOT_WORD: Final = re.compile(r"[^0-9a-z]+")

_STOP: Final = frozenset(
    "a au aux d de des du en et l la le les ou par pour sur un une".split()  # noqa: SIM905
)
"""Words that name nothing on their own (articles, prepositions)."""

_ACRONYMS: Final[dict[str, frozenset[str]]] = {
    "siae": vocabulary.SIAE_KINDS,
    "iae": vocabulary.SIAE_KINDS,
}
"""Words that name a group of kinds rather than one (« SIAE » : the five SIAE kinds)."""

_MIN_PREFIX: Final = 4
"""A word names a kind through its label only from this many letters (« crèc », not « cr »)."""


def fold(text: str) -> str:
    """Lower case, without accents or ligatures (« Œuvre Crèche » → « oeuvre creche »)."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def query_words(text: str) -> list[str]:
    """The words of a search text, folded (`fold`), elisions dropped, hyphens and punctuation
    as separators, at most `MAX_WORDS`; articles and prepositions are kept out only when other
    words remain (« Le Vigan » keeps « vigan »)."""
    words = [w for w in _NOT_WORD.split(fold(_ELISION.sub(" ", text))) if w]
    meaningful = [w for w in words if w not in _STOP]
    return (meaningful or words)[:MAX_WORDS]


def kinds_named(word: str) -> frozenset[str]:
    """The kind codes a folded word designates: a kind code or one of its parts (« chrs »,
    « esat »), an acronym of a group (« siae »), the code or a word of a family's label
    (« hebergement »), or the start (4 letters or more) of a word of a kind's label
    (« creche », « pension »)."""
    return _kind_index().get(word, frozenset()) | _by_prefix(word)


def is_kind_word(word: str) -> bool:
    """Whether a folded word is itself a kind code, acronym or family word (« chrs », « siae »):
    such a word is matched whole, not as the start of a longer word (« chrs » is not the start
    of « Christol »)."""
    return word in _kind_index()


@cache
def _kind_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for code, kind in vocabulary.kinds().items():
        for part in _NOT_WORD.split(fold(code)):
            if part and part not in _STOP:
                index.setdefault(part, set()).add(code)
        for acronym in re.findall(r"\(([A-Z]{2,})\)", kind.label):
            index.setdefault(fold(acronym), set()).add(code)
    for family, term in vocabulary.families().items():
        members = vocabulary.kinds_in_family(family)
        for word in {*_NOT_WORD.split(fold(family)), *_NOT_WORD.split(fold(term.label))}:
            if len(word) >= _MIN_PREFIX and word not in _STOP:
                index.setdefault(word, set()).update(members)
    for acronym, codes in _ACRONYMS.items():
        index.setdefault(acronym, set()).update(codes)
    return {word: frozenset(codes) for word, codes in index.items()}


@cache
def _label_words() -> tuple[tuple[str, str], ...]:
    """(word of a kind's label, kind code), words of 4 letters or more."""
    pairs = []
    for code, kind in vocabulary.kinds().items():
        for word in _NOT_WORD.split(fold(kind.label)):
            if len(word) >= _MIN_PREFIX and word not in _STOP:
                pairs.append((word, code))
    return tuple(pairs)


@lru_cache(maxsize=4096)  # bounded: the words come from users
def _by_prefix(word: str) -> frozenset[str]:
    if len(word) < _MIN_PREFIX:
        return frozenset()
    return frozenset(code for label, code in _label_words() if label.startswith(word))
