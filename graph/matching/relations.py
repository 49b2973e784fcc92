"""Partner relations as an undirected index: the referent's neighbours make warm introductions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable


class RelationIndex:
    """Undirected adjacency of partner relations, built once and shared by requests.

    Parameters
    ----------
    pairs : iterable of (str, str)
        Relations as (source id, target id); the direction and the kind do not matter for a
        warm introduction.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        adjacency: dict[str, set[str]] = defaultdict(set)
        for source, target in pairs:
            adjacency[source].add(target)
            adjacency[target].add(source)
        self._adjacency: dict[str, frozenset[str]] = {
            key: frozenset(values) for key, values in adjacency.items()
        }

    def neighbours(self, partner_id: str) -> frozenset[str]:
        """Partners related to ``partner_id`` in either direction."""
        return self._adjacency.get(partner_id, frozenset())


Relations = RelationIndex | Collection[tuple[str, str]]
