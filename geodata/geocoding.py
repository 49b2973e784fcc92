"""Geocoding: an address or a place name typed by a person → candidate points.

`Geocoder` is what the service asks: ``search(query, limit=, near=)`` gives `Candidate` s,
best first. Two implementations:

- `geodata.ban.BanGeocoder`: the national address API (Base Adresse Nationale,
  ``api-adresse.data.gouv.fr`` and its successor ``data.geopf.fr/geocodage``), for online
  deployments;
- `LocalGeocoder` (this module): an in-memory index over the `Place` s the store knows —
  communes (their town hall), partners' addresses, the OpenStreetMap ``addr:*`` of the
  registered street networks (`geodata.osm_addresses`) — for offline deployments.

The query is a person's address: no implementation logs it, nor puts it in an error message.

Matching in `LocalGeocoder`
---------------------------
Words are compared without case, accents or punctuation (`geodata.words`), and a word typed
may be the beginning of a word of the place (« st jean du g »). Every word typed must match,
except the small words of French addresses (`OPTIONAL_WORDS`: « de », « la », « rue »…) and
numbers: a number is a house number or a postcode. A place with a house number is proposed
only when that number is typed. The score (0 to 1) weighs how well the words typed match
(a whole word counts more than its beginning; numbers apart), how much of the place's label
they cover (« Alès » is all of the commune, a fraction of « 1 rue X, 30100 Alès »), whether
the numbers typed are the place's, its weight (a commune's population) and, when a point
``near`` is given, its distance to it.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from geodata.sphere import haversine_m
from geodata.words import query_words, words

Precision = Literal["housenumber", "street", "locality", "municipality"]
"""What a candidate's point stands for: a numbered address, a street (its middle), a named
place within a commune (« lieu-dit »), a commune (its town hall)."""

PRECISIONS: Final[tuple[Precision, ...]] = ("housenumber", "street", "locality", "municipality")

OPTIONAL_WORDS: Final = frozenset(
    {
        "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sur",
        "rue", "r", "av", "avenue", "bd", "boulevard", "chemin", "ch", "place", "pl", "route",
        "rte", "impasse", "imp", "allee", "quai", "cours", "bis", "ter", "france",
    }
)  # fmt: skip
"""Words that need not match: they are credited when they do."""

ABBREVIATIONS: Final = {"st": "saint", "ste": "sainte", "bd": "boulevard", "av": "avenue"}
"""Abbreviations typed for the words of places (« st jean » finds « Saint-Jean »)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One answer to a geocoding query.

    Attributes
    ----------
    label
        What to show: « 12 Rue de la République 30100 Alès », « Alès ».
    lon, lat
        EPSG:4326 degrees.
    precision
        `Precision`.
    score
        0 to 1, higher is better.
    source
        Where it comes from: ``ban``, ``communes``, ``partenaires``, ``osm``.
    code_insee, postcode, city
        The commune, when known.
    """

    label: str
    lon: float
    lat: float
    precision: Precision
    score: float
    source: str
    code_insee: str | None = None
    postcode: str | None = None
    city: str | None = None


class GeocoderUnavailableError(Exception):
    """The geocoder cannot answer now (a remote service down, too slow, or answering
    nonsense). Its message is French and never quotes the query."""


class Geocoder(Protocol):
    """What the service asks of a geocoder."""

    def search(
        self, query: str, *, limit: int, near: tuple[float, float] | None = None
    ) -> list[Candidate]:
        """Candidates for ``query``, best first, at most ``limit``; ``near`` (lon, lat) favours
        the places around it. Raises `GeocoderUnavailableError`."""
        ...


@dataclass(frozen=True, slots=True)
class Place:
    """A place `LocalGeocoder` can propose; ``text`` is what its words are read from
    (``label`` when empty), ``weight`` ranks otherwise equal places (a commune's
    population), ``housenumber`` is the number a query must type to get it, ``key`` what a
    query should cover to fit it best (``label`` when empty: « Mairie d'Alès », not the
    street of its address)."""

    label: str
    lon: float
    lat: float
    precision: Precision
    source: str
    code_insee: str | None = None
    postcode: str | None = None
    city: str | None = None
    text: str = ""
    weight: float = 0.0
    housenumber: str | None = None
    key: str = ""


_DIGITS: Final = re.compile(r"\d+")
_NEAR_SCALE_KM: Final = 10.0
_EXACT, _PREFIX = 1.0, 0.75


class LocalGeocoder:
    """An in-memory word index over `Place` s (module docstring: how it matches)."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.places: tuple[Place, ...] = tuple(places)
        postings: dict[str, list[int]] = defaultdict(list)
        for index, place in enumerate(self.places):
            for word in dict.fromkeys(words(place.text or place.label)):
                postings[word].append(index)
        # what a query may cover: the label (or the key), and the postcode when it lacks it
        self._words = [
            (*label, *([place.postcode] if place.postcode and place.postcode not in label else []))
            for place in self.places
            for label in [tuple(words(place.key or place.label))]
        ]
        self._vocabulary = sorted(postings)
        self._postings = [frozenset(postings[word]) for word in self._vocabulary]
        top = max((place.weight for place in self.places), default=0.0)
        self._log_top = math.log1p(top) if top > 0 else 1.0

    def __len__(self) -> int:
        return len(self.places)

    def _exact(self, word: str) -> frozenset[int]:
        at = bisect.bisect_left(self._vocabulary, word)
        if at < len(self._vocabulary) and self._vocabulary[at] == word:
            return self._postings[at]
        return frozenset()

    def _starting(self, word: str) -> set[int]:
        low = bisect.bisect_left(self._vocabulary, word)
        high = bisect.bisect_left(self._vocabulary, word + "{")  # "{" sorts after "z"
        found: set[int] = set()
        for postings in self._postings[low:high]:
            found |= postings
        return found

    def search(
        self, query: str, *, limit: int, near: tuple[float, float] | None = None
    ) -> list[Candidate]:
        typed = list(dict.fromkeys(ABBREVIATIONS.get(w, w) for w in query_words(query, limit=12)))
        if not typed:
            return []
        digits = [word for word in typed if word.isdigit()]
        numbers = {str(int(word)) for word in digits}  # « 012 » is house 12
        required = [w for w in typed if w not in OPTIONAL_WORDS and w not in digits]
        matches = {word: self._starting(word) for word in typed}
        if required:
            pool = set.intersection(*(matches[word] for word in required))
        else:  # only small words or numbers: a postcode, « 12 rue »
            pool = set.union(*matches.values())
        exact = {word: self._exact(word) for word in typed}
        texts = [w for w in typed if w not in digits] or typed
        ranked: list[tuple[float, int, int]] = []
        for index in pool:
            place = self.places[index]
            if place.housenumber is not None and _number(place.housenumber) not in numbers:
                continue  # a numbered address is proposed only when its number is typed
            credits = [
                _EXACT if index in exact[word] else _PREFIX
                for word in texts
                if index in matches[word]
            ]
            own = self._words[index]
            covered = sum(any(w.startswith(t) for t in typed) for w in own) / max(len(own), 1)
            score = 0.6 * sum(credits) / len(texts) + 0.25 * covered
            if digits and all(index in matches[word] for word in digits):
                score += 0.15
            score = 0.9 * score + 0.1 * math.log1p(max(place.weight, 0.0)) / self._log_top
            if near is not None:
                km = haversine_m(near[0], near[1], place.lon, place.lat) / 1000
                score = 0.8 * score + 0.2 / (1 + km / _NEAR_SCALE_KM)
            ranked.append((-score, PRECISIONS.index(place.precision), index))
        ranked.sort()
        return [self._candidate(index, -negative) for negative, _, index in ranked[:limit]]

    def _candidate(self, index: int, score: float) -> Candidate:
        place = self.places[index]
        return Candidate(
            label=place.label,
            lon=place.lon,
            lat=place.lat,
            precision=place.precision,
            score=round(min(max(score, 0.0), 1.0), 4),
            source=place.source,
            code_insee=place.code_insee,
            postcode=place.postcode,
            city=place.city,
        )


def _number(housenumber: str) -> str:
    """The digits a house number starts with (« 12bis » → ``12``)."""
    digits = _DIGITS.match(housenumber.strip())
    return str(int(digits.group(0))) if digits else ""


def merge_places(groups: Sequence[Iterable[Place]]) -> list[Place]:
    """The places of ``groups``, the first of each label (by its words) kept: a partner's
    address that OpenStreetMap also has is proposed once."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for group in groups:
        for place in group:
            key = tuple(words(place.label))
            if key and key not in seen:
                seen.add(key)
                kept.append(place)
    return kept
