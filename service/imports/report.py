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
    attached: int = 0
    offered: int = 0
    defaulted: int = 0

    @property
    def rejected(self) -> int:
        return len({r.index for r in self.rejections})

    records: int = 0

    @property
    def partners(self) -> int:
        """Valid records (fiches): once applied, created + updated + unchanged + attached to a
        partner of another source (``merged``)."""
        return self.records

    def balance(self) -> str:
        """The report's equation in French: items read = partners + attached services +
        offers + rejected + out of scope (it adds up, see `ReadResult.total`)."""
        return (
            f"{self.total} élément(s) lu(s) = {self.partners} fiche(s) + {self.attached} "
            f"service(s) rattaché(s) + {self.offered} offre(s) + {self.rejected} rejeté(s) + "
            f"{self.skipped} hors périmètre"
        )

    def counts(self) -> dict[str, int]:
        """The terms of :meth:`balance`, for ``--report``."""
        return {
            "elements": self.total,
            "fiches": self.partners,
            "services_rattaches": self.attached,
            "offres": self.offered,
            "rejetes": self.rejected,
            "hors_perimetre": self.skipped,
            "types_par_defaut": self.defaulted,
        }

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
