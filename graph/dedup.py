"""Deduplication across sources: the same structure read twice becomes one partner, not two pins.

A CHRS is in FINESS, in data·inclusion (through DORA) and maybe in a hand-made file; an agency
is in Les emplois and in data·inclusion. :func:`deduplicate` groups the records that describe
the same structure into :class:`Cluster` objects, each with one canonical record and the
provenances of the others (``same_as``).

The rule, applied to every pair of records from *different* provenances:

1. **Same SIRET** ⇒ same structure, when the names *or* the places agree: similar names
   (similarity ≥ ``name_threshold``) within ``siret_max_distance_m`` (10 km by default), or
   any names closer than ``max_distance_m``. One SIRET is often shared by several services:
   data·inclusion allows the head office's SIRET on every antenna, and one association's CHRS,
   CHU and chantier d'insertion may all carry it. The 10 km tolerate a record geocoded to its
   commune's centroid.
2. Else **similar names and close points**: name similarity ≥ ``name_threshold`` (0.5) and
   great-circle distance < ``max_distance_m`` (150 m).

Name similarity is the Jaccard index of the sets of normalised tokens,
``|A ∩ B| / |A ∪ B|``, where a name is normalised by folding case and accents, replacing
punctuation by spaces, removing French articles and prepositions (« de », « la », « l' »,
« des »...) and legal or generic words (« association », « agence », « antenne », SARL, SAS...),
and folding the spelled-out names of the sector's establishments into their acronym
(:data:`ACRONYMS`: « centre d'hébergement et de réinsertion sociale » → « chrs »), since a
register writes one and a directory the other. « ESAT Les Ateliers de la Clède » and « Les
ateliers de la Clède » give {esat, ateliers, clede} and {ateliers, clede}: 2/3; « Centre
d'hébergement et de réinsertion sociale Le Mas » and « CHRS Le Mas - Alès » give {chrs, mas}
and {chrs, mas, ales}: 2/3. « CHRS Nîmes » and « CHU Nîmes » give 1/3: not merged.
Distance is the haversine distance on a sphere of radius 6 371 008.8 m (mean Earth radius).

Pairs are merged with union-find, strongest evidence first (SIRET links, then by decreasing
similarity and increasing distance), and two groups are never merged when they would hold two
records of the same provenance: a source does not list one structure twice under two ids, so
such records are distinct services at one address (a CHRS and a CHU of the same association
share a building and often a SIRET).

The canonical record of a cluster is the first by: a precise point (not geocoded to the
commune centroid), then most complete (count of filled optional fields: SIRET, address, code
INSEE, hours, phone, e-mail, website, description, capacity, publics, thematiques), then
source priority (``source_priority``: official registers first), then ``(provenance,
source_id)`` for determinism. :meth:`Cluster.partner` fills the canonical record's gaps from
the others in that order and unions their publics and thematiques.

Names: when an official register lists the structure (``official``: FINESS, Les emplois —
`geodata.sources.provenances.REGISTERS`), the merged partner takes the register's name (the
first register in ``source_priority``), even when a service directory's record is canonical
for its point or completeness: « ESAT LES ATELIERS DE LA CLEDE » (FINESS) wins over « Les
ateliers de la Clède » (DORA). The other names are kept as :attr:`Cluster.aliases`, so that a
search finds the structure under the name a counsellor knows it by.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, Protocol, TypeVar

from geodata.sources.provenances import REGISTERS
from geodata.sphere import EARTH_RADIUS_M, haversine_m
from graph.models import PartnerFields, dump

__all__ = [
    "ACRONYMS",
    "DEFAULT_SOURCE_PRIORITY",
    "Candidate",
    "Cluster",
    "Link",
    "canonical_order",
    "deduplicate",
    "name_similarity",
    "name_tokens",
]

DEFAULT_SOURCE_PRIORITY: Final[tuple[str, ...]] = (
    "maillage",  # edited in maillage by the structure itself
    "finess",  # the State's register of authorised establishments
    "emplois-siae",  # Les emplois de l'inclusion: SIAE conventioned by the DDETS
    "emplois-prescripteurs",  # Les emplois: public employment service referential
    "dora",  # edited by the structures themselves
    "emplois-de-linclusion",
    "soliguide",
    "hinaura",
)
"""Provenances in decreasing trust; unknown provenances come after, in alphabetical order."""

_STOP_WORDS: Final = frozenset(
    {
        # articles and prepositions
        "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour",
        "sur", "un", "une", "par", "chez",
        # legal forms and generic words that say nothing about which structure it is
        "association", "asso", "agence", "antenne", "sarl", "sas", "sasu", "eurl", "sa",
        "scop", "scic", "gie", "ste", "societe", "cedex",
    }
)  # fmt: skip
_NON_ALNUM: Final = re.compile(r"[^0-9a-z]+")

ACRONYMS: Final[dict[tuple[str, ...], str]] = {
    # spelled-out name, as tokens left after stop-word removal → acronym
    ("centre", "hebergement", "reinsertion", "sociale"): "chrs",
    ("centre", "hebergement", "urgence"): "chu",
    ("centre", "accueil", "demandeurs", "asile"): "cada",
    ("centre", "provisoire", "hebergement"): "cph",
    ("hebergement", "urgence", "demandeurs", "asile"): "huda",
    ("etablissement", "service", "aide", "travail"): "esat",
    ("etablissement", "services", "aide", "travail"): "esat",
    ("etablissement", "service", "accompagnement", "travail"): "esat",
    ("centre", "soins", "accompagnement", "prevention", "addictologie"): "csapa",
    ("centre", "accueil", "accompagnement", "reduction", "risques", "usagers", "drogues"): (
        "caarud"
    ),
    ("centre", "medico", "psychologique"): "cmp",
    ("foyer", "jeunes", "travailleurs"): "fjt",
    ("maison", "departementale", "personnes", "handicapees"): "mdph",
    ("centre", "communal", "action", "sociale"): "ccas",
    ("centre", "intercommunal", "action", "sociale"): "cias",
    ("atelier", "chantier", "insertion"): "aci",
    ("ateliers", "chantiers", "insertion"): "aci",
    ("entreprise", "travail", "temporaire", "insertion"): "etti",
}
"""Spelled-out names of inclusion establishments folded into their acronym by `name_tokens`."""
_COMPLETENESS_FIELDS: Final = (
    "siret",
    "address",
    "code_insee",
    "opening_hours",
    "description",
    "capacity",
)
_FILLABLE_FIELDS: Final = (
    "siret",
    "address",
    "code_insee",
    "opening_hours",
    "description",
    "organisation_id",
)


_ACRONYMS_LONGEST_FIRST: Final = sorted(ACRONYMS.items(), key=lambda item: -len(item[0]))


class Candidate(Protocol):
    """What deduplication needs of a record (`geodata.sources.common.SourceRecord` fits)."""

    @property
    def partner(self) -> PartnerFields: ...

    @property
    def provenance(self) -> str: ...

    @property
    def source_id(self) -> str: ...

    @property
    def geocoding(self) -> str: ...


R = TypeVar("R", bound=Candidate)


@dataclass(frozen=True, slots=True)
class Link:
    """Why two records were merged.

    Attributes
    ----------
    a, b : tuple of str
        ``(provenance, source_id)`` of the two records.
    rule : {"siret", "nom-distance"}
        Same SIRET, or similar names within the distance threshold.
    distance_m : float
        Great-circle distance between their points, metres.
    similarity : float
        Name similarity (Jaccard index of normalised tokens, 0 to 1).
    """

    a: tuple[str, str]
    b: tuple[str, str]
    rule: Literal["siret", "nom-distance"]
    distance_m: float
    similarity: float


@dataclass(frozen=True, slots=True, eq=False)
class Cluster(Generic[R]):
    """Records describing one structure, canonical first.

    Attributes
    ----------
    records : tuple
        The records, ranked by the canonical rule (``records[0]`` is canonical).
    links : tuple of Link
        The evidence that joined them (empty for a record alone).
    """

    records: tuple[R, ...]
    links: tuple[Link, ...] = ()
    source_priority: tuple[str, ...] = DEFAULT_SOURCE_PRIORITY
    official: frozenset[str] = REGISTERS

    @property
    def canonical(self) -> R:
        """The record whose point, kind and name the merged partner keeps."""
        return self.records[0]

    @property
    def same_as(self) -> tuple[tuple[str, str], ...]:
        """``(provenance, source_id)`` of the other records, in rank order."""
        return tuple((record.provenance, record.source_id) for record in self.records[1:])

    @property
    def provenances(self) -> tuple[str, ...]:
        """Every provenance in the cluster, canonical first."""
        return tuple(record.provenance for record in self.records)

    @property
    def named_by(self) -> R:
        """The record whose name the partner takes: the first official register's (by
        ``source_priority``), else the canonical record."""
        rank = {provenance: position for position, provenance in enumerate(self.source_priority)}
        registers = [
            (rank.get(record.provenance, len(rank)), position, record)
            for position, record in enumerate(self.records)
            if record.provenance in self.official
        ]
        return min(registers, key=lambda entry: entry[:2])[2] if registers else self.canonical

    @property
    def aliases(self) -> tuple[str, ...]:
        """The other names the records give, in rank order, each once: names that differ only
        by case, accents or spacing are one name."""
        seen = {_spelling(self.named_by.partner.name)}
        found: list[str] = []
        for record in self.records:
            name = record.partner.name
            if _spelling(name) not in seen:
                seen.add(_spelling(name))
                found.append(name)
        return tuple(found)

    def partner(self) -> PartnerFields:
        """The canonical partner, gaps filled from the other records, publics/thematiques merged.

        Point, kind, source and source_id stay the canonical record's; the name is
        :attr:`named_by`'s (an official register's when one lists the structure). An empty
        optional field (SIRET, address, code INSEE, hours, description, each contact detail,
        capacity with its available places) takes the value of the first other record that
        has it.
        """
        merged: dict[str, Any] = dump(self.canonical.partner)
        merged["name"] = self.named_by.partner.name
        contact: dict[str, Any] = dict(merged["contact"])
        for record in self.records[1:]:
            other = record.partner
            for name in _FILLABLE_FIELDS:
                if merged.get(name) is None and getattr(other, name) is not None:
                    merged[name] = getattr(other, name)
            if merged.get("capacity") is None and other.capacity is not None:
                merged["capacity"] = other.capacity
                merged["available_places"] = other.available_places
            for name, value in dump(other.contact).items():
                if contact.get(name) is None and value is not None:
                    contact[name] = value
            merged["publics"] = list(dict.fromkeys([*merged["publics"], *other.publics]))
            merged["thematiques"] = list(
                dict.fromkeys([*merged["thematiques"], *other.thematiques])
            )
        merged["contact"] = contact
        return PartnerFields.model_validate(merged)


def deduplicate(
    records: Sequence[R],
    *,
    max_distance_m: float = 150.0,
    name_threshold: float = 0.5,
    siret_max_distance_m: float | None = 10_000.0,
    source_priority: Sequence[str] = DEFAULT_SOURCE_PRIORITY,
) -> list[Cluster[R]]:
    """Group records that describe the same structure.

    Parameters
    ----------
    records : sequence of Candidate
        Records from any number of sources; points EPSG:4326.
    max_distance_m : float
        Distance under which two similarly named records are the same structure, metres.
    name_threshold : float
        Minimal name similarity (Jaccard index, see :func:`name_similarity`), 0 to 1.
    siret_max_distance_m : float or None
        Maximal distance between two similarly named records sharing a SIRET, metres;
        ``None``: no limit.
    source_priority : sequence of str
        Provenances in decreasing trust, for the canonical record.

    Returns
    -------
    list of Cluster
        Every record in exactly one cluster (alone when it has no duplicate), clusters
        ordered by the position of their first record in ``records``. Deterministic: the
        result does not depend on hash seeds.
    """
    candidates = _siret_links(
        records, siret_max_distance_m, max_distance_m, name_threshold
    ) + _proximity_links(records, max_distance_m, name_threshold)
    candidates.sort(key=lambda link: link[0])
    forest = _Forest([record.provenance for record in records])
    accepted: list[tuple[int, int, Link]] = []
    for _key, i, j, link in candidates:
        if forest.union(i, j):
            accepted.append((i, j, link))
    return _clusters(records, forest, accepted, source_priority)


# --- evidence --------------------------------------------------------------------------------

_Candidate = tuple[tuple[Any, ...], int, int, Link]


def _siret_links(
    records: Sequence[R],
    siret_max_distance_m: float | None,
    max_distance_m: float,
    threshold: float,
) -> list[_Candidate]:
    by_siret: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        if record.partner.siret and set(record.partner.siret) != {"0"}:  # zeros: "unknown"
            by_siret.setdefault(record.partner.siret, []).append(index)
    links: list[_Candidate] = []
    for indexes in by_siret.values():
        for position, i in enumerate(indexes):
            for j in indexes[position + 1 :]:
                a, b = records[i], records[j]
                if a.provenance == b.provenance:
                    continue
                distance = _distance(a, b)
                if siret_max_distance_m is not None and distance > siret_max_distance_m:
                    continue
                similarity = name_similarity(a.partner.name, b.partner.name)
                if distance >= max_distance_m and similarity < threshold:
                    continue  # one SIRET, two services: neither the names nor the places agree
                link = Link(_key(a), _key(b), "siret", distance, similarity)
                links.append(((0, distance, -similarity, i, j), i, j, link))
    return links


def _proximity_links(
    records: Sequence[R], max_distance_m: float, threshold: float
) -> list[_Candidate]:
    if len(records) < 2:
        return []
    from scipy.spatial import cKDTree

    points = [_unit_vector(record.partner.lon, record.partner.lat) for record in records]
    chord = 2 * math.sin(max_distance_m / (2 * EARTH_RADIUS_M))  # on the unit sphere
    tokens = [name_tokens(record.partner.name) for record in records]
    links: list[_Candidate] = []
    for i, j in sorted(cKDTree(points).query_pairs(chord)):
        a, b = records[i], records[j]
        if a.provenance == b.provenance:
            continue
        distance = _distance(a, b)
        similarity = _jaccard(tokens[i], tokens[j])
        if distance < max_distance_m and similarity >= threshold:
            link = Link(_key(a), _key(b), "nom-distance", distance, similarity)
            links.append(((1, -similarity, distance, i, j), i, j, link))
    return links


def name_tokens(name: str) -> frozenset[str]:
    """Normalised tokens of a name: folded, punctuation removed, stop words dropped.

    ``"Association La Clède — CHRS d'Alès"`` → ``{"clede", "chrs", "ales"}``;
    ``"Centre d'hébergement et de réinsertion sociale"`` → ``{"chrs"}`` (see :data:`ACRONYMS`).
    """
    folded = _fold(name)
    tokens = [token for token in _NON_ALNUM.split(folded) if token and token not in _STOP_WORDS]
    return frozenset(_fold_acronyms(tokens))


def _fold_acronyms(tokens: list[str]) -> list[str]:
    folded: list[str] = []
    position = 0
    while position < len(tokens):
        for phrase, acronym in _ACRONYMS_LONGEST_FIRST:
            if tuple(tokens[position : position + len(phrase)]) == phrase:
                folded.append(acronym)
                position += len(phrase)
                break
        else:
            folded.append(tokens[position])
            position += 1
    return folded


def name_similarity(a: str, b: str) -> float:
    """Jaccard index of the normalised token sets of two names, from 0 to 1.

    ``|A ∩ B| / |A ∪ B|`` with :func:`name_tokens`; 0 when either name has no token left.
    """
    return _jaccard(name_tokens(a), name_tokens(b))


def _fold(name: str) -> str:
    """Lower case, without accents."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _spelling(name: str) -> str:
    """A name folded for telling two spellings of one name apart: case, accents, spacing."""
    return " ".join(_fold(name).split())


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _distance(a: Candidate, b: Candidate) -> float:
    return haversine_m(a.partner.lon, a.partner.lat, b.partner.lon, b.partner.lat)


def _unit_vector(lon: float, lat: float) -> tuple[float, float, float]:
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def _key(record: Candidate) -> tuple[str, str]:
    return record.provenance, record.source_id


# --- union-find with cannot-link on provenance ----------------------------------------------


class _Forest:
    """Union-find whose groups never hold two records of the same provenance."""

    def __init__(self, provenances: Sequence[str]) -> None:
        self.parent = list(range(len(provenances)))
        self.provenances: list[frozenset[str]] = [frozenset({p}) for p in provenances]

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:  # path compression
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, i: int, j: int) -> bool:
        """Merge the groups of ``i`` and ``j``; ``False`` if already one or if forbidden."""
        root_i, root_j = self.find(i), self.find(j)
        if root_i == root_j or self.provenances[root_i] & self.provenances[root_j]:
            return False
        low, high = sorted((root_i, root_j))  # the smaller index stays root: deterministic
        self.parent[high] = low
        self.provenances[low] = self.provenances[low] | self.provenances[high]
        return True


# --- clusters --------------------------------------------------------------------------------


def _clusters(
    records: Sequence[R],
    forest: _Forest,
    accepted: Sequence[tuple[int, int, Link]],
    source_priority: Sequence[str],
) -> list[Cluster[R]]:
    members: dict[int, list[int]] = {}
    for index in range(len(records)):
        members.setdefault(forest.find(index), []).append(index)
    links: dict[int, list[Link]] = {}
    for i, _j, link in accepted:
        links.setdefault(forest.find(i), []).append(link)
    clusters: list[Cluster[R]] = []
    for root in sorted(members, key=lambda root: min(members[root])):
        ranked = canonical_order((records[index] for index in members[root]), source_priority)
        clusters.append(Cluster(tuple(ranked), tuple(links.get(root, ())), tuple(source_priority)))
    return clusters


def canonical_order(
    records: Iterable[R], source_priority: Sequence[str] = DEFAULT_SOURCE_PRIORITY
) -> list[R]:
    """Records of one structure, the canonical one first: a precise point before a commune
    centroid, then the most complete record, then the source earlier in
    ``source_priority``, then provenance and identifier (a deterministic order)."""
    rank = {provenance: position for position, provenance in enumerate(source_priority)}
    return sorted(records, key=lambda record: _canonical_key(record, rank))


def _canonical_key(record: Candidate, rank: dict[str, int]) -> tuple[Any, ...]:
    return (
        record.geocoding == "commune",
        -_completeness(record.partner),
        rank.get(record.provenance, len(rank)),
        record.provenance,
        record.source_id,
    )


def _completeness(partner: PartnerFields) -> int:
    filled = sum(getattr(partner, name) is not None for name in _COMPLETENESS_FIELDS)
    filled += sum(value is not None for value in dump(partner.contact).values())
    return filled + bool(partner.publics) + bool(partner.thematiques)
