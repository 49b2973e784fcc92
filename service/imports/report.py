"""What an import did: counts of partners, opportunities and relations, rejections, notes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from geodata.sources.geojson import Rejection

Progress = Callable[[int], None]
"""Called with the number of rows (features, records) written since the last call."""


@dataclass(slots=True)
class ImportReport:
    """What an import did (or would have done, when ``applied`` is false)."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    opportunities: Counter[str] = field(default_factory=Counter)
    relations: Counter[str] = field(default_factory=Counter)
    applied: bool = False
    merged: int = 0
    closed: int = 0
    reopened: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({r.index for r in self.rejections})

    def summary(self) -> dict[str, int]:
        """French counts; those of source imports only when not zero.

        ``rattachés``: new records attached to a partner of another source (one structure,
        several provenances); ``fermés``/``rouverts``: partners closed because every source
        dropped them, or reopened; ``hors périmètre``: rows the reader left out on purpose.
        """
        counts = {
            "créés": self.created,
            "mis à jour": self.updated,
            "inchangés": self.unchanged,
            "rejetés": self.rejected,
        }
        extra = {
            "rattachés": self.merged,
            "fermés": self.closed,
            "rouverts": self.reopened,
            "hors périmètre": self.skipped,
        }
        return counts | {name: value for name, value in extra.items() if value}
