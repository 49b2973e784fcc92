"""CSV exports for a steering committee, in the French Excel convention: « ; » between
columns, decimal comma, UTF-8 with a byte-order mark (Excel then reads the accents), French
headers, one row per suggested partnership or per approaching structure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from service.network.schemas import ApproachedEmployer, OriginOut

PARTNERSHIP_HEADERS = (
    "structure",
    "type de la structure",
    "déjà liée à l'emploi",
    "rang",
    "partenaire proposé",
    "type du partenaire",
    "famille du partenaire",
    "temps de trajet (min)",
    "temps estimé",
    "score",
    "places ouvertes",
    "offres ouvertes",
    "chemin chaud par",
    "raisons",
)
EMPLOYER_HEADERS = (
    "employeur",
    "type de l'employeur",
    "structures qui l'approchent",
    "structure",
    "relations",
    "référent proposé",
    "règle",
    "démarches épargnées",
    "explication",
)


def _decimal(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _yes(value: bool) -> str:
    return "oui" if value else "non"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def partnerships_csv(origins: Sequence[OriginOut]) -> bytes:
    """One row per suggested partnership, structures in the answer's order."""
    rows = []
    for origin in origins:
        for rank, s in enumerate(origin.suggestions, start=1):
            rows.append(
                (
                    origin.partner.name,
                    origin.partner.kind,
                    _yes(origin.employment_linked),
                    rank,
                    s.partner.name,
                    s.partner.kind,
                    s.partner.family,
                    _decimal(s.minutes, 1),
                    _yes(s.estimated),
                    _decimal(s.score, 3),
                    s.open_places,
                    s.open_offers,
                    ", ".join(p.name for p in s.warm_via),
                    " ".join(s.reasons),
                )
            )
    return _table(PARTNERSHIP_HEADERS, rows)


def employers_csv(items: Sequence[ApproachedEmployer]) -> bytes:
    """One row per (employer, approaching structure)."""
    rows = [
        (
            item.employer.name,
            item.employer.kind,
            len(item.structures),
            approach.partner.name,
            ", ".join(approach.kinds),
            item.referent.name,
            item.rule,
            item.saved,
            item.explanation,
        )
        for item in items
        for approach in item.structures
    ]
    return _table(EMPLOYER_HEADERS, rows)
