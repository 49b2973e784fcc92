"""The provenances that maillage's importers write, in one place.

A partner's ``source`` says who describes it (with ``source_id``, the key of that source's
record). The provenances below are *fed by importers*: an import rewrites their records from
the source (open registers, producers' feeds, the demo), so an API key may not claim them for
a fiche of its own, and the fiche they describe is the source's, not an editor's. The service
enforces it (`service.auth.check_source_claim`, `service.auth.check_can_write_partner`):

- an editor's ``POST``/``PATCH`` with ``source`` in `RESERVED` is refused (403);
- an editor may not modify or delete a partner one of whose provenances is `official`
  (the demo's fictitious fiches excepted: `EDITABLE_IMPORTED`);
- administrators and the import commands may do both.

`MAILLAGE` is the provenance of fiches written through the API: never reserved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

MAILLAGE: Final = "maillage"
"""Written through the API or a GeoJSON file of maillage's own."""

FINESS: Final = "finess"
"""The State's register of health and social establishments (`geodata.sources.finess`)."""
SIAE: Final = "emplois-siae"
"""SIAE conventioned by the DDETS, from Les emplois de l'inclusion (`geodata.sources.siae`)."""
AGENCIES: Final = "emplois-prescripteurs"
"""Public employment agencies and prescribers, from Les emplois (`geodata.sources.agencies`)."""
MEDIATION_NUMERIQUE: Final = "hinaura"
"""Places of digital inclusion, national cartography (`geodata.sources.mediation_numerique`)."""
DEMO: Final = "demo"
"""The fictitious partners of ``maillage demo`` (`service.demo`)."""

DATA_INCLUSION_PRODUCERS: Final = frozenset(
    {
        "action-logement",
        "agefiph",
        "carif-oref",
        "data-inclusion",
        "dora",
        "emplois-de-linclusion",
        "france-travail",
        "fredo",
        "immersion-facile",
        "ma-boussole-aidants",
        "mediation-numerique",
        "mes-aides",
        "mission-locale",
        "monenfant",
        "odspep",
        "reseau-alpha",
        "siao",
        "soliguide",
        "un-jeune-une-solution",
    }
)
"""Producers whose records data·inclusion aggregates (a structure keeps its producer as its
provenance: `geodata.sources.data_inclusion`)."""

RESERVED: Final = frozenset(
    {FINESS, SIAE, AGENCIES, MEDIATION_NUMERIQUE, DEMO} | DATA_INCLUSION_PRODUCERS
)
"""Provenances only imports and administrators write."""

REGISTERS: Final = frozenset({FINESS, SIAE, AGENCIES})
"""Official registers: their extract lists every establishment that exists, so being listed
in the latest import is what says a record is still true (``seen_at``). Their own dates
(FINESS ``maj``, Les emplois ``mis_a_jour_le``) say when the record last *changed*: an
establishment unchanged for years is not stale. The other imported sources (the producers of
data·inclusion, the médiation numérique cartography) are service directories whose producers
date each record when they confirm it (``date_maj``): a record their producer has not
confirmed for a year is stale even if it is still listed (Soliguide hides places not updated
for 6 months). See `service.partners.queries.freshness`."""

EDITABLE_IMPORTED: Final = frozenset({DEMO})
"""Imported, yet their fiches stay editable by their organisation's editors: the demo's
partners are fictitious, and showing an editor at work is what the demo is for."""


def is_reserved(source: str) -> bool:
    """Whether ``source`` is fed by an importer (an editor may not claim it)."""
    return source in RESERVED


def official(sources: Iterable[str]) -> bool:
    """Whether a partner with these provenances is an official record: described by an
    imported source (`RESERVED`) other than the editable ones (`EDITABLE_IMPORTED`)."""
    return any(s in RESERVED and s not in EDITABLE_IMPORTED for s in sources)
